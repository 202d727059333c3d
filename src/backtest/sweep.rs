//! `backtest --sweep KEY=V1,V2,… [--sweep …] [--split YYYY-MM-DD]`: the grid of settings run in
//! parallel on every core, one row per setting with the headline figures before and after the
//! split, ordered by the in-sample figure (never by the out-of-sample one: that would be choosing
//! on the years being reported).

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::{Figures, Report};
use crate::config::{AgentsMode, Config, ConfigError, Merged};
use crate::feed::replay::ReplayPlan;

/// One `--sweep KEY=V1,V2,…`: a config key and the values to try.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("--sweep {0}: expected KEY=V1,V2,… (for example bear.stop_atr=2,3,4)")]
    Syntax(String),
    #[error("--sweep {setting}: {source}")]
    Config {
        setting: String,
        source: Box<ConfigError>,
    },
}

impl std::str::FromStr for Axis {
    type Err = SweepError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key, values) = s
            .split_once('=')
            .ok_or_else(|| SweepError::Syntax(s.into()))?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        let key = key.trim();
        if !key.contains('.') || values.iter().any(String::is_empty) {
            return Err(SweepError::Syntax(s.into()));
        }
        Ok(Axis {
            key: key.to_string(),
            values,
        })
    }
}

/// One setting of the grid: its `key=value` pairs and the config they make.
#[derive(Debug, Clone)]
pub struct Setting {
    pub label: String,
    pub config: Config,
}

/// Every combination of the axes over `base` (the user's file, if any), each checked by the
/// config loader itself: a bad key or value is refused, with the key named, before anything runs.
pub fn grid(base: &Merged, axes: &[Axis]) -> Result<Vec<Setting>, SweepError> {
    let mut combos: Vec<Vec<(&str, &str)>> = vec![Vec::new()];
    for a in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                a.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((a.key.as_str(), v.as_str()));
                    c
                })
            })
            .collect();
    }
    // Each setting is a whole config load (layers cloned, TOML merged, every key checked): built
    // on every core, as the runs are, instead of one after another before them (it was most of a
    // sweep's serial start). Collected in grid order, so the first bad setting is the one named.
    let settings: Vec<Result<Setting, SweepError>> = combos
        .into_par_iter()
        .map(|pairs| {
            let label = pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut merged = base.clone();
            let config = merged
                .add_text("--sweep", &overlay(&pairs))
                .and_then(|_| Config::from_merged(&merged))
                .map_err(|source| SweepError::Config {
                    setting: label.clone(),
                    source: Box::new(source),
                })?;
            Ok(Setting { label, config })
        })
        .collect();
    settings.into_iter().collect()
}

/// `bear.stop_atr=3` as TOML (`[bear]` with `stop_atr = 3`); a value that is not TOML (TWM) is
/// a string. Keys of one section share its table.
fn overlay(pairs: &[(&str, &str)]) -> String {
    let mut root = toml::Table::new();
    for (key, value) in pairs {
        // Every key is `section.key` (the parser refuses others).
        let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
        let path = [section];
        let value = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        let section = root
            .entry(path.join("."))
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = section {
            t.insert(name.to_string(), value);
        }
    }
    root.to_string()
}

/// The headline figures of one run: the whole account's (book + agents in hedge mode, the
/// agents' account in book mode) and the agents' capture of the declines.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Headline {
    #[serde(flatten)]
    pub account: Figures,
    pub mean_capture: Option<f64>,
    pub whipsaw_per_year: f64,
}

