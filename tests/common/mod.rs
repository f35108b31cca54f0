//! Helpers for black-box tests: start the real `outpost` binary on ephemeral
//! ports, read its ports file, talk HTTP to it, stop it with a signal.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Every listener name, as `--listen` knows them.
pub const LISTENERS: &[&str] = &[
    "prometheus",
    "alertmanager",
    "otlp-grpc",
    "otlp-http",
    "jaeger-query",
    "jaeger-collector-http",
    "jaeger-collector-grpc",
    "zipkin",
    "elasticsearch",
    "beats",
];

/// Path of the binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_outpost"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A running outpost.
pub struct Outpost {
    pub child: Child,
    pub ports: BTreeMap<String, String>,
    pub started: Instant,
    pub ready_after: Duration,
    _dir: tempfile::TempDir,
    stderr_path: PathBuf,
}

impl Outpost {
    /// Starts outpost with every listener on 127.0.0.1:0 plus `extra` args,
    /// and waits for its ports file.
    /// The directory of the ports file (where Outpost writes files for its clients).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn start(extra: &[&str]) -> Outpost {
        Self::try_start(extra).unwrap_or_else(|e| panic!("outpost did not start: {e}"))
    }

    /// Like [`Outpost::start`], returning the stderr text on failure.
    pub fn try_start(extra: &[&str]) -> Result<Outpost, String> {
        let dir = tempfile::tempdir().unwrap();
        let ports_file = dir.path().join("ports.json");
        let stderr_path = dir.path().join("stderr.log");
        let mut cmd = Command::new(bin());
        for l in LISTENERS {
            cmd.arg("--listen").arg(format!("{l}=127.0.0.1:0"));
        }
        cmd.arg("--ports-file").arg(&ports_file).args(extra);
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap());
        let started = Instant::now();
        let mut child = cmd.spawn().unwrap();
        loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file) {
                let ports: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
                return Ok(Outpost {
                    child,
                    ports,
                    ready_after: started.elapsed(),
                    started,
                    _dir: dir,
                    stderr_path,
                });
            }
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                return Err(format!("exited with {status} before ready:\n{err}"));
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                return Err("no ports file after 20s".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// `http://ADDR` of a listener.
    pub fn url(&self, listener: &str) -> String {
        format!("http://{}", self.ports[listener])
    }

    /// Sends a signal by name (`TERM`, `INT`, `HUP`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for exit, at most `limit`; returns the status and how long it took.
    pub fn wait_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let t = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return (s, t.elapsed());
            }
            if t.elapsed() > limit {
                let _ = self.child.kill();
                panic!("outpost did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// What the process logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Outpost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client with a short timeout.
pub fn http() -> reqwest::blocking::Client {
    // reqwest is built with rustls without a default provider (see outpost-scrape).
    outpost_http_client::install_crypto_provider();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// GET and return (status, body).
pub fn get(url: &str) -> (u16, String) {
    let r = http().get(url).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// Asserts that the prometheus listener's `/metrics` holds every one of
/// `lines` (each a whole exposition line, without its newline).
pub fn assert_metrics(op: &Outpost, lines: &[&str]) {
    let metrics = get(&format!("{}/metrics", op.url("prometheus"))).1;
    for l in lines {
        assert!(
            metrics.contains(&format!("{l}\n")),
            "missing {l:?} in\n{metrics}"
        );
    }
}

/// POST with an empty body and return (status, body).
pub fn post(url: &str) -> (u16, String) {
    let r = http().post(url).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A private copy of the corrected e-commerce stack.
pub fn ecommerce_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("fixtures/ecommerce"), dir.path());
    dir
}

/// Replaces `from` with `to` in a file, asserting that `from` occurs.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// 1-based line number of the first line containing `needle`.
pub fn line_of(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {}", path.display()))
        + 1
}
