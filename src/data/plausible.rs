//! What a bar file can look right row by row and still get wrong: a split applied twice (an
//! adjusted file with the vendor's split column), another symbol's prices. Said as warnings
//! naming the row; the bars still load.

use super::loader::{LoadWarning, Row};
use crate::model::Bar;

/// The largest one-day move (either way) any of these ETFs can make: IWM's worst day was
/// −14 %, SRTY's (3×) best about +45 %. A file beyond it has wrong prices (a split applied twice,
/// another symbol's prices).
pub const MAX_DAY_MOVE: f64 = 0.6;

/// A split whose jump is not in the prices is already applied: applying it again would make a
/// day move by the split's ratio. Such splits are set to 1, each with a warning.
pub(super) fn splits_already_applied(file: &str, rows: &mut [Row]) -> Vec<LoadWarning> {
    let mut out = Vec::new();
    for i in 1..rows.len() {
        let c = rows[i].split;
        if c == 1.0 {
            continue;
        }
        // Raw prices jump by the split's ratio overnight; adjusted ones do not.
        let gap = rows[i - 1].bar.close / rows[i].bar.open;
        if (gap.ln() - c.ln()).abs() > gap.ln().abs() {
            rows[i].split = 1.0;
            out.push(LoadWarning {
                file: file.to_string(),
                line: rows[i].line,
                message: format!(
                    "split {c} on {} is already in the prices (close {:.2} the day before, \
                     open {:.2}): not applied again",
                    rows[i].stamp.local_date,
                    rows[i - 1].bar.close,
                    rows[i].bar.open
                ),
                skipped: false,
            });
        }
    }
    out
}

/// A move from the previous bar's close no ETF of ours makes in a day, named with its date.
pub(super) fn impossible_move(prev: &Bar, r: &Row) -> Option<String> {
    let change = r.bar.close / prev.close - 1.0;
    (change.abs() > MAX_DAY_MOVE).then(|| {
        format!(
            "impossible one-day move on {}: close {:.2} → {:.2} ({:+.0} %); are the prices \
             already split-adjusted, or another symbol's?",
            r.stamp.local_date,
            prev.close,
            r.bar.close,
            change * 100.0
        )
    })
}
