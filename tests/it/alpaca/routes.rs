//! The mock's endpoints, each checking parameters the way the OpenAPI specs define them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::mock::{alpaca_error, date, fixture, ny, reply, Mock};

const TIMEFRAMES: [&str; 5] = ["1Min", "5Min", "15Min", "1Hour", "1Day"];
const FEEDS: [&str; 4] = ["iex", "otc", "sip", "boats"];
const ADJUSTMENTS: [&str; 5] = ["raw", "split", "dividend", "spin-off", "all"];
const TIFS: [&str; 6] = ["day", "gtc", "opg", "cls", "ioc", "fok"];
const TYPES: [&str; 5] = ["market", "limit", "stop", "stop_limit", "trailing_stop"];
const OPEN: [&str; 6] = [
    "new",
    "accepted",
    "pending_new",
    "partially_filled",
    "held",
    "pending_cancel",
];

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub async fn route(
    mock: &Mock,
    method: Method,
    path: &str,
    q: &HashMap<String, String>,
    body: Option<Value>,
) -> Response {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["v2", "stocks", "bars"]) => bars(mock, q),
        ("GET", ["v2", "stocks", sym, "bars"]) => single_bars(mock, sym, q),
        ("GET", ["v2", "clock"]) => clock(mock),
        ("GET", ["v2", "calendar"]) => calendar(mock, q),
        ("GET", ["v2", "account"]) => reply(200, fixture("account.spec.json")),
        ("GET", ["v2", "positions"]) => reply(200, json!(*mock.positions.lock().unwrap())),
        ("GET", ["v2", "orders"]) => list_orders(mock, q),
        ("GET", ["v2", "orders:by_client_order_id"]) => {
            let coid = q.get("client_order_id").cloned().unwrap_or_default();
            match mock.order_by_coid(&coid) {
                Some(o) => reply(200, o),
                None => alpaca_error(404, 40410000, "order not found"),
            }
        }
        ("GET", ["v2", "orders", id]) => match find(mock, id) {
            Some(o) => reply(200, o),
            None => alpaca_error(404, 40410000, "order not found"),
        },
        ("POST", ["v2", "orders"]) => post_order(mock, body).await,
        ("DELETE", ["v2", "orders", id]) => cancel(mock, id),
        _ => {
            mock.violate(format!("{method} {path}: no such endpoint"));
            alpaca_error(404, 40410000, "endpoint not found")
        }
    }
}

fn check_enum(mock: &Mock, what: &str, v: Option<&String>, allowed: &[&str], required: bool) {
    match v {
        None if required => mock.violate(format!("{what} missing")),
        None => {}
        Some(v) if allowed.contains(&v.as_str()) => {}
        Some(v) => mock.violate(format!("{what}={v} not in {allowed:?}")),
    }
}

fn check_bars_query(mock: &Mock, q: &HashMap<String, String>) -> usize {
    check_enum(mock, "timeframe", q.get("timeframe"), &TIMEFRAMES, true);
    check_enum(mock, "feed", q.get("feed"), &FEEDS, false);
    check_enum(mock, "sort", q.get("sort"), &["asc", "desc"], false);
    if let Some(a) = q.get("adjustment") {
        if !a.split(',').all(|p| ADJUSTMENTS.contains(&p)) {
            mock.violate(format!("adjustment={a}"));
        }
    }
    for k in ["start", "end"] {
        if let Some(v) = q.get(k) {
            if DateTime::parse_from_rfc3339(v).is_err() && date(v).is_none() {
                mock.violate(format!("{k}={v} is neither RFC3339 nor a date"));
            }
        }
    }
    let known = [
        "symbols",
        "timeframe",
        "start",
        "end",
        "limit",
        "adjustment",
        "asof",
        "feed",
        "currency",
        "page_token",
        "sort",
    ];
    for k in q.keys() {
        if !known.contains(&k.as_str()) {
            mock.violate(format!("unknown bars parameter {k}"));
        }
    }
    match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 1000,
        Some(Ok(l)) if (1..=10_000).contains(&l) => l,
        Some(_) => {
            mock.violate(format!("limit={:?}", q.get("limit")));
            1000
        }
    }
}

