//! APCA_API_BASE_URL as the SDKs take it (a trailing `/v2` or `/`), what a 401 tells the trader,
//! and a timed run that never got data failing instead of exiting 0.

use axum::http::Method;

use super::mock::{self, Mock};
use super::{assert_no_violations, client, client_with};

#[tokio::test]
async fn a_base_url_ending_in_v2_or_a_slash_reaches_the_same_paths() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    for base in [format!("{url}/v2"), format!("{url}/v2/"), format!("{url}/")] {
        let c = client(&base);
        c.clock().await.unwrap_or_else(|e| panic!("{base}: {e}"));
        c.account().await.unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    let seen = m.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|s| !s.path.contains("/v2/v2")), "{seen:?}");
    assert_eq!(m.requests(Method::GET, "/v2/clock").len(), 3);
    assert_no_violations(&m);
}

#[tokio::test]
async fn a_401_says_what_to_check() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let err = client_with(&url, mock::KEY, "wrong-secret")
        .account()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("401") && err.contains("APCA_API_SECRET_KEY") && err.contains("paper"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_run_that_never_authenticated_exits_non_zero_and_says_why() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("loopback.toml");
    std::fs::write(
        &cfg,
        format!(
            "[stream]\nenabled = false\ntrade_updates = false\n\
             [finra]\napi_url = \"{url}\"\ncdn_url = \"{url}\"\n[cftc]\napi_url = \"{url}\"\n"
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_double-agent"));
    cmd.args([
        "--feed",
        "alpaca",
        "--headless",
        "--run-for",
        "2",
        "--config",
    ])
    .arg(&cfg)
    .env("DOUBLE_AGENT_DATA_DIR", dir.path().join("data"))
    .env("XDG_CONFIG_HOME", dir.path().join("config"))
    .env("APCA_API_KEY_ID", mock::KEY)
    .env("APCA_API_SECRET_KEY", "not-the-secret")
    .env("APCA_API_BASE_URL", format!("{url}/v2"))
    .env("APCA_API_DATA_URL", &url)
    .env("FINRA_API_URL", &url)
    .env("CFTC_API_URL", &url);
    // The mock runs on this runtime: the child is waited for off it.
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited 0: {err}");
    assert!(
        err.contains("401") && err.contains("Check APCA_API_KEY_ID"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "{err}");
}
