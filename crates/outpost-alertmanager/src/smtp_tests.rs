//! Tests of the SMTP client against an in-test SMTP server on loopback that
//! can offer STARTTLS or speak implicit TLS (self-signed certificate made
//! with rcgen) and checks AUTH PLAIN, LOGIN and CRAM-MD5 credentials.

use std::path::Path;

use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::*;

const USER: &str = "alice";
const PASS: &str = "s3cret pass";
const CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

/// What the test server offers.
#[derive(Clone, Copy, Default)]
struct Opts {
    /// Advertise STARTTLS on the plain connection.
    starttls: bool,
    /// TLS from the first byte.
    implicit: bool,
    /// AUTH parameters; empty: AUTH is not advertised.
    auth: &'static str,
}

/// What the server saw in one session.
#[derive(Debug, Default)]
struct Seen {
    /// One entry per AUTH: mechanism and decoded credentials.
    auth: Vec<String>,
    /// Whether MAIL came over TLS.
    tls: bool,
    from: String,
    rcpt: Vec<String>,
    data: Option<String>,
}

/// A self-signed certificate for localhost, 127.0.0.1 and 127.0.0.2: its PEM
/// and a server config using it.
fn certificate() -> (String, Arc<ServerConfig>) {
    let names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "127.0.0.2".into()];
    let ck = rcgen::generate_simple_self_signed(names).unwrap();
    let key = PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    (ck.cert.pem(), Arc::new(config))
}

async fn write(r: &mut BufReader<Box<dyn Io>>, s: &str) {
    let w = r.get_mut();
    w.write_all(s.as_bytes()).await.unwrap();
    w.flush().await.unwrap();
}

async fn line(r: &mut BufReader<Box<dyn Io>>) -> Option<String> {
    let mut l = String::new();
    match r.read_line(&mut l).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(l.trim_end_matches(['\r', '\n']).to_string()),
    }
}

fn decode(s: &str) -> String {
    String::from_utf8(B64.decode(s.trim()).unwrap()).unwrap()
}

/// One SMTP session; returns what was seen when the client quits or hangs up.
async fn session(stream: Box<dyn Io>, mut tls: bool, opts: Opts, acceptor: TlsAcceptor) -> Seen {
    let mut seen = Seen::default();
    let mut r = BufReader::new(stream);
    write(&mut r, "220 fake ESMTP\r\n").await;
    while let Some(l) = line(&mut r).await {
        let upper = l.to_ascii_uppercase();
        if upper.starts_with("EHLO ") {
            let mut s = String::from("250-fake greets you\r\n");
            if opts.starttls && !tls {
                s.push_str("250-STARTTLS\r\n");
            }
            if !opts.auth.is_empty() {
                s.push_str(&format!("250-AUTH {}\r\n", opts.auth));
            }
            s.push_str("250 8BITMIME\r\n");
            write(&mut r, &s).await;
        } else if upper == "STARTTLS" {
            write(&mut r, "220 ready to start TLS\r\n").await;
            match acceptor.accept(r.into_inner()).await {
                Ok(s) => r = BufReader::new(Box::new(s)),
                Err(_) => return seen,
            }
            tls = true;
        } else if let Some(ir) = l.strip_prefix("AUTH PLAIN ") {
            let creds = decode(ir);
            let ok = creds.ends_with(&format!("\0{USER}\0{PASS}"));
            seen.auth
                .push(format!("PLAIN {}", creds.replace('\0', "|")));
            let reply = if ok {
                "235 2.7.0 authentication successful\r\n"
            } else {
                "535 5.7.8 authentication failed\r\n"
            };
            write(&mut r, reply).await;
        } else if l == "AUTH LOGIN" {
            write(&mut r, &format!("334 {}\r\n", B64.encode("Username:"))).await;
            let user = decode(&line(&mut r).await.unwrap_or_default());
            write(&mut r, &format!("334 {}\r\n", B64.encode("Password:"))).await;
            let pass = decode(&line(&mut r).await.unwrap_or_default());
            let ok = user == USER && pass == PASS;
            seen.auth.push(format!("LOGIN {user}|{pass}"));
            let reply = if ok { "235 ok\r\n" } else { "535 no\r\n" };
            write(&mut r, reply).await;
        } else if l == "AUTH CRAM-MD5" {
            write(&mut r, &format!("334 {}\r\n", B64.encode(CHALLENGE))).await;
            let resp = decode(&line(&mut r).await.unwrap_or_default());
            seen.auth.push(format!("CRAM-MD5 {resp}"));
            // RFC 2195's example secret and digest for CHALLENGE.
            let ok = resp == format!("{USER} b913a602c7eda7a495b4e6e7334d3890");
            let reply = if ok { "235 ok\r\n" } else { "535 no\r\n" };
            write(&mut r, reply).await;
        } else if let Some(a) = upper.strip_prefix("MAIL FROM:") {
            seen.from = a.to_ascii_lowercase();
            seen.tls = tls;
            write(&mut r, "250 ok\r\n").await;
        } else if let Some(a) = upper.strip_prefix("RCPT TO:") {
            seen.rcpt.push(a.to_ascii_lowercase());
            write(&mut r, "250 ok\r\n").await;
        } else if upper == "DATA" {
            write(&mut r, "354 go ahead\r\n").await;
            let mut data = String::new();
            while let Some(d) = line(&mut r).await {
                if d == "." {
                    break;
                }
                data.push_str(&d);
                data.push_str("\r\n");
            }
            seen.data = Some(data);
            write(&mut r, "250 queued\r\n").await;
        } else if upper == "QUIT" {
            write(&mut r, "221 bye\r\n").await;
            break;
        } else {
            write(&mut r, "500 unknown command\r\n").await;
        }
    }
    seen
}

