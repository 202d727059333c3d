//! Alerts for a trader who looks away: a signal waits, or the forming bar nears a stop. What to
//! alert and when to repeat it is pure (`Alerter`); the sinks (bell, window title, notify-send,
//! webhook) only deliver.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::AlertsConfig;
use crate::live::watch::WatchInputs;
use crate::session::Notice;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// What is rate-limited together: `signal:<id>`, `stop:bear`, `stop:bull`.
    pub kind: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("alerts.webhook_url `{0}`: must be https (plain http only to localhost)")]
    BadWebhook(String),
    #[error("webhook: {0}")]
    Webhook(String),
}

pub struct Alerter {
    cfg: AlertsConfig,
    min_interval: Duration,
    last: HashMap<String, Instant>,
    http: Option<reqwest::Client>,
}

/// The forming price within `near_atr` ATRs of an engaged agent's stop.
pub fn stops_near(w: &WatchInputs, near_atr: f64) -> Vec<Alert> {
    let Some(atr) = w.atr.filter(|a| *a > 0.0) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut check = |on: bool, stop: Option<f64>, agent: &str| {
        let Some(stop) = stop.filter(|_| on) else {
            return;
        };
        let gap = (stop - w.now).abs() / atr;
        if gap <= near_atr {
            out.push(Alert {
                kind: format!("stop:{}", agent.to_ascii_lowercase()),
                title: format!("double-agent: {agent} stop near"),
                body: format!(
                    "IWM {:.2} is {gap:.2} ATR from the {agent} stop {stop:.2}",
                    w.now
                ),
            });
        }
    };
    check(w.bear_engaged, w.bear_stop, "Bear");
    check(w.bull_in, w.bull_stop, "Bull");
    out
}

/// One alert per new signal that waits for an answer.
pub fn signals_waiting(notices: &[Notice]) -> Vec<Alert> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::Signal { signal } => Some(Alert {
                kind: format!("signal:{}", signal.id),
                title: format!("double-agent: {} signal waits", signal.agent),
                body: format!(
                    "{:?} {} {} {} — answer in the dashboard",
                    signal.kind, signal.side, signal.qty, signal.symbol
                ),
            }),
            // A refused exit or a snooze that ran out: the alarm a trader looking away needs.
            Notice::Asked { signal_id, why } => Some(Alert {
                kind: format!("asked:{signal_id}"),
                title: format!("double-agent: signal #{signal_id} waits again"),
                body: why.clone(),
            }),
            _ => None,
        })
        .collect()
}

