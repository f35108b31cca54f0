//! The beats listener (5044): the slot of the Logstash Beats input. Until the
//! pipeline (`outpost-pipeline`) owns it, the port is held so nothing else can
//! take it, and connections are closed at once.

use tokio::net::TcpListener;
use tokio::sync::watch;

/// Accepts and closes connections until shutdown.
pub(crate) async fn hold(listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            r = listener.accept() => if let Ok((_, peer)) = r {
                tracing::debug!(%peer, "closing connection: the beats input is not available yet");
            },
            _ = shutdown.wait_for(|s| *s) => break,
        }
    }
}
