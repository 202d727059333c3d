//! `--feed alpaca`: market data and the Alpaca broker on one client (one request budget), the
//! live gate asked first for a live host, and the short-interest pollers beside them.

use chrono::Utc;
use tokio::sync::mpsc;

use super::{flight, positioning_pollers, send_records, session_tag, Wiring, WiringError};
use crate::broker::Broker;
use crate::config::Config;
use crate::model::Timeframe;
use crate::session::Session;

/// Start an Alpaca session: market data polling and the Alpaca broker, sharing one client (and so
/// one request budget). Call inside the tokio runtime. `confirm` is asked only for a live host.
pub fn alpaca(
    cfg: Config,
    timeframe: Option<Timeframe>,
    live: bool,
    confirm: &mut dyn FnMut(&str) -> bool,
    show_progress: bool,
) -> Result<Wiring, WiringError> {
    use crate::alpaca::{resolve_endpoints, AlpacaClient, ClientConfig};
    use crate::broker::alpaca::{AlpacaBroker, AlpacaBrokerConfig};
    use crate::feed::alpaca::{run, AlpacaFeedConfig};

    let other = |e: crate::alpaca::AlpacaError| WiringError::Other(e.to_string());
    let endpoints =
        resolve_endpoints(&|k: &str| std::env::var(k).ok(), live, confirm).map_err(other)?;
    let host = endpoints.trading_url.host_str().unwrap_or_default();
    let decide = cfg.signals.decide_before_close_minutes;
    if let Some(w) = crate::live::stream::close_decision_warning(decide, host) {
        tracing::warn!("{w}");
    }
    let creds = crate::alpaca::stream::Credentials {
        key_id: endpoints.key_id.clone(),
        secret_key: endpoints.secret_key.clone(),
    };
    let client =
        AlpacaClient::new(endpoints, ClientConfig::from_config(&cfg.alpaca)).map_err(other)?;
    let mut feed_cfg = AlpacaFeedConfig::from_config(&cfg.alpaca, timeframe).map_err(other)?;
    // A QQQ or SPY book's bars come with the others: they price and measure the book.
    feed_cfg.symbols = cfg.live_symbols();
    let tf = feed_cfg.timeframe;
    let stream = crate::live::stream::plan(&cfg, &mut feed_cfg, creds.clone())
        .map_err(|e| WiringError::Other(e.to_string()))?;
    let (broker_tx, broker_rx) = mpsc::unbounded_channel();
    let mut broker = AlpacaBroker::start(
        client.clone(),
        AlpacaBrokerConfig::from_config(&cfg.alpaca),
        broker_tx,
    );
    if cfg.stream.trade_updates {
        broker.stream_updates(crate::broker::alpaca::updates::UpdatesConfig::from_config(
            &cfg.stream,
            client.trading_stream_url(),
            creds.clone(),
        ));
    }
    let kind = broker.kind();
    let (journal, rec) = flight::open(Some(kind))?;
    // Orders left working are looked up before the first poll; their answers, like every broker
    // event, reach the journal through the session before any new order can be sent.
    broker.settle(flight::to_settle(&rec));
    // Positions and open orders first: a restart must know what is already held and working.
    broker.reconcile();
    let session = Session::new(cfg, Box::new(broker), tf, session_tag());
    let (session, startup) = flight::attach_venue(session, journal, &rec, &format!("alpaca:{tf}"))?;
    let (tx, feed_rx) = mpsc::channel(1024);
    let mut tasks = positioning_pollers(session.config(), &tx, true);
    let (seed_cfg, seed_tx) = (session.config().clone(), tx.clone());
    tasks.push(tokio::spawn(async move {
        send_records(seed_cfg, Utc::now(), &seed_tx).await;
    }));
    tasks.extend(crate::live::stream::spawn(
        stream,
        &client,
        session.config(),
        &tx,
    ));
    tasks.push(tokio::spawn(run(feed_cfg, client, tx, show_progress)));
    Ok(Wiring {
        session,
        feed_rx,
        broker_rx,
        replay: None,
        tasks,
        startup,
    })
}
