//! A small SMTP client for `--notify.deliver`, following Alertmanager's email
//! notifier (`notify/email/email.go`):
//!
//! - implicit TLS from the first byte when the smarthost port is 465,
//!   otherwise a plain connection;
//! - EHLO (HELO when EHLO is refused);
//! - on a plain connection with `require_tls: true` (the default), STARTTLS,
//!   which the server must advertise, then EHLO again; with
//!   `require_tls: false` the connection stays plain even when the server
//!   offers STARTTLS, as in Alertmanager;
//! - SMTP AUTH only when the server advertises it and `auth_username` is set,
//!   with the first usable mechanism in the server's order: CRAM-MD5 (needs
//!   `auth_secret`), PLAIN or LOGIN (need `auth_password`). Like Go's
//!   `net/smtp`, PLAIN is refused over a connection that is neither TLS nor to
//!   localhost;
//! - MAIL, RCPT, DATA and QUIT.
//!
//! TLS is rustls with the ring provider. The server is verified against the
//! system's roots (as reqwest does) or, when `tls_config` has a CA, against
//! that CA only; `insecure_skip_verify`, `server_name` (default: the
//! smarthost's host), a client certificate and `min_version`/`max_version`
//! are honoured.
//!
//! Error texts are Alertmanager's. Retries follow Alertmanager (connection and
//! protocol errors are retried, a bad TLS configuration is not), except that a
//! 5xx reply, a malformed reply and an AUTH that cannot succeed (PLAIN over a
//! plain connection, an unexpected challenge) are not retried.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use outpost_config::{EmailConfig, TlsConfig, resolve_relative};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::notify::AttemptError;

/// SMTP AUTH settings; files are already resolved against the config file.
#[derive(Clone, Default)]
pub(crate) struct Auth {
    pub(crate) username: String,
    pub(crate) password: String,
    /// Wins over `password`; its content is whitespace-trimmed.
    pub(crate) password_file: Option<PathBuf>,
    pub(crate) secret: String,
    /// Wins over `secret`; its content is used as is.
    pub(crate) secret_file: Option<PathBuf>,
    pub(crate) identity: String,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("username", &self.username)
            .field("password", &"<secret>")
            .field("password_file", &self.password_file)
            .field("secret", &"<secret>")
            .field("secret_file", &self.secret_file)
            .field("identity", &self.identity)
            .finish()
    }
}

/// One email ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Email {
    pub(crate) smarthost: String,
    pub(crate) hello: String,
    pub(crate) require_tls: bool,
    /// TLS from the first byte (Alertmanager: the smarthost's port is 465).
    pub(crate) implicit_tls: bool,
    pub(crate) auth: Auth,
    /// TLS settings; files are already resolved against the config file.
    pub(crate) tls: TlsConfig,
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

/// The AUTH settings of an email config, files resolved against `base`.
pub(crate) fn auth_of(c: &EmailConfig, base: &Path) -> Auth {
    let file = |f: &Option<String>| {
        f.as_deref()
            .filter(|f| !f.is_empty())
            .map(|f| resolve_relative(base, f))
    };
    Auth {
        username: c.auth_username.clone().unwrap_or_default(),
        password: c
            .auth_password
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default(),
        password_file: file(&c.auth_password_file),
        secret: c
            .auth_secret
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default(),
        secret_file: file(&c.auth_secret_file),
        identity: c.auth_identity.clone().unwrap_or_default(),
    }
}

/// The TLS settings of an email config, files resolved against `base`.
pub(crate) fn tls_of(c: &EmailConfig, base: &Path) -> TlsConfig {
    let mut t = c.tls_config.clone().unwrap_or_default();
    for f in [&mut t.ca_file, &mut t.cert_file, &mut t.key_file] {
        if let Some(p) = f.as_mut() {
            *p = resolve_relative(base, p).to_string_lossy().into_owned();
        }
    }
    t
}