/// A test SMTP server on `ip`: its address, the PEM of its certificate and
/// what each session saw.
async fn server(ip: &str, opts: Opts) -> (String, String, mpsc::UnboundedReceiver<Seen>) {
    let (pem, config) = certificate();
    let acceptor = TlsAcceptor::from(config);
    let l = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let (tx, acceptor) = (tx.clone(), acceptor.clone());
            tokio::spawn(async move {
                let seen = if opts.implicit {
                    match acceptor.accept(s).await {
                        Ok(s) => session(Box::new(s), true, opts, acceptor).await,
                        Err(_) => Seen::default(),
                    }
                } else {
                    session(Box::new(s), false, opts, acceptor).await
                };
                let _ = tx.send(seen);
            });
        }
    });
    (addr, pem, rx)
}

async fn seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

/// Writes `pem` to `dir/name` and returns the path.
fn file(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

fn email(smarthost: &str) -> Email {
    Email {
        smarthost: smarthost.to_string(),
        hello: "localhost".into(),
        require_tls: true,
        implicit_tls: false,
        auth: Auth::default(),
        tls: TlsConfig::default(),
        from: "Alerts <am@example.com>".into(),
        to: vec!["oncall@example.com".into()],
        headers: vec![("Subject".into(), "[FIRING:1] Test".into())],
        text: Some("hello over tls".into()),
        html: None,
        date: "Tue, 24 Nov 2026 10:00:00 +0000".into(),
        id: "1".into(),
    }
}

fn user_pass() -> Auth {
    Auth {
        username: USER.into(),
        password: PASS.into(),
        ..Auth::default()
    }
}

const T: Duration = Duration::from_secs(10);

#[test]
fn message_is_mime_and_dot_stuffed() {
    let mut e = email("");
    e.text = Some("hello\n.dot".into());
    let m = message(&e);
    assert!(m.starts_with("Subject: [FIRING:1] Test\r\n"), "{m}");
    assert!(m.contains("\r\nhello\r\n..dot\r\n"), "{m}");
    assert_eq!(addr("Alerts <a@x>"), "a@x");
}

#[test]
fn port_465_means_implicit_tls() {
    assert!(implicit_tls("smtp.example.com:465"));
    assert!(implicit_tls("[::1]:465"));
    assert!(!implicit_tls("smtp.example.com:587"));
    assert!(!implicit_tls("smtp.example.com"));
    assert_eq!(split_host_port("[::1]:25"), Some(("::1", "25")));
    assert_eq!(split_host_port("h:25"), Some(("h", "25")));
    assert_eq!(split_host_port("::1:25"), None);
}

#[test]
fn cram_md5_matches_rfc_2195() {
    let m = Mechanism::CramMd5 {
        username: "tim".into(),
        secret: "tanstaaftanstaaf".into(),
    };
    let r = m.next(CHALLENGE.as_bytes()).ok().unwrap();
    assert_eq!(
        String::from_utf8(r).unwrap(),
        "tim b913a602c7eda7a495b4e6e7334d3890"
    );
}

#[test]
fn mechanism_choice_follows_the_server_order_and_the_credentials() {
    let a = user_pass();
    // CRAM-MD5 needs a secret: skipped for LOGIN.
    let m = choose_mechanism(&a, "CRAM-MD5 LOGIN PLAIN").ok().unwrap();
    assert!(matches!(m, Some(Mechanism::Login { .. })));
    // No username: no auth.
    let m = choose_mechanism(&Auth::default(), "PLAIN").ok().unwrap();
    assert!(m.is_none());
    let no_pass = Auth {
        username: USER.into(),
        ..Auth::default()
    };
    let e = choose_mechanism(&no_pass, "PLAIN XOAUTH2").err().unwrap();
    assert_eq!(
        e.message,
        "missing password for PLAIN auth mechanism\nunknown auth mechanism: XOAUTH2"
    );
}

#[tokio::test]
async fn starttls_with_a_configured_ca_then_auth_plain() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        starttls: true,
        auth: "PLAIN LOGIN",
        ..Opts::default()
    };
    let (host, pem, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.auth = Auth {
        identity: "ops".into(),
        ..user_pass()
    };
    e.tls.ca_file = Some(file(dir.path(), "ca.pem", &pem));
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.tls, "mail was not sent over TLS");
    assert_eq!(s.auth, vec![format!("PLAIN ops|{USER}|{PASS}")]);
    assert_eq!(s.from, "<am@example.com>");
    assert_eq!(s.rcpt, vec!["<oncall@example.com>"]);
    let data = s.data.unwrap();
    assert!(data.contains("Subject: [FIRING:1] Test\r\n"), "{data}");
    assert!(data.contains("hello over tls"), "{data}");
}

