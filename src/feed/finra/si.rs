//! Consolidated short interest: the API's JSON rows and the CDN's pipe file, revisions, and the
//! derived numbers (change, change %, days to cover) when a source leaves them out.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::Value;

use super::{parse_number, FinraError, Parsed, PipeHeader};
use crate::model::ShortInterest;

/// Two reports further apart than this are not consecutive (semi-monthly + holiday shifts).
pub const MAX_REPORT_GAP_DAYS: i64 = 20;

/// Parse the body of `POST .../consolidatedShortInterest` (`Accept: application/json`).
/// An empty body (the API's 204) is zero rows. Revised rows replace earlier ones.
pub fn parse_si_json(body: &[u8]) -> Result<Parsed<ShortInterest>, FinraError> {
    let mut out = parse_si_json_rows(body)?;
    out.rows = merge_revisions(out.rows);
    Ok(out)
}

/// One page as sent, in row order, revisions not yet merged (the client merges across pages,
/// since an original and its revision may sit on different pages).
pub fn parse_si_json_rows(body: &[u8]) -> Result<Parsed<ShortInterest>, FinraError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Parsed::default());
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| FinraError::Json(e.to_string()))?;
    let Value::Array(items) = v else {
        return Err(FinraError::NotArray);
    };
    let mut out = Parsed::default();
    for (i, item) in items.iter().enumerate() {
        match json_row(item) {
            Ok(si) => out.rows.push(si),
            Err(why) => out.skipped.push(format!("row {i}: {why}")),
        }
    }
    Ok(out)
}

fn json_row(item: &Value) -> Result<ShortInterest, String> {
    let obj = item.as_object().ok_or("not an object")?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim);
    let num = |k: &str| obj.get(k).and_then(json_number);
    let symbol = text("symbolCode")
        .filter(|s| !s.is_empty())
        .ok_or("no symbolCode")?;
    let date = text("settlementDate").ok_or("no settlementDate")?;
    let settlement_date = parse_date(date).ok_or_else(|| format!("bad settlementDate {date:?}"))?;
    let shares_short = num("currentShortPositionQuantity")
        .and_then(to_count)
        .ok_or("no currentShortPositionQuantity")?;
    Ok(ShortInterest {
        symbol: symbol.to_string(),
        settlement_date,
        shares_short,
        previous_shares_short: num("previousShortPositionQuantity").and_then(to_count),
        change: num("changePreviousNumber").and_then(to_signed),
        change_pct: num("changePercent"),
        avg_daily_volume: num("averageDailyVolumeQuantity").and_then(to_count),
        days_to_cover: num("daysToCoverQuantity"),
        revised: text("revisionFlag").is_some_and(|f| f.eq_ignore_ascii_case("R")),
        seen: None,
    })
}

/// FINRA sends numbers; be lenient with strings too (other endpoints and proxies quote them).
fn json_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

fn to_count(f: f64) -> Option<u64> {
    (0.0..1e15).contains(&f).then(|| f.round() as u64)
}

fn to_signed(f: f64) -> Option<i64> {
    (f.abs() < 1e15).then(|| f.round() as i64)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .ok()
}

/// Parse `shrt{YYYYMMDD}.csv` (pipe-delimited despite the name). Columns are found by name.
/// `symbols` empty = keep every symbol; otherwise only those (the real file holds ~20k issues).
pub fn parse_si_pipe(text: &str, symbols: &[&str]) -> Result<Parsed<ShortInterest>, FinraError> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header = PipeHeader::read(&mut lines)?;
    let col = |name: &'static str| header.col(name);
    let (c_sym, c_date, c_cur) = (
        col("symbolCode")?,
        col("settlementDate")?,
        col("currentShortPositionQuantity")?,
    );
    let opt = |name: &'static str| col(name).ok();
    let (c_prev, c_chg, c_pct, c_adv, c_dtc, c_rev) = (
        opt("previousShortPositionQuantity"),
        opt("changePreviousNumber"),
        opt("changePercent"),
        opt("averageDailyVolumeQuantity"),
        opt("daysToCoverQuantity"),
        opt("revisionFlag"),
    );
    let mut out = Parsed::default();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        let get = |c: Option<usize>| c.and_then(|c| f.get(c).copied()).unwrap_or("");
        let symbol = get(Some(c_sym));
        if !symbols.is_empty() && !symbols.contains(&symbol) {
            continue;
        }
        let line_no = i + 2;
        let Some(settlement_date) = parse_date(get(Some(c_date))) else {
            out.skipped
                .push(format!("line {line_no}: bad settlementDate"));
            continue;
        };
        let Some(shares_short) = parse_number(get(Some(c_cur))).and_then(to_count) else {
            out.skipped
                .push(format!("line {line_no}: bad currentShortPositionQuantity"));
            continue;
        };
        if symbol.is_empty() {
            out.skipped.push(format!("line {line_no}: no symbolCode"));
            continue;
        }
        out.rows.push(ShortInterest {
            symbol: symbol.to_string(),
            settlement_date,
            shares_short,
            previous_shares_short: parse_number(get(c_prev)).and_then(to_count),
            change: parse_number(get(c_chg)).and_then(to_signed),
            change_pct: parse_number(get(c_pct)),
            avg_daily_volume: parse_number(get(c_adv)).and_then(to_count),
            days_to_cover: parse_number(get(c_dtc)),
            revised: get(c_rev).eq_ignore_ascii_case("R"),
            seen: None,
        });
    }
    out.rows = merge_revisions(out.rows);
    Ok(out)
}

