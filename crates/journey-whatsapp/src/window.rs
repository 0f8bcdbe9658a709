//! The customer service window (§1.1): free-form messages only within 24 hours of the
//! contact's last message; outside it, only approved templates.

use jiff::{SignedDuration, Timestamp};

pub const WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// Whether a free-form message may be sent at `now` to a contact who last wrote at
/// `last_inbound`, keeping `margin` in hand for webhooks that arrive late.
pub fn is_open(last_inbound: Option<Timestamp>, now: Timestamp, margin: SignedDuration) -> bool {
    match last_inbound {
        Some(last) => now < last + WINDOW - margin,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_until_the_margin_before_24_hours() {
        let last: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let margin = SignedDuration::from_mins(1);
        assert!(is_open(
            Some(last),
            last + SignedDuration::from_hours(23),
            margin
        ));
        assert!(!is_open(
            Some(last),
            last + SignedDuration::from_mins(24 * 60 - 1),
            margin
        ));
        assert!(!is_open(
            Some(last),
            last + SignedDuration::from_hours(25),
            margin
        ));
        assert!(!is_open(None, last, margin), "never wrote: closed");
    }
}