fn in_range(b: &Value, q: &HashMap<String, String>) -> bool {
    let t = b["t"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let bound = |k: &str| q.get(k).and_then(|v| DateTime::parse_from_rfc3339(v).ok());
    match t {
        None => false,
        Some(t) => bound("start").is_none_or(|s| t >= s) && bound("end").is_none_or(|e| t <= e),
    }
}

/// Multi-symbol bars: sorted by symbol then time, `limit` across symbols, opaque page tokens.
fn bars(mock: &Mock, q: &HashMap<String, String>) -> Response {
    let limit = check_bars_query(mock, q);
    let Some(symbols) = q.get("symbols") else {
        mock.violate("symbols missing".into());
        return reply(400, json!({"message": "missing symbols"}));
    };
    let mut wanted: Vec<&str> = symbols.split(',').collect();
    wanted.sort();
    let all = mock.bars.lock().unwrap();
    let flat: Vec<(&str, &Value)> = wanted
        .iter()
        .flat_map(|s| {
            all.get(*s)
                .into_iter()
                .flatten()
                .filter(|b| in_range(b, q))
                .map(move |b| (*s, b))
        })
        .collect();
    let offset = match q.get("page_token") {
        None => 0,
        Some(t) => t
            .strip_prefix("pg-")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| {
                mock.violate(format!("page_token {t} was never issued"));
                0
            }),
    };
    let end = (offset + limit).min(flat.len());
    let mut page: serde_json::Map<String, Value> = serde_json::Map::new();
    for (s, b) in &flat[offset.min(end)..end] {
        page.entry(s.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push((*b).clone());
    }
    let next = (end < flat.len()).then(|| format!("pg-{end}"));
    reply(200, json!({"bars": page, "next_page_token": next}))
}

fn single_bars(mock: &Mock, sym: &str, q: &HashMap<String, String>) -> Response {
    check_bars_query(mock, q);
    let mut shape = fixture("stocks_bars_single.spec.json");
    let bars: Vec<Value> = mock
        .bars
        .lock()
        .unwrap()
        .get(sym)
        .into_iter()
        .flatten()
        .filter(|b| in_range(b, q))
        .cloned()
        .collect();
    shape["bars"] = json!(bars);
    shape["symbol"] = json!(sym);
    shape["next_page_token"] = Value::Null;
    reply(200, shape)
}

fn clock(mock: &Mock) -> Response {
    let now = Utc::now();
    let open = *mock.clock_open.lock().unwrap();
    let mut c = fixture("clock.spec.json");
    let hour = chrono::Duration::hours(1);
    let (next_open, next_close) = if open {
        (now + hour * 24, now + hour)
    } else {
        (now + hour, now + hour * 2)
    };
    c["is_open"] = json!(open);
    c["timestamp"] = json!(ny(now));
    c["next_open"] = json!(ny(next_open));
    c["next_close"] = json!(ny(next_close));
    reply(200, c)
}

fn calendar(mock: &Mock, q: &HashMap<String, String>) -> Response {
    let start = q.get("start").and_then(|s| date(s));
    let end = q.get("end").and_then(|s| date(s));
    let rfc = |k: &str| {
        q.get(k)
            .is_some_and(|v| DateTime::parse_from_rfc3339(v).is_ok())
    };
    if !rfc("start") || !rfc("end") {
        mock.violate(format!(
            "calendar start/end must be date-time per the spec: {q:?}"
        ));
    }
    let (Some(start), Some(end)) = (start, end) else {
        mock.violate(format!("calendar start/end not dates: {q:?}"));
        return reply(400, json!({"message": "bad dates"}));
    };
    let (open, close) = mock.hours.lock().unwrap().clone();
    let template = fixture("calendar.spec-assembled.json")[0].clone();
    let days: Vec<Value> = start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|d| {
            let mut day = template.clone();
            day["date"] = json!(d.to_string());
            day["open"] = json!(open);
            day["close"] = json!(close);
            day
        })
        .collect();
    reply(200, json!(days))
}

