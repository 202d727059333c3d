//! `backtest --trades FILE.csv`: every closed trade, one row each, written as the run closes it.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::store::lots::Lot;

pub struct TradesCsv {
    out: csv::Writer<BufWriter<File>>,
    /// The first write error, reported at the end (a trade is never silently dropped).
    error: Option<csv::Error>,
}

impl TradesCsv {
    pub fn create(path: &Path) -> std::io::Result<TradesCsv> {
        let mut out = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
        let header = [
            "agent",
            "kind",
            "tier",
            "symbol",
            "entry_time",
            "entry_price",
            "exit_time",
            "exit_price",
            "shares",
            "pnl",
            "r",
            "exit_reason",
        ];
        out.write_record(header).map_err(std::io::Error::other)?;
        Ok(TradesCsv { out, error: None })
    }

    pub fn write(&mut self, lot: &Lot) {
        let tier = match lot.tier() {
            0 => String::new(),
            t => t.to_string(),
        };
        // New York time; a daily bar (midnight there) by its date alone.
        let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| {
                let ny = t.with_timezone(&chrono_tz::America::New_York);
                if ny.format("%H:%M").to_string() == "00:00" {
                    ny.format("%Y-%m-%d").to_string()
                } else {
                    ny.format("%Y-%m-%d %H:%M").to_string()
                }
            })
            .unwrap_or_default()
        };
        let row = [
            lot.agent.to_string(),
            lot.kind.name().to_string(),
            tier,
            lot.symbol.to_string(),
            when(Some(lot.entry_time)),
            format!("{:.4}", lot.entry_price()),
            when(lot.exit_time),
            format!("{:.4}", lot.exit_price()),
            lot.shares.to_string(),
            format!("{:.2}", lot.pnl()),
            lot.r().map(|r| format!("{r:.3}")).unwrap_or_default(),
            lot.exit_reason.clone(),
        ];
        if let Err(e) = self.out.write_record(&row) {
            self.error.get_or_insert(e);
        }
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(std::io::Error::other(e));
        }
        self.out.flush()
    }
}
