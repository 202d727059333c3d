//! FINRA short interest (API + pipe-file fallback) and Reg SHO daily files against a loopback
//! server serving the recorded formats; the cache makes a restart request-free.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use double_agent::feed::finra::{merge_facilities, parse_regsho, parse_si_json, parse_si_pipe};
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::positioning::pollers::{Poller, RegShoPoller, SiPoller};
use double_agent::positioning::{Cache, PositioningBook};
use serde_json::{json, Value};

use crate::short_mock::{
    at, d, env_for, health_of, read_fixture, serve, test_config, warnings, XML_403,
};

/// IWM rows out of date order; the 07-15 revision sits on page 1, its original on page 3.
fn iwm_rows() -> Vec<Value> {
    vec![
        json!({"symbolCode":"IWM","settlementDate":"2025-07-15","currentShortPositionQuantity":89580000,
               "previousShortPositionQuantity":90860000,"revisionFlag":"R","averageDailyVolumeQuantity":30000000,
               "daysToCoverQuantity":2.99,"changePercent":-1.41,"changePreviousNumber":-1280000}),
        json!({"symbolCode":"IWM","settlementDate":"2025-06-30","currentShortPositionQuantity":90860000,
               "previousShortPositionQuantity":97320000,"revisionFlag":null,"stockSplitFlag":null}),
        // Missing keys and string numbers: change and days to cover are derived.
        json!({"symbolCode":"IWM","settlementDate":"2025-07-31","currentShortPositionQuantity":"90500000",
               "averageDailyVolumeQuantity":"25000000"}),
        json!({"symbolCode":"IWM","settlementDate":"2025-06-13","currentShortPositionQuantity":97320000}),
        json!({"symbolCode":"IWM","settlementDate":"2025-07-15","currentShortPositionQuantity":89000000,
               "revisionFlag":null}),
    ]
}

#[derive(Default)]
struct ApiLog {
    offsets: Vec<(String, u64)>,
}

async fn si_api(
    State(log): State<Arc<Mutex<ApiLog>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if headers.get("accept").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "csv unless Accept: application/json",
        )
            .into_response();
    }
    let f = &body["compareFilters"][0];
    assert_eq!(
        (f["compareType"].as_str(), f["fieldName"].as_str()),
        (Some("EQUAL"), Some("symbolCode"))
    );
    let symbol = f["fieldValue"].as_str().unwrap_or("").to_string();
    let (offset, limit) = (
        body["offset"].as_u64().unwrap_or(0),
        body["limit"].as_u64().unwrap_or(0),
    );
    log.lock().unwrap().offsets.push((symbol.clone(), offset));
    if symbol != "IWM" {
        return StatusCode::NO_CONTENT.into_response();
    }
    let rows = iwm_rows();
    let page: Vec<Value> = rows
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .cloned()
        .collect();
    let headers = [
        ("record-total", rows.len().to_string()),
        ("record-offset", offset.to_string()),
        ("record-limit", limit.to_string()),
    ];
    (headers, Json(page)).into_response()
}

#[tokio::test]
async fn si_api_pages_204_revisions_out_of_order_and_restart_makes_no_requests() {
    let log = Arc::new(Mutex::new(ApiLog::default()));
    let app = Router::new()
        .route(
            "/data/group/otcMarket/name/consolidatedShortInterest",
            post(si_api),
        )
        .with_state(log.clone());
    let mock = serve(app).await;
    let mut cfg = test_config();
    cfg.finra.page_limit = 2;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("positioning.sqlite");
    let now = at(2025, 8, 12, 12);

    let cache = Cache::open(&path).unwrap();
    let out = SiPoller::new(&cfg, &env_for(&mock.base))
        .poll(&cache, now)
        .await;
    assert_eq!(
        mock.hits(),
        3 + 2,
        "3 IWM pages + one 204 each for TWM and SRTY"
    );
    let offsets: Vec<u64> = log
        .lock()
        .unwrap()
        .offsets
        .iter()
        .filter(|(s, _)| s == "IWM")
        .map(|(_, o)| *o)
        .collect();
    assert_eq!(offsets, [0, 2, 4]);
    assert_eq!(health_of(&out.events, "finra-si"), [&FeedHealth::Connected]);

    let mut book = PositioningBook::new();
    out.events.iter().for_each(|e| {
        book.apply(e);
    });
    let iwm = book.short_interest("IWM");
    let dates: Vec<String> = iwm.iter().map(|r| r.settlement_date.to_string()).collect();
    assert_eq!(
        dates,
        ["2025-06-13", "2025-06-30", "2025-07-15", "2025-07-31"]
    );
    assert!(
        iwm[2].revised && iwm[2].shares_short == 89_580_000,
        "the revision replaced the original"
    );
    assert_eq!(iwm[3].change, Some(920_000));
    assert_eq!(iwm[3].days_to_cover, Some(3.62));
    let s = book.summary(d("2025-08-12"));
    assert_eq!(s.short_interest[0].publication_lag_days, Some(12));
    let fact = book
        .evidence_as_of(d("2025-08-12"))
        .short_interest_rising
        .unwrap();
    assert!(
        fact.holds && fact.text().contains("90.50 M") && fact.text().contains("89.58 M"),
        "{}",
        fact.text()
    );
    drop(cache);

    // Restart: the cache answers; nothing is due before the next settlement is published.
    let cache = Cache::open(&path).unwrap();
    let poller = Poller::Si(SiPoller::new(&cfg, &env_for(&mock.base)));
    assert_eq!(poller.cached_events(&cache).len(), 4);
    let out = poller.poll(&cache, now).await;
    let out2 = poller.poll(&cache, at(2025, 8, 20, 12)).await;
    assert_eq!(mock.hits(), 5, "restart made requests");
    assert!(out
        .events
        .iter()
        .chain(&out2.events)
        .all(|e| matches!(e, FeedEvent::Health { .. })));
    // 2025-08-15 settlement + publication lag has passed: poll again.
    poller.poll(&cache, at(2025, 8, 25, 12)).await;
    assert_eq!(mock.hits(), 10);
}

