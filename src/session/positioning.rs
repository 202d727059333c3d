//! The positioning pane and the Bear's evidence, both as of the newest IWM bar's close: only
//! reports already published then. Looked at again only when the book says something may have
//! changed (a new market day with a report due, a CFTC release), rebuilt only when it did.

use chrono::{DateTime, Utc};

use super::{Notice, Session};
use crate::engine::EngineEvent;
use crate::feed::cftc::RTY;
use crate::model::Bar;
use crate::positioning::{AsOf, FuturesLine};

impl Session {
    /// At each IWM bar: whatever the order the symbols' bars of a new day arrive in.
    pub(super) fn positioning_on_iwm_bar(&mut self, bar: &Bar, live: bool, out: &mut Vec<Notice>) {
        let close = bar.time + chrono::Duration::seconds(self.store.timeframe.seconds() - 1);
        let due = match &self.positioning_seen {
            Some(v) => v.due(bar.time.date_naive(), close),
            None => true,
        };
        if due {
            self.refresh_positioning(bar.time, live, false, out);
        }
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
        let visible = self.store.positioning.visible(&at);
        let before = self.positioning_seen.as_ref();
        let new_rty = visible.fut[0].is_some() && before.map(|v| v.fut[0]) != Some(visible.fut[0]);
        let changed = force || before != Some(&visible);
        self.positioning_seen = Some(visible);
        if !changed {
            return;
        }
        // Rebuilt when next drawn (the pane works out ages from the bar clock itself).
        self.store.positioning_at = Some(at);
        self.store.positioning_view = Default::default();
        if live && new_rty {
            if let Some(futures) = FuturesLine::at(&self.store.positioning, RTY, &at) {
                out.push(Notice::PositioningReport { futures });
            }
        }
        let evidence = self.store.positioning.evidence_at(&at);
        self.process_engine(EngineEvent::Evidence(evidence), out);
    }
}
