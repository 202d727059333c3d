//! Exact fixed-point formatting of `f64` (`{:.0}`, `{:.1}`, `{:.2}`) without the general float
//! machinery. The fast path reads the binary value exactly (mantissa × 2^e) and rounds it to the
//! decimal grid with integer arithmetic, ties to even on the exact value — which is what `{:.N}`
//! does; anything outside it (negative, zero, huge, tiny, non-finite, width or sign flags) falls
//! back to `{:.N}` itself. A test compares both over millions of values, exact ties included.

use std::fmt;

/// `Fx::<N>(x)` displays like `format!("{:.N}", x)`, N ≤ 3.
#[derive(Clone, Copy)]
pub(crate) struct Fx<const N: u32>(pub f64);

pub(crate) fn f0(x: f64) -> Fx<0> {
    Fx(x)
}
pub(crate) fn f1(x: f64) -> Fx<1> {
    Fx(x)
}
pub(crate) fn f2(x: f64) -> Fx<2> {
    Fx(x)
}

impl<const N: u32> Fx<N> {
    /// The value rounded to N decimals, as an integer count of 10^-N, when the fast path applies.
    #[inline]
    fn scaled(self) -> Option<u64> {
        let x = self.0;
        // Positive, normal and below 2^52: x = m × 2^-sh with a 53-bit m and sh ≥ 1.
        if !(f64::MIN_POSITIVE..4_503_599_627_370_496.0).contains(&x) {
            return None;
        }
        let bits = x.to_bits();
        let m = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let sh = 1075 - ((bits >> 52) as u32);
        if sh > 120 {
            return None;
        }
        let p = u128::from(m) * u128::from(10u64.pow(N));
        let q = p >> sh;
        let r = p & ((1u128 << sh) - 1);
        let half = 1u128 << (sh - 1);
        let up = r > half || (r == half && q & 1 == 1);
        Some(q as u64 + u64::from(up))
    }
}

impl<const N: u32> fmt::Display for Fx<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = f.width().is_none() && f.precision().is_none() && !f.sign_plus();
        match self.scaled() {
            Some(v) if plain => {
                let mut buf = [0u8; 32];
                let mut i = buf.len();
                let mut v = v;
                let mut digits = 0;
                // At least N + 1 digits so "0.05" keeps its leading zero.
                while v > 0 || digits <= N {
                    if digits == N && N > 0 {
                        i -= 1;
                        buf[i] = b'.';
                    }
                    i -= 1;
                    buf[i] = b'0' + (v % 10) as u8;
                    v /= 10;
                    digits += 1;
                }
                // Only ASCII digits and '.' were written.
                f.write_str(std::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?)
            }
            _ => write!(f, "{:.*}", N as usize, self.0),
        }
    }
}

/// Two prices compared in a reason, to cents, with as many more digits (up to 6) as it takes
/// for the two to read differently when they differ: never `close 204.53 > stop 204.53`.
pub(crate) fn cmp2(a: f64, b: f64) -> (String, String) {
    for dp in 2..=6 {
        let (x, y) = (format!("{a:.dp$}"), format!("{b:.dp$}"));
        if x != y || dp == 6 {
            return (x, y);
        }
    }
    unreachable!()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(x: f64) {
        assert_eq!(f0(x).to_string(), format!("{x:.0}"), "{x:e}");
        assert_eq!(f1(x).to_string(), format!("{x:.1}"), "{x:e}");
        assert_eq!(f2(x).to_string(), format!("{x:.2}"), "{x:e}");
    }

    #[test]
    fn matches_std_formatting() {
        let specials = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.25,
            0.125,
            0.375,
            0.005,
            0.015,
            0.045,
            1.005,
            2.675,
            99.995,
            999.9949999,
            1e-300,
            5e-324,
            1e15,
            4.5e15,
            1e300,
            -1.25,
            -0.001,
            0.05,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            4503599627370495.5,
            123456.785,
        ];
        for x in specials {
            same(x);
        }
        // Exact ties at every precision: k / 8 and k / 2000 (the latter rarely exact).
        for k in 0..20_000u32 {
            same(f64::from(k) / 8.0);
            same(f64::from(k) / 2000.0);
        }
        // Pseudo-random magnitudes (xorshift), prices and small ratios.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let e = ((s & 63) as i32) - 30;
            same(u * 2f64.powi(e));
            same(f64::from_bits(s >> 1));
            same(u * 1000.0);
        }
    }
}

#[cfg(test)]
mod cmp_tests {
    #[test]
    fn a_comparison_shows_the_digits_that_tell_the_prices_apart() {
        assert_eq!(
            super::cmp2(204.531, 204.3),
            ("204.53".into(), "204.30".into())
        );
        assert_eq!(
            super::cmp2(204.5312, 204.5281),
            ("204.531".into(), "204.528".into())
        );
        let stop = crate::engine::why::Why::BearStopHit {
            close: 204.5312,
            stop: 204.5281,
            lowest: 196.1,
            mult: 3.0,
        };
        assert!(
            stop.to_string().starts_with("close 204.531 > stop 204.528"),
            "{stop}"
        );
    }
}
