//! The shared client: 429 with rate-limit headers is honoured, 5xx GETs are retried then given up.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use double_agent::alpaca::AlpacaError;
use serde_json::json;

use super::mock::{self, Mock, Scripted};
use super::{assert_no_violations, client};

#[tokio::test]
async fn alpaca_429_with_reset_header_makes_the_next_request_wait() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = now + 1;
    m.script(Scripted {
        method: Method::GET,
        path: "/v2/clock",
        status: 429,
        body: json!({"code": 42910000, "message": "rate limit exceeded"}),
        headers: vec![
            ("X-RateLimit-Remaining", "0".into()),
            ("X-RateLimit-Reset", reset.to_string()),
        ],
        times: 1,
    });
    let c = client(&url);
    let clock = c.clock().await.expect("retried after the reset");
    assert!(clock.next_close > clock.timestamp);
    let seen = m.requests(Method::GET, "/v2/clock");
    assert_eq!(seen.len(), 2);
    let second = seen[1].at.duration_since(UNIX_EPOCH).unwrap();
    assert!(
        second >= Duration::from_secs(reset),
        "retry at {second:?} came before the reset at {reset}"
    );
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_5xx_on_get_is_retried_with_backoff_then_reported() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let busy = |times| Scripted {
        method: Method::GET,
        path: "/v2/account",
        status: 503,
        body: json!({"message": "service unavailable"}),
        headers: vec![],
        times,
    };
    m.script(busy(2));
    let c = client(&url);
    let acct = c.account().await.expect("third attempt succeeds");
    assert_eq!(acct.cash.to_string(), "122086.5");
    assert_eq!(m.requests(Method::GET, "/v2/account").len(), 3);

    m.script(busy(10));
    let err = c.account().await.unwrap_err();
    assert!(matches!(err, AlpacaError::Api { status: 503, .. }), "{err}");
    assert_eq!(
        m.requests(Method::GET, "/v2/account").len(),
        6,
        "3 attempts, no more"
    );
    assert_no_violations(&m);
}