fn list_orders(mock: &Mock, q: &HashMap<String, String>) -> Response {
    check_enum(
        mock,
        "status",
        q.get("status"),
        &["open", "closed", "all"],
        false,
    );
    check_enum(
        mock,
        "direction",
        q.get("direction"),
        &["asc", "desc"],
        false,
    );
    check_enum(mock, "nested", q.get("nested"), &["true", "false"], false);
    if let Some(l) = q.get("limit") {
        if !l.parse::<u32>().is_ok_and(|l| (1..=500).contains(&l)) {
            mock.violate(format!("orders limit={l}"));
        }
    }
    let orders = mock.orders.lock().unwrap();
    let open: Vec<Value> = orders
        .iter()
        .filter(|o| OPEN.contains(&o["status"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    reply(200, json!(open))
}

fn find(mock: &Mock, id: &str) -> Option<Value> {
    let orders = mock.orders.lock().unwrap();
    orders.iter().find(|o| o["id"] == id).cloned()
}

/// An order from the spec example with our values; ids are path-safe and unique per process.
pub fn order_json(coid: &str, symbol: &str, side: &str, qty: &str, status: &str) -> Value {
    let mut o = fixture("order_equity.spec.json");
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    o["id"] = json!(format!("7b08df51-c1ac-453c-99f9-{n:012}"));
    o["client_order_id"] = json!(coid);
    o["symbol"] = json!(symbol);
    o["side"] = json!(side);
    o["qty"] = json!(qty);
    o["status"] = json!(status);
    o["type"] = json!("market");
    o["order_type"] = json!("market");
    o["time_in_force"] = json!("day");
    o["limit_price"] = Value::Null;
    o
}

async fn post_order(mock: &Mock, body: Option<Value>) -> Response {
    let Some(b) = body else {
        mock.violate("order POST without a JSON body".into());
        return alpaca_error(422, 40010000, "invalid body");
    };
    let s = |k: &str| b.get(k).and_then(|v| v.as_str()).map(str::to_string);
    for k in [
        "symbol",
        "qty",
        "side",
        "type",
        "time_in_force",
        "client_order_id",
    ] {
        if s(k).is_none() {
            mock.violate(format!("order field {k} missing or not a string: {b}"));
        }
    }
    check_enum(mock, "side", s("side").as_ref(), &["buy", "sell"], true);
    check_enum(mock, "type", s("type").as_ref(), &TYPES, true);
    check_enum(
        mock,
        "time_in_force",
        s("time_in_force").as_ref(),
        &TIFS,
        true,
    );
    if s("type").as_deref() == Some("limit") && s("limit_price").is_none() {
        mock.violate("limit order without limit_price string".into());
    }
    let coid = s("client_order_id").unwrap_or_default();
    if coid.len() > 128 {
        mock.violate("client_order_id longer than 128".into());
    }
    if mock.order_by_coid(&coid).is_some() {
        return alpaca_error(422, 40010001, "client_order_id must be unique");
    }
    let o = order_json(
        &coid,
        &s("symbol").unwrap_or_default(),
        &s("side").unwrap_or_default(),
        &s("qty").unwrap_or_default(),
        "accepted",
    );
    mock.orders.lock().unwrap().push(o.clone());
    let delay: Option<Duration> = mock.post_delay.lock().unwrap().take();
    if let Some(d) = delay {
        // Accepted and stored, but the answer arrives after the client gave up.
        tokio::time::sleep(d).await;
    }
    reply(200, o)
}

fn cancel(mock: &Mock, id: &str) -> Response {
    let mut orders = mock.orders.lock().unwrap();
    let Some(o) = orders.iter_mut().find(|o| o["id"] == id) else {
        return alpaca_error(404, 40410000, "order not found");
    };
    if !OPEN.contains(&o["status"].as_str().unwrap_or("")) {
        return alpaca_error(422, 42210000, "order is not cancelable");
    }
    o["status"] = json!("canceled");
    o["canceled_at"] = json!(Utc::now().to_rfc3339());
    axum::http::StatusCode::NO_CONTENT.into_response()
}
