//! A bar file's numbers, read as `f64::from_str` reads them, bit for bit. `from_str` returns
//! the double nearest the decimal's exact value (ties to the even one); so does any method that
//! finds that double, and the fast paths here do:
//!
//! - a decimal of a few digits (`200.0216`, `87911`) is an integer up to 2^53 over a power of
//!   ten, both exact in an f64, and one correctly rounded division gives the nearest double
//!   (Clinger's fast path);
//! - a longer one (`32.59203784236008`, as yfinance writes every price) has an integer of up to
//!   19 digits: one division comes within an ulp or two, and the nearest double is found by
//!   comparing the exact value with the midpoints beside it in 128-bit integers.
//!
//! Everything else (20 digits or more, exponents, `inf`) goes to `from_str`. Its general path
//! was ≈ 250 instructions a field, and on 17-digit fields `plain` read the digits before giving
//! them to it to read again: a third of a backtest over the daily files.

use std::cmp::Ordering;

/// Powers of ten, each exact in an f64 (up to 1e22 are).
const POW10: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// The same powers as integers (10^19 < 2^64), for the exact comparisons.
const POW10_INT: [u64; 20] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
    10_000_000_000_000_000_000,
];

/// The largest integer up to which every integer is an f64.
const EXACT: u64 = 1 << 53;

/// `s.parse::<f64>()`, faster on plain decimals.
pub fn parse_f64(s: &str) -> Option<f64> {
    plain(s.as_bytes()).or_else(|| s.parse().ok())
}

/// A plain decimal, or `None` for what `from_str` may still read (or refuse).
#[inline]
pub fn parse_plain(b: &[u8]) -> Option<f64> {
    plain(b)
}

/// `[+-]digits[.digits]` with at most 19 digits in all; `None` for anything else.
#[inline(always)]
fn plain(b: &[u8]) -> Option<f64> {
    scan(b).and_then(|(v, n)| (n == b.len()).then_some(v))
}

/// The plain decimal a row's field starts `r` with, and its length, if a comma or the row's end
/// follows it: then the field is that decimal, and this is what `plain` reads of it. The comma
/// is found by the conversion's own end, not by a pass of its own.
#[inline]
pub fn plain_field(r: &[u8]) -> Option<(f64, usize)> {
    scan(r).filter(|&(_, n)| matches!(r.get(n), None | Some(b',')))
}

/// The longest `[+-]digits[.digits]` at the start of `r` (a point only with a digit after it),
/// its value if it has at most 19 digits, and its length.
#[inline(always)]
fn scan(r: &[u8]) -> Option<(f64, usize)> {
    let (negative, sign) = match r.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let b = &r[sign..];
    let (m, whole) = whole_digits(b);
    // "5." and ".5" are numbers to `from_str` too; they are rare enough to leave to it.
    if whole == 0 {
        return None;
    }
    let (m, frac) = match b.get(whole) {
        Some(b'.') => fraction_digits(&b[whole + 1..], m),
        _ => (m, 0),
    };
    // Up to 19 digits, `m` is their exact value (20 could have wrapped).
    if whole + frac > 19 {
        return None;
    }
    let v = if m <= EXACT {
        m as f64 / POW10[frac]
    } else if frac == 0 {
        // The conversion rounds to nearest, ties to even.
        m as f64
    } else {
        nearest(m, frac)?
    };
    let len = sign + whole + if frac > 0 { frac + 1 } else { 0 };
    Some((if negative { -v } else { v }, len))
}

/// The digits at the start of `b` as a number, and how many there were. One at a time: a
/// price's whole part is short, and eight bytes tried at once would hold its point. Wraps past
/// 19 digits; the caller refuses those.
#[inline(always)]
fn whole_digits(b: &[u8]) -> (u64, usize) {
    singles(b, 0, 0)
}

/// The digits of `b` appended to `m`, eight and then four at a time where they run that long
/// (after the point they run to the end of the field), and how many there were.
#[inline(always)]
fn fraction_digits(b: &[u8], mut m: u64) -> (u64, usize) {
    let mut i = 0;
    while i + 8 <= b.len() {
        let v = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if !eight_digits(v) {
            break;
        }
        m = m.wrapping_mul(100_000_000).wrapping_add(eight(v));
        i += 8;
    }
    if i + 4 <= b.len() {
        let v = u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
        if four_digits(v) {
            m = m.wrapping_mul(10_000).wrapping_add(four(v));
            i += 4;
        }
    }
    singles(b, i, m)
}

