//! CFTC TFF Socrata JSON: never panics; only the asked-for contract codes come out.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let markets = [
        ("239742".to_string(), "RTY".to_string()),
        ("209742".to_string(), "NQ".to_string()),
    ];
    if let Ok(p) = double_agent::feed::cftc::parse_tff_json(data, &markets) {
        assert!(p
            .rows
            .iter()
            .all(|r| r.contract_code == "239742" || r.contract_code == "209742"));
        let rty: Vec<_> = p.rows.iter().filter(|r| r.market == "RTY").cloned().collect();
        let _ = double_agent::feed::cftc::range_52w(&rty, |r| r.lev_money_net());
    }
});