#[tokio::test]
async fn require_tls_fails_when_starttls_is_not_advertised() {
    let opts = Opts {
        auth: "PLAIN",
        ..Opts::default()
    };
    let (host, _, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.auth = user_pass();
    let err = send(&e, T).await.err().unwrap();
    assert_eq!(
        err.message,
        format!(
            "'require_tls' is true (default) but \"{host}\" does not advertise the STARTTLS extension"
        )
    );
    assert!(err.retry, "alertmanager retries this error");
    let s = seen(&mut rx).await;
    assert!(s.auth.is_empty() && s.data.is_none(), "{s:?}");
}

#[tokio::test]
async fn require_tls_false_stays_plain_and_plain_auth_is_allowed_to_localhost() {
    let opts = Opts {
        starttls: true,
        auth: "PLAIN",
        ..Opts::default()
    };
    let (host, _, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.require_tls = false;
    e.auth = user_pass();
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(!s.tls);
    assert_eq!(s.auth, vec![format!("PLAIN |{USER}|{PASS}")]);
    assert!(s.data.is_some());
}

#[tokio::test]
async fn plain_auth_is_refused_over_plaintext_to_another_host() {
    let opts = Opts {
        auth: "PLAIN",
        ..Opts::default()
    };
    let (host, _, mut rx) = server("127.0.0.2", opts).await;
    let mut e = email(&host);
    e.require_tls = false;
    e.auth = user_pass();
    let err = send(&e, T).await.err().unwrap();
    assert_eq!(err.message, "*smtp.plainAuth auth: unencrypted connection");
    drop(e);
    let s = seen(&mut rx).await;
    assert!(s.auth.is_empty() && s.data.is_none(), "{s:?}");
}

#[tokio::test]
async fn starttls_then_auth_login_with_a_password_file() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        starttls: true,
        // No secret is configured, so CRAM-MD5 is skipped.
        auth: "CRAM-MD5 LOGIN",
        ..Opts::default()
    };
    let (host, pem, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.auth = Auth {
        username: USER.into(),
        password: "ignored".into(),
        password_file: Some(file(dir.path(), "pw", &format!("{PASS}\n")).into()),
        ..Auth::default()
    };
    e.tls.ca_file = Some(file(dir.path(), "ca.pem", &pem));
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.tls);
    assert_eq!(s.auth, vec![format!("LOGIN {USER}|{PASS}")]);
    assert!(s.data.is_some());
}

#[tokio::test]
async fn starttls_then_auth_cram_md5() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        starttls: true,
        auth: "CRAM-MD5 PLAIN",
        ..Opts::default()
    };
    let (host, pem, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.auth = Auth {
        username: USER.into(),
        secret: "tanstaaftanstaaf".into(),
        ..Auth::default()
    };
    e.tls.ca_file = Some(file(dir.path(), "ca.pem", &pem));
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert_eq!(
        s.auth,
        vec![format!("CRAM-MD5 {USER} b913a602c7eda7a495b4e6e7334d3890")]
    );
    assert!(s.data.is_some());
}

#[tokio::test]
async fn implicit_tls_then_auth_plain() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        implicit: true,
        auth: "PLAIN",
        ..Opts::default()
    };
    let (host, pem, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    // What email_of sets for a smarthost on port 465.
    e.implicit_tls = true;
    e.auth = user_pass();
    e.tls.ca_file = Some(file(dir.path(), "ca.pem", &pem));
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.tls);
    assert_eq!(s.auth, vec![format!("PLAIN |{USER}|{PASS}")]);
    assert!(s.data.is_some());
}

