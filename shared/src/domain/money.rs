//! Money in integer minor units. Floats only appear at the API edge, for
//! compatibility with the seed's `149.99`-style prices.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses a client-facing decimal such as `149.99` without going through a
    /// float multiplication that could round `0.29 * 100` to 28.
    pub fn from_decimal(value: f64) -> Option<Self> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let text = format!("{value:.6}");
        let (whole, frac) = text.split_once('.')?;
        if frac[2..].chars().any(|c| c != '0') {
            return None; // more precision than cents
        }
        let whole: i64 = whole.parse().ok()?;
        let cents: i64 = frac[..2].parse().ok()?;
        whole.checked_mul(100)?.checked_add(cents).map(Money)
    }

    /// The decimal shown to clients; exact for any amount below 2^53 cents.
    pub fn as_decimal(self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }

    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(quantity)).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_without_float_error() {
        for (decimal, cents) in [
            (149.99, 14999),
            (0.29, 29),
            (9.99, 999),
            (0.0, 0),
            (1234.5, 123450),
        ] {
            let money = Money::from_decimal(decimal).unwrap();
            assert_eq!(money.cents(), cents, "{decimal}");
            assert_eq!(money.as_decimal(), decimal);
        }
    }

    #[test]
    fn rejects_sub_cent_negative_and_non_finite_amounts() {
        assert_eq!(Money::from_decimal(1.001), None);
        assert_eq!(Money::from_decimal(-1.0), None);
        assert_eq!(Money::from_decimal(f64::NAN), None);
        assert_eq!(Money::from_decimal(f64::INFINITY), None);
    }

    #[test]
    fn arithmetic_stays_in_cents() {
        let line = Money::from_cents(14999).checked_mul(3).unwrap();
        assert_eq!(line, Money::from_cents(44997));
        assert_eq!((line + Money::from_cents(3)).to_string(), "450.00");
        assert_eq!(Money::from_cents(i64::MAX).checked_mul(2), None);
    }
}
