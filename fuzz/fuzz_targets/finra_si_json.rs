//! FINRA consolidatedShortInterest JSON: any bytes parse or fail cleanly; merged rows are unique.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = double_agent::feed::finra::parse_si_json(data) {
        let keys: std::collections::BTreeSet<_> =
            p.rows.iter().map(|r| (&r.symbol, r.settlement_date)).collect();
        assert_eq!(keys.len(), p.rows.len(), "one record per symbol and date");
    }
});
