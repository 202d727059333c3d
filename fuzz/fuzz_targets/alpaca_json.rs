//! Alpaca REST JSON (bars page, order, positions, account, clock, calendar, error body): any
//! bytes parse or fail cleanly, and whatever parses converts without panicking.
#![no_main]

use double_agent::alpaca::wire::{Account, BarsPage, CalendarDay, Clock, Order, WirePosition};
use double_agent::alpaca::AlpacaError;
use double_agent::model::Symbol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The same steps `fetch_bars` takes with a page: symbols, bars, the impossibility check.
    if let Ok(page) = serde_json::from_slice::<BarsPage>(data) {
        if let Some(t) = page.next_token() {
            assert!(!t.is_empty(), "an empty token means no more pages");
        }
        for (name, bars) in page.into_series("IWM") {
            let _ = name.parse::<Symbol>();
            for wb in bars {
                let bar = wb.to_bar();
                if bar.impossibility().is_none() {
                    assert!(bar.close.is_finite() && bar.close > 0.0 && bar.high >= bar.low);
                } else {
                    let _ = format!("{}", bar.time);
                }
            }
        }
    }
    let _ = serde_json::from_slice::<Order>(data);
    let _ = serde_json::from_slice::<Account>(data);
    let _ = serde_json::from_slice::<Clock>(data);
    if let Ok(positions) = serde_json::from_slice::<Vec<WirePosition>>(data) {
        for p in positions {
            if p.side.as_deref() == Some("short") {
                assert!(p.signed_qty() <= rust_decimal::Decimal::ZERO);
            }
        }
    }
    if let Ok(days) = serde_json::from_slice::<Vec<CalendarDay>>(data) {
        for d in days {
            let _ = d.session();
        }
    }
    let text = String::from_utf8_lossy(data);
    let e = AlpacaError::from_response(502, &text);
    let _ = (
        e.to_string(),
        e.is_ambiguous(),
        e.is_duplicate_client_order_id(),
    );
});
