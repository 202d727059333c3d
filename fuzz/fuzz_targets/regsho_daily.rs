//! Reg SHO daily file: never panics; accepted volumes are finite and non-negative.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = double_agent::feed::finra::parse_regsho(&text, &[]) {
        for r in &p.rows {
            assert!(r.short_volume.is_finite() && r.short_volume >= 0.0);
            assert!(r.total_volume.is_finite() && r.total_volume >= 0.0);
        }
        let _ = double_agent::feed::finra::merge_facilities(vec![p.rows.clone(), p.rows]);
    }
});
