//! The fast path gives `f64::from_str`'s bits, or leaves the field to it.
use proptest::prelude::*;

use super::*;

fn same(s: &str) {
    let want = s.parse::<f64>().ok().map(f64::to_bits);
    assert_eq!(parse_f64(s).map(f64::to_bits), want, "{s:?}");
}

#[test]
fn edge_cases_read_as_from_str_reads_them() {
    for s in [
        "0",
        "-0",
        "+0",
        "0.0",
        "-0.0",
        "00012.50",
        "1",
        "200.0216",
        "87911",
        "+3.5",
        "-3.5",
        "5.",
        ".5",
        "-.5",
        "+",
        "-",
        ".",
        "",
        "1e5",
        "1E-3",
        "inf",
        "-inf",
        "NaN",
        "nan",
        "1,5",
        " 1",
        "1 ",
        "1..2",
        "1.2.3",
        "0x10",
        "--1",
        "+-1",
        "9007199254740992",
        "9007199254740993",
        "900719925474099.3",
        "9007199254740992.0",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "0.0000000000000000000001",
        "0.00000000000000000000001",
        "1.0000000000000000000000",
        "97.16288135205448",
        "30.3700008392334",
        "214.79",
        "0.1",
        "0.3",
        "123456789012345678",
    ] {
        same(s);
    }
}

/// The embedded files' every field, and the shared fixtures' (yfinance, Tiingo, 1-minute).
#[test]
fn every_number_of_the_bundled_and_fixture_files() {
    let mut texts: Vec<String> = crate::model::Symbol::EVERY
        .iter()
        .map(|s| crate::data::embedded::csv(*s).1.to_string())
        .collect();
    for f in ["IWM_1m_2019.csv", "IWM_15m_2025.csv", "IWM_tiingo_2024.csv"] {
        let path = format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
        texts.push(std::fs::read_to_string(path).unwrap());
    }
    let mut n = 0;
    for text in &texts {
        for field in text.lines().skip(1).flat_map(|l| l.split(',')) {
            same(field);
            n += 1;
        }
    }
    assert!(n > 100_000, "{n}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Decimals as vendors write them: any digits before and after the point, signs, zeros.
    #[test]
    fn random_decimals(
        sign in prop_oneof![Just(""), Just("-"), Just("+")],
        whole in "[0-9]{1,12}",
        frac in proptest::option::of("[0-9]{0,16}"),
    ) {
        let s = match frac {
            Some(f) => format!("{sign}{whole}.{f}"),
            None => format!("{sign}{whole}"),
        };
        same(&s);
    }

    /// Prices a few units in the last place off a 4-decimal one, printed in full (as a float
    /// written by `repr` is), and at 2–6 decimals.
    #[test]
    fn printed_floats(bits in 0x3f00_0000_0000_0000u64..0x4100_0000_0000_0000, d in 0usize..7) {
        let p = f64::from_bits(bits);
        same(&p.to_string());
        same(&format!("{p:.d$}"));
    }

    #[test]
    fn any_short_text(s in "[-+0-9.eE]{0,24}") {
        same(&s);
    }
}
