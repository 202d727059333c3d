//! The positioning pane's text: the figures of a [`PositioningSummary`] as lines, the press
//! figure first, with each report's age worked out on the day drawn.

use chrono::{Days, NaiveDate};

use super::embedded::BUNDLED_ENDS;
use super::evidence::{contracts, millions};
use super::summary::{PositioningSummary, CADENCE_SI_DAYS, CADENCE_SV_DAYS, CADENCE_TFF_DAYS};
use crate::feed::cftc::{NQ, RTY};

/// How old a report is on `today`, when older than its `cadence`; with the bundled-data note
/// when no later report is held soon after it (`next`).
fn age(date: NaiveDate, next: Option<NaiveDate>, cadence: i64, today: NaiveDate) -> String {
    let days = (today - date).num_days();
    if days <= cadence {
        return String::new();
    }
    let ends = next.is_none_or(|n| n > date + Days::new(cadence as u64 * 2));
    format!(
        " · {} old{}",
        span(days),
        if ends {
            format!(": {BUNDLED_ENDS}")
        } else {
            String::new()
        }
    )
}

/// "12 d", "9 wk", "4 y".
fn span(days: i64) -> String {
    match days {
        ..=27 => format!("{days} d"),
        28..=364 => format!("{} wk", days / 7),
        _ => format!("{:.1} y", days as f64 / 365.25),
    }
}

/// "$20.05 B" / "-$13.00 B".
pub fn billions(usd: f64) -> String {
    let sign = if usd < 0.0 { "-" } else { "" };
    format!("{sign}${:.2} B", usd.abs() / 1e9)
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", contracts(n))
    } else {
        contracts(n)
    }
}

fn with_usd(n: i64, usd: Option<f64>) -> String {
    match usd {
        Some(u) => format!("{} ({})", billions(u), contracts(n)),
        None => format!("{} contracts", contracts(n)),
    }
}

fn short_label(r: crate::model::TffReport) -> &'static str {
    match r {
        crate::model::TffReport::FuturesOnly => "fut only",
        crate::model::TffReport::Combined => "fut+opt",
    }
}

impl PositioningSummary {
    /// Plain text lines, most important first (a short pane shows the top ones): the pane and
    /// what the headless mode prints. `today` gives the ages.
    pub fn lines(&self, today: NaiveDate) -> Vec<String> {
        self.lines_with(today, None)
    }

