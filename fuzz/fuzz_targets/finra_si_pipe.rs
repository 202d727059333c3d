//! FINRA short-interest pipe file (`shrt{YYYYMMDD}.csv`): never panics, filtering keeps a subset.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let all = double_agent::feed::finra::parse_si_pipe(&text, &[]);
    let iwm = double_agent::feed::finra::parse_si_pipe(&text, &["IWM"]);
    if let (Ok(all), Ok(iwm)) = (all, iwm) {
        assert!(iwm.rows.len() <= all.rows.len());
        assert!(iwm.rows.iter().all(|r| r.symbol == "IWM"));
    }
});
