//! A bar file's numbers, read as `f64::from_str` reads them, bit for bit. Most fields are plain
//! decimals of a few digits (`200.0216`, `87911`): for those the exact value is an integer over
//! a power of ten, both exact in an f64, and one division rounds it correctly, which is what
//! `from_str` returns too (Clinger's fast path). Everything else (more digits, exponents, `inf`)
//! goes to `from_str`. `from_str`'s generic path cost ≈ 250 instructions a field, a tenth of a
//! backtest over 1-minute files.

/// Powers of ten, each exact in an f64 (up to 1e22 are).
const POW10: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// The largest integer up to which every integer is an f64.
const EXACT: u64 = 1 << 53;

/// `s.parse::<f64>()`, faster on plain decimals.
pub fn parse_f64(s: &str) -> Option<f64> {
    plain(s.as_bytes()).or_else(|| s.parse().ok())
}

/// A plain decimal, or `None` for what `from_str` may still read (or refuse).
pub fn parse_plain(s: &str) -> Option<f64> {
    plain(s.as_bytes())
}

/// `[+-]digits[.digits]` whose digits, read as one integer, are at most 2^53 (so at most 19 of
/// them, and at most 19 after the point); `None` for anything else.
fn plain(b: &[u8]) -> Option<f64> {
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
            // 20 digits can wrap; they are refused below.
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && dot == b.len() {
            dot = i;
        } else {
            return None;
        }
    }
    // "5." and ".5" are numbers to `from_str` too; they are rare enough to leave to it.
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

#[cfg(test)]
#[path = "number_tests.rs"]
mod tests;