impl From<&Report> for Headline {
    fn from(r: &Report) -> Self {
        let st = &r.study;
        let account = match r.mode {
            AgentsMode::Hedge => st.overlay.unwrap_or(st.agents.figures),
            AgentsMode::Book => st.agents.figures,
        };
        Headline {
            account,
            mean_capture: st.mean_capture,
            whipsaw_per_year: st.agents.whipsaw_per_year,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub setting: String,
    /// Before the split (the whole run without one).
    pub in_sample: Headline,
    /// From the split on.
    pub out_of_sample: Option<Headline>,
}

/// Run every setting, in sample (`from` → the split) and out of sample (the split → `to`), in
/// parallel; `plan(from)` gives the bars from `from` on (earlier ones warm the indicators up).
/// Ordered by the in-sample Sharpe, best first.
pub fn run(
    settings: Vec<Setting>,
    plan: impl Fn(Option<DateTime<Utc>>) -> ReplayPlan + Sync,
    from: Option<DateTime<Utc>>,
    split: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Vec<Row> {
    let in_end = split.map(|d| d - chrono::Duration::seconds(1)).or(to);
    // Each backtest is a task of its own, the two halves of a split setting too: with whole
    // settings, a thread that finished its share sat idle while the other ran a last setting's
    // two halves. One task at a time: rayon otherwise runs a grid's leaves in runs of several,
    // which a thread that finished its own could not take from another's.
    let halves: &[bool] = if split.is_some() {
        &[false, true]
    } else {
        &[false]
    };
    let runs: Vec<(usize, bool)> = (0..settings.len())
        .flat_map(|i| halves.iter().map(move |&out| (i, out)))
        .collect();
    let headlines: Vec<Headline> = runs
        .into_par_iter()
        .with_max_len(1)
        .map(|(i, out)| {
            let (a, b) = if out { (split, to) } else { (from, in_end) };
            let cfg = settings[i].config.clone();
            Headline::from(&super::run(cfg, plan(a), b, false, |_| {}, |_| {}))
        })
        .collect();
    let mut rows: Vec<Row> = settings
        .into_iter()
        .zip(headlines.chunks_exact(halves.len()))
        .map(|(s, h)| Row {
            setting: s.label,
            in_sample: h[0],
            out_of_sample: h.get(1).copied(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.in_sample
            .account
            .sharpe
            .total_cmp(&a.in_sample.account.sharpe)
    });
    rows
}

/// The table a trader reads.
pub fn render(rows: &[Row], split: bool) -> String {
    let head = |h: &Headline| {
        format!(
            "{:>8.1} %{:>8.1} %{:>7.2}{:>9}",
            h.account.cagr * 100.0,
            h.account.max_drawdown * 100.0,
            h.account.sharpe,
            h.mean_capture
                .map_or("—".into(), |c| format!("{:.0} %", c * 100.0))
        )
    };
    let width = rows
        .iter()
        .map(|r| r.setting.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut s = format!(
        "{:<width$}  {:>10}{:>10}{:>7}{:>9}",
        "setting", "CAGR", "max DD", "Sharpe", "capture"
    );
    if split {
        s.push_str(&format!(
            "   │{:>10}{:>10}{:>7}{:>9}",
            "CAGR", "max DD", "Sharpe", "capture"
        ));
    }
    s.push_str(if split {
        "\n(ordered by the in-sample Sharpe: before the split │ after it)\n"
    } else {
        "\n(ordered by Sharpe)\n"
    });
    for r in rows {
        s.push_str(&format!("{:<width$}  {}", r.setting, head(&r.in_sample)));
        if let Some(o) = &r.out_of_sample {
            s.push_str(&format!("   │{}", head(o)));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(s: &str) -> Axis {
        s.parse().unwrap()
    }

    #[test]
    fn a_grid_is_every_combination_each_checked_by_the_config_loader() {
        let g = grid(
            &crate::config::merge(&[]).unwrap(),
            &[axis("bear.stop_atr=2,3,4"), axis("bear.vehicle=TWM,SRTY")],
        )
        .unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[1].label, "bear.stop_atr=2 bear.vehicle=SRTY");
        assert_eq!(g[1].config.bear.stop_atr, 2.0);
        assert_eq!(g[1].config.bear.vehicle, crate::model::Symbol::Srty);
        assert_eq!(g[5].config.bear.stop_atr, 4.0);
        // two keys of one section
        let g = grid(
            &crate::config::merge(&[]).unwrap(),
            &[axis("bear.stop_atr=2"), axis("bear.target_atr=0,6")],
        )
        .unwrap();
        assert_eq!(
            (g[1].config.bear.stop_atr, g[1].config.bear.target_atr),
            (2.0, 6.0)
        );
    }

    #[test]
    fn bad_keys_and_values_are_refused_with_the_key_named() {
        let err = grid(
            &crate::config::merge(&[]).unwrap(),
            &[axis("bear.stop_atrr=2,3")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bear.stop_atrr"), "{err}");
        let err = grid(
            &crate::config::merge(&[]).unwrap(),
            &[axis("bear.stop_atr=2,-1")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bear.stop_atr") && err.contains("-1"), "{err}");
        let err = grid(
            &crate::config::merge(&[]).unwrap(),
            &[axis("bear.vehicle=QQQ")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bear.vehicle=QQQ"), "{err}");
        for bad in ["stop_atr=2", "bear.stop_atr", "bear.stop_atr=2,,3"] {
            assert!(bad.parse::<Axis>().is_err(), "{bad}");
        }
    }

    #[test]
    fn of_several_bad_settings_the_first_in_grid_order_is_named() {
        // The settings are built in parallel; the error must not depend on which finished first.
        let values: Vec<String> = (0..64).map(|i| format!("-{i}")).collect();
        for _ in 0..20 {
            let err = grid(
                &crate::config::merge(&[]).unwrap(),
                &[axis(&format!("bear.stop_atr=2,{}", values.join(",")))],
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("bear.stop_atr=-0"), "{err}");
        }
    }
}
