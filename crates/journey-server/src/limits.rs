//! Sending limits, kept in memory (durable-runtime.md §5.6): a token bucket per business
//! number and per recipient, pauses after throttling errors, and the messaging-limit
//! tier (unique contacts reached by business-initiated messages in a rolling 24 hours,
//! rebuilt from the store at start).

use std::collections::HashMap;

use journey_store::Millis;

const DAY: Millis = 24 * 60 * 60 * 1000;

/// A token bucket: `capacity` at most, refilled at `per_second`.
#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_ms: f64,
    at: Millis,
}

impl Bucket {
    fn new(capacity: f64, per_second: f64, now: Millis) -> Bucket {
        Bucket {
            tokens: capacity,
            capacity,
            per_ms: per_second / 1000.0,
            at: now,
        }
    }

    fn refill(&mut self, now: Millis) {
        let elapsed = (now - self.at).max(0) as f64;
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.capacity);
        self.at = self.at.max(now);
    }

    /// Takes a token, or says when one will be there.
    fn take(&mut self, now: Millis) -> Result<(), Millis> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(now + ((1.0 - self.tokens) / self.per_ms).ceil() as Millis)
        }
    }

    fn is_full(&mut self, now: Millis) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Rates {
    /// Messages per second from the business number (Meta's default: 80).
    pub per_number: f64,
    /// Per recipient: one every this many seconds, in bursts of at most `pair_burst`.
    pub pair_interval_secs: f64,
    pub pair_burst: f64,
    /// Unique contacts reached outside the window per rolling 24 h.
    pub tier: u64,
}

pub struct Limits {
    rates: Rates,
    number: Bucket,
    pairs: HashMap<String, Bucket>,
    number_paused_until: Millis,
    pair_paused_until: HashMap<String, Millis>,
    /// Contact → when a business-initiated message last reached them.
    reach: HashMap<String, Millis>,
}

/// Why a message waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// A rate limit: try again at this moment.
    Rate(Millis),
    /// The messaging-limit tier is full until this moment.
    Tier(Millis),
}

impl Limits {
    pub fn new(rates: Rates, reach: Vec<(String, Millis)>, now: Millis) -> Limits {
        Limits {
            number: Bucket::new(rates.per_number.max(1.0), rates.per_number.max(0.001), now),
            pairs: HashMap::new(),
            number_paused_until: 0,
            pair_paused_until: HashMap::new(),
            reach: reach.into_iter().collect(),
            rates,
        }
    }

    /// May a message go to `contact` now? `business_initiated`: it opens a conversation
    /// outside the window, so the tier applies. On `Ok`, the tokens are taken.
    pub fn admit(
        &mut self,
        contact: &str,
        business_initiated: bool,
        now: Millis,
    ) -> Result<(), Hold> {
        if business_initiated && !self.reach.contains_key(contact) {
            self.reach.retain(|_, at| *at > now - DAY);
            if self.reach.len() as u64 >= self.rates.tier {
                let oldest = self.reach.values().min().copied().unwrap_or(now);
                return Err(Hold::Tier(oldest + DAY + 1));
            }
        }
        if now < self.number_paused_until {
            return Err(Hold::Rate(self.number_paused_until));
        }
        if let Some(until) = self.pair_paused_until.get(contact)
            && now < *until
        {
            return Err(Hold::Rate(*until));
        }
        let rates = self.rates;
        let pair = self.pairs.entry(contact.to_owned()).or_insert_with(|| {
            Bucket::new(
                rates.pair_burst.max(1.0),
                1.0 / rates.pair_interval_secs.max(0.001),
                now,
            )
        });
        // Check both before taking either, so a refusal costs nothing.
        let mut number = self.number.clone();
        number.take(now).map_err(Hold::Rate)?;
        pair.take(now).map_err(Hold::Rate)?;
        self.number = number;
        if self.pairs.len() > 50_000 {
            self.pairs.retain(|_, bucket| !bucket.is_full(now));
        }
        Ok(())
    }

    /// A business-initiated message reached the contact.
    pub fn reached(&mut self, contact: &str, now: Millis) {
        self.reach.insert(contact.to_owned(), now);
    }

    /// Meta said the number is over its throughput: send nothing from it until then.
    pub fn pause_number(&mut self, until: Millis) {
        self.number_paused_until = self.number_paused_until.max(until);
    }

    /// Meta said we write to this contact too fast (131056).
    pub fn pause_pair(&mut self, contact: &str, until: Millis) {
        let entry = self
            .pair_paused_until
            .entry(contact.to_owned())
            .or_default();
        *entry = (*entry).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(tier: u64) -> Rates {
        Rates {
            per_number: 2.0,
            pair_interval_secs: 6.0,
            pair_burst: 3.0,
            tier,
        }
    }

    #[test]
    fn the_number_bucket_refills_at_its_rate() {
        let mut limits = Limits::new(rates(100), Vec::new(), 0);
        assert!(limits.admit("a", false, 0).is_ok());
        assert!(limits.admit("b", false, 0).is_ok());
        assert_eq!(limits.admit("c", false, 0), Err(Hold::Rate(500)));
        assert!(limits.admit("c", false, 500).is_ok());
    }

    #[test]
    fn a_recipient_gets_a_burst_then_one_per_interval() {
        let mut limits = Limits::new(
            Rates {
                per_number: 1000.0,
                ..rates(100)
            },
            Vec::new(),
            0,
        );
        for _ in 0..3 {
            assert!(limits.admit("a", false, 0).is_ok());
        }
        assert_eq!(limits.admit("a", false, 0), Err(Hold::Rate(6_000)));
        assert!(limits.admit("b", false, 0).is_ok(), "others are not held");
    }

    #[test]
    fn the_tier_counts_unique_contacts_in_a_rolling_day() {
        let mut limits = Limits::new(
            Rates {
                per_number: 1000.0,
                ..rates(2)
            },
            vec![("a".into(), 10)],
            10,
        );
        assert!(limits.admit("b", true, 20).is_ok());
        limits.reached("b", 20);
        assert_eq!(limits.admit("c", true, 30), Err(Hold::Tier(10 + DAY + 1)));
        assert!(
            limits.admit("a", true, 30).is_ok(),
            "already reached: not a new contact"
        );
        assert!(
            limits.admit("c", false, 30).is_ok(),
            "in-window replies do not count"
        );
        assert!(
            limits.admit("c", true, 11 + DAY).is_ok(),
            "a's reach has expired"
        );
    }

    #[test]
    fn pauses_hold_until_their_end() {
        let mut limits = Limits::new(
            Rates {
                per_number: 1000.0,
                ..rates(10)
            },
            Vec::new(),
            0,
        );
        limits.pause_number(100);
        assert_eq!(limits.admit("a", false, 50), Err(Hold::Rate(100)));
        limits.pause_pair("a", 200);
        assert_eq!(limits.admit("a", false, 150), Err(Hold::Rate(200)));
        assert!(limits.admit("b", false, 150).is_ok());
    }
}
