//! Every number the config holds, with the range it must lie in: one table, checked on the merged
//! TOML before it is turned into structs, so an error names the key, the file that set it and
//! what is allowed. Periods and lengths have a ceiling because the engine allocates windows of
//! that size (2^63−1 bars was a "capacity overflow" panic), fractions of equity because 1e308
//! reads back as 0 dollars, and nothing accepts NaN or infinity.

use rust_decimal::Decimal;

/// What a key accepts. Bounds are inclusive unless `open` says otherwise.
#[derive(Debug, Clone, Copy)]
pub enum Range {
    /// A whole number.
    Int(i64, i64),
    /// A finite number; `open`: the lower bound itself is refused.
    Num { lo: f64, hi: f64, open: bool },
    /// Dollars (or a fraction) written as a string, read exactly.
    Dec { lo: f64, hi: f64, open: bool },
}

use Range::{Dec, Int, Num};

const fn num(lo: f64, hi: f64) -> Range {
    Num {
        lo,
        hi,
        open: false,
    }
}
const fn above(lo: f64, hi: f64) -> Range {
    Num { lo, hi, open: true }
}
const fn dollars(hi: f64) -> Range {
    Dec {
        lo: 0.0,
        hi,
        open: true,
    }
}

/// Bars of a window or a lookback: the engine allocates them.
const BARS: Range = Int(1, 100_000);
/// A count that may be 0 (off).
const BARS0: Range = Int(0, 100_000);
const MS: Range = Int(1, 3_600_000);
const SECS: Range = Int(1, 604_800);
const DAYS: Range = Int(1, 3_650);
const ATR: Range = num(0.0, 100.0);
const ATR_POS: Range = above(0.0, 100.0);
const MONEY: f64 = 1e12;

