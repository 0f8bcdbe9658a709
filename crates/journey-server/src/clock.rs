//! The server's clock. In production it is the system clock. For tests,
//! `JOURNEY_TEST_TIME_SCALE=k` makes journey time run `k` times faster than real time
//! from an anchor stored in the database, so that a 30-minute timeout passes in
//! 30/k minutes and every restart sees the same time line (docs/serve.md).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use journey_store::Millis;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Real milliseconds since the epoch where journey time and real time agree.
    anchor: Millis,
    scale: f64,
    /// The database's clock minus this machine's: processes that share a database
    /// read the database's time, so that no timer fires early because one machine's
    /// clock runs ahead.
    offset: Millis,
}

impl Clock {
    pub fn real() -> Clock {
        Clock {
            anchor: 0,
            scale: 1.0,
            offset: 0,
        }
    }

    /// A clock running `scale` times faster than real time from `anchor`.
    pub fn scaled(anchor: Millis, scale: f64) -> Clock {
        Clock {
            anchor,
            scale: scale.max(1.0),
            offset: 0,
        }
    }

    /// The same clock, reading real time as this machine's clock plus `offset`.
    pub fn with_offset(self, offset: Millis) -> Clock {
        Clock { offset, ..self }
    }

    /// Real time now, on the shared (database's) clock.
    pub fn real_now(&self) -> Millis {
        real_now() + self.offset
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Journey time now.
    pub fn now(&self) -> Millis {
        self.to_journey(self.real_now())
    }

    pub fn timestamp(&self) -> jiff::Timestamp {
        millis_to_timestamp(self.now())
    }

    /// A real moment (a message's timestamp) on the journey time line.
    pub fn to_journey(&self, real: Millis) -> Millis {
        if self.scale == 1.0 {
            return real;
        }
        self.anchor + ((real - self.anchor) as f64 * self.scale) as Millis
    }

    /// How long to sleep in real time until journey time reaches `at`.
    pub fn real_until(&self, at: Millis) -> Duration {
        let ahead = (at - self.now()).max(0) as f64 / self.scale;
        Duration::from_millis(ahead.ceil() as u64)
    }
}

pub fn real_now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

pub fn millis_to_timestamp(ms: Millis) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The day of `ms` in the time zone of journey.toml's `[project] timezone` (UTC when
/// it names none known): the days of the console's reports.
pub fn project_day(config: &journey_project::ProjectConfig, ms: Millis) -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get(&config.project.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    millis_to_timestamp(ms).to_zoned(zone).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_faster_from_its_anchor() {
        let clock = Clock::scaled(1_000, 60.0);
        assert_eq!(clock.to_journey(1_000), 1_000);
        assert_eq!(clock.to_journey(2_000), 61_000);
        assert_eq!(Clock::real().to_journey(5), 5);
        let later = clock.now() + 60_000;
        assert!(clock.real_until(later) <= Duration::from_millis(1_001));
    }
}