/// The digits of `b` from `i` on appended to `m`, one at a time, and where they stopped.
#[inline(always)]
fn singles(b: &[u8], mut i: usize, mut m: u64) -> (u64, usize) {
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (m, i)
}

/// Whether the eight bytes of `v` (first byte lowest) are all ASCII digits: each byte's high
/// nibble is 3, and adding 6 to it does not carry into the high nibble (so the low one is ≤ 9).
#[inline(always)]
fn eight_digits(v: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    (v & HIGH) | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4) == 0x3333_3333_3333_3333
}

/// `eight_digits` for four bytes.
#[inline(always)]
fn four_digits(v: u32) -> bool {
    const HIGH: u32 = 0xF0F0_F0F0;
    (v & HIGH) | ((v.wrapping_add(0x0606_0606) & HIGH) >> 4) == 0x3333_3333
}

/// Four ASCII digits (first byte lowest) as their number: pairs, then the pairs' pair.
#[inline(always)]
fn four(v: u32) -> u64 {
    let v = u64::from(v - 0x3030_3030);
    // Bytes 0 and 2 hold the pairs (below 100); the multiply sums 100 · first + second into
    // bits 16..32.
    let v = v * 10 + (v >> 8);
    (((v & 0x00FF_00FF) * (1 + (100 << 16))) >> 16) & 0xFFFF
}

/// Eight ASCII digits (first byte lowest, the most significant digit) as their number: pairs,
/// then fours, then the eight, each step one multiply.
#[inline(always)]
fn eight(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    let v = v - 0x3030_3030_3030_3030;
    let v = v * 10 + (v >> 8);
    ((v & MASK)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

/// The double nearest `m / 10^frac` (ties to even), for `m` up to 19 digits and `frac` 1..=19;
/// `None` (left to `from_str`) where the comparisons would not fit in 128 bits.
fn nearest(m: u64, frac: usize) -> Option<f64> {
    let p = POW10_INT[frac];
    // Two roundings: within a couple of ulps of the nearest; each step below moves one.
    let mut c = m as f64 / POW10[frac];
    for _ in 0..4 {
        match above_midpoint(m, p, c)? {
            Ordering::Greater => c = f64::from_bits(c.to_bits() + 1),
            Ordering::Equal => return Some(even(c, f64::from_bits(c.to_bits() + 1))),
            Ordering::Less => {
                let below = f64::from_bits(c.to_bits() - 1);
                match above_midpoint(m, p, below)? {
                    Ordering::Less => c = below,
                    Ordering::Equal => return Some(even(below, c)),
                    Ordering::Greater => return Some(c),
                }
            }
        }
    }
    None
}

/// Of two neighbouring doubles, the one whose last mantissa bit is 0.
fn even(a: f64, b: f64) -> f64 {
    if a.to_bits() & 1 == 0 {
        a
    } else {
        b
    }
}

/// How `m / p` compares with the midpoint between `d` and the next double up, exactly. `d` is
/// positive and normal, `M · 2^E` with `M` its 53-bit mantissa: the midpoint is
/// `(2M + 1) · 2^(E - 1)`, so the comparison is `m · 2^(1 - E)` against `(2M + 1) · p`
/// (< 2^54 · 2^64), both integers while they fit.
fn above_midpoint(m: u64, p: u64, d: f64) -> Option<Ordering> {
    let bits = d.to_bits();
    let exp = (bits >> 52) as i32;
    if exp == 0 || exp == 0x7FF {
        return None;
    }
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let e = exp - 1075;
    let mid = u128::from(2 * mantissa + 1) * u128::from(p);
    let shift = 1 - e;
    match shift {
        0..=64 => Some((u128::from(m) << shift).cmp(&mid)),
        -10..=-1 => Some(u128::from(m).cmp(&(mid << -shift))),
        _ => None,
    }
}

#[cfg(test)]
#[path = "number_tests.rs"]
mod tests;
