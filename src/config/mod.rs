//! Configuration: the embedded `config/default.toml`, overlaid by a user file, checked key by key.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::Symbol;

mod live;
mod sections;

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
    #[error("{file}: bad value: {message}")]
    BadValue { file: String, message: String },
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

    /// The embedded defaults alone.
    pub fn default_config() -> Config {
        Self::from_layers(&[]).expect("embedded config/default.toml is valid")
    }

    /// Defaults overlaid by the file at `path`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Self::from_layers(&[]),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                Self::from_layers(&[(p.display().to_string(), text)])
            }
        }
    }

    /// Defaults overlaid by each `(file name, toml text)` in order.
    pub fn from_layers(layers: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut merged: toml::Value =
            DEFAULT_TOML
                .parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    file: "config/default.toml".into(),
                    message: e.to_string(),
                })?;
        let mut last_file = "config/default.toml".to_string();
        for (file, text) in layers {
            let user: toml::Value =
                text.parse()
                    .map_err(|e: toml::de::Error| ConfigError::Syntax {
                        file: file.clone(),
                        message: e.message().to_string(),
                    })?;
            overlay(&mut merged, user, "", file)?;
            last_file = file.clone();
        }
        let cfg: Config =
            merged
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::BadValue {
                    file: last_file.clone(),
                    message: e.message().to_string(),
                })?;
        cfg.validate().map_err(|message| ConfigError::BadValue {
            file: last_file,
            message,
        })?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), String> {
        let positive = [
            ("indicators.rsi_period", self.indicators.rsi_period),
            ("indicators.atr_period", self.indicators.atr_period),
            ("indicators.sma_fast", self.indicators.sma_fast),
            ("indicators.sma_mid", self.indicators.sma_mid),
            ("indicators.sma_slow", self.indicators.sma_slow),
            ("indicators.ema_period", self.indicators.ema_period),
            ("indicators.volume_sma", self.indicators.volume_sma),
            ("pivot.k", self.pivot.k),
            ("levels.profile_bars", self.levels.profile_bars),
            ("bear.confirm_closes", self.bear.confirm_closes),
            ("bear.max_tiers", self.bear.max_tiers),
            ("history.bars", self.history.bars),
            ("history.signals", self.history.signals),
            ("history.orders", self.history.orders),
            ("history.tracks", self.history.tracks),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err(format!("key `{key}` must be at least 1"));
            }
        }
        if !(self.replay.speed >= 0.0 && self.replay.speed.is_finite()) {
            return Err(
                "key `replay.speed` must be 0 (as fast as possible) or a positive number".into(),
            );
        }
        let fractions = [
            ("bear.beta_per_tier", self.bear.beta_per_tier, 0.0, 1.0),
            (
                "risk.max_vehicle_fraction",
                self.risk.max_vehicle_fraction,
                0.0,
                1.0,
            ),
            ("bull.beta", self.bull.beta, 0.0, 1.0),
        ];
        for (key, v, lo, hi) in fractions {
            if !(v > lo && v <= hi) {
                return Err(format!("key `{key}` must be above {lo} and at most {hi}"));
            }
        }
        let non_negative = [
            ("bear.stop_atr", self.bear.stop_atr),
            ("bear.target_atr", self.bear.target_atr),
            ("bear.cooldown_atr", self.bear.cooldown_atr),
            ("bull.stop_atr", self.bull.stop_atr),
        ];
        for (key, v) in non_negative {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("key `{key}` must be 0 or a positive number"));
            }
        }
        if self.bear.stop_atr <= 0.0 {
            return Err("key `bear.stop_atr` must be positive: the Bear always has a stop".into());
        }
        if !(self.paper.buying_power >= 1.0 && self.paper.buying_power <= 4.0) {
            return Err("key `paper.buying_power` must be from 1 (cash account) to 4".into());
        }
        if !(self.paper.margin_rate >= 0.0 && self.paper.margin_rate < 1.0) {
            return Err("key `paper.margin_rate` must be from 0 to under 1 (a year)".into());
        }
        if matches!(self.book.value, BookValue::Dollars(v) if v <= Decimal::ZERO) {
            return Err(
                "key `book.value` must be a positive number of dollars, or \"venue\"".into(),
            );
        }
        if !self.book.symbol.can_be_book() {
            return Err("key `book.symbol` must be IWM, QQQ or SPY".into());
        }
        if !matches!(self.bear.vehicle, Symbol::Twm | Symbol::Srty) {
            return Err("key `bear.vehicle` must be TWM or SRTY".into());
        }
        if self.paper.starting_cash <= Decimal::ZERO {
            return Err("key `paper.starting_cash` must be positive".into());
        }
        if !(self.paper.slippage_bps >= 0.0 && self.paper.slippage_bps < 10_000.0) {
            return Err("key `paper.slippage_bps` must be from 0 to under 10000".into());
        }
        if self.paper.commission_per_share < Decimal::ZERO
            || self.paper.commission_min < Decimal::ZERO
        {
            return Err(
                "keys `paper.commission_per_share` and `paper.commission_min` must not be negative"
                    .into(),
            );
        }
        // At 100 % a sell's commission could eat all its proceeds and more.
        let max_pct = self.paper.commission_max_pct;
        if !(max_pct > Decimal::ZERO && max_pct < Decimal::ONE) {
            return Err("key `paper.commission_max_pct` must be between 0 and 1".into());
        }
        Ok(())
    }
}

/// Merge `user` into `base`, refusing keys `base` does not have and values of another type.
fn overlay(
    base: &mut toml::Value,
    user: toml::Value,
    prefix: &str,
    file: &str,
) -> Result<(), ConfigError> {
    let toml::Value::Table(user) = user else {
        return Ok(());
    };
    let toml::Value::Table(base) = base else {
        return Ok(());
    };
    for (k, v) in user {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let Some(slot) = base.get_mut(&k) else {
            return Err(ConfigError::UnknownKey {
                file: file.to_string(),
                key,
            });
        };
        match (slot.is_table(), v.is_table()) {
            (true, true) => overlay(slot, v, &key, file)?,
            _ if same_kind(slot, &v) => *slot = v,
            _ => {
                return Err(ConfigError::WrongType {
                    file: file.to_string(),
                    key,
                    expected: slot.type_str().to_string(),
                    found: v.type_str().to_string(),
                })
            }
        }
    }
    Ok(())
}

fn same_kind(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value::*;
    matches!((a, b), (Integer(_) | Float(_), Integer(_) | Float(_)))
        || std::mem::discriminant(a) == std::mem::discriminant(b)
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