/// Arrays (`levels.support`) are checked element by element.
pub const RANGES: &[(&str, Range)] = &[
    ("replay.speed", num(0.0, 1e6)),
    ("replay.speed_step", above(1.0, 100.0)),
    ("paper.starting_cash", dollars(MONEY)),
    ("paper.slippage_bps", num(0.0, 9_999.0)),
    (
        "paper.commission_per_share",
        Dec {
            lo: 0.0,
            hi: 1_000.0,
            open: false,
        },
    ),
    (
        "paper.commission_min",
        Dec {
            lo: 0.0,
            hi: 1e6,
            open: false,
        },
    ),
    // At 100 % a sell's commission could eat all its proceeds and more.
    ("paper.commission_max_pct", dollars(0.999_999)),
    ("paper.buying_power", num(1.0, 4.0)),
    ("paper.margin_rate", num(0.0, 0.999_999)),
    ("book.value", dollars(MONEY)),
    ("indicators.rsi_period", BARS),
    ("indicators.atr_period", BARS),
    ("indicators.sma_fast", BARS),
    ("indicators.sma_mid", BARS),
    ("indicators.sma_slow", BARS),
    ("indicators.ema_period", BARS),
    ("indicators.volume_sma", BARS),
    ("pivot.k", Int(1, 1_000)),
    ("levels.support", above(0.0, 1e6)),
    ("levels.resistance", above(0.0, 1e6)),
    ("levels.profile_bars", BARS),
    ("levels.bucket_atr", ATR_POS),
    ("levels.cluster_atr", ATR_POS),
    ("levels.active_within_atr", ATR_POS),
    ("levels.max_pivots", BARS),
    ("levels.configured_strength", Int(0, 1_000)),
    ("levels.poc_strength", Int(0, 1_000)),
    ("bear.break_atr", ATR),
    ("bear.confirm_closes", Int(1, 1_000)),
    ("bear.break_memory_bars", BARS0),
    ("bear.max_tiers", Int(1, 100)),
    ("bear.tier_gap_bars", BARS0),
    ("bear.tier_extension_atr", ATR),
    ("bear.tier_rebound_atr", ATR),
    ("bear.beta_per_tier", above(0.0, 1.0)),
    // The Bear always has a stop.
    ("bear.stop_atr", ATR_POS),
    ("bear.target_atr", ATR),
    ("bear.cooldown_bars", BARS0),
    ("bear.cooldown_atr", ATR),
    ("bull.hedge_fraction", num(0.0, 1.0)),
    ("bull.oversold_rsi", num(0.0, 100.0)),
    ("bull.hedge_rsi_bars", BARS),
    ("bull.hedge_stop_atr", ATR_POS),
    ("bull.hedge_time_bars", BARS),
    ("bull.evidence_bars", BARS),
    ("bull.dryup_low_bars", BARS),
    ("bull.dryup_ratio", num(0.0, 100.0)),
    ("bull.reclaim_memory_bars", BARS0),
    ("bull.reclaim_atr", ATR),
    ("bull.reclaim_min_evidence", Int(0, 100)),
    ("bull.beta", above(0.0, 1.0)),
    ("bull.trend_rise_bars", BARS),
    ("bull.trend_high_bars", BARS),
    ("bull.stop_atr", ATR),
    ("risk.scale_base", num(-100.0, 100.0)),
    ("risk.scale_per_m", num(-100.0, 100.0)),
    ("risk.scale_min", num(0.0, 100.0)),
    ("risk.scale_max", num(0.0, 100.0)),
    ("risk.vol_lookback", BARS),
    ("risk.vol_min", num(0.0, 100.0)),
    ("risk.vol_max", num(0.0, 100.0)),
    ("risk.max_beta_exposure", above(0.0, 10.0)),
    ("risk.max_position", above(0.0, 10.0)),
    ("risk.max_vehicle_fraction", above(0.0, 1.0)),
    ("risk.max_order_notional", dollars(MONEY)),
    ("risk.max_orders_per_minute", Int(1, 10_000)),
    ("risk.daily_loss_limit", above(0.0, 1.0)),
    ("risk.stale_after_secs", SECS),
    ("signals.timeout_bars", BARS),
    ("signals.snooze_bars", BARS),
    ("signals.decide_before_close_minutes", Int(0, 390)),
    ("ui.frame_ms", Int(1, 10_000)),
    ("ui.chart_bars", Int(10, 100_000)),
    ("history.bars", Int(1, 10_000_000)),
    ("history.signals", Int(1, 10_000_000)),
    ("history.orders", Int(1, 10_000_000)),
    ("history.tracks", Int(1, 10_000_000)),
    ("alpaca.backfill_bars", BARS),
    ("alpaca.poll_interval_ms", Int(0, 86_400_000)),
    ("alpaca.timeout_ms", MS),
    ("alpaca.max_requests_per_minute", Int(1, 10_000)),
    ("alpaca.stale_after_bars", Int(1, 10_000)),
    ("alpaca.page_limit", Int(1, 10_000)),
    ("alpaca.order_poll_ms", Int(100, 86_400_000)),
    ("alpaca.account_poll_ms", Int(100, 86_400_000)),
    ("alpaca.max_retries", Int(1, 100)),
    ("alpaca.retry_base_ms", MS),
    ("finra.poll_interval_secs", SECS),
    ("finra.stale_after_days", DAYS),
    ("finra.page_limit", Int(1, 5_000)),
    ("finra.history_days", DAYS),
    ("finra.regsho_days", DAYS),
    ("finra.regsho_stale_after_days", DAYS),
    ("finra.timeout_ms", MS),
    ("cftc.poll_interval_secs", SECS),
    ("cftc.stale_after_days", DAYS),
    ("cftc.history_weeks", Int(1, 520)),
    ("cftc.timeout_ms", MS),
    ("stream.step_timeout_ms", MS),
    ("stream.reconnect_base_ms", MS),
    ("stream.reconnect_max_ms", MS),
    ("stream.limit_backoff_secs", SECS),
    ("stream.mute_secs", SECS),
    ("stream.fallback_after", Int(1, 1_000)),
    ("stream.fallback_retry_secs", SECS),
    ("stream.clock_poll_secs", SECS),
    ("alerts.min_interval_secs", Int(0, 604_800)),
    ("alerts.stop_near_atr", ATR),
];