    /// The lines, with the QQQ/IWM price ratio's when QQQ bars are at hand.
    pub fn lines_with(&self, today: NaiveDate, qqq_iwm: Option<String>) -> Vec<String> {
        let mut out = Vec::new();
        let mut later = Vec::new();
        for (f, next) in self.futures.iter().zip(&self.futures_next_held) {
            let old = age(f.report_date, *next, CADENCE_TFF_DAYS, today);
            let stamp = format!(
                "{} {}",
                f.report_date.format("%m-%d"),
                short_label(f.report)
            );
            if f.market == RTY {
                let record = f
                    .short_record_since
                    .map(|d| format!(" ▲ record since {}", d.format("%Y")))
                    .unwrap_or_default();
                let wk = |change: Option<i64>| {
                    change
                        .map(|c| format!(", wk {}", signed(c)))
                        .unwrap_or_default()
                };
                out.push(format!(
                    "RTY {stamp} · lev funds gross short {}{record}{}{old}",
                    with_usd(f.lev_money_short, f.lev_money_short_usd),
                    wk(f.lev_money_short_change)
                ));
                let range = f
                    .lev_range_52w
                    .as_ref()
                    .map(|r| {
                        let at = if r.at_low {
                            "at the low".to_string()
                        } else if r.latest >= r.high {
                            "at the high".to_string()
                        } else {
                            format!("{:.0} % up", r.pct_in_range * 100.0)
                        };
                        format!(" · 52w {}…{} {at}", contracts(r.low), contracts(r.high))
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "  net {}{}{range}",
                    with_usd(f.lev_money_net, f.lev_money_net_usd),
                    wk(f.lev_money_net_change)
                ));
                let am = f
                    .asset_mgr_net
                    .map(|n| format!(" · asset managers net {}", with_usd(n, f.asset_mgr_net_usd)))
                    .unwrap_or_default();
                let rut = f
                    .index_level
                    .map(|l| format!(" · RUT {l:.2} × $50"))
                    .unwrap_or_default();
                later.push(format!(
                    "RTY lev funds long {}{am}{rut}",
                    with_usd(f.lev_money_long, f.lev_money_long_usd)
                ));
            } else if self.gauge.is_none() {
                out.push(format!(
                    "{} lev funds net {} · {stamp}{old}",
                    f.market,
                    contracts(f.lev_money_net)
                ));
            }
        }
        if let Some(g) = &self.gauge {
            let gap = g
                .gap
                .map(|x| format!(" · 52w gap {x:+.2}"))
                .unwrap_or_default();
            let nq_old = self
                .futures
                .iter()
                .zip(&self.futures_next_held)
                .find(|(f, _)| f.market == NQ)
                .map(|(f, n)| age(f.report_date, *n, CADENCE_TFF_DAYS, today))
                .unwrap_or_default();
            let nq = match g.nq_net_usd {
                Some(usd) => with_usd(g.nq_net, Some(usd)),
                None => signed(g.nq_net),
            };
            out.push(format!(
                "Long NQ/short RTY: lev net NQ {} ({} {}), RTY {}{gap}{nq_old}",
                nq,
                short_label(g.nq_report),
                g.nq_date.format("%m-%d"),
                signed(g.rty_net),
            ));
        }
        // The price side of the same trade, right under the positioning side: one gauge.
        match qqq_iwm {
            Some(line) => out.push(line),
            None if self.gauge.is_some() => {
                out.push("QQQ/IWM price ratio: no QQQ bars in the feed".into())
            }
            None => {}
        }
        // What the gauge's units are: NQ's dollars need the Nasdaq-100 level, which nothing
        // brings (QQQ is a fund, not the index), so it says so rather than invent a number.
        // Below the short interest: a short pane keeps the figures and drops the footnote.
        if let Some(g) = self.gauge.as_ref().filter(|g| g.nq_net_usd.is_none()) {
            let rty = g
                .rty_net_usd
                .map(|usd| format!("; RTY net {}", billions(usd)))
                .unwrap_or_default();
            later.insert(
                0,
                format!("  NQ in contracts (no Nasdaq-100 level bundled){rty}"),
            );
        }
        for l in &self.short_interest {
            let change = match (l.change, l.change_pct) {
                (Some(c), Some(p)) => format!(
                    " {}{} ({p:+.2} %)",
                    sign(c),
                    millions(c.unsigned_abs() as f64)
                ),
                _ => String::new(),
            };
            let lag = l
                .publication_lag_days
                .map(|d| format!(", published +{d} d"))
                .unwrap_or_default();
            let dtc = l
                .days_to_cover
                .map(|d| format!(", {d:.2} days to cover"))
                .unwrap_or_default();
            let rev = if l.revised { " (revised)" } else { "" };
            let old = age(l.settlement_date, l.next_held, CADENCE_SI_DAYS, today);
            out.push(format!(
                "SI {} {} settled {}{change}{dtc}{lag}{rev}{old}",
                l.symbol,
                shares(l.shares_short),
                l.settlement_date
            ));
        }
        for l in &self.short_volume {
            let ratio = l
                .ratio
                .map(|r| format!("{:.1} %", r * 100.0))
                .unwrap_or_else(|| "n/a".into());
            let mean = l
                .mean_20
                .map(|m| format!(", 20-day mean {:.1} %", m * 100.0))
                .unwrap_or_default();
            let old = age(l.date, l.next_held, CADENCE_SV_DAYS, today);
            out.push(format!(
                "Short volume {} {} on {}{mean}{old}",
                l.symbol, ratio, l.date
            ));
        }
        out.extend(later);

        for fact in self.evidence.facts() {
            out.push(format!("[{}] {}", if fact.holds { "x" } else { " " }, fact));
        }
        out.extend(self.notes.iter().cloned());
        out
    }
}

/// Millions for big counts ("79.73 M"), exact below ten million ("327,078").
pub fn shares(n: u64) -> String {
    if n >= 10_000_000 {
        millions(n as f64)
    } else {
        contracts(n as i64)
    }
}

fn sign(n: i64) -> &'static str {
    if n < 0 {
        "-"
    } else {
        "+"
    }
}