impl Alerter {
    /// `live` is false in replays, where alerts stay off unless `alerts.in_replay`.
    pub fn new(cfg: &AlertsConfig, live: bool) -> Result<Self, AlertError> {
        let mut cfg = cfg.clone();
        cfg.enabled &= live || cfg.in_replay;
        let url = cfg.webhook_url.trim();
        let http = if url.is_empty() {
            None
        } else {
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| url.starts_with(p));
            if !url.starts_with("https://") && !local {
                return Err(AlertError::BadWebhook(url.to_string()));
            }
            let b = reqwest::Client::builder().timeout(Duration::from_secs(5));
            let b = if local { b.no_proxy() } else { b };
            Some(b.build().map_err(|e| AlertError::Webhook(e.to_string()))?)
        };
        Ok(Alerter {
            min_interval: Duration::from_secs(cfg.min_interval_secs),
            cfg,
            last: HashMap::new(),
            http,
        })
    }

    /// The alerts due now: each kind at most once per `min_interval_secs`.
    pub fn due(&mut self, alerts: Vec<Alert>, now: Instant) -> Vec<Alert> {
        if !self.cfg.enabled {
            return Vec::new();
        }
        alerts
            .into_iter()
            .filter(|a| {
                let fresh = self
                    .last
                    .get(&a.kind)
                    .is_none_or(|t| now.duration_since(*t) >= self.min_interval);
                if fresh {
                    self.last.insert(a.kind.clone(), now);
                }
                fresh
            })
            .collect()
    }

    /// Deliver through every configured sink. Failures go to the log file, never the screen.
    pub fn deliver(&self, a: &Alert) {
        use std::io::Write;
        let mut out = std::io::stdout();
        if self.cfg.bell {
            let _ = out.write_all(b"\x07");
        }
        if self.cfg.title {
            let _ = crossterm::execute!(out, crossterm::terminal::SetTitle(&a.title));
        }
        let _ = std::io::stdout().flush();
        if self.cfg.desktop {
            // Not installed is normal (servers, macOS): skip quietly.
            if let Err(e) = std::process::Command::new("notify-send")
                .args([a.title.as_str(), a.body.as_str()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
            {
                tracing::debug!(error = %e, "notify-send unavailable");
            }
        }
        if let Some(task) = self.webhook(a) {
            tokio::spawn(async move {
                if let Err(e) = task.await {
                    tracing::warn!(error = %e, "alert webhook failed");
                }
            });
        }
    }

    /// The webhook POST for `a`, if a webhook is configured (the caller awaits or spawns it).
    pub fn webhook(
        &self,
        a: &Alert,
    ) -> Option<impl std::future::Future<Output = Result<(), AlertError>> + Send + 'static> {
        let http = self.http.clone()?;
        let url = self.cfg.webhook_url.trim().to_string();
        let body = serde_json::json!({
            "kind": a.kind,
            "title": a.title,
            "body": a.body,
            "at": chrono::Utc::now().to_rfc3339(),
        });
        Some(async move {
            let r = http
                .post(url)
                .json(&body)
                .send()
                .await
                .map_err(|e| AlertError::Webhook(e.without_url().to_string()))?;
            if r.status().is_success() {
                Ok(())
            } else {
                Err(AlertError::Webhook(format!("HTTP {}", r.status())))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn alert(kind: &str) -> Alert {
        Alert {
            kind: kind.into(),
            title: String::new(),
            body: String::new(),
        }
    }

    #[test]
    fn each_kind_repeats_at_most_once_per_interval_and_replays_stay_quiet() {
        let cfg = Config::default_config().alerts;
        let mut a = Alerter::new(&cfg, true).unwrap();
        let t0 = Instant::now();
        let both = || vec![alert("stop:bear"), alert("signal:7")];
        assert_eq!(a.due(both(), t0).len(), 2);
        assert!(a.due(both(), t0 + Duration::from_secs(299)).is_empty());
        assert_eq!(
            a.due(vec![alert("signal:8")], t0).len(),
            1,
            "another signal"
        );
        assert_eq!(a.due(both(), t0 + Duration::from_secs(300)).len(), 2);
        let mut replay = Alerter::new(&cfg, false).unwrap();
        assert!(replay.due(both(), t0).is_empty());
    }

    #[test]
    fn stop_near_is_measured_in_atrs_for_engaged_agents_only() {
        let w = WatchInputs {
            now: 215.0,
            atr: Some(3.0),
            bear_engaged: true,
            bear_stop: Some(216.4),
            bull_stop: Some(214.0),
            ..WatchInputs::default()
        };
        let got = stops_near(&w, 0.5);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].kind, "stop:bear");
        assert_eq!(
            got[0].body,
            "IWM 215.00 is 0.47 ATR from the Bear stop 216.40"
        );
        assert!(stops_near(&w, 0.4).is_empty());
        let bull = WatchInputs { bull_in: true, ..w };
        assert_eq!(stops_near(&bull, 0.5).len(), 2);
    }

    #[test]
    fn a_remote_plain_http_webhook_is_refused() {
        let mut cfg = Config::default_config().alerts;
        cfg.webhook_url = "http://example.com/hook".into();
        assert!(matches!(
            Alerter::new(&cfg, true),
            Err(AlertError::BadWebhook(_))
        ));
    }
}