/// Whether Alertmanager uses implicit TLS for a smarthost: its port is 465.
pub(crate) fn implicit_tls(smarthost: &str) -> bool {
    split_host_port(smarthost).is_some_and(|(_, port)| port == "465")
}

/// `host:port` or `[v6]:port` into host and port.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, port) = rest.split_once("]:")?;
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

fn fatal(message: impl Into<String>) -> AttemptError {
    AttemptError {
        message: message.into(),
        retry: false,
    }
}

fn transient(message: impl Into<String>) -> AttemptError {
    AttemptError {
        message: message.into(),
        retry: true,
    }
}

/// Prefixes an error's message with the step that failed.
fn step(what: &'static str) -> impl FnOnce(AttemptError) -> AttemptError {
    move |e| AttemptError {
        message: format!("{what}: {}", e.message),
        retry: e.retry,
    }
}

/// The address inside `Name <addr>`, or the text itself.
fn addr(s: &str) -> &str {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim(),
    }
}

/// A byte stream: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A reply: its code and text lines.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    /// The error for an unexpected reply: 4xx is retried, others are not.
    fn error(&self) -> AttemptError {
        let msg = format!("{} {}", self.code, self.lines.join(" "));
        if (400..500).contains(&self.code) {
            transient(msg)
        } else {
            fatal(msg)
        }
    }
}

struct Conn {
    io: BufReader<Box<dyn Io>>,
    tls: bool,
    /// EHLO extensions (upper-case keyword → parameters).
    ext: BTreeMap<String, String>,
}

impl Conn {
    fn new(io: Box<dyn Io>, tls: bool) -> Conn {
        Conn {
            io: BufReader::new(io),
            tls,
            ext: BTreeMap::new(),
        }
    }

    /// Reads a (multi-line) reply.
    async fn reply(&mut self) -> Result<Reply, AttemptError> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self
                .io
                .read_line(&mut line)
                .await
                .map_err(|e| transient(format!("read: {e}")))?;
            if n == 0 {
                return Err(transient("connection closed by server"));
            }
            let line = line.trim_end();
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| fatal(format!("malformed reply {line:?}")))?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if !more {
                return Ok(Reply { code, lines });
            }
        }
    }

    async fn send_line(&mut self, line: &str) -> Result<(), AttemptError> {
        let w = self.io.get_mut();
        w.write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| transient(format!("write: {e}")))?;
        w.flush()
            .await
            .map_err(|e| transient(format!("write: {e}")))
    }

    /// Sends a command and reads its reply, which must have code `want`.
    async fn cmd(&mut self, line: &str, want: u16) -> Result<Reply, AttemptError> {
        self.send_line(line).await?;
        self.expect(want).await
    }

    async fn expect(&mut self, want: u16) -> Result<Reply, AttemptError> {
        let r = self.reply().await?;
        if r.code == want {
            Ok(r)
        } else {
            Err(r.error())
        }
    }

    /// EHLO, recording the extensions; HELO when the server refuses EHLO.
    async fn hello(&mut self, name: &str) -> Result<(), AttemptError> {
        self.send_line(&format!("EHLO {name}")).await?;
        let r = self.reply().await?;
        self.ext.clear();
        if r.code == 250 {
            for l in r.lines.iter().skip(1) {
                let (k, v) = l.split_once(' ').unwrap_or((l, ""));
                self.ext.insert(k.to_ascii_uppercase(), v.to_string());
            }
            return Ok(());
        }
        self.cmd(&format!("HELO {name}"), 250).await.map(|_| ())
    }

    /// STARTTLS, the TLS handshake and EHLO again.
    async fn starttls(
        mut self,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        hello: &str,
    ) -> Result<Conn, AttemptError> {
        self.cmd("STARTTLS", 220).await?;
        if !self.io.buffer().is_empty() {
            return Err(fatal("unexpected data after the STARTTLS reply"));
        }
        let stream = TlsConnector::from(config)
            .connect(name, self.io.into_inner())
            .await
            .map_err(|e| transient(e.to_string()))?;
        let mut c = Conn::new(Box::new(stream), true);
        c.hello(hello).await?;
        Ok(c)
    }

    /// Runs one AUTH exchange (Go's `smtp.Client.Auth`).
    async fn auth(&mut self, m: &Mechanism, host: &str) -> Result<(), AttemptError> {
        let line = match m {
            Mechanism::Plain {
                identity,
                username,
                password,
            } => {
                if !self.tls && !is_localhost(host) {
                    return Err(fatal("unencrypted connection"));
                }
                let ir = format!("{identity}\0{username}\0{password}");
                format!("AUTH PLAIN {}", B64.encode(ir))
            }
            Mechanism::Login { .. } => "AUTH LOGIN".to_string(),
            Mechanism::CramMd5 { .. } => "AUTH CRAM-MD5".to_string(),
        };
        self.send_line(&line).await?;
        loop {
            let r = self.reply().await?;
            match r.code {
                235 => return Ok(()),
                334 => {
                    let next = B64
                        .decode(r.lines.join("").trim())
                        .map_err(|e| fatal(format!("illegal base64 data: {e}")))
                        .and_then(|challenge| m.next(&challenge));
                    match next {
                        Ok(resp) => self.send_line(&B64.encode(resp)).await?,
                        Err(e) => {
                            // Cancel the exchange, as Go does.
                            let _ = self.cmd("*", 501).await;
                            return Err(e);
                        }
                    }
                }
                _ => return Err(r.error()),
            }
        }
    }
}

