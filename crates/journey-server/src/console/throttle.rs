//! How many wrong passwords a sign-in allows. Per person, the store counts in the
//! failure's own transaction ([`journey_store::lockout`]); per client address, the
//! audit log's failed sign-ins of the last [`ADDRESS_WINDOW`] are counted, so processes
//! sharing a database limit together and a restart forgets nothing.

use journey_store::Millis;

const MINUTE: Millis = 60_000;

/// Wrong passwords in a row that lock a person's sign-in…
pub const PERSON_TRIES: i64 = 5;
/// …for this long.
pub const PERSON_LOCK: Millis = 15 * MINUTE;
/// Failed sign-ins from one address within [`ADDRESS_WINDOW`] that stop further tries
/// from it (guessing across many names).
pub const ADDRESS_TRIES: i64 = 20;
pub const ADDRESS_WINDOW: Millis = 15 * MINUTE;

/// Until when an address with `failures` failed sign-ins since `now - ADDRESS_WINDOW`,
/// the oldest at `oldest`, must wait: until that oldest one leaves the window.
pub fn address_blocked(failures: i64, oldest: Option<Millis>, now: Millis) -> Option<Millis> {
    if failures < ADDRESS_TRIES {
        return None;
    }
    oldest
        .map(|oldest| oldest + ADDRESS_WINDOW)
        .filter(|until| *until > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_at_the_limit_until_its_oldest_failure_ages_out() {
        let now = 100 * MINUTE;
        assert_eq!(address_blocked(0, None, now), None);
        assert_eq!(
            address_blocked(ADDRESS_TRIES - 1, Some(now - MINUTE), now),
            None
        );
        assert_eq!(
            address_blocked(ADDRESS_TRIES, Some(now - 5 * MINUTE), now),
            Some(now + 10 * MINUTE),
            "free again when the oldest of the window is 15 minutes old"
        );
        assert_eq!(
            address_blocked(ADDRESS_TRIES + 7, Some(now - ADDRESS_WINDOW), now),
            None,
            "the oldest is leaving the window now"
        );
    }
}
