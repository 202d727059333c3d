//! Configuration: the embedded `config/default.toml`, overlaid by a user file, checked key by key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Symbol;

mod keys;
mod layers;
mod live;
pub mod ranges;
mod sections;
pub mod show;

pub use keys::{KeySpec, KeysConfig};
pub use layers::{default_path, file_in_effect, Merged, ENV_PREFIX};

pub use live::{AlertsConfig, StreamConfig};
pub use sections::*;

/// The defaults, compiled in so the binary runs with no files beside it.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not valid TOML: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: unknown key `{key}` (see config/default.toml for every accepted key)")]
    UnknownKey { file: String, key: String },
    #[error("{file}: key `{key}`: expected {expected}, found {found}")]
    WrongType {
        file: String,
        key: String,
        expected: String,
        found: String,
    },
    #[error("{file}: key `{key}` = {value}: must be {allowed}")]
    OutOfRange {
        file: String,
        key: String,
        value: String,
        allowed: String,
    },
    #[error("{file}: key `{key}`: {message}")]
    BadValue {
        file: String,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub replay: ReplayConfig,
    pub paper: PaperConfig,
    pub indicators: IndicatorConfig,
    pub pivot: PivotConfig,
    pub levels: LevelsConfig,
    pub bear: BearConfig,
    pub bull: BullConfig,
    pub agents: AgentsConfig,
    pub book: BookConfig,
    pub risk: RiskConfig,
    pub signals: SignalsConfig,
    pub ui: UiConfig,
    pub history: HistoryConfig,
    pub keys: KeysConfig,
    pub alpaca: AlpacaConfig,
    pub finra: FinraConfig,
    pub cftc: CftcConfig,
    pub stream: StreamConfig,
    pub alerts: AlertsConfig,
}

impl Config {
    /// The trader's book symbol when its bars must come with the thesis three (a QQQ or SPY book
    /// in hedge mode); IWM's come anyway.
    pub fn extra_book_symbol(&self) -> Option<Symbol> {
        (self.agents.mode == AgentsMode::Hedge && self.book.symbol != Symbol::Iwm)
            .then_some(self.book.symbol)
    }

    /// The symbols a feed brings, in the order files are given: IWM, TWM, SRTY, then the book's.
    pub fn feed_symbols(&self) -> Vec<Symbol> {
        let mut out = Symbol::ALL.to_vec();
        out.extend(self.extra_book_symbol());
        out
    }

    /// What the built-in simulator cannot do: hedge "the venue's positions" (it has none but
    /// those the session buys).
    pub fn check_simulator(&self) -> Result<(), String> {
        if self.agents.mode == AgentsMode::Hedge && self.book.value == BookValue::Venue {
            return Err(
                "book.value = \"venue\" hedges the positions an Alpaca account holds: the \
                 simulator holds none of its own. Give the book's value in dollars \
                 (book.value = \"100000\"), or trade with --feed alpaca"
                    .into(),
            );
        }
        Ok(())
    }

    /// The symbols a replay of the embedded data and the Alpaca feeds bring: the feed's, and
    /// QQQ for the positioning pane's QQQ/IWM ratio (backtests and bar files leave it out).
    pub fn live_symbols(&self) -> Vec<Symbol> {
        let mut out = self.feed_symbols();
        if !out.contains(&Symbol::Qqq) {
            out.push(Symbol::Qqq);
        }
        out
    }

    /// The embedded defaults alone.
    pub fn default_config() -> Config {
        Self::from_layers(&[]).expect("embedded config/default.toml is valid")
    }

