//! http_sd: target groups fetched as JSON from a URL every refresh_interval.

use outpost_config::HttpSdConfig;

use super::{RawGroup, TargetGroup};

pub(crate) struct HttpSd {
    url: String,
    refresh_ms: i64,
    client: reqwest::Client,
    next_ms: i64,
    groups: Vec<TargetGroup>,
}

impl HttpSd {
    pub(crate) fn new(c: &HttpSdConfig, client: reqwest::Client) -> Self {
        HttpSd {
            url: c.url.clone(),
            refresh_ms: c.refresh_interval.as_millis().max(1),
            client,
            next_ms: i64::MIN,
            groups: Vec::new(),
        }
    }

    pub(crate) fn refresh_ms(&self) -> i64 {
        self.refresh_ms
    }

    pub(crate) async fn poll(&mut self, now_ms: i64) -> &[TargetGroup] {
        if now_ms < self.next_ms {
            return &self.groups;
        }
        self.next_ms = now_ms.saturating_add(self.refresh_ms);
        match self.fetch().await {
            Ok(g) => self.groups = g,
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "http_sd: refresh failed; keeping previous targets")
            }
        }
        &self.groups
    }

    async fn fetch(&self) -> Result<Vec<TargetGroup>, String> {
        let resp = self
            .client
            .get(&self.url)
            .header(
                "X-Prometheus-Refresh-Interval-Seconds",
                (self.refresh_ms / 1000).to_string(),
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("server returned HTTP status {}", resp.status()));
        }
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !ct.starts_with("application/json") {
            return Err(format!("unsupported content type {ct:?}"));
        }
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        let raw: Vec<RawGroup> = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(raw
            .into_iter()
            .enumerate()
            .map(|(i, g)| g.into_group(format!("{}:{i}", self.url), &[("__meta_url", &self.url)]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn fetches_groups_and_keeps_them_when_the_server_fails() {
        let ok = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = ok.clone();
        let app = Router::new().route(
            "/sd",
            get(move || {
                let ok = flag.load(std::sync::atomic::Ordering::SeqCst);
                async move {
                    if ok {
                        (
                            axum::http::StatusCode::OK,
                            [("content-type", "application/json")],
                            r#"[{"targets":["a:1","b:2"],"labels":{"dc":"x"}}]"#,
                        )
                    } else {
                        (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            [("content-type", "text/plain")],
                            "no",
                        )
                    }
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sd", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        outpost_http_client::install_crypto_provider();
        let cfg = HttpSdConfig {
            url: url.clone(),
            refresh_interval: outpost_config::PromDuration::from_secs(60),
            ..serde_saphyr::from_str(&format!("url: {url}\n")).unwrap()
        };
        let mut sd = HttpSd::new(&cfg, reqwest::Client::new());
        let g = sd.poll(0).await.to_vec();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].targets.len(), 2);
        assert_eq!(g[0].labels["dc"], "x");
        assert_eq!(g[0].labels["__meta_url"], url);
        ok.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(sd.poll(30_000).await.len(), 1, "not due yet");
        assert_eq!(
            sd.poll(60_000).await.len(),
            1,
            "failed refresh keeps the previous groups"
        );
    }
}
