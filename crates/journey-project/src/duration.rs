//! Durations written the way journeys write them: a whole number and one unit,
//! `90s`, `30m`, `23h`, `7d`, `1w`. The same units as duration literals in `.journey` files.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of time in whole seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration(u64);

const UNITS: [(char, u64); 5] = [
    ('w', 7 * 24 * 3600),
    ('d', 24 * 3600),
    ('h', 3600),
    ('m', 60),
    ('s', 1),
];

impl Duration {
    pub const fn from_secs(seconds: u64) -> Self {
        Duration(seconds)
    }

    pub const fn from_hours(hours: u64) -> Self {
        Duration(hours * 3600)
    }

    pub const fn as_secs(self) -> u64 {
        self.0
    }
}

impl From<Duration> for std::time::Duration {
    fn from(duration: Duration) -> Self {
        std::time::Duration::from_secs(duration.0)
    }
}

/// Why a text is not a duration, in words an author can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError(String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a duration: write a whole number and one unit \
             (s, m, h, d or w), e.g. `30m` or `1h`",
            self.0
        )
    }
}

impl std::error::Error for DurationError {}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DurationError(text.to_owned());
        let unit = text.chars().last().ok_or_else(error)?;
        let digits = &text[..text.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let (_, scale) = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .ok_or_else(error)?;
        let count: u64 = digits.parse().map_err(|_| error())?;
        count.checked_mul(*scale).map(Duration).ok_or_else(error)
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides the duration exactly, so `3600` seconds shows as `1h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, scale) = UNITS
            .iter()
            .find(|(_, scale)| self.0 != 0 && self.0.is_multiple_of(*scale))
            .unwrap_or(&('s', 1));
        write!(f, "{}{unit}", self.0 / scale)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        let cases = [("90s", 90), ("30m", 1800), ("23h", 82_800), ("7d", 604_800)];
        for (text, seconds) in cases {
            assert_eq!(text.parse::<Duration>(), Ok(Duration::from_secs(seconds)));
        }
        assert_eq!("1w".parse::<Duration>().map(Duration::as_secs), Ok(604_800));
    }

    #[test]
    fn rejects_what_is_not_a_number_and_a_unit() {
        for text in [
            "",
            "h",
            "1",
            "1.5h",
            "-1h",
            "1 h",
            "1hh",
            "1y",
            "99999999999999999999w",
        ] {
            assert!(text.parse::<Duration>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        let shown: Vec<String> = [0, 90, 3600, 5400, 86_400, 1_209_600]
            .map(|s| Duration::from_secs(s).to_string())
            .into();
        assert_eq!(shown, ["0s", "90s", "1h", "90m", "1d", "2w"]);
    }
}
