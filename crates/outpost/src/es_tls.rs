//! `--elasticsearch.tls`: the Elasticsearch listener over HTTPS, as the seed's
//! `xpack.security.http.ssl.enabled: true` has it in production. A self-signed certificate
//! (subject alternative names `localhost`, `elasticsearch`, `127.0.0.1`, `::1`) is generated at
//! start and its PEM written to a file clients can trust (`elasticsearch-http.crt` beside the
//! ports file). Handshakes run off the accept loop, so a slow client cannot stall others.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::server::TlsStream;

/// File name of the generated certificate.
pub(crate) const CERT_FILE: &str = "elasticsearch-http.crt";

/// Handshaken connections waiting for the HTTP server.
const BACKLOG: usize = 64;

/// A listener that yields TLS streams.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // the accept task ends only with the runtime; park this listener too
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// A self-signed certificate and key for the listener, as DER and the certificate as PEM.
fn self_signed() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>, String)> {
    let names = vec![
        "localhost".to_string(),
        "elasticsearch".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let ck = rcgen::generate_simple_self_signed(names).context("generating the certificate")?;
    let pem = ck.cert.pem();
    let der = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    Ok((der, key, pem))
}

/// Wraps `tcp` in TLS with a fresh self-signed certificate written to `dir/CERT_FILE`;
/// returns the listener and the certificate's path.
pub(crate) fn tls_listener(tcp: TcpListener, dir: &Path) -> Result<(TlsListener, PathBuf)> {
    let (cert, key, pem) = self_signed()?;
    let path = dir.join(CERT_FILE);
    std::fs::write(&path, pem).with_context(|| format!("writing {}", path.display()))?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("tls protocol versions")?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .context("tls certificate")?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let local = tcp.local_addr()?;
    let (tx, rx) = mpsc::channel(BACKLOG);
    tokio::spawn(accept_loop(tcp, acceptor, tx));
    Ok((TlsListener { rx, local }, path))
}

async fn accept_loop(
    mut tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = Listener::accept(&mut tcp).await;
        if tx.is_closed() {
            return;
        }
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Err(e) => tracing::debug!(%peer, error = %e, "tls handshake failed"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::ServerName;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    use super::*;

    #[tokio::test]
    async fn serves_https_with_the_written_certificate() {
        let dir = std::env::temp_dir().join(format!("outpost-es-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (listener, path) = tls_listener(tcp, &dir).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "tls ok" }));
        tokio::spawn(async move { axum::serve(listener, app).await });

        // a client that trusts only the written certificate
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&path).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let cfg = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let conn = TlsConnector::from(Arc::new(cfg));
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = conn
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        tls.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tls.read_to_string(&mut out).await.unwrap_or_default();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.ends_with("tls ok"), "{out}");

        // a plain-HTTP client gets no answer (the handshake fails), and the listener survives
        let mut plain = TcpStream::connect(addr).await.unwrap();
        plain.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = Vec::new();
        let _ = plain.read_to_end(&mut buf).await;
        assert!(!String::from_utf8_lossy(&buf).contains("tls ok"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
