//! Property tests for the bar loader and Alpaca's JSON (the `bar_csv` and `alpaca_json` fuzz
//! targets go further): no input panics, and what loads keeps its invariants.

use double_agent::alpaca::wire::{Account, BarsPage, CalendarDay, Clock, Order, WirePosition};
use double_agent::alpaca::AlpacaError;
use double_agent::data::load_bars;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A number as Alpaca might send it: quoted or not, odd exponents, junk.
const NUM: &str = r#"("-?[0-9]{1,6}(\.[0-9]{1,4})?"|-?[0-9]{1,6}(\.[0-9]{1,4})?|"-?[0-9]e-?[0-9]{1,3}"|[0-9]e[0-9]{1,3}|null|"x")"#;
/// A time: mostly valid RFC 3339 (UTC or New York offset), sometimes not.
const TIME: &str = r#"("2025-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:00(Z|-04:00)"|"[0-9T:.Z+-]{0,26}")"#;

/// A price cell: mostly plausible, sometimes zero, negative, NaN or junk.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (1u32..500, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        1 => prop_oneof![Just("0"), Just("-1.5"), Just("NaN"), Just("inf"), Just(""), Just("1e400")]
            .prop_map(str::to_string),
    ]
}

/// CSV rows `date,open,high,low,close,volume`, days possibly repeated or out of order.
fn rows() -> impl Strategy<Value = String> {
    let row = (1u32..29, cell(), cell(), cell(), cell(), 0u32..1_000_000);
    proptest::collection::vec(row, 0..15).prop_map(|rows| {
        let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
        for (d, o, h, l, c, v) in rows {
            text.push_str(&format!("2024-02-{d:02},{o},{h},{l},{c},{v}\n"));
        }
        text
    })
}

proptest! {
    #[test]
    fn bar_loader_never_panics_and_loaded_bars_ascend(text in rows()) {
        if let Ok(l) = load_bars("prop.csv", &text) {
            prop_assert!(l.bars.windows(2).all(|w| w[0].time < w[1].time));
            prop_assert!(l.bars.iter().all(|b| b.impossibility().is_none()));
        }
    }

    #[test]
    fn bar_loader_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = load_bars("prop.csv", &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn alpaca_json_any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = serde_json::from_slice::<BarsPage>(&bytes).map(|p| p.into_series("IWM"));
        let _ = serde_json::from_slice::<Order>(&bytes);
        let _ = serde_json::from_slice::<Vec<WirePosition>>(&bytes);
        let _ = serde_json::from_slice::<Account>(&bytes);
        let _ = serde_json::from_slice::<Clock>(&bytes);
        let _ = serde_json::from_slice::<Vec<CalendarDay>>(&bytes);
        let _ = AlpacaError::from_response(500, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn alpaca_shapes_with_odd_values(
        t in TIME, p in NUM, q in NUM, side in "\"(long|short|x)\"",
        hhmm in "[0-9:]{0,6}",
    ) {
        let page = format!(r#"{{"bars":{{"IWM":[{{"t":{t},"o":{p},"h":{p},"l":{q},"c":{q},"v":{q}}}]}},"next_page_token":{t}}}"#);
        if let Ok(page) = serde_json::from_str::<BarsPage>(&page) {
            for (_, bars) in page.into_series("IWM") {
                for b in bars {
                    let _ = b.to_bar().impossibility();
                }
            }
        }
        let pos = format!(r#"[{{"symbol":"TWM","qty":{q},"avg_entry_price":{p},"side":{side}}}]"#);
        if let Ok(ps) = serde_json::from_str::<Vec<WirePosition>>(&pos) {
            for w in ps {
                if w.side.as_deref() == Some("short") {
                    prop_assert!(w.signed_qty() <= Decimal::ZERO);
                }
            }
        }
        let order = format!(r#"{{"id":"a","client_order_id":"c","symbol":"IWM","side":"buy","status":"new","filled_qty":{q},"filled_avg_price":{p},"filled_at":{t}}}"#);
        let _ = serde_json::from_str::<Order>(&order);
        let _ = serde_json::from_str::<Account>(&format!(r#"{{"cash":{p},"equity":{q}}}"#));
        let day = format!(r#"[{{"date":"2025-03-09","open":"{hhmm}","close":"{hhmm}"}}]"#);
        if let Ok(days) = serde_json::from_str::<Vec<CalendarDay>>(&day) {
            let _ = days[0].session();
        }
    }
}
