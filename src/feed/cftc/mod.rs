//! CFTC Traders in Financial Futures (TFF) from the Socrata API: leveraged-funds and asset-manager
//! positions in E-mini Russell 2000 (239742) and E-mini Nasdaq-100 (209742).
//!
//! Socrata sends every number as a string and omits null keys. Rows are matched on
//! `cftc_contract_market_code`, never on the market name (names changed over the years).

pub mod client;
pub mod gauge;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::feed::finra::{pick_base, Parsed};
use crate::model::{FuturesPositioning, TffReport};

pub use client::CftcClient;
pub use gauge::{gap_gauge, notional, range_52w, range_52w_of, GapGauge, Range52};

pub const SOURCE: &str = "cftc";
/// E-mini Russell 2000: $50 × index.
pub const RUSSELL_MULTIPLIER: f64 = 50.0;
/// E-mini Nasdaq-100: $20 × index.
pub const NASDAQ_MULTIPLIER: f64 = 20.0;
/// Market labels used in [`FuturesPositioning::market`].
pub const RTY: &str = "RTY";
pub const NQ: &str = "NQ";

#[derive(Debug, thiserror::Error)]
pub enum CftcError {
    #[error("CFTC response is not JSON: {0}")]
    Json(String),
    #[error("CFTC response is not a JSON array of rows")]
    NotArray,
    #[error("CFTC request to {url} failed: {message}")]
    Http { url: String, message: String },
    #[error("CFTC {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

/// The Socrata base: `CFTC_API_URL` from `env` wins over the config. A trailing `/` is dropped.
pub fn cftc_base(cfg: &Config, env: impl Fn(&str) -> Option<String>) -> String {
    pick_base(env("CFTC_API_URL"), &cfg.cftc.api_url)
}

/// The (contract code, market label) pairs followed, from the config.
pub fn markets(cfg: &Config) -> Vec<(String, String)> {
    vec![
        (cfg.cftc.russell_code.clone(), RTY.to_string()),
        (cfg.cftc.nasdaq_code.clone(), NQ.to_string()),
    ]
}

/// Parse a Socrata TFF response. Rows whose contract code is not in `markets` are ignored;
/// rows missing a position field are skipped and named. Output: one row per (code, date), by date.
pub fn parse_tff_json(
    body: &[u8],
    markets: &[(String, String)],
) -> Result<Parsed<FuturesPositioning>, CftcError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| CftcError::Json(e.to_string()))?;
    let Value::Array(items) = v else {
        return Err(CftcError::NotArray);
    };
    let mut out = Parsed::default();
    let mut by_key = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            out.skipped.push(format!("row {i}: not an object"));
            continue;
        };
        let code = text(obj, "cftc_contract_market_code").unwrap_or("");
        let Some((_, market)) = markets.iter().find(|(c, _)| c == code) else {
            continue;
        };
        match row(obj, code, market) {
            Ok(p) => {
                by_key.insert((p.report_date, p.contract_code.clone()), p);
            }
            Err(why) => out.skipped.push(format!("row {i} ({code}): {why}")),
        }
    }
    out.rows = by_key.into_values().collect();
    Ok(out)
}

fn row(obj: &Map<String, Value>, code: &str, market: &str) -> Result<FuturesPositioning, String> {
    let date = text(obj, "report_date_as_yyyy_mm_dd").ok_or("no report_date_as_yyyy_mm_dd")?;
    let report_date = date
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| format!("bad report date {date:?}"))?;
    let need = |k: &str| int(obj, k).ok_or_else(|| format!("no {k}"));
    Ok(FuturesPositioning {
        market: market.to_string(),
        contract_code: code.to_string(),
        report_date,
        // The configured dataset (gpe5-46if) is the futures-only report.
        report: TffReport::FuturesOnly,
        lev_money_long: need("lev_money_positions_long")?,
        lev_money_short: need("lev_money_positions_short")?,
        asset_mgr_long: Some(need("asset_mgr_positions_long")?),
        asset_mgr_short: Some(need("asset_mgr_positions_short")?),
        open_interest: int(obj, "open_interest_all"),
    })
}

fn text<'a>(obj: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    obj.get(k).and_then(Value::as_str).map(str::trim)
}

/// A count that arrives as `"157203"` (Socrata) or, leniently, as a JSON number.
fn int(obj: &Map<String, Value>, k: &str) -> Option<i64> {
    let f = match obj.get(k)? {
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    (f.is_finite() && f.abs() < 1e15).then(|| f.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk() -> Vec<(String, String)> {
        markets(&Config::default_config())
    }

    #[test]
    fn strings_missing_keys_and_foreign_codes() {
        let body = br#"[
          {"cftc_contract_market_code":"239742","report_date_as_yyyy_mm_dd":"2026-06-16T00:00:00.000",
           "lev_money_positions_long":"10","lev_money_positions_short":"30",
           "asset_mgr_positions_long":"50","asset_mgr_positions_short":"5"},
          {"cftc_contract_market_code":"239747","report_date_as_yyyy_mm_dd":"2026-06-16T00:00:00.000"},
          {"cftc_contract_market_code":"209742","report_date_as_yyyy_mm_dd":"2026-06-16T00:00:00.000",
           "lev_money_positions_long":"1"}
        ]"#;
        let p = parse_tff_json(body, &mk()).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].market, RTY);
        assert_eq!(p.rows[0].lev_money_net(), -20);
        assert_eq!(p.rows[0].open_interest, None);
        assert_eq!(p.skipped.len(), 1, "{:?}", p.skipped);
        assert!(p.skipped[0].contains("209742"));
    }

    #[test]
    fn env_overrides_config() {
        let cfg = Config::default_config();
        assert_eq!(
            cftc_base(&cfg, |_| None),
            "https://publicreporting.cftc.gov"
        );
        let env = |k: &str| (k == "CFTC_API_URL").then(|| "http://127.0.0.1:1/".into());
        assert_eq!(cftc_base(&cfg, env), "http://127.0.0.1:1");
    }
}