/// One record per (symbol, settlement date): a revised record replaces the original whatever the
/// row order; otherwise the later row wins. Output is sorted by symbol, then date (the API's rows
/// are not date-ordered).
pub fn merge_revisions(rows: Vec<ShortInterest>) -> Vec<ShortInterest> {
    let mut by_key: BTreeMap<(String, NaiveDate), ShortInterest> = BTreeMap::new();
    for r in rows {
        let key = (r.symbol.clone(), r.settlement_date);
        match by_key.get(&key) {
            Some(old) if old.revised && !r.revised => {}
            _ => {
                by_key.insert(key, r);
            }
        }
    }
    by_key.into_values().collect()
}

/// Fill what a source left out, from the report before (if it is the consecutive one):
/// previous, change, change %, and days to cover (FINRA's convention: floor 1.00, cap 999.99).
/// `rows` must be sorted by symbol then date, as [`merge_revisions`] leaves them.
pub fn enrich_series(rows: &mut [ShortInterest]) {
    for i in 0..rows.len() {
        if rows[i].previous_shares_short.is_none() && i > 0 {
            let (prev, cur) = (&rows[i - 1], &rows[i]);
            let gap = (cur.settlement_date - prev.settlement_date).num_days();
            if prev.symbol == cur.symbol && gap <= MAX_REPORT_GAP_DAYS {
                rows[i].previous_shares_short = Some(prev.shares_short);
            }
        }
        let r = &mut rows[i];
        if let Some(prev) = r.previous_shares_short {
            let change = r.shares_short as i64 - prev as i64;
            r.change.get_or_insert(change);
            if prev > 0 && r.change_pct.is_none() {
                r.change_pct = Some(round2(change as f64 / prev as f64 * 100.0));
            }
        }
        if let (None, Some(adv)) = (r.days_to_cover, r.avg_daily_volume) {
            if adv > 0 {
                r.days_to_cover = Some(round2(
                    (r.shares_short as f64 / adv as f64).clamp(1.0, 999.99),
                ));
            }
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Settlement dates on or before `day`, newest first: the 15th and the month's last day, each moved
/// back to a weekday. Exchange holidays are not known here; callers try the weekday before on a miss.
pub fn settlement_dates_before(day: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let (mut y, mut m) = (day.year(), day.month());
    while out.len() < n {
        let month_end = last_day_of_month(y, m);
        let mid = NaiveDate::from_ymd_opt(y, m, 15);
        for d in [month_end, mid].into_iter().flatten() {
            let d = back_to_weekday(d);
            if d <= day && out.len() < n {
                out.push(d);
            }
        }
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        if y < 1990 {
            break;
        }
    }
    out
}

/// The first settlement date after `day`.
pub fn next_settlement_after(day: NaiveDate) -> NaiveDate {
    let probe = day.checked_add_days(Days::new(20)).unwrap_or(day);
    settlement_dates_before(probe, 3)
        .into_iter()
        .rev()
        .find(|d| *d > day)
        .unwrap_or(probe)
}

fn last_day_of_month(y: i32, m: u32) -> Option<NaiveDate> {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

pub(crate) fn back_to_weekday(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn settlement_calendar_moves_weekends_back() {
        // 2025-06-15 is a Sunday → Friday 13th; 2025-05-31 is a Saturday → Friday 30th.
        assert_eq!(
            settlement_dates_before(d("2025-06-16"), 3),
            vec![d("2025-06-13"), d("2025-05-30"), d("2025-05-15")]
        );
        assert_eq!(next_settlement_after(d("2025-07-15")), d("2025-07-31"));
        assert_eq!(next_settlement_after(d("2025-07-31")), d("2025-08-15"));
    }

    #[test]
    fn enrich_only_across_consecutive_reports() {
        let si = |date: &str, n: u64| ShortInterest {
            symbol: "IWM".into(),
            settlement_date: d(date),
            shares_short: n,
            previous_shares_short: None,
            change: None,
            change_pct: None,
            avg_daily_volume: Some(n / 4),
            days_to_cover: None,
            revised: false,
            seen: None,
        };
        let mut rows = vec![
            si("2025-07-15", 200),
            si("2025-07-31", 210),
            si("2026-05-15", 100),
        ];
        enrich_series(&mut rows);
        assert_eq!(rows[1].change, Some(10));
        assert_eq!(rows[1].change_pct, Some(5.0));
        assert_eq!(rows[1].days_to_cover, Some(4.04));
        assert_eq!(
            rows[2].previous_shares_short, None,
            "10-month gap is not consecutive"
        );
        assert_eq!(rows[2].change, None);
    }
}
