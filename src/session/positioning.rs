//! The positioning pane and the Bear's evidence, both as of the bar clock's market day.

use super::{Notice, Session};
use crate::engine::EngineEvent;

impl Session {
    /// Rebuild the positioning summary and hand the Bear the evidence as of the bar clock's day:
    /// it only ever sees reports already published on that day.
    pub(super) fn refresh_positioning(&mut self, out: &mut Vec<Notice>, summary: bool) {
        let Some(day) = self.market_day() else { return };
        if summary {
            self.store.positioning_summary = Some(self.store.positioning.summary(day));
        }
        let evidence = self.store.positioning.evidence_as_of(day);
        self.process_engine(EngineEvent::Evidence(evidence), out);
    }

    /// The positioning pane as of the bar clock's day.
    pub(super) fn refresh_summary(&mut self) {
        if let Some(day) = self.market_day() {
            self.store.positioning_summary = Some(self.store.positioning.summary(day));
        }
    }

    pub(super) fn market_day(&self) -> Option<chrono::NaiveDate> {
        let now = self.store.now?;
        Some(
            now.with_timezone(&chrono_tz::America::New_York)
                .date_naive(),
        )
    }
}
