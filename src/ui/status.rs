//! The status bar: price, agent state, exposure, broker, feeds, clock, replay, and the latest problem.

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::America::New_York;
use ratatui::prelude::*;
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::feed::FeedHealth;
use crate::model::Symbol;
use crate::session::Session;
use crate::ui::keymap::{Command, Keymap};

/// A run of spans and how much it matters: lower numbers survive a narrow terminal.
struct Segment<'a> {
    rank: u8,
    spans: Vec<Span<'a>>,
}

pub fn draw(f: &mut Frame, area: Rect, s: &Session, theme: &Theme, keymap: &Keymap) {
    let help_key = keymap.key_for(Command::Help);
    let st = &s.store;
    let v = s.engine_view();
    let mut segs: Vec<Segment> = Vec::new();
    let mut seg = |rank, spans| segs.push(Segment { rank, spans });
    let iwm = st.series(Symbol::Iwm);
    // Live, the agents and the time to the close matter as much as the price; the bar's date
    // says less than the clock beside it.
    let live = st.replay.is_none();
    seg(
        if live { 0 } else { 1 },
        match iwm.last() {
            Some(b) => {
                let ch = iwm.change_pct().unwrap_or(0.0);
                let (arrow, c) = if ch >= 0.0 {
                    ("▲", theme.up)
                } else {
                    ("▼", theme.down)
                };
                vec![
                    Span::styled(
                        format!(" IWM {} {:.2} ", st.timeframe.label(), b.close),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!("{arrow}{ch:+.1}% "), theme.fg(c)),
                ]
            }
            None => vec![Span::raw(" IWM waiting for bars ")],
        },
    );
    // The inverse vehicles beside IWM: they move about −2× and −3× its daily change.
    let mut vehicles = Vec::new();
    for sym in [Symbol::Twm, Symbol::Srty] {
        let series = st.series(sym);
        if let (Some(b), Some(ch)) = (series.last(), series.change_pct()) {
            vehicles.push(Span::styled(format!("{sym} {:.2} ", b.close), theme.dim()));
            vehicles.push(Span::styled(
                format!("{ch:+.1}%  "),
                theme.fg(if ch >= 0.0 { theme.up } else { theme.down }),
            ));
        }
    }
    if !vehicles.is_empty() {
        seg(3, vehicles);
    }
    // The broker badge and the mode never drop out: LIVE must be impossible to miss.
    let mut badge = vec![
        Span::raw(" "),
        Span::styled(format!(" {} ", st.broker.label()), theme.broker(st.broker)),
        Span::raw(" "),
        Span::styled(
            format!(" {} ", st.mode.label()),
            Style::default().add_modifier(Modifier::REVERSED),
        ),
    ];
    if s.kill_switch() {
        badge.push(Span::raw(" "));
        badge.push(Span::styled(
            " KILL ",
            theme.broker(crate::broker::BrokerKind::Live),
        ));
    }
    if st.agents_paused {
        badge.push(Span::raw(" "));
        badge.push(Span::styled(
            " agents paused ",
            theme.bold(theme.warn).add_modifier(Modifier::REVERSED),
        ));
    }
    seg(0, badge);
    let agents = if v.bear.engaged {
        // The same words as the Agents pane: a tier counts once its shares are held.
        Span::styled(
            format!(" BEAR {}", crate::ui::panes::bear_tiers(&v.bear)),
            theme.bold(theme.bear),
        )
    } else if v.bull.engaged || v.bull.hedge_active {
        let what = if v.bull.engaged { "long" } else { "hedge" };
        Span::styled(format!(" BULL ● {what}"), theme.bold(theme.bull))
    } else {
        Span::styled(" agents ○ flat", theme.dim())
    };
    seg(if live { 1 } else { 2 }, vec![agents]);
    let eq = crate::model::money::to_f64(st.equity).max(1.0);
    seg(
        3,
        vec![Span::raw(format!(
            "  net β {:+.2}×",
            crate::model::money::to_f64(st.net_beta_dollars()) / eq
        ))],
    );
    for (src, h) in &st.health {
        let style = match h {
            FeedHealth::Connected | FeedHealth::Idle | FeedHealth::Ended => theme.fg(theme.up),
            _ => theme.bold(theme.error),
        };
        // A bad bar feed is as important as the badge (it blocks entries); the stream (the
        // forming bar) is kept beside the price; a late positioning file only lowers confidence,
        // and a healthy feed is the first thing to go. The state is a short word of fixed width:
        // the whole reason is in the Events pane, where each change of health is logged, so a
        // long error never pushes the price off the bar.
        let rank = match (h.is_bad(), crate::store::is_bar_source(src)) {
            (true, true) => 0,
            _ if src.starts_with("stream") => 1,
            (true, false) => 2,
            (false, _) => 3,
        };
        seg(
            rank,
            vec![Span::styled(
                format!("  {src} ● {:<6}", health_word(h)),
                style,
            )],
        );
    }
    let mut clock = Vec::new();
    if let Some(now) = st.now {
        clock.push(Span::raw(format!(
            "  {}",
            now.with_timezone(&New_York).format("%Y-%m-%d")
        )));
    }
    if let Some(r) = st.replay {
        let pace = if r.ended {
            "ended".to_string()
        } else if r.paused {
            // Paused for a signal: say which; nothing left to answer: say how to go on.
            match st.signals.open().next() {
                Some(e) => format!("paused for #{}", e.signal.id),
                None => format!("paused · {} resumes", keymap.key_for(Command::PauseReplay)),
            }
        } else if r.speed == 0.0 {
            "max speed".to_string()
        } else {
            format!("{}×", r.speed)
        };
        clock.push(Span::styled(format!(" replay {pace}"), theme.dim()));
        seg(1, clock);
    } else {
        seg(3, clock);
        // Wall-clock only when live: a replay's screen depends on nothing but its bars.
        seg(
            1,
            vec![Span::styled(
                format!(
                    "  {}",
                    match &st.live.market {
                        // Alpaca's clock knows holidays and early closes; the fallback does not.
                        Some(m) => crate::live::market_clock::clock_text(m, chrono::Utc::now()),
                        None => market_clock(chrono::Utc::now()),
                    }
                ),
                theme.dim(),
            )],
        );
    }
    seg(
        4,
        vec![Span::styled(format!("  {help_key} help"), theme.dim())],
    );
    let mut keep = 4;
    let width = |segs: &[Segment], keep: u8| -> usize {
        segs.iter()
            .filter(|g| g.rank <= keep)
            .flat_map(|g| g.spans.iter())
            .map(|s| s.width())
            .sum()
    };
    while keep > 0 && width(&segs, keep) > area.width as usize {
        keep -= 1;
    }
    let spans: Vec<Span> = segs
        .into_iter()
        .filter(|g| g.rank <= keep)
        .flat_map(|g| g.spans)
        .collect();
    let mut lines = vec![Line::from(spans)];
    if area.height > 1 {
        if let Some(status) = &st.status {
            lines.push(Line::from(Span::styled(
                format!(" ⚠ {}", status.text),
                theme.severity(status.severity),
            )));
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// A feed's state in one short word (at most 6 columns) for the status bar.
fn health_word(h: &FeedHealth) -> &'static str {
    match h {
        FeedHealth::Connected => "ok",
        FeedHealth::Idle => "idle",
        FeedHealth::Stale { .. } => "stale",
        FeedHealth::Reconnecting { .. } => "retry",
        FeedHealth::Failed { .. } => "FAILED",
        FeedHealth::Ended => "ended",
        FeedHealth::Backoff { .. } => "wait",
        FeedHealth::Fallback { .. } => "REST",
    }
}

/// "market open · closes 16:00 ET" or "market closed · opens Mon 09:30 ET". Holidays are not known
/// here (the Alpaca feed reads its calendar); weekends and regular hours are.
pub fn market_clock(now: chrono::DateTime<chrono::Utc>) -> String {
    let ny = now.with_timezone(&New_York);
    let open = NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default();
    let close = NaiveTime::from_hms_opt(16, 0, 0).unwrap_or_default();
    let weekday = !matches!(ny.weekday(), Weekday::Sat | Weekday::Sun);
    let t = NaiveTime::from_hms_opt(ny.hour(), ny.minute(), 0).unwrap_or_default();
    if weekday && t >= open && t < close {
        return "market open · closes 16:00 ET".into();
    }
    let mut day = ny.date_naive();
    if !weekday || t >= close {
        day += Duration::days(1);
    }
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    let when = New_York
        .from_local_datetime(&day.and_time(open))
        .earliest()
        .map(|d| d.format("%a 09:30 ET").to_string());
    format!("market closed · opens {}", when.unwrap_or_default())
}
