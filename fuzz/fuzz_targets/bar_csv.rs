//! The universal bar loader: any text loads or fails cleanly; loaded bars are ascending.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(l) = double_agent::data::load_bars("fuzz.csv", &text) {
        assert!(l.bars.windows(2).all(|w| w[0].time < w[1].time));
    }
});