#[tokio::test]
async fn si_api_failure_falls_back_to_the_pipe_file() {
    let sample = read_fixture("shrt_sample.psv");
    let file = format!(
        "{}\n20260814|IWM|iShares Russell 2000 ETF|A|ARCA|81000000|79731219||30000000|2.70||1.59|1268781|2026-08-14\n",
        sample.trim_end()
    );
    let app = Router::new()
        .route(
            "/data/group/otcMarket/name/consolidatedShortInterest",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/equity/otcmarket/biweekly/:file",
            get(move |Path(name): Path<String>| {
                let file = file.clone();
                async move {
                    if name == "shrt20260814.csv" {
                        file.into_response()
                    } else {
                        (StatusCode::FORBIDDEN, XML_403).into_response()
                    }
                }
            }),
        );
    let mock = serve(app).await;
    let cfg = test_config();
    let cache = Cache::in_memory().unwrap();
    let out = SiPoller::new(&cfg, &env_for(&mock.base))
        .poll(&cache, at(2026, 8, 25, 12))
        .await;
    let rows: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::ShortInterest(si) => Some(si.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rows.len(), 1, "only followed symbols: {rows:?}");
    assert_eq!(
        (rows[0].symbol.as_str(), rows[0].shares_short),
        ("IWM", 81_000_000)
    );
    assert_eq!(rows[0].previous_shares_short, Some(79_731_219));
    assert!(
        warnings(&out.events)
            .iter()
            .any(|w| w.contains("2026-08-14")),
        "{:?}",
        warnings(&out.events)
    );
    assert_eq!(
        mock.hits(),
        1 + 4,
        "one failed API call, then 08-14, 08-13, 07-31, 07-30"
    );
}

/// A Reg SHO day built from the real trimmed CNMS file: CRLF, trailer, dated `day`.
fn regsho_file(day: &str, iwm_short: &str) -> String {
    read_fixture("CNMSshvol20200102_trimmed.txt")
        .replace("20200102", day)
        .replace("|IWM|2085904|", &format!("|IWM|{iwm_short}|"))
}

fn regsho_app(missing: &'static [&'static str]) -> Router {
    Router::new().route(
        "/equity/regsho/daily/:file",
        get(move |Path(name): Path<String>| async move {
            let day = name
                .trim_start_matches("CNMSshvol")
                .trim_end_matches(".txt")
                .to_string();
            if missing.contains(&day.as_str()) {
                return (StatusCode::FORBIDDEN, XML_403).into_response();
            }
            // Short volume grows through the month; the last day is fractional and heavy.
            let n: u32 = day[6..].parse().unwrap_or(1);
            let short = if day == "20260119" {
                "3000000.5".to_string()
            } else {
                (1_500_000 + n * 1000).to_string()
            };
            regsho_file(&day, &short).into_response()
        }),
    )
}

