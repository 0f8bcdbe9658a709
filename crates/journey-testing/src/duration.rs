//! Lengths of virtual time as people write them: `2h`, `30m`, `1d 12h`, `90s`, `1w`.

use jiff::SignedDuration;

/// Units, largest first, with their length in seconds.
const UNITS: [(char, i64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// Parses a sum of whole numbers with units (`w`, `d`, `h`, `m`, `s`), spaces optional.
pub fn parse(text: &str) -> Result<SignedDuration, String> {
    let wanted = || format!("expected a duration such as `2h`, `30m` or `1d 12h`, found `{text}`");
    let mut seconds: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(wanted());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: i64 = rest[..digits].parse().map_err(|_| wanted())?;
        let unit = rest[digits..].chars().next().ok_or_else(wanted)?;
        let (_, size) = UNITS.iter().find(|(u, _)| *u == unit).ok_or_else(wanted)?;
        seconds = number
            .checked_mul(*size)
            .and_then(|s| s.checked_add(seconds))
            .ok_or_else(|| format!("the duration `{text}` is too long"))?;
        rest = rest[digits + unit.len_utf8()..].trim_start();
    }
    Ok(SignedDuration::from_secs(seconds))
}

/// The canonical form: `1d 2h 30m`, largest unit first (weeks are shown as days).
pub fn show(duration: SignedDuration) -> String {
    let mut seconds = duration.as_secs().max(0);
    let mut parts = Vec::new();
    for (unit, size) in UNITS.iter().skip(1) {
        if seconds >= *size {
            parts.push(format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    if parts.is_empty() {
        return "0s".to_owned();
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sums_of_units() {
        assert_eq!(parse("2h").unwrap().as_secs(), 7_200);
        assert_eq!(parse("1d 12h").unwrap().as_secs(), 129_600);
        assert_eq!(parse("1w").unwrap().as_secs(), 604_800);
        assert_eq!(parse("1h30m").unwrap().as_secs(), 5_400);
        assert!(parse("").is_err());
        assert!(parse("2 hours").is_err());
        assert!(parse("h").is_err());
        assert!(parse("99999999999999w").is_err());
    }

    #[test]
    fn shows_the_largest_units_first() {
        assert_eq!(show(parse("90m").unwrap()), "1h 30m");
        assert_eq!(show(parse("1w 1s").unwrap()), "7d 1s");
        assert_eq!(show(SignedDuration::ZERO), "0s");
    }
}
