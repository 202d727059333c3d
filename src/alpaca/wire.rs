//! Alpaca's JSON shapes, read tolerantly (decimals as strings or numbers, `bars` as a map, a
//! list or null), and their conversion into the domain types.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::Bar;

/// Market Data v2 bar: `t` is the bar start (daily: midnight New York, in UTC).
#[derive(Debug, Clone, Deserialize)]
pub struct WireBar {
    pub t: DateTime<Utc>,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    #[serde(default)]
    pub v: f64,
}

impl WireBar {
    pub fn to_bar(&self) -> Bar {
        Bar {
            time: self.t,
            open: self.o,
            high: self.h,
            low: self.l,
            close: self.c,
            volume: self.v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BarsField {
    /// `/v2/stocks/bars`: symbol → bars, sorted by symbol then time.
    Multi(BTreeMap<String, Vec<WireBar>>),
    /// `/v2/stocks/{symbol}/bars`.
    Single(Vec<WireBar>),
}

/// One page of bars in either the multi- or the single-symbol shape.
#[derive(Debug, Deserialize)]
pub struct BarsPage {
    #[serde(default)]
    bars: Option<BarsField>,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl BarsPage {
    /// `(symbol, bars)` pairs; a single-symbol page without `symbol` gets `fallback`.
    pub fn into_series(self, fallback: &str) -> Vec<(String, Vec<WireBar>)> {
        match self.bars {
            None => Vec::new(),
            Some(BarsField::Multi(m)) => m.into_iter().collect(),
            Some(BarsField::Single(v)) if v.is_empty() => Vec::new(),
            Some(BarsField::Single(v)) => vec![(self.symbol.unwrap_or_else(|| fallback.into()), v)],
        }
    }

    /// The continuation token; empty strings count as "no more pages".
    pub fn next_token(&self) -> Option<String> {
        self.next_page_token.clone().filter(|t| !t.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Clock {
    pub timestamp: DateTime<Utc>,
    pub is_open: bool,
    pub next_open: DateTime<Utc>,
    pub next_close: DateTime<Utc>,
}

/// `/v2/calendar` day: `open`/`close` are New York wall-clock `HH:MM` (early closes show here).
#[derive(Debug, Clone, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub open: String,
    pub close: String,
}

impl CalendarDay {
    /// Regular session open and close, in UTC.
    pub fn session(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((
            ny_time(self.date, &self.open)?,
            ny_time(self.date, &self.close)?,
        ))
    }
}

fn ny_time(date: NaiveDate, hhmm: &str) -> Option<DateTime<Utc>> {
    let t = NaiveTime::parse_from_str(hhmm.trim(), "%H:%M").ok()?;
    New_York
        .from_local_datetime(&date.and_time(t))
        .single()
        .map(|d| d.with_timezone(&Utc))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub status: String,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub filled_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub filled_avg_price: Option<Decimal>,
    #[serde(default)]
    pub filled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WirePosition {
    pub symbol: String,
    #[serde(deserialize_with = "de_decimal")]
    pub qty: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub avg_entry_price: Decimal,
    #[serde(default)]
    pub side: Option<String>,
}

impl WirePosition {
    /// Signed quantity: shorts are negative whether or not the venue signed `qty`.
    pub fn signed_qty(&self) -> Decimal {
        if self.side.as_deref() == Some("short") {
            -self.qty.abs()
        } else {
            self.qty
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "de_decimal")]
    pub cash: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub equity: Decimal,
}

/// `POST /v2/orders` body. Decimals are strings, as the spec requires.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewOrder {
    pub symbol: String,
    pub qty: String,
    pub side: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub time_in_force: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    pub client_order_id: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Str(String),
    Num(serde_json::Number),
}

fn parse_decimal(v: NumOrStr) -> Result<Decimal, String> {
    let s = match v {
        NumOrStr::Str(s) => s,
        NumOrStr::Num(n) => n.to_string(),
    };
    Decimal::from_str(s.trim())
        .or_else(|_| Decimal::from_scientific(s.trim()))
        .map_err(|e| format!("bad decimal `{s}`: {e}"))
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    parse_decimal(NumOrStr::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<NumOrStr>::deserialize(d)? {
        None => Ok(None),
        Some(v) => parse_decimal(v).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_shapes() {
        let multi: BarsPage = serde_json::from_str(
            r#"{"bars":{"IWM":[{"t":"2022-03-09T05:00:00Z","o":1,"h":2,"l":0.5,"c":1.5,"v":10,"n":1,"vw":1.2}]},"next_page_token":"abc"}"#,
        )
        .unwrap();
        assert_eq!(multi.next_token().as_deref(), Some("abc"));
        assert_eq!(multi.into_series("X")[0].0, "IWM");
        for empty in [
            r#"{"bars":{},"next_page_token":null}"#,
            r#"{"bars":[],"symbol":"IWM","next_page_token":null}"#,
            r#"{"bars":null,"symbol":"IWM","next_page_token":null}"#,
        ] {
            let p: BarsPage = serde_json::from_str(empty).unwrap();
            assert!(p.next_token().is_none());
            assert!(p.into_series("IWM").is_empty(), "{empty}");
        }
        let single: BarsPage = serde_json::from_str(
            r#"{"bars":[{"t":"2022-01-03T09:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1}],"symbol":"TWM","next_page_token":""}"#,
        )
        .unwrap();
        assert!(single.next_token().is_none());
        assert_eq!(single.into_series("IWM")[0].0, "TWM");
    }

    #[test]
    fn daily_bar_time_is_ny_midnight_and_early_closes_parse() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
        assert_eq!(
            crate::model::ny_day::ny_midnight(d).unwrap().to_rfc3339(),
            "2025-01-02T05:00:00+00:00"
        );
        let d = NaiveDate::from_ymd_opt(2025, 7, 3).unwrap();
        assert_eq!(
            crate::model::ny_day::ny_midnight(d).unwrap().to_rfc3339(),
            "2025-07-03T04:00:00+00:00"
        );
        let day = CalendarDay {
            date: d,
            open: "09:30".into(),
            close: "13:00".into(),
        };
        let (_, close) = day.session().unwrap();
        assert_eq!(close.to_rfc3339(), "2025-07-03T17:00:00+00:00");
    }

    #[test]
    fn decimals_as_strings_or_numbers_and_offset_times() {
        let o: Order = serde_json::from_str(
            r#"{"id":"a","client_order_id":"c","symbol":"IWM","side":"buy","status":"filled",
                "qty":1,"filled_qty":"3","filled_avg_price":101.25,"filled_at":"2025-06-24T14:15:22-04:00"}"#,
        )
        .unwrap();
        assert_eq!(o.filled_qty, Some(Decimal::from(3)));
        assert_eq!(
            o.filled_avg_price,
            Some(Decimal::from_str("101.25").unwrap())
        );
        assert_eq!(
            o.filled_at.unwrap().to_rfc3339(),
            "2025-06-24T18:15:22+00:00"
        );
    }
}
