//! The HTTP client: auth headers, timeouts, the shared rate limiter, GET retries with jittered
//! back-off. POST and DELETE are sent exactly once: deciding what to do after an ambiguous
//! answer is the caller's job (the broker settles orders by client_order_id).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::endpoints::is_loopback;
use super::{backoff, AlpacaError, Endpoints, RateLimiter};
use crate::config::AlpacaConfig;
use crate::model::BrokerKind;

/// Which Alpaca host a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Trading,
    Data,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub timeout: Duration,
    pub max_requests_per_minute: u32,
    /// Attempts for a GET that failed ambiguously (timeout, 429, 5xx), at least 1.
    pub max_retries: u32,
    pub retry_base: Duration,
}

impl ClientConfig {
    pub fn from_config(c: &AlpacaConfig) -> Self {
        ClientConfig {
            timeout: Duration::from_millis(c.timeout_ms.max(1)),
            max_requests_per_minute: c.max_requests_per_minute,
            max_retries: c.max_retries.max(1),
            retry_base: Duration::from_millis(c.retry_base_ms),
        }
    }
}

/// Cheap to clone; clones share the connection pool and the rate limiter.
#[derive(Clone)]
pub struct AlpacaClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Endpoints,
    limiter: RateLimiter,
    cfg: ClientConfig,
}

impl fmt::Debug for AlpacaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlpacaClient")
            .field("kind", &self.inner.endpoints.kind)
            .field("trading_url", &self.inner.endpoints.trading_url.as_str())
            .field("data_url", &self.inner.endpoints.data_url.as_str())
            .finish_non_exhaustive()
    }
}