    /// Defaults overlaid by the file at `path`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut layers = Vec::new();
        if let Some(p) = path {
            layers.push((p.display().to_string(), read(p)?));
        }
        Self::from_layers(&layers)
    }

    /// Defaults overlaid by each `(file name, toml text)` in order.
    pub fn from_layers(layers: &[(String, String)]) -> Result<Config, ConfigError> {
        Self::from_merged(&merge(layers)?)
    }

    /// Checked key by key against its range (the file that set a key is named), then read into
    /// the sections with the path of any value serde refuses (`bear.vehicle`), then the
    /// settings that must agree with each other.
    pub fn from_merged(merged: &Merged) -> Result<Config, ConfigError> {
        if let Some((key, value, allowed)) = ranges::first_out_of_range(&merged.value) {
            return Err(ConfigError::OutOfRange {
                file: merged.origin(key).to_string(),
                key: key.to_string(),
                value,
                allowed,
            });
        }
        let cfg: Config = serde_path_to_error::deserialize(merged.value.clone()).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                let key = e.path().to_string();
                ConfigError::BadValue {
                    file: merged.origin(&key).to_string(),
                    message: e.into_inner().message().to_string(),
                    key,
                }
            },
        )?;
        cfg.validate().map_err(|(keys, message)| {
            // Of two keys that disagree, the one a layer set is to blame, not the default.
            let key = keys
                .iter()
                .find(|k| merged.origin(k) != layers::DEFAULTS)
                .unwrap_or(&keys[0]);
            ConfigError::BadValue {
                file: merged.origin(key).to_string(),
                key: key.to_string(),
                message,
            }
        })?;
        Ok(cfg)
    }

    /// Settings that must agree with each other, and names that must be known: the key to
    /// blame and why. Ranges are checked before (config/ranges.rs).
    fn validate(&self) -> Result<(), (Vec<String>, String)> {
        let one = |k: &str, m: String| Err((vec![k.to_string()], m));
        if let Err((field, message)) = self.keys.check() {
            return one(&format!("keys.{field}"), message);
        }
        let theme = self.ui.theme.as_str();
        if !THEMES.contains(&theme) {
            return one("ui.theme", format!("`{theme}` is not a theme: {THEMES:?}"));
        }
        for (name, c) in self.ui.colors.all() {
            if !c.is_empty() && c.parse::<ratatui::style::Color>().is_err() {
                let message = format!(
                    "`{c}` is not a colour: a name (red, lightblue, darkgray), #rrggbb or 0-255"
                );
                return one(&format!("ui.colors.{name}"), message);
            }
        }
        let ind = &self.indicators;
        if ind.sma_fast >= ind.sma_slow {
            return Err((
                vec!["indicators.sma_fast".into(), "indicators.sma_slow".into()],
                format!(
                    "indicators.sma_fast ({}) must be below indicators.sma_slow ({})",
                    ind.sma_fast, ind.sma_slow
                ),
            ));
        }
        let pairs = [
            (
                "risk.scale_min",
                self.risk.scale_min,
                "risk.scale_max",
                self.risk.scale_max,
            ),
            (
                "risk.vol_min",
                self.risk.vol_min,
                "risk.vol_max",
                self.risk.vol_max,
            ),
            (
                "stream.reconnect_base_ms",
                self.stream.reconnect_base_ms as f64,
                "stream.reconnect_max_ms",
                self.stream.reconnect_max_ms as f64,
            ),
        ];
        for (lo_key, lo, hi_key, hi) in pairs {
            if lo > hi {
                let message = format!("{lo_key} ({lo}) must not exceed {hi_key} ({hi})");
                return Err((vec![lo_key.into(), hi_key.into()], message));
            }
        }
        let a = &self.alpaca;
        if let Err(e) = a.timeframe.parse::<crate::model::Timeframe>() {
            return one("alpaca.timeframe", e);
        }
        let feed = a.data_feed.trim().to_ascii_lowercase();
        if !DATA_FEEDS.contains(&feed.as_str()) {
            return one(
                "alpaca.data_feed",
                format!("`{feed}`: expected one of {DATA_FEEDS:?}"),
            );
        }
        let adj = a.adjustment.trim().to_ascii_lowercase();
        if adj.is_empty() || !adj.split(',').all(|x| ADJUSTMENTS.contains(&x)) {
            return one(
                "alpaca.adjustment",
                format!("`{adj}`: expected {ADJUSTMENTS:?} (comma-combinable)"),
            );
        }
        if !matches!(self.bear.vehicle, Symbol::Twm | Symbol::Srty) {
            let message = format!("`{}`: must be TWM or SRTY", self.bear.vehicle);
            return one("bear.vehicle", message);
        }
        if !self.book.symbol.can_be_book() {
            let message = format!("`{}`: must be IWM, QQQ or SPY", self.book.symbol);
            return one("book.symbol", message);
        }
        Ok(())
    }
}

/// The defaults overlaid by each `(file name, toml text)` in order.
pub fn merge(layers: &[(String, String)]) -> Result<Merged, ConfigError> {
    let mut merged = Merged::defaults()?;
    for (file, text) in layers {
        merged.add_text(file, text)?;
    }
    Ok(merged)
}

/// A config file's text, or why it cannot be read.
pub fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Result<Config, ConfigError> {
        Config::from_layers(&[("user.toml".to_string(), text.to_string())])
    }

    #[test]
    fn defaults_load_and_match_the_spec() {
        let c = Config::default_config();
        assert_eq!(c.indicators.rsi_period, 14);
        assert_eq!(c.bear.max_tiers, 3);
        assert_eq!(c.signals.mode, Mode::Manual);
        assert_eq!(c.bear.vehicle, Symbol::Twm);
    }

    #[test]
    fn unknown_key_is_named_with_its_file() {
        let err = layer("[bear]\nmax_teirs = 2\n").unwrap_err().to_string();
        assert!(
            err.contains("user.toml") && err.contains("bear.max_teirs"),
            "{err}"
        );
        let err = layer("[beer]\nx = 1\n").unwrap_err().to_string();
        assert!(err.contains("`beer`"), "{err}");
    }

    #[test]
    fn wrong_type_and_bad_value_are_named() {
        let err = layer("[bear]\nmax_tiers = \"three\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bear.max_tiers") && err.contains("user.toml"),
            "{err}"
        );
        let err = layer("[bear]\nvehicle = \"QQQ\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("user.toml"), "{err}");
        let err = layer("[replay]\nspeed = -1\n").unwrap_err().to_string();
        assert!(err.contains("replay.speed"), "{err}");
        for bad in ["0", "1", "1.5", "-0.01"] {
            let err = layer(&format!("[paper]\ncommission_max_pct = \"{bad}\"\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("paper.commission_max_pct"), "{bad}: {err}");
        }
        let err = layer("[paper]\nslippage_bps = -1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("paper.slippage_bps"), "{err}");
    }

    #[test]
    fn overlay_changes_only_what_it_names() {
        let c = layer("[bear]\nvehicle = \"SRTY\"\n[risk]\nmax_position = 0.5\n").unwrap();
        assert_eq!(c.bear.vehicle, Symbol::Srty);
        assert_eq!(c.risk.max_position, 0.5);
        assert_eq!(c.bear.max_tiers, 3);
    }
}
