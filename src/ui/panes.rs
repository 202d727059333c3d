//! The smaller panes: agents, positions and account, the positioning slot, the event log.

use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use rust_decimal::Decimal;

use super::wrap::wrap;
use super::Theme;
use crate::model::money::to_f64;
use crate::model::Symbol;
use crate::session::Session;

pub fn block(title: &str) -> Block<'_> {
    Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
}

pub use crate::model::money::dollars;

/// A signed money amount in green or red: `+$1,308.00`, `−$25.30`.
pub fn money(d: Decimal, theme: &Theme) -> Span<'static> {
    let neg = d.round_dp(2).is_sign_negative() && !d.round_dp(2).is_zero();
    let style = theme.fg(if neg { theme.down } else { theme.up });
    Span::styled(
        format!("{}${}", if neg { "−" } else { "+" }, dollars(d)),
        style,
    )
}

/// What the Bear's book really holds, the header's and the Agents pane's words: a tier counts
/// once its shares are held; an entry waiting for an answer or a fill is named as pending (the
/// header said "tier 2/3" while tier 2 was still a proposal).
pub fn bear_tiers(b: &crate::engine::BearView) -> String {
    let held = b.tier_betas.len().min(usize::from(b.tiers)) as u8;
    let max = b.max_tiers;
    match (b.exiting, b.held.is_zero()) {
        (true, _) => format!("● exiting  tier {held}/{max}"),
        (false, true) => format!("◌ tier {} entry pending", b.tiers.max(1)),
        (false, false) if held < b.tiers => {
            format!("● tier {held}/{max} · tier {} pending", b.tiers)
        }
        (false, false) => format!("● tier {}/{max}", b.tiers),
    }
}

