//! CFTC TFF (Socrata) against a loopback server: SoQL query, string numbers, missing keys, foreign
//! codes, 52-week low evidence, dollars only with a level, gap gauge, request-free restart.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Days;
use double_agent::feed::cftc::{markets, parse_tff_json};
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::positioning::pollers::{CftcPoller, Poller};
use double_agent::positioning::{spawn_pollers_with_env, Cache, PositioningBook};
use serde_json::{json, Value};

use crate::short_mock::{at, d, env_for, health_of, read_fixture, serve, test_config, warnings};

/// 60 weekly rows, newest (2026-06-09) first. RTY leveraged funds sell into a new low; NQ buy
/// into a new high. Old RTY rows carry the contract's older name: matching is by code.
fn rows(code: &str) -> Vec<Value> {
    let newest = d("2026-06-09");
    (0..60u64)
        .map(|k| {
            let date = newest - Days::new(7 * k);
            let (name, long, short) = if code == "239742" {
                let name = if k > 40 {
                    "E-MINI RUSSELL 2000 INDEX - CHICAGO MERCANTILE EXCHANGE"
                } else {
                    "RUSSELL E-MINI - CHICAGO MERCANTILE EXCHANGE"
                };
                (name, 60_000 + 500 * k as i64, 140_000)
            } else {
                (
                    "NASDAQ MINI - CHICAGO MERCANTILE EXCHANGE",
                    120_000 - 300 * k as i64,
                    40_000,
                )
            };
            let mut row = json!({
                "id": format!("{}{}F", date.format("%y%m%d"), code),
                "market_and_exchange_names": name,
                "report_date_as_yyyy_mm_dd": format!("{date}T00:00:00.000"),
                "cftc_contract_market_code": code,
                "cftc_market_code": "CME ",
                "open_interest_all": "500000",
                "lev_money_positions_long": long.to_string(),
                "lev_money_positions_short": short.to_string(),
                "asset_mgr_positions_long": "200000",
                "asset_mgr_positions_short": "50000",
            });
            if code == "239742" && k == 50 {
                row.as_object_mut()
                    .unwrap()
                    .remove("lev_money_positions_short");
            }
            row
        })
        .collect()
}

async fn socrata(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("$order").map(String::as_str) != Some("report_date_as_yyyy_mm_dd DESC")
        || q.get("$limit").map(String::as_str) != Some("53")
    {
        return (StatusCode::BAD_REQUEST, format!("bad query {q:?}")).into_response();
    }
    let code = q
        .get("$where")
        .and_then(|w| w.strip_prefix("cftc_contract_market_code='"))
        .and_then(|w| w.strip_suffix('\''))
        .unwrap_or("")
        .to_string();
    let mut out: Vec<Value> = rows(&code).into_iter().take(53).collect();
    // A stray micro-contract row must be ignored, not mixed in.
    out.push(json!({"cftc_contract_market_code": "239747", "report_date_as_yyyy_mm_dd": "2026-06-09T00:00:00.000",
                    "lev_money_positions_long": "1", "lev_money_positions_short": "999999",
                    "asset_mgr_positions_long": "1", "asset_mgr_positions_short": "1"}));
    Json(out).into_response()
}

