//! A loopback Alpaca that speaks the contract: checks auth headers and query/body values against
//! the OpenAPI enums, pages bars the way Market Data v2 does, and keeps orders by client id.
//! Payloads are the recorded fixtures in `tests/fixtures/alpaca/`, with values swapped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde_json::{json, Value};

use super::routes;

pub const KEY: &str = "PKTEST0001";
pub const SECRET: &str = "test-secret-0001";

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/alpaca/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub body: Option<Value>,
    pub at: SystemTime,
}

/// A canned answer for the next `times` requests to `method path`.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub method: Method,
    pub path: &'static str,
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
    pub times: usize,
}

pub struct Mock {
    pub key: String,
    pub secret: String,
    pub seen: Mutex<Vec<Seen>>,
    /// Requests that broke the contract; every test asserts this stays empty.
    pub violations: Mutex<Vec<String>>,
    pub bars: Mutex<BTreeMap<String, Vec<Value>>>,
    pub clock_open: Mutex<bool>,
    /// Calendar `open`/`close` for every day (default: a session that is always on).
    pub hours: Mutex<(String, String)>,
    pub orders: Mutex<Vec<Value>>,
    pub positions: Mutex<Vec<Value>>,
    pub scripted: Mutex<Vec<Scripted>>,
    /// The next order POST is stored, then answered only after this delay.
    pub post_delay: Mutex<Option<Duration>>,
    /// Auth header values received, to prove the client sent what it was given.
    pub key_ids_seen: Mutex<Vec<String>>,
}

impl Mock {
    pub fn new() -> Arc<Mock> {
        Arc::new(Mock {
            key: KEY.into(),
            secret: SECRET.into(),
            seen: Mutex::default(),
            violations: Mutex::default(),
            bars: Mutex::default(),
            clock_open: Mutex::new(true),
            hours: Mutex::new(("00:00".into(), "23:59".into())),
            orders: Mutex::default(),
            positions: Mutex::default(),
            scripted: Mutex::default(),
            post_delay: Mutex::default(),
            key_ids_seen: Mutex::default(),
        })
    }

    pub fn violate(&self, what: String) {
        self.violations.lock().unwrap().push(what);
    }

    pub fn requests(&self, method: Method, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.method == method && s.path == path)
            .cloned()
            .collect()
    }

    pub fn script(&self, s: Scripted) {
        self.scripted.lock().unwrap().push(s);
    }

    pub fn push_bar(&self, symbol: &str, t: DateTime<Utc>, close: f64) {
        let mut bars = self.bars.lock().unwrap();
        let v = bars.entry(symbol.to_string()).or_default();
        v.push(bar_json(t, close));
        v.sort_by(|a, b| a["t"].as_str().cmp(&b["t"].as_str()));
    }

    pub fn order_by_coid(&self, coid: &str) -> Option<Value> {
        let orders = self.orders.lock().unwrap();
        orders
            .iter()
            .find(|o| o["client_order_id"] == coid)
            .cloned()
    }

    pub fn update_order(&self, coid: &str, f: impl FnOnce(&mut Value)) {
        let mut orders = self.orders.lock().unwrap();
        if let Some(o) = orders.iter_mut().find(|o| o["client_order_id"] == coid) {
            f(o);
        }
    }
}

/// Bind 127.0.0.1:0 and serve; returns the base URL.
pub async fn serve(mock: Arc<Mock>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(mock);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

pub fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut resp = (status, axum::Json(body)).into_response();
    let h = resp.headers_mut();
    h.insert("X-RateLimit-Limit", "200".parse().unwrap());
    h.insert("X-RateLimit-Remaining", "150".parse().unwrap());
    h.insert(
        "X-RateLimit-Reset",
        (epoch + 60).to_string().parse().unwrap(),
    );
    resp
}

pub fn alpaca_error(status: u16, code: u64, message: &str) -> Response {
    reply(status, json!({"code": code, "message": message}))
}

async fn handle(
    State(mock): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: HashMap<String, String> = Query::try_from_uri(&uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    let path = uri.path().to_string();
    mock.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        body: body.clone(),
        at: SystemTime::now(),
    });
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    mock.key_ids_seen
        .lock()
        .unwrap()
        .push(header("APCA-API-KEY-ID").to_string());
    if header("APCA-API-KEY-ID") != mock.key || header("APCA-API-SECRET-KEY") != mock.secret {
        return alpaca_error(401, 40110000, "request is not authorized");
    }
    let scripted = {
        let mut s = mock.scripted.lock().unwrap();
        match s
            .iter_mut()
            .position(|s| s.method == method && s.path == path && s.times > 0)
        {
            Some(i) => {
                s[i].times -= 1;
                Some(s[i].clone())
            }
            None => None,
        }
    };
    if let Some(s) = scripted {
        let mut resp = reply(s.status, s.body);
        for (k, v) in s.headers {
            resp.headers_mut().insert(k, v.parse().unwrap());
        }
        return resp;
    }
    routes::route(&mock, method, &path, &query, body).await
}

pub fn bar_json(t: DateTime<Utc>, close: f64) -> Value {
    let mut b = fixture("stocks_bars_multi.spec.json")["bars"]["AAPL"][0].clone();
    b["t"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    b["o"] = json!(close);
    b["h"] = json!(close + 0.5);
    b["l"] = json!(close - 0.5);
    b["c"] = json!(close);
    b
}

/// Clock times with New York offsets (`-04:00`/`-05:00`), as the real clock sends them.
pub fn ny(t: DateTime<Utc>) -> String {
    t.with_timezone(&New_York).to_rfc3339()
}

/// A date, or the New York date of an RFC3339 time (how the calendar reads `start`/`end`).
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&New_York).date_naive())
    })
}