pub fn agents(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let v = s.engine_view();
    let b = &v.bear;
    let bear = if b.engaged {
        // "engaged" only where the line has room for it (a pending tier's words take it).
        let mut t = bear_tiers(b);
        if !t.contains("pending") {
            t = t.replacen("● tier", "● engaged  tier", 1);
        }
        if let Some(since) = b.since {
            t.push_str(&format!("  since {}", since.format("%m-%d")));
        }
        t.push_str(&format!("  conf {:.2}", b.confidence));
        if let Some(l) = b.broken_level {
            t.push_str(&format!("  broke {l:.2}"));
        }
        t
    } else {
        "○ waiting for a confirmed support break".into()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("BEAR ", theme.bold(theme.bear)),
        Span::raw(bear),
    ])];
    // Its exits and what each tier hedges, on a line of their own so neither is cut.
    if b.engaged {
        let mut t = String::from("     ");
        if let Some(p) = b.stop_iwm {
            t.push_str(&format!("stop {p:.2}"));
            if let Some(d) = b.stop_atr {
                t.push_str(&format!(" ({d:.1} ATR)"));
            }
        }
        if let Some(x) = b.target_iwm {
            t.push_str(&format!(" · target {x:.2}"));
        }
        if !b.tier_betas.is_empty() {
            let betas: Vec<String> = b.tier_betas.iter().map(|x| format!("{x:+.2}")).collect();
            t.push_str(&format!(" · tiers β {}", betas.join(" ")));
        }
        lines.push(Line::raw(t));
    }
    let u = &v.bull;
    let mut state = match (u.engaged, u.hedge_active) {
        (true, _) => "● long (re-engaged)".to_string(),
        (false, true) => "● hedging".to_string(),
        _ => "○ waiting".to_string(),
    };
    if let Some(p) = u.stop_iwm {
        state.push_str(&format!("  stop {p:.2}"));
    }
    let have = u.evidence.iter().filter(|(_, ok)| *ok).count();
    let mut bull = vec![
        Span::styled("BULL ", theme.bold(theme.bull)),
        Span::raw(format!("{state}  evidence {have}/{}", u.evidence.len())),
    ];
    for (i, (name, ok)) in u.evidence.iter().enumerate() {
        // Short names: the three must fit beside the state in the pane's width.
        let name = ["RSI oversold", "vol dry-up", "reclaim"]
            .get(i)
            .copied()
            .unwrap_or(name);
        bull.push(Span::styled(
            format!("  {name} {}", if *ok { "✓" } else { "✗" }),
            if *ok { theme.fg(theme.up) } else { theme.dim() },
        ));
    }
    lines.push(Line::from(bull));
    // Live hours only: what a close at the forming bar's price would do.
    if let Some(w) = crate::live::watch::inputs_for(s) {
        for (who, text, c) in [
            (
                "  bear watch: ",
                crate::live::watch::bear_watch(&w),
                theme.bear,
            ),
            (
                "  bull watch: ",
                crate::live::watch::bull_watch(&w),
                theme.bull,
            ),
        ] {
            // Wrapped, never cut: the price and "it triggers" are at the end of the sentence.
            let width = usize::from(area.width.saturating_sub(2)).max(20);
            let Some(t) = text else { continue };
            for (k, row) in wrap(&t, width - who.chars().count())
                .into_iter()
                .enumerate()
            {
                let lead = if k == 0 {
                    Span::styled(who, theme.fg(c))
                } else {
                    Span::raw(" ".repeat(who.chars().count()))
                };
                lines.push(Line::from(vec![lead, Span::raw(row)]));
            }
        }
    }
    let level = |l: Option<crate::engine::Level>| {
        l.map(|l| format!("{:.2} (×{})", l.price, l.strength))
            .unwrap_or_else(|| "—".into())
    };
    // The broken levels that matter, as on the chart: the nearest above and below the close.
    let close = s.store.series(Symbol::Iwm).last().map(|b| b.close);
    let broken: Vec<String> = v
        .nearest_broken(close)
        .into_iter()
        .flatten()
        .map(|l| format!("{:.2}", l.price))
        .collect();
    lines.push(Line::from(format!(
        "levels: support {} · resist {}{}",
        level(v.active_support),
        level(v.active_resistance),
        if broken.is_empty() {
            String::new()
        } else {
            format!(" · broken {}", broken.join(" "))
        }
    )));
    let st = &s.store;
    // The agents' beta against what they hedge (the book's, or equity), and the account's whole.
    let (net, gross, hedged) = s.agents_exposure();
    let hedged_by = if s.book_shares().is_zero() {
        "equity".to_string()
    } else if s.book_symbol() == Symbol::Iwm {
        "book".to_string()
    } else {
        format!("book {} β{:.2}", s.book_symbol(), s.book_beta())
    };
    let eq = to_f64(st.equity).max(1.0);
    lines.push(Line::from(format!(
        "β agents {:+.2}× of {hedged_by} (gross {:.2}×) · account {:+.2}×{}",
        net / hedged.max(1.0),
        gross / hedged.max(1.0),
        to_f64(st.net_beta_dollars()) / eq,
        if st.agents_paused {
            "  · agents paused"
        } else {
            ""
        }
    )));
    f.render_widget(Paragraph::new(lines).block(block("Agents")), area);
}