#[tokio::test]
async fn regsho_daily_403_holidays_fractions_mean_and_restart() {
    let mock = serve(regsho_app(&["20251225", "20260101"])).await;
    let mut cfg = test_config();
    cfg.finra.regsho_days = 35;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let now = at(2026, 1, 20, 12);
    let cache = Cache::open(&path).unwrap();
    let poller = RegShoPoller::new(&cfg, &env_for(&mock.base));
    let out = poller.poll(&cache, now).await;
    assert_eq!(mock.hits(), 25, "weekdays 2025-12-16 ..= 2026-01-19");
    assert_eq!(
        health_of(&out.events, "finra-regsho"),
        [&FeedHealth::Connected]
    );
    let n_rows = out
        .events
        .iter()
        .filter(|e| matches!(e, FeedEvent::ShortVolume(_)))
        .count();
    assert_eq!(n_rows, 23 * 3, "IWM, TWM, SRTY for 23 sessions");
    let mut book = PositioningBook::new();
    out.events.iter().for_each(|e| {
        book.apply(e);
    });
    let iwm = book.short_volume("IWM");
    assert_eq!(iwm.last().unwrap().short_volume, 3_000_000.5);
    let fact = book
        .evidence_as_of(d("2026-01-20"))
        .short_volume_above_mean
        .unwrap();
    assert!(
        fact.holds && fact.text().contains("2026-01-19"),
        "{}",
        fact.text()
    );
    let line = &book.summary(d("2026-01-20")).short_volume[0];
    assert_eq!((line.symbol.as_str(), line.history.len()), ("IWM", 23));
    assert!(line.mean_20.is_some());
    drop(cache);

    let cache = Cache::open(&path).unwrap();
    let out = RegShoPoller::new(&cfg, &env_for(&mock.base))
        .poll(&cache, now)
        .await;
    assert_eq!(
        mock.hits(),
        25,
        "restart refetched (holidays must be remembered)"
    );
    assert!(out
        .events
        .iter()
        .all(|e| matches!(e, FeedEvent::Health { .. })));
    // After 23:00 UTC today's file counts as posted.
    poller.poll(&cache, at(2026, 1, 20, 23)).await;
    assert_eq!(mock.hits(), 26);
}

#[tokio::test]
async fn regsho_recent_missing_day_is_asked_again_old_one_is_not() {
    let mock = serve(regsho_app(&["20260115", "20260116", "20260119"])).await;
    let mut cfg = test_config();
    cfg.finra.regsho_days = 5;
    let cache = Cache::in_memory().unwrap();
    let poller = RegShoPoller::new(&cfg, &env_for(&mock.base));
    let out = poller.poll(&cache, at(2026, 1, 20, 12)).await;
    assert_eq!(mock.hits(), 3);
    assert!(matches!(
        health_of(&out.events, "finra-regsho")[..],
        [FeedHealth::Stale { .. }]
    ));
    poller.poll(&cache, at(2026, 1, 20, 18)).await;
    assert_eq!(
        mock.hits(),
        4,
        "only yesterday (not yet posted?) is asked again"
    );
}

#[test]
fn recorded_files_parse() {
    let api = parse_si_json(read_fixture("si_api_excerpt.json").as_bytes()).unwrap();
    assert_eq!(api.rows.len(), 6);
    assert!(api
        .rows
        .windows(2)
        .all(|w| (&w[0].symbol, w[0].settlement_date) < (&w[1].symbol, w[1].settlement_date)));
    let brkb = api
        .rows
        .iter()
        .find(|r| r.symbol == "BRKB" && r.revised)
        .unwrap();
    assert_eq!(brkb.shares_short, 7_991_371);
    let pipe = parse_si_pipe(&read_fixture("shrt_sample.psv"), &["AAPL"]).unwrap();
    assert_eq!(pipe.rows[0].shares_short, 116_327_753);
    assert_eq!(pipe.rows[0].days_to_cover, Some(2.53));
    let cnms = parse_regsho(
        &read_fixture("CNMSshvol20200102_trimmed.txt"),
        &["IWM", "TWM", "SRTY"],
    )
    .unwrap();
    assert!(cnms.skipped.is_empty(), "{:?}", cnms.skipped);
    assert_eq!(cnms.rows.len(), 3);
    let ex = parse_regsho(&read_fixture("cnms_2020-01_excerpt.txt"), &["IWM"]).unwrap();
    assert_eq!(ex.rows.len(), 3);
    // Summing FNYX (with its repeated 2011-05-31 row) and FNSQ.
    let fnyx = parse_regsho(&read_fixture("regsho_FNYX_2011-05_trimmed.txt"), &[]).unwrap();
    let fnsq = parse_regsho(&read_fixture("regsho_FNSQ_2011-05_trimmed.txt"), &[]).unwrap();
    assert_eq!(fnyx.skipped.len(), 1);
    let sum = merge_facilities(vec![fnyx.rows, fnsq.rows]);
    let may31 = sum.iter().find(|r| r.date == d("2011-05-31")).unwrap();
    assert_eq!(may31.short_volume, 13_767_059.0 + 1_564_324.0);
    assert_eq!(may31.total_volume, 21_501_803.0 + 1_892_016.0);
}

#[test]
fn empty_204_body_is_zero_rows_and_garbage_is_an_error() {
    assert!(parse_si_json(b"").unwrap().rows.is_empty());
    assert!(parse_si_json(b"<html>").is_err());
    assert!(parse_si_json(b"{}").is_err());
    assert!(parse_regsho("", &[]).is_err());
}