#[tokio::test]
async fn tff_rows_evidence_dollars_gap_and_restart() {
    let mock = serve(Router::new().route("/resource/gpe5-46if.json", get(socrata))).await;
    let cfg = test_config();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let now = at(2026, 6, 13, 12);
    let cache = Cache::open(&path).unwrap();
    let out = CftcPoller::new(&cfg, &env_for(&mock.base))
        .poll(&cache, now)
        .await;
    assert_eq!(mock.hits(), 2);
    assert_eq!(
        health_of(&out.events, "cftc"),
        [&FeedHealth::Connected],
        "{:?}",
        warnings(&out.events)
    );
    assert!(warnings(&out.events)
        .iter()
        .any(|w| w.contains("lev_money_positions_short")));
    let mut book = PositioningBook::new();
    for e in &out.events {
        book.apply(e);
    }
    let rty = book.futures("RTY");
    assert_eq!((rty.len(), book.futures("NQ").len()), (52, 53));
    assert!(rty.iter().all(|p| p.contract_code == "239742"));
    assert_eq!(rty.last().unwrap().lev_money_net(), 60_000 - 140_000);

    let fact = book
        .evidence_as_of(d("2026-06-13"))
        .lev_funds_at_52w_low
        .unwrap();
    assert!(
        fact.holds && fact.text().contains("-80,000") && fact.text().contains("2026-06-09"),
        "{}",
        fact.text()
    );
    // Before Friday's release the Bear must not see the 06-09 report.
    let early = book
        .evidence_as_of(d("2026-06-11"))
        .lev_funds_at_52w_low
        .unwrap();
    assert!(early.text().contains("2026-06-02"), "{}", early.text());

    let s = book.summary(d("2026-06-13"));
    assert_eq!(
        s.futures[0].lev_money_net_usd, None,
        "no index level, no dollars"
    );
    assert!(
        s.notes.iter().any(|n| n.contains("contracts only")),
        "{:?}",
        s.notes
    );
    let gauge = s.gauge.unwrap();
    assert_eq!(
        gauge.gap,
        Some(1.0),
        "NQ at its 52-week high, RTY at its low"
    );
    drop(cache);

    let cache = Cache::open(&path).unwrap();
    let poller = Poller::Cftc(CftcPoller::new(&cfg, &env_for(&mock.base)));
    assert_eq!(poller.cached_events(&cache).len(), 105);
    poller.poll(&cache, now).await;
    poller.poll(&cache, at(2026, 6, 18, 12)).await;
    assert_eq!(mock.hits(), 2, "restart or an early poll made requests");
    poller.poll(&cache, at(2026, 6, 19, 22)).await;
    assert_eq!(mock.hits(), 4, "Friday release of the 06-16 report: fetch");
}

#[tokio::test]
async fn tff_server_error_is_failed_health_and_retried() {
    let app = Router::new().route(
        "/resource/gpe5-46if.json",
        get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "{}") }),
    );
    let mock = serve(app).await;
    let cfg = test_config();
    let cache = Cache::in_memory().unwrap();
    let p = CftcPoller::new(&cfg, &env_for(&mock.base));
    let out = p.poll(&cache, at(2026, 6, 13, 12)).await;
    assert!(matches!(
        health_of(&out.events, "cftc")[..],
        [FeedHealth::Failed { .. }]
    ));
    assert!(!out
        .events
        .iter()
        .any(|e| matches!(e, FeedEvent::Positioning(_))));
    p.poll(&cache, at(2026, 6, 13, 12)).await;
    assert_eq!(mock.hits(), 2, "a failed fetch is not remembered as done");
}

#[test]
fn recorded_rows_parse_and_match_on_code_not_name() {
    let aud = parse_tff_json(
        read_fixture("tff_aud_record.json").as_bytes(),
        &[("232741".into(), "AUD".into())],
    )
    .unwrap();
    let r = &aud.rows[0];
    assert_eq!(
        (r.lev_money_long, r.lev_money_short, r.asset_mgr_net()),
        (19_628, 30_092, Some(40_337 - 101_819))
    );
    assert_eq!(r.open_interest, Some(163_900));
    let es = read_fixture("tff_es_partial.json");
    let p = parse_tff_json(es.as_bytes(), &[("13874A".into(), "ES".into())]).unwrap();
    assert_eq!(
        p.rows.len(),
        1,
        "the row without a contract code is not matched by its name"
    );
    assert_eq!(p.rows[0].lev_money_net(), 157_203 - 672_723);
    assert!(parse_tff_json(es.as_bytes(), &markets(&test_config()))
        .unwrap()
        .rows
        .is_empty());
}

#[tokio::test]
async fn spawned_pollers_report_health_for_every_source() {
    let regsho = get(|| async {
        "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\r\n20260102|IWM|1|0|2|Q\r\n1\r\n"
    });
    let app = Router::new()
        .route(
            "/data/group/otcMarket/name/consolidatedShortInterest",
            post(|| async { StatusCode::NO_CONTENT }),
        )
        .route("/equity/regsho/daily/:file", regsho)
        .route("/resource/gpe5-46if.json", get(socrata));
    let mock = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let handles = spawn_pollers_with_env(
        &test_config(),
        dir.path().join("c.sqlite"),
        tx,
        env_for(&mock.base),
    );
    let mut seen = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.len() < 3 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(FeedEvent::Health { source, .. })) => {
                seen.insert(source);
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    handles.iter().for_each(|h| h.abort());
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["cftc", "finra-regsho", "finra-si"]
    );
}