/// Go's `isLocalhost` for PLAIN auth over a plain connection.
fn is_localhost(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// A chosen SMTP AUTH mechanism with its credentials.
enum Mechanism {
    Plain {
        identity: String,
        username: String,
        password: String,
    },
    Login {
        username: String,
        password: String,
    },
    CramMd5 {
        username: String,
        secret: String,
    },
}

impl Mechanism {
    /// The Go type Alertmanager names in `%T auth: …` errors.
    fn go_type(&self) -> &'static str {
        match self {
            Mechanism::Plain { .. } => "*smtp.plainAuth",
            Mechanism::Login { .. } => "*email.loginAuth",
            Mechanism::CramMd5 { .. } => "*smtp.cramMD5Auth",
        }
    }

    /// The answer to a server challenge.
    fn next(&self, challenge: &[u8]) -> Result<Vec<u8>, AttemptError> {
        let unexpected = || fatal("unexpected server challenge");
        match self {
            Mechanism::Plain { .. } => Err(unexpected()),
            Mechanism::Login { username, password } => {
                match String::from_utf8_lossy(challenge)
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "username:" => Ok(username.clone().into_bytes()),
                    "password:" => Ok(password.clone().into_bytes()),
                    _ => Err(unexpected()),
                }
            }
            Mechanism::CramMd5 { username, secret } => {
                let mac = hmac_md5(secret.as_bytes(), challenge);
                let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
                Ok(format!("{username} {hex}").into_bytes())
            }
        }
    }
}

