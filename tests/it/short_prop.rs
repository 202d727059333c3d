//! Property tests: no parser panics on arbitrary input (the fuzz targets go further).

use double_agent::feed::cftc::{markets, parse_tff_json};
use double_agent::feed::finra::{parse_regsho, parse_si_json, parse_si_pipe};
use proptest::prelude::*;

use crate::short_mock::test_config;

proptest! {
    #[test]
    fn si_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_si_json(&bytes);
    }

    #[test]
    fn si_json_rows_of_any_shape_never_panic(v in "\\[\\{(\"(symbolCode|settlementDate|currentShortPositionQuantity|averageDailyVolumeQuantity|revisionFlag|x)\":(\"[-0-9.eE ]{0,12}\"|-?[0-9.]{1,20}|null|\\[\\]),?){0,8}\\}\\]") {
        let _ = parse_si_json(v.as_bytes());
    }

    #[test]
    fn pipe_and_regsho_never_panic(body in "[0-9A-Za-z|.,\\- \r\n]{0,400}") {
        let header_si = "settlementDate|symbolCode|currentShortPositionQuantity|daysToCoverQuantity\n";
        let header_sv = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\r\n";
        let _ = parse_si_pipe(&body, &[]);
        let _ = parse_si_pipe(&format!("{header_si}{body}"), &[]);
        let _ = parse_regsho(&body, &[]);
        let _ = parse_regsho(&format!("{header_sv}{body}"), &["IWM"]);
    }

    #[test]
    fn tff_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_tff_json(&bytes, &markets(&test_config()));
    }

    #[test]
    fn tff_rows_of_any_shape_never_panic(code in "(239742|209742|x)", date in "[0-9T:.\\-]{0,26}", n in "[-0-9.eE ]{0,22}") {
        let body = format!(r#"[{{"cftc_contract_market_code":"{code}","report_date_as_yyyy_mm_dd":"{date}",
            "lev_money_positions_long":"{n}","lev_money_positions_short":{n:?},"asset_mgr_positions_long":"1","asset_mgr_positions_short":"2"}}]"#);
        let _ = parse_tff_json(body.as_bytes(), &markets(&test_config()));
    }
}
