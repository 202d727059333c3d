//! The alert webhook against a loopback receiver: one JSON POST per alert, errors typed.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use axum::{Json, Router};
use double_agent::config::Config;
use double_agent::live::alerts::{Alert, AlertError, Alerter};
use serde_json::Value;

async fn receiver(status: u16) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |Json(v): Json<Value>| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(v);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

fn alerter(url: &str) -> Alerter {
    let mut cfg = Config::default_config().alerts;
    cfg.webhook_url = url.into();
    cfg.bell = false;
    cfg.title = false;
    Alerter::new(&cfg, true).unwrap()
}

fn stop_alert() -> Alert {
    Alert {
        kind: "stop:bear".into(),
        title: "double-agent: Bear stop near".into(),
        body: "IWM 215.00 is 0.47 ATR from the Bear stop 216.40".into(),
    }
}

#[tokio::test]
async fn the_webhook_posts_the_alert_as_json() {
    let (url, got) = receiver(204).await;
    let a = alerter(&url);
    a.webhook(&stop_alert())
        .expect("webhook configured")
        .await
        .unwrap();
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["kind"], "stop:bear");
    assert_eq!(
        got[0]["body"],
        "IWM 215.00 is 0.47 ATR from the Bear stop 216.40"
    );
    assert!(got[0]["at"].as_str().is_some_and(|t| t.contains('T')));
}

#[tokio::test]
async fn a_failing_webhook_is_a_typed_error_and_no_webhook_means_none() {
    let (url, _) = receiver(500).await;
    let err = alerter(&url)
        .webhook(&stop_alert())
        .unwrap()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AlertError::Webhook(m) if m.contains("500")),
        "{err}"
    );
    assert!(alerter("").webhook(&stop_alert()).is_none());
}
