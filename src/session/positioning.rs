//! The positioning pane and the Bear's evidence, both as of the newest IWM bar's close: only
//! reports already published then. Looked at again only when the book says something may have
//! changed (a new market day with a report due, a CFTC release), rebuilt only when it did.

use chrono::{DateTime, Utc};

use super::{Notice, Session};
use crate::engine::EngineEvent;
use crate::feed::cftc::RTY;
use crate::model::{Bar, Symbol};

/// How far the IWM/RUT ratio may drift before the index levels are placed again.
const INDEX_RATIO_DRIFT: f64 = 0.005;
use crate::model::ShortEvidence;
use crate::positioning::{AsOf, FuturesLine, Visible};

/// What the positioning refresh last saw and handed on.
#[derive(Default)]
pub(super) struct Watch {
    /// The reports public at the last look, and when to look again (`None`: look at once).
    pub(super) seen: Option<Visible>,
    /// When that look was.
    seen_at: Option<DateTime<Utc>>,
    /// The evidence last handed to the engine.
    evidence: Option<ShortEvidence>,
    /// The IWM/RUT ratio `levels.index_levels` were last placed at in the engine.
    index_ratio: Option<f64>,
    /// A newly public CFTC report, announced after the notice of the bar that revealed it.
    pub(super) notice: Option<Notice>,
}

impl Session {
    /// At each IWM bar: whatever the order the symbols' bars of a new day arrive in.
    pub(super) fn positioning_on_iwm_bar(&mut self, bar: &Bar, live: bool, out: &mut Vec<Notice>) {
        let close = bar.time + chrono::Duration::seconds(self.store.timeframe.seconds() - 1);
        let due = match &self.positioning.seen {
            Some(v) => v.due(bar.time.date_naive(), close),
            None => true,
        };
        if due {
            self.refresh_positioning(bar.time, live, false, out);
            self.place_index_levels(bar);
        }
    }

    /// `levels.index_levels` (RUT points) in IWM dollars at the IWM/RUT ratio of the newest IWM
    /// bar: (points, IWM price). Empty when none are configured or RUT is not known that day.
    pub fn index_levels(&self) -> Vec<(f64, f64)> {
        let points = &self.cfg.levels.index_levels;
        let Some(bar) = self.store.series(Symbol::Iwm).last() else {
            return Vec::new();
        };
        match self.iwm_per_rut(bar) {
            Some(r) if !points.is_empty() => points.iter().map(|p| (*p, p * r)).collect(),
            _ => Vec::new(),
        }
    }

    fn iwm_per_rut(&self, bar: &Bar) -> Option<f64> {
        let day = crate::alpaca::session::ny_date(bar.time);
        let (_, rut) = self.store.positioning.russell_close(day)?;
        Some(bar.close / rut).filter(|r| r.is_finite() && *r > 0.0)
    }

    /// Hand the engine the index levels as configured supports / resistances, again only when
    /// the ratio has drifted (dividends move adjusted IWM against the index by ~1 % a year).
    fn place_index_levels(&mut self, bar: &Bar) {
        if self.cfg.levels.index_levels.is_empty() {
            return;
        }
        let Some(ratio) = self.iwm_per_rut(bar) else {
            return;
        };
        if self
            .positioning
            .index_ratio
            .is_some_and(|r| (ratio / r - 1.0).abs() <= INDEX_RATIO_DRIFT)
        {
            return;
        }
        self.positioning.index_ratio = Some(ratio);
        let prices = self
            .cfg
            .levels
            .index_levels
            .iter()
            .map(|p| p * ratio)
            .collect();
        self.process_engine(EngineEvent::IndexLevels(prices), &mut Vec::new());
    }

    /// Look at the book as of the close of the bar starting at `start`; `force` after the book
    /// itself changed.
    pub(super) fn refresh_positioning(
        &mut self,
        start: DateTime<Utc>,
        live: bool,
        force: bool,
        out: &mut Vec<Notice>,
    ) {
        let at = AsOf::bar_close(start, self.store.timeframe.seconds());
        let before = self.positioning.seen.take();
        // A changed book, or an instant before the last look's, is looked at afresh.
        let since = before
            .as_ref()
            .filter(|_| !force && self.positioning.seen_at.is_some_and(|t| t <= at.at));
        let visible = self.store.positioning.visible_since(&at, since);
        self.positioning.seen_at = Some(at.at);
        let new_rty =
            visible.fut[0].is_some() && before.as_ref().map(|v| v.fut[0]) != Some(visible.fut[0]);
        if !force && before.as_ref() == Some(&visible) {
            self.positioning.seen = before;
            return;
        }
        // Rebuilt when next drawn (the pane works out ages from the bar clock itself).
        self.store.positioning_at = Some(at);
        self.store.positioning_view = Default::default();
        if live && new_rty && !self.backtest {
            if let Some(futures) = FuturesLine::at(&self.store.positioning, RTY, &at) {
                // After the bar's own notice (see `on_feed`), not before it.
                self.positioning.notice = Some(Notice::PositioningReport { futures });
            }
        }
        let book = &self.store.positioning;
        let evidence = match (&before, &self.positioning.evidence) {
            (Some(b), Some(prev)) => book.evidence_update(&at, &visible, b, prev),
            _ => book.evidence_at(&at),
        };
        self.positioning.seen = Some(visible);
        if self.positioning.evidence.as_ref() != Some(&evidence) {
            self.positioning.evidence = Some(evidence.clone());
            self.process_engine(EngineEvent::Evidence(evidence), out);
        }
    }
}
