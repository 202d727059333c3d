//! Historical bars for several symbols at once, across pages. `limit` counts bars across ALL
//! symbols and pages are sorted by symbol then time, so a page may hold only the first symbol:
//! nothing is final until `next_page_token` is null.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use super::wire::BarsPage;
use super::{AlpacaClient, AlpacaError, Api};
use crate::model::{Bar, Symbol, Timeframe};

/// Upper bound on pages per fetch: bounds the loop if a server keeps returning tokens.
const MAX_PAGES: usize = 1_000;

#[derive(Debug, Clone)]
pub struct BarsQuery {
    pub symbols: Vec<Symbol>,
    pub timeframe: Timeframe,
    pub start: DateTime<Utc>,
    /// None = up to now. Free plans need `end` 15 minutes back for `feed=sip`.
    pub end: Option<DateTime<Utc>>,
    /// `iex`, `sip`, `otc` or `boats`.
    pub feed: String,
    /// One adjustment for every request, so history and live bars agree.
    pub adjustment: String,
    /// Bars per page across symbols (1 to 10000).
    pub page_limit: u32,
}

/// What came back and what was wrong with it.
#[derive(Debug, Default)]
pub struct FetchedBars {
    /// Sorted by time, one bar per timestamp, per symbol.
    pub series: BTreeMap<Symbol, Vec<Bar>>,
    /// Bars dropped as impossible, with the reason.
    pub rejected: Vec<String>,
    pub pages: usize,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Fetch every page of `q`. `on_page` gets the running bar count (for a progress bar).
pub async fn fetch_bars(
    client: &AlpacaClient,
    q: &BarsQuery,
    on_page: &mut (dyn FnMut(usize) + Send),
) -> Result<FetchedBars, AlpacaError> {
    let symbols = q
        .symbols
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut out = FetchedBars::default();
    for s in &q.symbols {
        out.series.insert(*s, Vec::new());
    }
    let mut token: Option<String> = None;
    let mut count = 0usize;
    loop {
        let mut query = vec![
            ("symbols", symbols.clone()),
            ("timeframe", q.timeframe.as_str().to_string()),
            ("start", rfc3339(q.start)),
            ("limit", q.page_limit.clamp(1, 10_000).to_string()),
            ("adjustment", q.adjustment.clone()),
            ("feed", q.feed.clone()),
            ("sort", "asc".to_string()),
        ];
        if let Some(end) = q.end {
            query.push(("end", rfc3339(end)));
        }
        if let Some(t) = &token {
            query.push(("page_token", t.clone()));
        }
        let page: BarsPage = client.get(Api::Data, "/v2/stocks/bars", &query).await?;
        out.pages += 1;
        token = page.next_token();
        for (name, bars) in page.into_series("") {
            let Ok(sym) = name.parse::<Symbol>() else {
                continue;
            };
            let dest = out.series.entry(sym).or_default();
            for wb in bars {
                let bar = wb.to_bar();
                match bar.impossibility() {
                    None => dest.push(bar),
                    Some(why) => out.rejected.push(format!("{sym} {}: {why}", bar.time)),
                }
                count += 1;
            }
        }
        on_page(count);
        if token.is_none() {
            break;
        }
        if out.pages >= MAX_PAGES {
            return Err(AlpacaError::Decode(format!(
                "bars: still more pages after {MAX_PAGES}; refusing to loop further"
            )));
        }
    }
    for bars in out.series.values_mut() {
        bars.sort_by_key(|b| b.time);
        // Pages may overlap (a retried page, a bar updated between pages): keep the later copy.
        let mut dedup: Vec<Bar> = Vec::with_capacity(bars.len());
        for b in bars.drain(..) {
            match dedup.last_mut() {
                Some(last) if last.time == b.time => *last = b,
                _ => dedup.push(b),
            }
        }
        *bars = dedup;
    }
    Ok(out)
}

/// A start far enough back to hold `bars` bars of `tf` for every symbol. Generous on purpose:
/// extra history is trimmed, too little cannot be fixed without another round trip.
pub fn backfill_start(tf: Timeframe, bars: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let bars = bars.max(1) as i64;
    let trading_days = if tf.is_intraday() {
        // 6.5 regular hours a day; extended-hours bars only add more.
        (bars * tf.seconds() + 23_399) / 23_400
    } else {
        bars
    };
    // Weekends (7/5), holidays (+5%) and a margin of 4 days for a long weekend at the start.
    let calendar_days = trading_days * 7 / 5 + trading_days / 20 + 4;
    now - chrono::Duration::days(calendar_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backfill_window_is_generous() {
        let now = Utc.with_ymd_and_hms(2025, 6, 2, 15, 0, 0).unwrap();
        let d = now - backfill_start(Timeframe::Day1, 300, now);
        assert!(d.num_days() >= 300 * 7 / 5, "{d}");
        let m = now - backfill_start(Timeframe::Min1, 300, now);
        assert!(m.num_days() >= 4 && m.num_days() < 10, "{m}");
    }
}
