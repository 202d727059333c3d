//! The status bar: price, agent state, exposure, broker, feeds, clock, replay, and the latest problem.

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::America::New_York;
use ratatui::prelude::*;
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::feed::FeedHealth;
use crate::model::Symbol;
use crate::session::{health_text, Session};

pub fn draw(f: &mut Frame, area: Rect, s: &Session, theme: &Theme, help_key: &str) {
    let st = &s.store;
    let v = s.engine_view();
    let mut spans: Vec<Span> = Vec::new();
    let iwm = st.series(Symbol::Iwm);
    if let Some(b) = iwm.last() {
        let ch = iwm.change_pct().unwrap_or(0.0);
        let (arrow, c) = if ch >= 0.0 {
            ("▲", theme.up)
        } else {
            ("▼", theme.down)
        };
        spans.push(Span::styled(
            format!(" IWM {} {:.2} ", st.timeframe.label(), b.close),
            Style::default().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!("{arrow}{ch:+.1}%  "), theme.fg(c)));
    } else {
        spans.push(Span::raw(" IWM waiting for bars  "));
    }
    if v.bear.engaged {
        spans.push(Span::styled(
            format!("BEAR ● tier {}/{}  ", v.bear.tiers, v.bear.max_tiers),
            theme.bold(theme.bear),
        ));
    } else if v.bull.engaged || v.bull.hedge_active {
        spans.push(Span::styled(
            if v.bull.engaged {
                "BULL ● long  "
            } else {
                "BULL ● hedge  "
            },
            theme.bold(theme.bull),
        ));
    } else {
        spans.push(Span::styled("agents ○ flat  ", theme.dim()));
    }
    let eq = crate::broker::paper::to_f64(st.equity).max(1.0);
    spans.push(Span::raw(format!(
        "net β {:+.2}×  ",
        crate::broker::paper::to_f64(st.net_beta_dollars()) / eq
    )));
    spans.push(Span::styled(
        format!(" {} ", st.mode.label()),
        Style::default().add_modifier(Modifier::REVERSED),
    ));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        format!("●{}", st.broker.label()),
        theme.broker(st.broker),
    ));
    if st.kill_switch {
        spans.push(Span::styled(
            " KILL ",
            theme.broker(crate::broker::BrokerKind::Live),
        ));
    }
    if st.agents_paused {
        spans.push(Span::styled(" agents paused", theme.bold(theme.warn)));
    }
    for (src, h) in &st.health {
        let style = match h {
            FeedHealth::Connected | FeedHealth::Idle | FeedHealth::Ended => theme.fg(theme.up),
            _ => theme.bold(theme.error),
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!("{src} ● {}", health_text(h)), style));
    }
    if let Some(now) = st.now {
        spans.push(Span::raw(format!(
            "  {}",
            now.with_timezone(&New_York).format("%Y-%m-%d")
        )));
    }
    if let Some(r) = st.replay {
        let pace = if r.ended {
            "ended".to_string()
        } else if r.paused {
            "paused".to_string()
        } else if r.speed == 0.0 {
            "max speed".to_string()
        } else {
            format!("{} bars/s", r.speed)
        };
        spans.push(Span::styled(format!(" (replay {pace})"), theme.dim()));
    } else {
        spans.push(Span::styled(
            format!("  {}", market_clock(chrono::Utc::now())),
            theme.dim(),
        ));
    }
    spans.push(Span::styled(format!("   {help_key} help"), theme.dim()));
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
