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
        // Long integers and decimals past 2^53: the nearest double by exact comparison, ties
        // (exact midpoints) to the even one.
        "9007199254740993.0",
        "9007199254740995.0",
        "900719925474099.25",
        "900719925474099.75",
        "4503599627370496.5",
        "4503599627370497.5",
        "1234567890123456789",
        "9999999999999999999",
        "999999999999999999.9",
        "0.9999999999999999999",
        "0.0009007199254740993",
        "0.0000000000000000001",
        "32.59203784236008",
        "32.726253509521484",
        "0.30000000000000004",
        "1.7976931348623157",
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

/// A tiny deterministic generator, for more cases than proptest's runs.
fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Integers of 16 to 19 digits with the point anywhere: the 128-bit rounding against
/// `from_str`, two million times.
#[test]
fn long_decimals_in_bulk() {
    let mut x = 0x9E37_79B9_7F4A_7C15;
    for i in 0..2_000_000u64 {
        let digits = 16 + (i % 4) as u32;
        let m = xorshift(&mut x) % 10u64.pow(digits);
        let text = format!("{m:0width$}", width = digits as usize);
        let point = 1 + (xorshift(&mut x) % u64::from(digits - 1)) as usize;
        let decimal = format!("{}.{}", &text[..point], &text[point..]);
        same(&decimal);
        same(&text);
        // Not left to `from_str`: the fast path itself answered.
        assert!(parse_plain(decimal.as_bytes()).is_some(), "{decimal}");
    }
}

/// Exact midpoints between neighbouring doubles that have at most 19 digits: ties go to the
/// even neighbour, as `from_str` sends them.
#[test]
fn midpoints_round_to_even() {
    let mut x = 0x2545_F491_4F6C_DD1D;
    let mut n = 0;
    for _ in 0..200_000 {
        // d = M · 2^-k, with the midpoint (2M + 1) · 2^-(k + 1) = (2M + 1) · 5^(k+1) / 10^(k+1).
        let k = (xorshift(&mut x) % 12) as u32;
        let mantissa = (1u64 << 52) | (xorshift(&mut x) & ((1 << 52) - 1));
        let Some(m) = u128::from(2 * mantissa + 1).checked_mul(5u128.pow(k + 1)) else {
            continue;
        };
        if m >= 10u128.pow(19) {
            continue;
        }
        let text = format!("{m:0width$}", width = k as usize + 2);
        let point = text.len() - (k as usize + 1);
        same(&format!("{}.{}", &text[..point], &text[point..]));
        n += 1;
    }
    assert!(n > 10_000, "{n}");
}

/// The byte-at-a-time reader the digit loops replace, as it was: the oracle for them.
fn old_plain(b: &[u8]) -> Option<f64> {
    let (negative, b) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut m: u64 = 0;
    let mut dot = b.len();
    for (i, &c) in b.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && dot == b.len() {
            dot = i;
        } else {
            return None;
        }
    }
    let frac = match dot {
        0 => return None,
        d if d == b.len() => 0,
        d if d == b.len() - 1 => return None,
        d => b.len() - 1 - d,
    };
    let digits = b.len() - usize::from(frac > 0);
    if digits > 19 || m > EXACT {
        return None;
    }
    let v = m as f64 / POW10[frac];
    Some(if negative { -v } else { v })
}

/// Every text of up to 8 bytes over digits, points, signs and a stranger: the loops (whole part
/// one at a time, fraction four at a time) answer exactly where the old loop did, with the same
/// bits.
#[test]
fn short_fields_as_the_old_loop_read_them() {
    const ALPHABET: &[u8] = b"0179.-x";
    let mut n = 0;
    for len in 1..=8u32 {
        for mut k in 0..(ALPHABET.len() as u64).pow(len) {
            let mut text = Vec::with_capacity(len as usize);
            for _ in 0..len {
                text.push(ALPHABET[(k % ALPHABET.len() as u64) as usize]);
                k /= ALPHABET.len() as u64;
            }
            let s = std::str::from_utf8(&text).unwrap();
            let want = old_plain(&text).map(f64::to_bits);
            assert_eq!(parse_plain(s.as_bytes()).map(f64::to_bits), want, "{s:?}");
            n += usize::from(want.is_some());
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// A field read where it lies in a row is the field read alone, and is read whenever a
    /// comma or the row's end follows a plain decimal.
    #[test]
    fn a_field_where_it_lies(
        field in "[-+]?[0-9]{0,22}(\\.[0-9]{0,22})?|[-+0-9.eE ]{0,8}",
        after in "(,[-+0-9.a ]{0,10})?",
    ) {
        let row = format!("{field}{after}");
        let alone = plain(field.as_bytes()).map(|v| (v.to_bits(), field.len()));
        let at = plain_field(row.as_bytes()).map(|(v, n)| (v.to_bits(), n));
        prop_assert_eq!(at, alone, "{:?}", row);
    }
}
