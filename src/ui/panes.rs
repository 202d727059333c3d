//! The smaller panes: agents, RSI/ATR, positions and account, event log.

use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::Theme;
use crate::broker::paper::to_f64;
use crate::model::Symbol;
use crate::session::Session;

fn block(title: &str) -> Block<'_> {
    Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
}

pub fn agents(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let v = s.engine_view();
    let b = &v.bear;
    let mut lines = vec![Line::from(vec![
        Span::styled("BEAR ", theme.bold(theme.bear)),
        Span::raw(if b.engaged {
            format!(
                "● engaged  tier {}/{}{}  conf {:.2}",
                b.tiers,
                b.max_tiers,
                b.since
                    .map(|t| format!("  since {}", t.format("%m-%d")))
                    .unwrap_or_default(),
                b.confidence
            )
        } else {
            "○ waiting for a confirmed support break".into()
        }),
    ])];
    let u = &v.bull;
    let state = match (u.engaged, u.hedge_active) {
        (true, _) => "● long (re-engaged)",
        (false, true) => "● hedging",
        _ => "○ waiting",
    };
    let have = u.evidence.iter().filter(|(_, ok)| *ok).count();
    let mut bull = vec![
        Span::styled("BULL ", theme.bold(theme.bull)),
        Span::raw(format!("{state}  evidence {have}/{}:", u.evidence.len())),
    ];
    for (name, ok) in &u.evidence {
        bull.push(Span::styled(
            format!(" {name} {}", if *ok { "✓" } else { "✗" }),
            theme.fg(if *ok { theme.up } else { theme.dim }),
        ));
    }
    lines.push(Line::from(bull));
    let level = |l: Option<crate::engine::Level>| {
        l.map(|l| format!("{:.2} (×{})", l.price, l.strength))
            .unwrap_or_else(|| "—".into())
    };
    let broken = v
        .levels
        .iter()
        .filter(|l| l.state == crate::engine::LevelState::Broken)
        .map(|l| format!("{:.2}", l.price))
        .collect::<Vec<_>>();
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
    lines.push(Line::from(format!(
        "exposure: net β {:+.2}×  gross β {:.2}×",
        v.net_beta, v.gross_beta
    )));
    f.render_widget(Paragraph::new(lines).block(block("Agents")), area);
}

pub fn rsi(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let rows = &s.store.indicators;
    let last = rows.iter().rev().find_map(|r| r.rsi);
    let title = match last {
        Some(r) => format!(
            "RSI 14 · {r:.1}{}",
            if r < 30.0 {
                " oversold"
            } else if r > 70.0 {
                " overbought"
            } else {
                ""
            }
        ),
        None => "RSI 14 · warming up".into(),
    };
    let b = block(&title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = inner.width as usize;
    let data: Vec<u64> = rows
        .iter()
        .rev()
        .take(width)
        .rev()
        .map(|r| r.rsi.unwrap_or(50.0).round() as u64)
        .collect();
    f.render_widget(
        Sparkline::default()
            .data(&data)
            .max(100)
            .style(theme.fg(theme.accent)),
        inner,
    );
    if inner.height >= 3 {
        // The 30/70 bands as labels on the sparkline's scale.
        let y70 = inner.y + (inner.height as f64 * 0.3) as u16;
        let y30 = inner.y + (inner.height as f64 * 0.7) as u16;
        f.buffer_mut().set_string(inner.x, y70, "70┄", theme.dim());
        f.buffer_mut().set_string(inner.x, y30, "30┄", theme.dim());
    }
}

pub fn atr(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let rows = &s.store.indicators;
    let v = s.engine_view();
    let title = match rows
        .last()
        .and_then(|r| r.atr.map(|a| (a, a / r.close * 100.0)))
    {
        Some((a, pct)) => format!(
            "ATR 14 · {a:.2} ({pct:.1} %{})",
            v.atr_pct_median
                .map(|m| format!(
                    ", 1-y median {:.1} %",
                    m * if m < 1.0 { 100.0 } else { 1.0 }
                ))
                .unwrap_or_default()
        ),
        None => "ATR 14 · warming up".into(),
    };
    let b = block(&title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let data: Vec<u64> = rows
        .iter()
        .rev()
        .take(inner.width as usize)
        .rev()
        .map(|r| (r.atr.unwrap_or(0.0) / r.close * 10_000.0) as u64)
        .collect();
    f.render_widget(
        Sparkline::default().data(&data).style(theme.fg(theme.warn)),
        inner,
    );
}

pub fn positions(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let st = &s.store;
    let mut lines = Vec::new();
    for p in st.positions.values().filter(|p| !p.qty.is_zero()) {
        let px = st.last_price(p.symbol).unwrap_or(p.avg_price);
        let upl = p.unrealized(px);
        let days = st.now.map(|n| (n - p.opened).num_days()).unwrap_or(0);
        let decay = match p.symbol {
            Symbol::Iwm => String::new(),
            _ => s
                .engine_view()
                .bear
                .decay_pct
                .map(|d| format!("  decay ~{d:.1} %"))
                .unwrap_or_default(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<4} {:+} @ {}  now {}  ",
                    p.symbol,
                    p.qty,
                    p.avg_price.round_dp(2),
                    px.round_dp(2)
                ),
                Style::default(),
            ),
            Span::styled(
                format!("{:+.2}", upl.round_dp(2)),
                theme.fg(if upl.is_sign_negative() {
                    theme.down
                } else {
                    theme.up
                }),
            ),
            Span::raw(format!(
                "  β {:+}×  held {days}d{decay}",
                p.symbol.leverage()
            )),
        ]));
    }
    for o in st.working_orders() {
        lines.push(Line::from(Span::styled(
            format!(
                "working {} {} {} {} ({:?})",
                o.request.client_order_id,
                o.request.side,
                o.request.qty,
                o.request.symbol,
                o.status
            ),
            theme.fg(theme.warn),
        )));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "flat: no positions, no working orders",
            theme.dim(),
        ));
    }
    let eq = st.equity;
    let day = eq - st.day_start_equity;
    let total = eq - st.starting_equity;
    let total_pct = to_f64(total) / to_f64(st.starting_equity).max(1.0) * 100.0;
    let eqf = to_f64(eq).max(1.0);
    lines.push(Line::from(format!(
        "cash ${}  equity ${}  day {:+}  total {:+} ({total_pct:+.1} %)  net β {:+.2}×  gross β {:.2}×",
        st.cash.round_dp(2),
        eq.round_dp(2),
        day.round_dp(2),
        total.round_dp(2),
        to_f64(st.net_beta_dollars()) / eqf,
        to_f64(st.gross_beta_dollars()) / eqf
    )));
    f.render_widget(Paragraph::new(lines).block(block("Positions · P&L")), area);
}

pub fn log(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let b = block("Events");
    let inner = b.inner(area);
    let n = inner.height as usize;
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
