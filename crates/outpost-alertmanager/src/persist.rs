//! Persistence of silences and the notification log in one SQLite file
//! (`<data-dir>/alertmanager.db`), written by a dedicated thread.
//!
//! Format (version 1): table `meta(key, value)` with `schema_version = 1`;
//! `silences(id TEXT PRIMARY KEY, data TEXT)` and `nflog(key TEXT PRIMARY KEY,
//! data TEXT, expires_ms INTEGER)`, where `data` is JSON: a silence as
//! `{id, matchers: [[name, op, value]…], starts_at, ends_at, updated_at,
//! created_by, comment}` (Unix ms), a log entry as `{firing: [fp…],
//! resolved: [fp…], ts, expires_at}`.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::nflog::{NflogEntry, NflogKey};
use crate::silence::{Silence, StoredSilence};

enum Op {
    PutSilence(String, String),
    DeleteSilence(String),
    PutNflog(String, String, i64),
    DeleteNflogBefore(i64),
    Sync(mpsc::Sender<()>),
}

/// Handle of the writer thread.
pub(crate) struct Persister {
    tx: Option<mpsc::Sender<Op>>,
    thread: Option<JoinHandle<()>>,
    pub(crate) path: PathBuf,
}

/// What was read at startup.
pub(crate) struct Loaded {
    pub(crate) silences: Vec<Silence>,
    pub(crate) nflog: Vec<(NflogKey, NflogEntry)>,
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::Persistence(e.to_string())
}

impl Persister {
    /// Opens (creating) the database in `dir`, reads it, and starts the writer.
    pub(crate) fn open(dir: &Path) -> Result<(Persister, Loaded)> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Persistence(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join("alertmanager.db");
        let conn = Connection::open(&path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');
             CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, data TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS nflog (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_ms INTEGER NOT NULL);",
        )
        .map_err(db_err)?;
        let mut silences = Vec::new();
        {
            let mut st = conn.prepare("SELECT data FROM silences").map_err(db_err)?;
            let rows = st
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db_err)?;
            for row in rows {
                let text = row.map_err(db_err)?;
                match serde_json::from_str::<StoredSilence>(&text)
                    .ok()
                    .and_then(StoredSilence::into_silence)
                {
                    Some(s) => silences.push(s),
                    None => tracing::warn!(file = %path.display(), "skipping unreadable silence"),
                }
            }
        }
        let mut nflog = Vec::new();
        {
            let mut st = conn
                .prepare("SELECT key, data FROM nflog")
                .map_err(db_err)?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err)?;
            for row in rows {
                let (k, d) = row.map_err(db_err)?;
                match (serde_json::from_str(&k), serde_json::from_str(&d)) {
                    (Ok(k), Ok(d)) => nflog.push((k, d)),
                    _ => tracing::warn!(file = %path.display(), "skipping unreadable log entry"),
                }
            }
        }
        let (tx, rx) = mpsc::channel::<Op>();
        let thread_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("am-persist".into())
            .spawn(move || writer(conn, rx, &thread_path))
            .map_err(|e| Error::Persistence(e.to_string()))?;
        Ok((
            Persister {
                tx: Some(tx),
                thread: Some(thread),
                path,
            },
            Loaded { silences, nflog },
        ))
    }

    fn send(&self, op: Op) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(op);
        }
    }

    pub(crate) fn put_silence(&self, s: &Silence) {
        if let Ok(text) = serde_json::to_string(&StoredSilence::from_silence(s)) {
            self.send(Op::PutSilence(s.id.clone(), text));
        }
    }

    pub(crate) fn delete_silence(&self, id: &str) {
        self.send(Op::DeleteSilence(id.to_string()));
    }

    pub(crate) fn put_nflog(&self, k: &NflogKey, e: &NflogEntry) {
        if let (Ok(k), Ok(d)) = (serde_json::to_string(k), serde_json::to_string(e)) {
            self.send(Op::PutNflog(k, d, e.expires_at));
        }
    }

    pub(crate) fn expire_nflog(&self, now: i64) {
        self.send(Op::DeleteNflogBefore(now));
    }

    /// Waits until every write sent so far is committed.
    pub(crate) fn sync(&self) {
        let (tx, rx) = mpsc::channel();
        self.send(Op::Sync(tx));
        let _ = rx.recv();
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn writer(conn: Connection, rx: mpsc::Receiver<Op>, path: &Path) {
    while let Ok(op) = rx.recv() {
        let r = match op {
            Op::PutSilence(id, data) => conn
                .execute(
                    "INSERT INTO silences (id, data) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                    params![id, data],
                )
                .map(|_| ()),
            Op::DeleteSilence(id) => conn
                .execute("DELETE FROM silences WHERE id = ?1", params![id])
                .map(|_| ()),
            Op::PutNflog(k, d, exp) => conn
                .execute(
                    "INSERT INTO nflog (key, data, expires_ms) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET data = excluded.data, expires_ms = excluded.expires_ms",
                    params![k, d, exp],
                )
                .map(|_| ()),
            Op::DeleteNflogBefore(now) => conn
                .execute("DELETE FROM nflog WHERE expires_ms < ?1", params![now])
                .map(|_| ()),
            Op::Sync(done) => {
                let _ = done.send(());
                Ok(())
            }
        };
        if let Err(e) = r {
            tracing::error!(file = %path.display(), error = %e, "cannot write alertmanager state");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins format version 1: a file written by hand per the module docs loads.
    #[test]
    fn version_1_file_loads() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = Connection::open(dir.path().join("alertmanager.db")).unwrap();
            c.execute_batch(
                r#"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                   INSERT INTO meta VALUES ('schema_version', '1');
                   CREATE TABLE silences (id TEXT PRIMARY KEY, data TEXT NOT NULL);
                   CREATE TABLE nflog (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_ms INTEGER NOT NULL);
                   INSERT INTO silences VALUES ('9c2a6d9e-0000-4000-8000-000000000000',
                     '{"id":"9c2a6d9e-0000-4000-8000-000000000000","matchers":[["alertname","=~","A|B"]],"starts_at":1000,"ends_at":2000,"updated_at":1000,"created_by":"me","comment":"c"}');
                   INSERT INTO nflog VALUES (
                     '{"group_key":"{}:{}","receiver":"r","integration":"webhook","index":0}',
                     '{"firing":[1,2],"resolved":[],"ts":1500,"expires_at":9000}', 9000);"#,
            )
            .unwrap();
        }
        let (p, loaded) = Persister::open(dir.path()).unwrap();
        assert_eq!(loaded.silences.len(), 1);
        let s = &loaded.silences[0];
        assert_eq!(s.matchers[0].to_string(), "alertname=~\"A|B\"");
        assert_eq!((s.starts_at, s.ends_at), (1000, 2000));
        assert_eq!(loaded.nflog.len(), 1);
        assert_eq!(loaded.nflog[0].0.integration, "webhook");
        assert_eq!(loaded.nflog[0].1.firing.len(), 2);
        p.delete_silence(&s.id);
        p.sync();
        drop(p);
        let (_, loaded) = Persister::open(dir.path()).unwrap();
        assert!(loaded.silences.is_empty());
    }
}
