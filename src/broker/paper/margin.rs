//! The simulator as a Reg T margin account: buying power beyond cash, and the interest a debit
//! balance pays by calendar day.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{BrokerEvent, PaperBroker};

use crate::model::ny_day::ny_midnight;
use crate::model::Bar;

impl PaperBroker {
    /// A new day: the debit balance pays `margin_rate` for the calendar days since the last one.
    pub(super) fn charge_interest(&mut self, bar: &Bar, events: &mut Vec<BrokerEvent>) {
        if self.interest_seen.replace(bar.time) == Some(bar.time) {
            return;
        }
        // The day already charged: what the days since it (0) would say below.
        if self
            .charged_span
            .is_some_and(|(from, to)| from <= bar.time && bar.time < to)
        {
            return;
        }
        let day = crate::alpaca::session::ny_date(bar.time);
        let Some(last) = self.charged_to.replace(day) else {
            return;
        };
        let days = (day - last).num_days();
        if days <= 0 {
            self.charged_to = Some(last);
            // A second instant of the charged day: the day's others are likely to follow
            // (intraday bars). Worked out here, not at each new day: a daily run never needs it.
            if days == 0 && self.charged_span.is_none() {
                self.charged_span = day_span(last);
            }
            return;
        }
        self.charged_span = None;
        if self.cash >= Decimal::ZERO || self.margin_rate.is_zero() {
            return;
        }
        let amount = debit_interest(self.cash, self.margin_rate, days);
        if amount > Decimal::ZERO {
            self.cash -= amount;
            events.push(BrokerEvent::Interest {
                amount,
                days,
                time: bar.time,
            });
        }
    }

    /// Buying power beyond cash: the margin the account's equity carries.
    pub(super) fn margin(&self) -> Decimal {
        (self.equity() * self.margin_per_equity).max(Decimal::ZERO)
    }
}

/// A debit `cash`'s interest at `rate` for `days`: `(-cash × rate × days / 360).round_dp(2)`.
/// In integers where that is provably the same decimal, value and scale (below); the decimals'
/// own division and rounding were two thirds of a day's interest, ≈ 5 % of a daily backtest.
fn debit_interest(cash: Decimal, rate: Decimal, days: i64) -> Decimal {
    exact_interest(cash, rate, days)
        .unwrap_or_else(|| (-cash * rate * Decimal::from(days) / Decimal::from(360)).round_dp(2))
}

/// `debit_interest` rounded from the exact quotient, where the decimal path rounds the same.
/// With `cash = -C / 10^s`, `rate = R / 10^r` and `S = s + r`, the two products are exact (the
/// product `P = C·R·days` is kept below 2^64, far inside 96 bits). `P / 360` at scale `S` is
/// then exact, or its digits end (dividing by 8 and 5) within three places of `S`, or from
/// there repeat one digit of 1..8 (dividing by 9). The decimal division carries the quotient
/// on to scale 28 or at least nine places past `S` (its quotient stays below 2^64 / 360, so ten
/// to the nine more fit in 96 bits), so it is exact or rounded where the repeating digit
/// already runs (`S ≤ 24`): its last digit is 1..9, never a midpoint of cents nor across one,
/// and no trailing zero to strip. Either way `round_dp(2)` rounds the exact value, half to
/// even, and (`S ≥ 2`) says it to the cent: scale 2.
fn exact_interest(cash: Decimal, rate: Decimal, days: i64) -> Option<Decimal> {
    let scale = cash.scale() + rate.scale();
    if !(2..=24).contains(&scale) || cash >= Decimal::ZERO || rate <= Decimal::ZERO || days < 1 {
        return None;
    }
    let product = cash
        .mantissa()
        .unsigned_abs()
        .checked_mul(rate.mantissa().unsigned_abs())?
        .checked_mul(u128::from(days.unsigned_abs()))?;
    if product >= 1 << 64 {
        return None;
    }
    // Cents: the product over 360 · 10^(S - 2), halves to the even cent.
    let divisor = 360 * 10u128.pow(scale - 2);
    let (mut cents, rest) = (product / divisor, product % divisor);
    if 2 * rest > divisor || (2 * rest == divisor && cents % 2 == 1) {
        cents += 1;
    }
    Some(Decimal::from_i128_with_scale(
        i128::try_from(cents).ok()?,
        2,
    ))
}