/// HMAC-MD5 (RFC 2104) for CRAM-MD5.
fn hmac_md5(key: &[u8], msg: &[u8]) -> [u8; 16] {
    use md5::{Digest, Md5};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Alertmanager's choice of mechanism from the server's AUTH parameters:
/// none without a username, else the first usable one.
fn choose_mechanism(a: &Auth, mechs: &str) -> Result<Option<Mechanism>, AttemptError> {
    if a.username.is_empty() {
        return Ok(None);
    }
    let read = |file: &Option<PathBuf>, inline: &str, trim: bool| match file {
        Some(f) => std::fs::read_to_string(f)
            .map(|s| if trim { s.trim().to_string() } else { s })
            .map_err(|e| format!("could not read {}: {e}", f.display())),
        None => Ok(inline.to_string()),
    };
    let mut errs = Vec::new();
    for mech in mechs.split(' ') {
        match mech {
            "CRAM-MD5" => match read(&a.secret_file, &a.secret, false) {
                Err(e) => errs.push(e),
                Ok(s) if s.is_empty() => {
                    errs.push("missing secret for CRAM-MD5 auth mechanism".into());
                }
                Ok(secret) => {
                    return Ok(Some(Mechanism::CramMd5 {
                        username: a.username.clone(),
                        secret,
                    }));
                }
            },
            "PLAIN" | "LOGIN" => match read(&a.password_file, &a.password, true) {
                Err(e) => errs.push(e),
                Ok(p) if p.is_empty() => {
                    errs.push(format!("missing password for {mech} auth mechanism"));
                }
                Ok(password) => {
                    let username = a.username.clone();
                    return Ok(Some(if mech == "PLAIN" {
                        Mechanism::Plain {
                            identity: a.identity.clone(),
                            username,
                            password,
                        }
                    } else {
                        Mechanism::Login { username, password }
                    }));
                }
            },
            other => errs.push(format!("unknown auth mechanism: {other}")),
        }
    }
    Err(transient(errs.join("\n")))
}

/// Accepts any server certificate (`insecure_skip_verify`), still checking
/// the handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// An inline PEM or the content of a file.
fn pem(inline: &Option<String>, file: &Option<String>) -> Result<Option<Vec<u8>>, String> {
    match (inline, file) {
        (Some(s), _) => Ok(Some(s.clone().into_bytes())),
        (None, Some(f)) => std::fs::read(f)
            .map(Some)
            .map_err(|e| format!("unable to read {f}: {e}")),
        _ => Ok(None),
    }
}

/// The TLS versions allowed by `min_version`/`max_version` (rustls has 1.2
/// and 1.3 only).
fn versions(t: &TlsConfig) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let rank = |v: &Option<String>, default: u8| match v.as_deref() {
        None | Some("") => Ok(default),
        Some("TLS10") => Ok(10),
        Some("TLS11") => Ok(11),
        Some("TLS12") => Ok(12),
        Some("TLS13") => Ok(13),
        Some(other) => Err(format!("unknown TLS version: {other}")),
    };
    let (min, max) = (rank(&t.min_version, 12)?, rank(&t.max_version, 13)?);
    let mut out = Vec::new();
    if min <= 12 && max >= 12 {
        out.push(&rustls::version::TLS12);
    }
    if max >= 13 {
        out.push(&rustls::version::TLS13);
    }
    if out.is_empty() {
        return Err(format!(
            "no supported TLS version between {:?} and {:?}",
            t.min_version, t.max_version
        ));
    }
    Ok(out)
}