impl AlpacaClient {
    pub fn new(endpoints: Endpoints, cfg: ClientConfig) -> Result<Self, AlpacaError> {
        let mut headers = HeaderMap::new();
        for (name, secret) in [
            ("APCA-API-KEY-ID", &endpoints.key_id),
            ("APCA-API-SECRET-KEY", &endpoints.secret_key),
        ] {
            let mut v = HeaderValue::from_str(secret.expose()).map_err(|_| {
                AlpacaError::Config(format!(
                    "{name} contains characters not allowed in a header"
                ))
            })?;
            // Keeps the value out of reqwest/hyper debug output.
            v.set_sensitive(true);
            headers.insert(name, v);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(cfg.timeout)
            .user_agent(concat!("double-agent/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&endpoints.trading_url) && is_loopback(&endpoints.data_url) {
            // A system proxy must not intercept a loopback mock.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| AlpacaError::Config(format!("HTTP client: {e}")))?;
        Ok(AlpacaClient {
            inner: Arc::new(Inner {
                http,
                limiter: RateLimiter::new(cfg.max_requests_per_minute),
                endpoints,
                cfg,
            }),
        })
    }

    pub fn kind(&self) -> BrokerKind {
        self.inner.endpoints.kind
    }

    /// The trading stream (`trade_updates`) on the trading host: `wss://…/stream`, or `ws://`
    /// for a plain-http host, which `Endpoints` only allows on loopback (a mock), so the keys
    /// never travel in the clear. Same host, so the live gate covers it too.
    pub fn trading_stream_url(&self) -> String {
        let mut u = self.inner.endpoints.trading_url.clone();
        let scheme = if u.scheme() == "http" { "ws" } else { "wss" };
        let _ = u.set_scheme(scheme);
        u.set_path("/stream");
        u.to_string()
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    fn url(&self, api: Api, path: &str) -> Result<Url, AlpacaError> {
        let base = match api {
            Api::Trading => &self.inner.endpoints.trading_url,
            Api::Data => &self.inner.endpoints.data_url,
        };
        let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
        Url::parse(&joined).map_err(|e| AlpacaError::Config(format!("bad path {path}: {e}")))
    }

    /// One request through the limiter. 2xx → body text; anything else → a typed error.
    async fn send_once(
        &self,
        method: Method,
        api: Api,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<String, AlpacaError> {
        let url = self.url(api, path)?;
        self.inner.limiter.acquire().await;
        let mut req = self.inner.http.request(method.clone(), url).query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let timeout_ms = self.inner.cfg.timeout.as_millis() as u64;
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                AlpacaError::Timeout { ms: timeout_ms }
            } else {
                AlpacaError::Transport(format!("{method} {path}: {}", chain(e.without_url())))
            }
        };
        let resp = req.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        self.observe_rate_headers(status, resp.headers());
        let text = resp.text().await.map_err(classify)?;
        // Venue text goes on to errors, logs, the journal and the screen: a venue (or a proxy in
        // front of it) that echoes our keys back must not carry them there.
        let text = self.redact(text);
        tracing::debug!(%method, path, status, "alpaca request");
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(AlpacaError::from_response(status, &text))
        }
    }

    fn redact(&self, text: String) -> String {
        let ep = &self.inner.endpoints;
        let keys = [ep.key_id.expose(), ep.secret_key.expose()];
        if keys.iter().any(|k| !k.is_empty() && text.contains(k)) {
            crate::process::secrets::redact(&text, &keys)
        } else {
            text
        }
    }

    fn observe_rate_headers(&self, status: u16, headers: &HeaderMap) {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let remaining = num("X-RateLimit-Remaining");
        let reset = num("X-RateLimit-Reset");
        if status == 429 || remaining == Some(0) {
            match reset {
                Some(r) => self.inner.limiter.pause_until_epoch(r),
                // No reset header: give the quota a moment before anything else is sent.
                None => self
                    .inner
                    .limiter
                    .pause_until(std::time::Instant::now() + backoff(self.inner.cfg.retry_base, 0)),
            }
            tracing::warn!(
                status,
                ?remaining,
                ?reset,
                "Alpaca rate limit reached; pausing"
            );
        }
    }

    /// GET with retries on ambiguous failures (timeout, transport, 429, 5xx).
    pub async fn get<T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, AlpacaError> {
        let text = self.get_text(api, path, query).await?;
        decode(path, &text)
    }

    /// GET where 404 means "no such thing" rather than an error.
    pub async fn get_opt<T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>, AlpacaError> {
        match self.get_text(api, path, query).await {
            Ok(text) => decode(path, &text).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn get_text(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<String, AlpacaError> {
        let attempts = self.inner.cfg.max_retries.max(1);
        let mut attempt = 0;
        loop {
            match self.send_once(Method::GET, api, path, query, None).await {
                Ok(t) => return Ok(t),
                Err(e) if e.is_ambiguous() && attempt + 1 < attempts => {
                    tracing::info!(path, attempt, error = %e, "retrying Alpaca GET");
                    // A 429 already set a pause in the limiter; the back-off adds jitter on top.
                    tokio::time::sleep(backoff(self.inner.cfg.retry_base, attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// POST once. Never retried here: an ambiguous failure may have created the resource.
    pub async fn post<T: DeserializeOwned, B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AlpacaError> {
        let body = serde_json::to_value(body).map_err(|e| AlpacaError::Decode(e.to_string()))?;
        let text = self
            .send_once(Method::POST, Api::Trading, path, &[], Some(&body))
            .await?;
        decode(path, &text)
    }

    /// DELETE once (cancels are followed by a status lookup, not by a blind repeat).
    pub async fn delete(&self, path: &str) -> Result<(), AlpacaError> {
        self.send_once(Method::DELETE, Api::Trading, path, &[], None)
            .await
            .map(|_| ())
    }
}

/// The error and its causes ("connection refused" sits a few levels down in reqwest's chain).
fn chain(e: reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn decode<T: DeserializeOwned>(path: &str, text: &str) -> Result<T, AlpacaError> {
    serde_json::from_str(text).map_err(|e| AlpacaError::Decode(format!("{path}: {e}")))
}
