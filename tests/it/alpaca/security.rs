//! The live gate and key hygiene: canary keys never show in errors, Debug output or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use double_agent::alpaca::{resolve_endpoints, AlpacaClient, AlpacaError, Endpoints, Secret};
use double_agent::broker::alpaca::{AlpacaBroker, AlpacaBrokerConfig};
use double_agent::broker::{Broker, BrokerEvent, BrokerKind};
use double_agent::feed::alpaca::{run, AlpacaFeedConfig, RestForming};
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::model::{ClientOrderId, OrderRequest, OrderType, Side, Symbol, Timeframe};
use rust_decimal_macros::dec;
use tokio::sync::mpsc;

use super::client_cfg;
use super::mock::{self, Mock};

const CANARY_KEY: &str = "PKCANARY123";
const CANARY_SECRET: &str = "canary-secret-xyz";

fn env(base: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
    move |k| match k {
        "APCA_API_KEY_ID" => Some(CANARY_KEY.into()),
        "APCA_API_SECRET_KEY" => Some(CANARY_SECRET.into()),
        "APCA_API_BASE_URL" => base.map(String::from),
        _ => None,
    }
}

#[test]
fn alpaca_live_host_is_refused_without_flag_and_confirmation() {
    let live = Some("https://api.alpaca.markets");
    let mut asked = Vec::new();
    let err = resolve_endpoints(&env(live), false, &mut |p| {
        asked.push(p.to_string());
        true
    })
    .unwrap_err();
    assert!(matches!(err, AlpacaError::LiveRefused { .. }), "{err}");
    assert!(asked.is_empty(), "no prompt without --live");

    let err = resolve_endpoints(&env(live), true, &mut |p| {
        asked.push(p.to_string());
        false
    })
    .unwrap_err();
    assert!(matches!(err, AlpacaError::LiveNotConfirmed), "{err}");

    let ep = resolve_endpoints(&env(live), true, &mut |p| {
        asked.push(p.to_string());
        true
    })
    .unwrap();
    assert_eq!(ep.kind, BrokerKind::Live);
    assert_eq!(asked.len(), 2);
    assert!(asked[0].contains("api.alpaca.markets") && asked[0].contains("REAL money"));
    // Trailing dot and upper case do not sneak past the gate; nor does an unknown host.
    for sneaky in ["https://API.alpaca.markets./", "https://my-proxy.example"] {
        let e = |k: &str| {
            env(None)(k).or_else(|| (k == "APCA_API_BASE_URL").then(|| sneaky.to_string()))
        };
        let err = resolve_endpoints(&e, false, &mut |_| true).unwrap_err();
        assert!(
            matches!(err, AlpacaError::LiveRefused { .. }),
            "{sneaky}: {err}"
        );
    }
    // Paper with no URL set, and `Endpoints::new` never yields live.
    let ep = resolve_endpoints(&env(None), false, &mut |_| panic!("no prompt for paper")).unwrap();
    assert_eq!(ep.kind, BrokerKind::Paper);
    let err = Endpoints::new(
        "https://api.alpaca.markets",
        "https://data.alpaca.markets",
        Secret::new("k"),
        Secret::new("s"),
    )
    .unwrap_err();
    assert!(matches!(err, AlpacaError::LiveRefused { .. }));
    for text in [format!("{err}"), format!("{ep:?}"), format!("{asked:?}")] {
        assert!(
            !text.contains(CANARY_KEY) && !text.contains(CANARY_SECRET),
            "{text}"
        );
    }
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Current-thread runtime: the thread-local subscriber sees every spawned task's logs.
#[tokio::test]
async fn alpaca_canary_keys_never_appear_in_errors_debug_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The mock expects other keys: every request fails with 401.
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let ep = Endpoints::new(
        &url,
        &url,
        Secret::new(CANARY_KEY),
        Secret::new(CANARY_SECRET),
    )
    .unwrap();
    let client = AlpacaClient::new(ep.clone(), client_cfg()).unwrap();
    let mut texts = vec![
        format!("{ep:?}"),
        format!("{client:?}"),
        format!("{:?}", ep.key_id),
    ];

    let err = client.account().await.unwrap_err();
    assert!(err.is_auth());
    texts.push(format!("{err}"));
    texts.push(format!("{err:?}"));

    let (ftx, mut frx) = mpsc::channel(16);
    let feed_cfg = AlpacaFeedConfig {
        timeframe: Timeframe::Day1,
        symbols: Symbol::ALL.to_vec(),
        data_feed: "iex".into(),
        adjustment: "split".into(),
        backfill_bars: 5,
        page_limit: 100,
        poll_interval: Duration::from_millis(20),
        stale_after_bars: 3,
        retry_base: Duration::from_millis(10),
        forming: RestForming::Never,
    };
    tokio::spawn(run(feed_cfg, client.clone(), ftx, false));
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(3), frx.recv())
            .await
            .unwrap()
            .unwrap();
        texts.push(format!("{ev:?}"));
        if matches!(
            ev,
            FeedEvent::Health {
                health: FeedHealth::Failed { .. },
                ..
            }
        ) {
            break;
        }
    }

    let (btx, mut brx) = mpsc::unbounded_channel();
    let cfg = AlpacaBrokerConfig {
        order_poll: Duration::from_millis(20),
        account_poll: Duration::from_secs(60),
        max_retries: 2,
        retry_base: Duration::from_millis(10),
        client_side_stops: true,
    };
    let mut broker = AlpacaBroker::start(client, cfg, btx);
    broker.submit(&OrderRequest {
        client_order_id: ClientOrderId::from("da-canary-1"),
        symbol: Symbol::Iwm,
        side: Side::Sell,
        qty: dec!(1),
        order_type: OrderType::Market,
        signal_id: None,
        book: None,
        created: chrono::Utc::now(),
    });
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(3), brx.recv())
            .await
            .unwrap()
            .unwrap();
        texts.push(format!("{ev:?}"));
        if matches!(ev, BrokerEvent::Rejected { .. }) {
            break;
        }
    }
    drop(broker);

    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("alpaca"),
        "the test must see real log lines: {log}"
    );
    texts.push(log);
    assert!(
        m.key_ids_seen
            .lock()
            .unwrap()
            .iter()
            .any(|k| k == CANARY_KEY),
        "key was sent"
    );
    for t in &texts {
        assert!(
            !t.contains(CANARY_KEY) && !t.contains(CANARY_SECRET),
            "leak in: {t}"
        );
    }
}
