//! FINRA_API_URL / CFTC_API_URL switch the positioning pollers on in every feed mode, the
//! embedded replay included; headless mode prints each snapshot as a JSON event.

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

use crate::short_mock::serve;

#[tokio::test]
async fn finra_url_runs_its_pollers_in_an_embedded_replay_and_cftc_stays_off() {
    let row = serde_json::json!({
        "symbolCode": "IWM", "issueName": "iShares Russell 2000 ETF", "marketClassCode": "ARCA",
        "settlementDate": "2025-07-31", "currentShortPositionQuantity": 90_500_000,
        "previousShortPositionQuantity": 89_580_000, "changePreviousNumber": 920_000,
        "changePercent": 1.03, "averageDailyVolumeQuantity": 32_000_000,
        "daysToCoverQuantity": 2.83, "revisionFlag": null, "stockSplitFlag": null
    });
    let app = Router::new()
        .route(
            "/data/group/otcMarket/name/consolidatedShortInterest",
            post(move || {
                let row = row.clone();
                async move { Json(vec![row]) }
            }),
        )
        // Reg SHO days the CDN does not have answer 403, as FINRA's does.
        .fallback(|| async { StatusCode::FORBIDDEN });
    let mock = serve(app).await;
    let base = mock.base.clone();
    let data = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_double-agent"))
            .args([
                "--headless",
                "--speed",
                "10",
                "--start",
                "2025-11-20",
                "--run-for",
                "8",
            ])
            .env("DOUBLE_AGENT_DATA_DIR", data.path())
            .env("XDG_CONFIG_HOME", data.path().join("config"))
            .env("FINRA_API_URL", &base)
            .env("FINRA_CDN_URL", &base)
            .env_remove("CFTC_API_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(mock.hits() > 0, "the FINRA mock was never asked");
    let si = events
        .iter()
        .find(|e| e["type"] == "short_interest")
        .expect("a short_interest event");
    assert_eq!(si["snapshot"]["symbol"], "IWM");
    assert_eq!(si["snapshot"]["shares_short"], 90_500_000);
    let sources: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "health")
        .filter_map(|e| e["source"].as_str())
        .collect();
    assert!(sources.contains(&"finra-si"), "{sources:?}");
    assert!(
        !sources.contains(&"cftc"),
        "CFTC must stay off without CFTC_API_URL: {sources:?}"
    );
}