#[tokio::test]
async fn implicit_tls_with_an_untrusted_certificate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        implicit: true,
        ..Opts::default()
    };
    let (host, _, _rx) = server("127.0.0.1", opts).await;
    let (other, _) = certificate();
    let mut e = email(&host);
    e.implicit_tls = true;
    e.tls.ca_file = Some(file(dir.path(), "other.pem", &other));
    let err = send(&e, T).await.err().unwrap();
    assert!(
        err.message
            .starts_with("establish TLS connection to server: invalid peer certificate"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn starttls_with_an_untrusted_certificate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        starttls: true,
        ..Opts::default()
    };
    let (host, _, _rx) = server("127.0.0.1", opts).await;
    let (other, _) = certificate();
    let mut e = email(&host);
    e.tls.ca_file = Some(file(dir.path(), "other.pem", &other));
    let err = send(&e, T).await.err().unwrap();
    assert!(
        err.message
            .starts_with("send STARTTLS command: invalid peer certificate"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn insecure_skip_verify_accepts_any_certificate() {
    let opts = Opts {
        starttls: true,
        ..Opts::default()
    };
    let (host, _, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.tls.insecure_skip_verify = true;
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.tls && s.data.is_some());
}

#[tokio::test]
async fn a_missing_ca_file_is_a_permanent_error() {
    let opts = Opts {
        starttls: true,
        ..Opts::default()
    };
    let (host, _, _rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.tls.ca_file = Some("/nonexistent/ca.pem".into());
    let err = send(&e, T).await.err().unwrap();
    assert!(
        err.message
            .starts_with("parse TLS configuration: unable to read /nonexistent/ca.pem"),
        "{}",
        err.message
    );
    assert!(!err.retry);
}

#[tokio::test]
async fn wrong_credentials_and_missing_password() {
    let opts = Opts {
        starttls: true,
        auth: "PLAIN",
        ..Opts::default()
    };
    let (host, _, _rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.tls.insecure_skip_verify = true;
    e.auth = Auth {
        password: "wrong".into(),
        ..user_pass()
    };
    let err = send(&e, T).await.err().unwrap();
    assert_eq!(
        err.message,
        "*smtp.plainAuth auth: 535 5.7.8 authentication failed"
    );
    assert!(!err.retry);
    e.auth.password.clear();
    let err = send(&e, T).await.err().unwrap();
    assert_eq!(
        err.message,
        "find auth mechanism: missing password for PLAIN auth mechanism"
    );
}

#[tokio::test]
async fn no_auth_when_the_server_does_not_offer_it() {
    let opts = Opts {
        starttls: true,
        ..Opts::default()
    };
    let (host, _, mut rx) = server("127.0.0.1", opts).await;
    let mut e = email(&host);
    e.tls.insecure_skip_verify = true;
    e.auth = user_pass();
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.auth.is_empty() && s.data.is_some(), "{s:?}");
}

/// From the YAML config through `email_of`: the global password file and
/// the email's tls_config CA resolve against the config file's directory.
#[tokio::test]
async fn config_auth_and_tls_reach_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        starttls: true,
        auth: "LOGIN",
        ..Opts::default()
    };
    let (host, pem, mut rx) = server("127.0.0.1", opts).await;
    file(dir.path(), "ca.pem", &pem);
    file(dir.path(), "pw", &format!("{PASS}\n"));
    let yaml = format!(
        "global:\n  smtp_smarthost: '{host}'\n  smtp_from: 'am@example.com'\n  smtp_auth_username: '{USER}'\n  smtp_auth_password_file: pw\nroute:\n  receiver: mail\nreceivers:\n  - name: mail\n    email_configs:\n      - to: 'oncall@example.com'\n        tls_config:\n          ca_file: ca.pem\n"
    );
    let path = dir.path().join("alertmanager.yml");
    let (cfg, _) = outpost_config::parse_alertmanager(
        &outpost_config::Files::Embedded(&[]),
        &path,
        "alertmanager.yml",
        yaml,
    )
    .unwrap();
    let c = &cfg.receivers[0].email_configs[0];
    assert!(c.require_tls);
    let rendered = serde_json::json!({
        "from": "am@example.com",
        "to": "oncall@example.com",
        "headers": {"Subject": "[FIRING:1] Configured"},
        "text": "configured",
    });
    let e = crate::am::email_of(c, &rendered, 1_795_514_400_000, &path);
    assert!(!e.implicit_tls);
    send(&e, T).await.map_err(|e| e.message).unwrap();
    let s = seen(&mut rx).await;
    assert!(s.tls);
    assert_eq!(s.auth, vec![format!("LOGIN {USER}|{PASS}")]);
    assert!(s.data.unwrap().contains("Subject: [FIRING:1] Configured"));
}