/// The instants whose New York day is `day`: from its midnight to the next one's.
fn day_span(day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((ny_midnight(day)?, ny_midnight(day.succ_opt()?)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The configured rate as written, and a day's interest on a $10,000 debit at it:
    /// 10,000 × 0.05 / 360 = 1.3888… → $1.39.
    #[test]
    fn the_rate_is_the_configured_one_and_a_day_costs_its_cents() {
        let mut cfg = Config::default_config().paper;
        cfg.margin_rate = 0.05;
        let mut b = PaperBroker::new(&cfg);
        assert_eq!(b.margin_rate.to_string(), "0.05");
        b.cash = Decimal::new(-10_000, 0);
        let mut events = Vec::new();
        let day = |d| crate::model::test_bar(d, 100.0, 101.0, 99.0, 100.0);
        b.charge_interest(&day(7), &mut events);
        b.charge_interest(&day(7), &mut events);
        b.charge_interest(&day(8), &mut events);
        assert!(
            matches!(events.as_slice(), [BrokerEvent::Interest { amount, days: 1, .. }] if amount.to_string() == "1.39"),
            "{events:?}"
        );
        assert_eq!(b.cash, Decimal::new(-1_000_139, 2));
    }

    /// The integer interest is the decimal one, value and scale, over debits of every size and
    /// scale the fast path takes and around its limits (where it hands back to the decimals).
    #[test]
    fn integer_interest_is_the_decimal_interest() {
        let decimal = |cash: Decimal, rate: Decimal, days: i64| {
            (-cash * rate * Decimal::from(days) / Decimal::from(360)).round_dp(2)
        };
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut fast = 0;
        for k in 0..400_000 {
            let (cash_scale, rate_scale) = ((next() % 23) as u32, (next() % 7) as u32);
            // Mantissas of every length, up to where the product leaves 64 bits and beyond.
            // (1 to 64 bits: a shift by 64 would overflow.)
            let bits = 1 + next() % 64;
            let mut cash_m = (next() >> (64 - bits)) as i128 + 1;
            if k % 5 == 0 {
                // Multiples of 360 and of its factors: exact quotients, and halves of a cent.
                let factor = [8, 9, 40, 45, 180, 360, 1_800][(next() % 7) as usize];
                cash_m = factor * (1 + (next() % 10_000_000) as i128);
            }
            let rate_m = match next() % 4 {
                0 => 5,
                1 => 1 + (next() % 100) as i128,
                2 => 1 + (next() % 100_000) as i128,
                _ => 1 + (next() >> 40) as i128,
            };
            let days = 1 + (next() % 10) as i64;
            let cash = -Decimal::from_i128_with_scale(cash_m, cash_scale);
            let rate = Decimal::from_i128_with_scale(rate_m, rate_scale);
            let want = decimal(cash, rate, days);
            let got = debit_interest(cash, rate, days);
            assert_eq!(
                (got, got.scale()),
                (want, want.scale()),
                "{cash} × {rate} × {days}"
            );
            fast += usize::from(exact_interest(cash, rate, days).is_some());
        }
        // Most cases took the integer path; the rest checked the hand-back.
        assert!(fast > 200_000, "{fast}");
    }

    /// The span a bar is known to be of the charged day by is exactly that day's instants, on
    /// ordinary days and across the clock changes, a minute at a time.
    #[test]
    fn a_day_span_holds_the_instants_of_its_new_york_day() {
        use crate::alpaca::session::ny_date;
        let start = DateTime::from_timestamp(1_520_000_000, 0).unwrap(); // 2018-03-02
        for minute in (0..2 * 366 * 24 * 60).step_by(7) {
            let t = start + chrono::Duration::minutes(minute);
            let day = ny_date(t);
            let (from, to) = day_span(day).unwrap();
            assert!(from <= t && t < to, "{t}: {from}..{to}");
            assert_eq!(ny_date(from), day, "{from}");
            assert_eq!(ny_date(to - chrono::Duration::seconds(1)), day, "{to}");
            assert_eq!(Some(ny_date(to)), day.succ_opt(), "{to}");
        }
    }
}
