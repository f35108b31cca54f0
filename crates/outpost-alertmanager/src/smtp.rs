//! A small SMTP client for `--notify.deliver`: plain SMTP to the configured
//! smarthost (EHLO, MAIL, RCPT, DATA), as used with local mail catchers.
//! STARTTLS, implicit TLS and SMTP AUTH are not implemented: such servers
//! get a clear, non-retried error.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::notify::AttemptError;

/// One email ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Email {
    pub(crate) smarthost: String,
    pub(crate) hello: String,
    pub(crate) require_tls: bool,
    pub(crate) auth: bool,
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    /// Headers in order (Subject, To, From, …).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) text: Option<String>,
    pub(crate) html: Option<String>,
    /// `Date` header value.
    pub(crate) date: String,
    /// Boundary / message-id seed.
    pub(crate) id: String,
}

fn fatal(message: String) -> AttemptError {
    AttemptError {
        message,
        retry: false,
    }
}

fn transient(message: String) -> AttemptError {
    AttemptError {
        message,
        retry: true,
    }
}

/// The address inside `Name <addr>`, or the text itself.
fn addr(s: &str) -> &str {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim(),
    }
}

struct Conn {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    /// Reads a (multi-line) reply: code and lines.
    async fn reply(&mut self) -> Result<(u16, Vec<String>), AttemptError> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self
                .r
                .read_line(&mut line)
                .await
                .map_err(|e| transient(format!("smtp read: {e}")))?;
            if n == 0 {
                return Err(transient("smtp: connection closed".into()));
            }
            let line = line.trim_end().to_string();
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| fatal(format!("smtp: bad reply {line:?}")))?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if !more {
                return Ok((code, lines));
            }
        }
    }

    async fn cmd(&mut self, line: &str, want: u16) -> Result<Vec<String>, AttemptError> {
        self.w
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| transient(format!("smtp write: {e}")))?;
        self.expect(want, line).await
    }

    async fn expect(&mut self, want: u16, what: &str) -> Result<Vec<String>, AttemptError> {
        let (code, lines) = self.reply().await?;
        if code == want {
            return Ok(lines);
        }
        let verb = what.split(':').next().unwrap_or(what);
        let msg = format!("smtp {verb}: {code} {}", lines.join(" "));
        Err(if (400..500).contains(&code) {
            transient(msg)
        } else {
            fatal(msg)
        })
    }
}

/// The message text (headers, MIME body), CRLF line ends, dot-stuffed.
pub(crate) fn message(e: &Email) -> String {
    let mut m = String::new();
    for (k, v) in &e.headers {
        m.push_str(&format!("{k}: {v}\r\n"));
    }
    m.push_str(&format!("Date: {}\r\n", e.date));
    m.push_str(&format!("Message-Id: <{}@outpost>\r\n", e.id));
    m.push_str("MIME-Version: 1.0\r\n");
    let part = |ct: &str, body: &str| {
        format!(
            "Content-Type: {ct}; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            body.replace("\r\n", "\n").replace('\n', "\r\n")
        )
    };
    match (&e.text, &e.html) {
        (Some(t), Some(h)) => {
            let b = format!("outpost-{}", e.id);
            m.push_str(&format!(
                "Content-Type: multipart/alternative; boundary={b}\r\n\r\n"
            ));
            m.push_str(&format!("--{b}\r\n{}", part("text/plain", t)));
            m.push_str(&format!("--{b}\r\n{}", part("text/html", h)));
            m.push_str(&format!("--{b}--\r\n"));
        }
        (Some(t), None) => m.push_str(&part("text/plain", t)),
        (None, Some(h)) => m.push_str(&part("text/html", h)),
        (None, None) => m.push_str(&part("text/plain", "")),
    }
    m.split("\r\n")
        .map(|l| {
            if l.starts_with('.') {
                format!(".{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Sends one email.
pub(crate) async fn send(e: &Email, timeout: Duration) -> Result<(), AttemptError> {
    match tokio::time::timeout(timeout, send_inner(e)).await {
        Ok(r) => r,
        Err(_) => Err(transient(format!("smtp {}: timed out", e.smarthost))),
    }
}

async fn send_inner(e: &Email) -> Result<(), AttemptError> {
    if e.smarthost.ends_with(":465") {
        return Err(fatal(format!(
            "smtp {}: implicit TLS (port 465) is not supported by outpost",
            e.smarthost
        )));
    }
    let stream = TcpStream::connect(&e.smarthost).await.map_err(|err| {
        transient(format!(
            "establish connection to server: dial tcp {}: {err}",
            e.smarthost
        ))
    })?;
    let (r, w) = stream.into_split();
    let mut c = Conn {
        r: BufReader::new(r),
        w,
    };
    c.expect(220, "greeting").await?;
    let ext = c.cmd(&format!("EHLO {}", e.hello), 250).await?;
    let starttls = ext
        .iter()
        .any(|l| l.to_ascii_uppercase().starts_with("STARTTLS"));
    if e.require_tls {
        return Err(fatal(if starttls {
            format!(
                "smtp {}: STARTTLS is not supported by outpost; set require_tls: false for a local mail catcher",
                e.smarthost
            )
        } else {
            format!(
                "'require_tls' is true (default) but {:?} does not advertise the STARTTLS extension",
                e.smarthost
            )
        }));
    }
    if e.auth {
        return Err(fatal(format!(
            "smtp {}: SMTP AUTH is not supported by outpost",
            e.smarthost
        )));
    }
    c.cmd(&format!("MAIL FROM:<{}>", addr(&e.from)), 250)
        .await?;
    for to in &e.to {
        c.cmd(&format!("RCPT TO:<{}>", addr(to)), 250).await?;
    }
    c.cmd("DATA", 354).await?;
    let body = message(e);
    c.w.write_all(format!("{body}\r\n.\r\n").as_bytes())
        .await
        .map_err(|err| transient(format!("smtp write: {err}")))?;
    c.expect(250, "DATA").await?;
    let _ = c.cmd("QUIT", 221).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_mime_and_dot_stuffed() {
        let e = Email {
            smarthost: String::new(),
            hello: "localhost".into(),
            require_tls: false,
            auth: false,
            from: "Alerts <a@x>".into(),
            to: vec!["b@y".into()],
            headers: vec![("Subject".into(), "[FIRING:1] X".into())],
            text: Some("hello\n.dot".into()),
            html: None,
            date: "Tue, 24 Nov 2026 10:00:00 +0000".into(),
            id: "1".into(),
        };
        let m = message(&e);
        assert!(m.starts_with("Subject: [FIRING:1] X\r\n"), "{m}");
        assert!(m.contains("\r\nhello\r\n..dot\r\n"), "{m}");
        assert_eq!(addr("Alerts <a@x>"), "a@x");
    }
}