impl Range {
    /// What the error says is allowed.
    pub fn describe(self) -> String {
        let span = |lo: f64, hi: f64, open: bool| {
            if open {
                format!("above {} and at most {}", short(lo), short(hi))
            } else {
                format!("from {} to {}", short(lo), short(hi))
            }
        };
        match self {
            Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
            Num { lo, hi, open } => format!("a number {}", span(lo, hi, open)),
            Dec { lo, hi, open } => {
                format!("a number in quotes (\"1000.50\") {}", span(lo, hi, open))
            }
        }
    }

    /// Whether `v` lies in the range; `None` when `v` is not this kind of value at all (serde
    /// then says what was expected: a string where a number goes, a date, a custom value).
    pub fn admits(self, v: &toml::Value) -> Option<bool> {
        let within = |x: f64, lo: f64, hi: f64, open: bool| {
            x.is_finite() && x <= hi && if open { x > lo } else { x >= lo }
        };
        match (self, v) {
            (Int(lo, hi), toml::Value::Integer(i)) => Some((lo..=hi).contains(i)),
            (Int(..), toml::Value::Float(_)) => Some(false),
            (Num { lo, hi, open }, toml::Value::Integer(i)) => {
                Some(within(*i as f64, lo, hi, open))
            }
            (Num { lo, hi, open }, toml::Value::Float(f)) => Some(within(*f, lo, hi, open)),
            (Dec { lo, hi, open }, toml::Value::String(s)) => {
                let d: Decimal = s.trim().parse().ok()?;
                let x = f64::try_from(d).ok()?;
                Some(within(x, lo, hi, open))
            }
            // A number where dollars go: refused by serde with the key named.
            (Dec { .. }, toml::Value::Integer(_) | toml::Value::Float(_)) => Some(false),
            _ => None,
        }
    }
}

/// The first key of `merged` out of its range: `(key, the value as written, what is allowed)`.
pub fn first_out_of_range(merged: &toml::Value) -> Option<(&'static str, String, String)> {
    for (key, range) in RANGES {
        let Some(v) = lookup(merged, key) else {
            continue;
        };
        let items: Vec<&toml::Value> = match v {
            toml::Value::Array(a) => a.iter().collect(),
            one => vec![one],
        };
        for item in items {
            if range.admits(item) == Some(false) {
                let written = match item {
                    toml::Value::Float(f) => short(*f),
                    other => other.to_string(),
                };
                return Some((key, written, range.describe()));
            }
        }
    }
    None
}

/// A number as a person writes it: 1e308, not 309 digits.
fn short(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// The value at a dotted key.
pub fn lookup<'a>(v: &'a toml::Value, key: &str) -> Option<&'a toml::Value> {
    key.split('.').try_fold(v, |v, k| v.get(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every number in the defaults has a range (a key added without one fails here), and every
    /// range names a key that exists.
    #[test]
    fn every_numeric_default_has_a_range_and_lies_in_it() {
        let defaults: toml::Value = super::super::DEFAULT_TOML.parse().unwrap();
        let mut numeric = Vec::new();
        walk(&defaults, "", &mut numeric);
        for key in &numeric {
            assert!(
                RANGES.iter().any(|(k, _)| k == key),
                "`{key}` has no range in config/ranges.rs"
            );
        }
        for (key, _) in RANGES {
            assert!(lookup(&defaults, key).is_some(), "`{key}` is not a key");
        }
        assert_eq!(first_out_of_range(&defaults), None);
    }

    fn walk(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
        if let toml::Value::Table(t) = v {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(v, &key, out);
            }
        } else if v.is_integer() || v.is_float() {
            out.push(prefix.to_string());
        } else if let Some(s) = v.as_str() {
            // Dollars are strings holding a number.
            if s.parse::<Decimal>().is_ok()
                && !prefix.contains("code")
                && !prefix.starts_with("keys.")
            {
                out.push(prefix.to_string());
            }
        }
    }
}
