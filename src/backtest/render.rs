//! The backtest's report as a trader reads it in a terminal.

use chrono::{DateTime, Utc};

use super::{plot, Figures, Report};
use crate::config::AgentsMode;

/// The human-readable report.
pub fn render(r: &Report) -> String {
    let d = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "—".into())
    };
    let pct = |x: f64| format!("{:+.1} %", x * 100.0);
    let st = &r.study;
    let mut s = format!(
        "backtest {} → {}   mode {}   {} bars in {:.1} ms ({:.0} bars/s)\n\n{:<24}{:>10}{:>9}{:>10}{:>8}{:>7}\n",
        d(r.from),
        d(r.to),
        r.mode.label(),
        r.bars,
        r.elapsed_ms,
        r.bars_per_second,
        "",
        "total",
        "CAGR",
        "max DD",
        "Sharpe",
        "MAR",
    );
    let mut row = |name: &str, f: &Figures| {
        s.push_str(&format!(
            "{name:<24}{:>10}{:>9}{:>10}{:>8.2}{:>7.2}\n",
            pct(f.total_return),
            pct(f.cagr),
            pct(f.max_drawdown),
            f.sharpe,
            f.mar
        ));
    };
    match r.mode {
        AgentsMode::Hedge => row("agents (the hedge alone)", &st.agents.figures),
        AgentsMode::Book => row("agents (the account)", &st.agents.figures),
    }
    if let Some(b) = &st.book {
        row(&format!("book ({}, held)", r.book_symbol), b);
    }
    if let Some(o) = &st.overlay {
        row("book + agents", o);
    }
    row("buy & hold IWM", &st.benchmarks.buy_and_hold_iwm);
    row("IWM 75 %, cash 25 %", &st.benchmarks.iwm_75_cash_25);
    row("IWM > SMA200, else cash", &st.benchmarks.iwm_above_sma200);
    let a = &st.agents;
    s.push_str(&format!(
        "\nagents: in the market {:.0} % of bars, avg gross beta {:.2}, net {:+.2}, whipsaw {} a year\n",
        a.time_in_market * 100.0,
        a.avg_gross_beta,
        a.avg_net_beta,
        pct(a.whipsaw_per_year)
    ));
    if !st.declines.is_empty() {
        s.push_str("\ndeclines of IWM (18 % zigzag)      IWM   captured\n");
        for x in &st.declines {
            s.push_str(&format!(
                "  {} → {}{}  {:>8}  {:>9}\n",
                x.peak.format("%Y-%m-%d"),
                x.trough.format("%Y-%m-%d"),
                if x.unfinished { "*" } else { " " },
                pct(x.iwm_return),
                pct(x.capture)
            ));
        }
        if let Some(m) = st.mean_capture {
            s.push_str(&format!("  mean capture {}\n", pct(m)));
        }
    }
    if !r.signals.is_empty() {
        s.push_str("\nrecord by signal   trades   won (95 % interval)   avg R        P&L\n");
        for k in &r.signals {
            let won = match (k.record.win_rate, k.record.win_rate_ci) {
                (Some(w), Some((lo, hi))) => {
                    format!("{:.0} % ({:.0}–{:.0} %)", w * 100.0, lo * 100.0, hi * 100.0)
                }
                _ => "—".into(),
            };
            s.push_str(&format!(
                "  {:<16}{:>7}   {:<20}{:>6}{:>12}\n",
                k.kind.label(),
                k.record.trades,
                won,
                k.record.avg_r.map_or("—".into(), |r| format!("{r:+.2}")),
                plot::dollars(k.pnl)
            ));
        }
    }
    s.push_str(&format!(
        "\naccount {} → {}; {} fills, {} signals\n",
        plot::dollars(r.starting_equity),
        plot::dollars(r.final_equity),
        r.fills,
        r.signal_count
    ));
    s
}