/// The rustls client config for `tls_config`.
fn client_config(t: &TlsConfig) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(t)?)
        .map_err(|e| e.to_string())?;
    let verifier: Arc<dyn ServerCertVerifier> = if t.insecure_skip_verify {
        Arc::new(NoVerify(provider))
    } else if let Some(ca) = pem(&t.ca, &t.ca_file)? {
        let what = t.ca_file.as_deref().unwrap_or("(inline)");
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&ca) {
            let cert = cert.map_err(|e| format!("unable to load specified CA cert {what}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("unable to use specified CA cert {what}: {e}"))?;
        }
        if roots.is_empty() {
            return Err(format!("unable to use specified CA cert {what}"));
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?
    } else {
        Arc::new(
            rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("load system roots: {e}"))?,
        )
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let cert = pem(&t.cert, &t.cert_file)?;
    let key = pem(&t.key.as_ref().map(|k| k.expose().to_string()), &t.key_file)?;
    let config = match (cert, key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_slice_iter(&cert)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("unable to use specified client cert: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(&key)
                .map_err(|e| format!("unable to use specified client key: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("unable to use specified client cert & key: {e}"))?
        }
        (Some(_), None) => return Err("client cert specified without client key".into()),
        (None, Some(_)) => return Err("client key specified without client cert".into()),
    };
    Ok(Arc::new(config))
}

/// The config and the server name to verify (default: the smarthost's host).
fn tls_setup(
    t: &TlsConfig,
    host: &str,
) -> Result<(Arc<ClientConfig>, ServerName<'static>), AttemptError> {
    let parse = |e: String| fatal(format!("parse TLS configuration: {e}"));
    let config = client_config(t).map_err(parse)?;
    let name = t
        .server_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| host.to_string());
    let name = ServerName::try_from(name.clone())
        .map_err(|e| parse(format!("invalid server name {name:?}: {e}")))?;
    Ok((config, name))
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
    // clock-guard: wall time (SMTP session deadline on a real network)
    match tokio::time::timeout(timeout, send_inner(e)).await {
        Ok(r) => r,
        Err(_) => Err(transient(format!("smtp {}: timed out", e.smarthost))),
    }
}

async fn send_inner(e: &Email) -> Result<(), AttemptError> {
    let (host, _) = split_host_port(&e.smarthost)
        .ok_or_else(|| fatal(format!("invalid address: {:?}", e.smarthost)))?;
    let tls = if e.implicit_tls {
        Some(tls_setup(&e.tls, host)?)
    } else {
        None
    };
    let dial = |err: std::io::Error| format!("dial tcp {}: {err}", e.smarthost);
    let mut c = match tls {
        Some((config, name)) => {
            let what = "establish TLS connection to server";
            let tcp = TcpStream::connect(&e.smarthost)
                .await
                .map_err(|err| transient(format!("{what}: {}", dial(err))))?;
            let stream = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|err| transient(format!("{what}: {err}")))?;
            Conn::new(Box::new(stream), true)
        }
        None => {
            let tcp = TcpStream::connect(&e.smarthost).await.map_err(|err| {
                transient(format!("establish connection to server: {}", dial(err)))
            })?;
            Conn::new(Box::new(tcp), false)
        }
    };
    // Go's net/smtp says "localhost" when no HELO name is set.
    let hello = if e.hello.is_empty() {
        "localhost"
    } else {
        e.hello.as_str()
    };
    c.expect(220).await.map_err(step("create SMTP client"))?;
    c.hello(hello).await.map_err(step("send EHLO command"))?;
    if e.require_tls && !e.implicit_tls {
        if !c.ext.contains_key("STARTTLS") {
            return Err(transient(format!(
                "'require_tls' is true (default) but {:?} does not advertise the STARTTLS extension",
                e.smarthost
            )));
        }
        let (config, name) = tls_setup(&e.tls, host)?;
        c = c
            .starttls(config, name, hello)
            .await
            .map_err(step("send STARTTLS command"))?;
    }
    if let Some(mechs) = c.ext.get("AUTH").cloned() {
        let m = choose_mechanism(&e.auth, &mechs).map_err(step("find auth mechanism"))?;
        if let Some(m) = m {
            c.auth(&m, host).await.map_err(|err| AttemptError {
                message: format!("{} auth: {}", m.go_type(), err.message),
                retry: err.retry,
            })?;
        }
    }
    c.cmd(&format!("MAIL FROM:<{}>", addr(&e.from)), 250)
        .await
        .map_err(step("send MAIL command"))?;
    for to in &e.to {
        c.cmd(&format!("RCPT TO:<{}>", addr(to)), 250)
            .await
            .map_err(step("send RCPT command"))?;
    }
    c.cmd("DATA", 354)
        .await
        .map_err(step("send DATA command"))?;
    let body = message(e);
    c.send_line(&format!("{body}\r\n."))
        .await
        .map_err(step("delivery failure"))?;
    c.expect(250).await.map_err(step("delivery failure"))?;
    let _ = c.cmd("QUIT", 221).await;
    Ok(())
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