pub fn positions(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let st = &s.store;
    let mut lines = Vec::new();
    for p in st.positions.values().filter(|p| !p.qty.is_zero()) {
        let px = st.last_price(p.symbol).unwrap_or(p.avg_price);
        let days = st.now.map(|n| (n - p.opened).num_days()).unwrap_or(0);
        let book = s.book_shares();
        // A QQQ/SPY book counts at its measured IWM beta, everything else at its leverage.
        let lev = st.beta_of(p.symbol);
        let beta = st.position_value(p) * lev;
        // Leveraged inverse ETFs lose to volatility while held: the engine estimates how much.
        let decay = match (p.symbol, s.engine_view().bear.decay_total) {
            (sym, _) if sym != Symbol::Iwm && sym == s.book_symbol() => {
                format!("  = the book (β {} over 250 days)", lev.round_dp(2))
            }
            // Hedge mode: IWM held is the trader's book and what the agents hold beside it.
            (Symbol::Iwm, _) if !book.is_zero() && p.qty == book => "  =\u{a0}the\u{a0}book".into(),
            // Non-breaking spaces: the wrap keeps the split in one piece.
            (Symbol::Iwm, _) if !book.is_zero() => {
                format!(
                    "  book\u{a0}{book}\u{a0}+\u{a0}agents\u{a0}{}",
                    p.qty - book
                )
            }
            (Symbol::Iwm, _) => String::new(),
            (_, Some(d)) => format!("  decay ~{:.2} %", d * 100.0),
            (_, None) => "  decay n/a".into(),
        };
        let stop = super::stops::stop_text(s, p.symbol)
            .map(|t| format!("  {t}"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<4}", p.symbol), Style::default().bold()),
            Span::raw(format!(
                " {:+} @ {}  now {}  ",
                p.qty,
                p.avg_price.round_dp(2),
                px.round_dp(2)
            )),
            money(p.unrealized(px), theme),
            // The stop next to the P&L: what the trader checks first.
            Span::raw(stop),
            Span::raw(format!(
                "  β {}${}  held {days}d{decay}",
                if beta.is_sign_negative() { "−" } else { "+" },
                dollars(beta)
            )),
        ]));
    }
    for o in st.working_orders() {
        lines.push(Line::styled(
            format!(
                "working {} {} {} {} · {:?}",
                o.request.client_order_id,
                o.request.side,
                o.request.qty - o.filled_qty,
                o.request.symbol,
                o.status
            ),
            theme.fg(theme.warn),
        ));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "flat: no positions, no working orders",
            theme.dim(),
        ));
    }
    let eq = st.equity;
    let total = eq - st.starting_equity;
    let total_pct = to_f64(total) / to_f64(st.starting_equity).max(1.0) * 100.0;
    let eqf = to_f64(eq).max(1.0);
    lines.push(Line::from(vec![
        Span::raw(format!(
            "cash ${}  equity ${}  day ",
            dollars(st.cash),
            dollars(eq)
        )),
        money(eq - st.day_start_equity, theme),
        Span::raw("  total "),
        money(total, theme),
        Span::raw(format!(" ({total_pct:+.2}\u{a0}%)")),
    ]));
    let net = st.net_beta_dollars();
    lines.push(Line::from(format!(
        "IWM-beta exposure: net {}${} ({:+.2}×)  gross ${} ({:.2}×)",
        if net.is_sign_negative() && !net.is_zero() {
            "−"
        } else {
            "+"
        },
        dollars(net),
        to_f64(net) / eqf,
        dollars(st.gross_beta_dollars()),
        to_f64(st.gross_beta_dollars()) / eqf
    )));
    // Long lines wrap at words (a position with its stop and beta outgrows a 160-column pane).
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Positions · P&L")),
        area,
    );
}

pub fn log(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let b = block("Events");
    let n = b.inner(area).height as usize;
    let lines: Vec<Line> = s
        .store
        .log
        .iter()
        .rev()
        .take(n)
        .rev()
        .map(|l| {
            let t = l
                .time
                .map(|t| t.format("%m-%d ").to_string())
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(t, theme.dim()),
                Span::styled(l.text.clone(), theme.severity(l.severity)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(b), area);
}

/// One line: the newest events, newest first, for small terminals.
pub fn ticker(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let mut spans = Vec::new();
    for l in s.store.log.iter().rev().take(6) {
        spans.push(Span::styled(l.text.clone(), theme.severity(l.severity)));
        spans.push(Span::styled(" · ", theme.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    #[test]
    fn dollars_group_thousands_and_keep_cents() {
        assert_eq!(super::dollars(dec!(81240)), "81,240.00");
        assert_eq!(super::dollars(dec!(-1234567.891)), "1,234,567.89");
        assert_eq!(super::dollars(dec!(999.5)), "999.50");
        assert_eq!(super::dollars(dec!(0)), "0.00");
    }

    /// A tier counts once its shares are held: the header said "tier 2/3" (and "tier 1/3" with
    /// nothing bought) while the entry was still waiting for an answer.
    #[test]
    fn the_bear_counts_held_tiers_and_names_the_pending_one() {
        let mut b = crate::engine::BearView {
            engaged: true,
            tiers: 1,
            max_tiers: 3,
            ..Default::default()
        };
        assert_eq!(super::bear_tiers(&b), "◌ tier 1 entry pending");
        b.held = dec!(354);
        b.tier_betas = vec![-0.33];
        assert_eq!(super::bear_tiers(&b), "● tier 1/3");
        b.tiers = 2;
        assert_eq!(super::bear_tiers(&b), "● tier 1/3 · tier 2 pending");
        b.tier_betas.push(-0.33);
        assert_eq!(super::bear_tiers(&b), "● tier 2/3");
        b.exiting = true;
        assert_eq!(super::bear_tiers(&b), "● exiting  tier 2/3");
    }
}
