//! `[teams.NAME]` and `[queues.NAME]`: who works a handoff queue, how `journey serve`
//! assigns its handoffs (round-robin or least-busy, a capacity per agent), and its
//! business hours with the messages a contact gets when nobody can answer.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use journey_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::locations::Locations;
use crate::schema::{Shape, did_you_mean};

/// How a team's handoffs are shared out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Each in turn, after whoever got the last one; someone at capacity is skipped.
    #[default]
    RoundRobin,
    /// Whoever has the fewest open conversations (ties: the team's order).
    LeastBusy,
}

/// `[teams.NAME]`: people of the console who work queues together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Team {
    /// Person names, as `journey users add` created them.
    pub members: Vec<String>,
    pub strategy: Strategy,
    /// Open conversations an agent has at once, at most.
    pub capacity: u32,
}

impl Default for Team {
    fn default() -> Self {
        Team {
            members: Vec::new(),
            strategy: Strategy::default(),
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// A few conversations at once: what one person can follow in a chat inbox.
const DEFAULT_CAPACITY: u32 = 5;

/// `[queues.NAME]`: the queue a journey's `handoff(queue: NAME)` names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    /// The team that works it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// When someone answers; `None`: at any time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursSpec>,
    /// Sent once to a contact handed off outside the hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_hours: Option<String>,
    /// Sent once to a contact who waits because every agent is at capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
}

/// `[queues.NAME.hours]` as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoursSpec {
    /// `mon` … `sun`: the days the queue opens.
    pub days: Vec<String>,
    /// Local time it opens, `HH:MM`.
    pub open: String,
    /// Local time it closes, `HH:MM` (`24:00`: midnight); before `open`, it closes
    /// the next day.
    pub close: String,
    /// IANA time zone; `None`: `[project] timezone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Business hours, ready to ask: is the queue open at this moment?
#[derive(Clone, Debug)]
pub struct Hours {
    /// Monday first.
    days: [bool; 7],
    /// Minutes after local midnight.
    open: u32,
    close: u32,
    zone: TimeZone,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Hours {
    /// The hours `spec` says, in `default_zone` unless it names its own; `None` when
    /// a value is unusable (`journey check` reports it).
    pub fn new(spec: &HoursSpec, default_zone: &str) -> Option<Hours> {
        let mut days = [false; 7];
        for day in &spec.days {
            days[DAYS.iter().position(|d| d == day)?] = true;
        }
        let zone = TimeZone::get(spec.timezone.as_deref().unwrap_or(default_zone)).ok()?;
        let (open, close) = (minutes(&spec.open)?, minutes(&spec.close)?);
        (open < 24 * 60 && open != close).then_some(Hours {
            days,
            open,
            close,
            zone,
        })
    }

    /// Whether someone answers at `at`. Hours that close before they open run past
    /// midnight: they belong to the day they open on.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.zone.clone());
        let day = local.weekday().to_monday_zero_offset() as usize;
        let minute = local.hour() as u32 * 60 + local.minute() as u32;
        if self.open < self.close {
            self.days[day] && (self.open..self.close).contains(&minute)
        } else {
            let yesterday = (day + 6) % 7;
            (self.days[day] && minute >= self.open) || (self.days[yesterday] && minute < self.close)
        }
    }
}

/// `HH:MM` as minutes after midnight, `24:00` included.
fn minutes(text: &str) -> Option<u32> {
    let (hours, mins) = text.split_once(':')?;
    if hours.len() != 2 || mins.len() != 2 {
        return None;
    }
    let (hours, mins): (u32, u32) = (hours.parse().ok()?, mins.parse().ok()?);
    match (hours, mins) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(hours * 60 + mins),
        _ => None,
    }
}

pub(crate) const TEAM_SHAPE: Shape = Shape::Table(&[
    ("members", Shape::Value),
    ("strategy", Shape::Value),
    ("capacity", Shape::Value),
]);

pub(crate) const QUEUE_SHAPE: Shape = Shape::Table(&[
    ("team", Shape::Value),
    (
        "hours",
        Shape::Table(&[
            ("days", Shape::Value),
            ("open", Shape::Value),
            ("close", Shape::Value),
            ("timezone", Shape::Value),
        ]),
    ),
    ("out_of_hours", Shape::Value),
    ("busy", Shape::Value),
]);

/// What types alone cannot say: a team nobody is in or who can take nothing, a queue
/// without a known team, hours that cannot be read, hours without their message.
pub(crate) fn validate(
    teams: &BTreeMap<String, Team>,
    queues: &BTreeMap<String, Queue>,
    project_zone: &str,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    for (name, team) in teams {
        if team.members.is_empty() {
            found.push(
                at.invalid(
                    &format!("teams.{name}.members"),
                    format!("team `{name}` has no members: its queues would wait for ever"),
                )
                .with_help("list the people who work it: `members = [\"olu\", \"nia\"]`"),
            );
        }
        if team.capacity == 0 {
            found.push(
                at.invalid(
                    &format!("teams.{name}.capacity"),
                    format!("team `{name}` has a capacity of 0: nobody could ever be assigned"),
                )
                .with_help("give each agent room for at least one conversation: `capacity = 1`"),
            );
        }
    }
    for (name, queue) in queues {
        let path = format!("queues.{name}");
        match &queue.team {
            None => found.push(
                at.invalid(&path, format!("queue `{name}` names no team"))
                    .with_help("say who works it: `team = \"nurses\"` with a `[teams.nurses]`"),
            ),
            Some(team) if !teams.contains_key(team) => {
                let diagnostic = at.invalid(
                    &format!("{path}.team"),
                    format!("queue `{name}` is worked by team `{team}`, which is not declared"),
                );
                found.push(match did_you_mean(team, teams.keys().map(String::as_str)) {
                    Some(better) => diagnostic.with_help(format!("did you mean `{better}`?")),
                    None => {
                        diagnostic.with_help(format!("declare it: `[teams.{team}]` with `members`"))
                    }
                });
            }
            Some(_) => {}
        }
        match &queue.hours {
            Some(hours) => {
                validate_hours(&format!("{path}.hours"), hours, project_zone, at, found);
                if queue.out_of_hours.is_none() {
                    found.push(
                        at.invalid(
                            &format!("{path}.hours"),
                            format!("queue `{name}` has business hours but no `out_of_hours` message"),
                        )
                        .with_help("tell contacts when someone will answer: `out_of_hours = \"Our nurses answer Monday to Friday, 8am to 5pm.\"`"),
                    );
                }
            }
            None if queue.out_of_hours.is_some() => found.push(
                at.ignored(
                    &format!("{path}.out_of_hours"),
                    format!("`out_of_hours` has no effect: queue `{name}` has no `hours`"),
                )
                .with_help(format!(
                    "add `[{path}.hours]` with `days`, `open` and `close`"
                )),
            ),
            None => {}
        }
    }
}

fn validate_hours(
    path: &str,
    hours: &HoursSpec,
    project_zone: &str,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    if hours.days.is_empty() {
        found.push(
            at.invalid(
                path,
                "business hours without `days`: the queue would never open",
            )
            .with_help("list the days: `days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]`"),
        );
    }
    for (i, day) in hours.days.iter().enumerate() {
        if !DAYS.contains(&day.as_str()) {
            let diagnostic = at.invalid(
                &format!("{path}.days[{i}]"),
                format!("`{day}` is not a day"),
            );
            found.push(match did_you_mean(day, DAYS) {
                Some(better) => diagnostic.with_help(format!("did you mean `{better}`?")),
                None => diagnostic
                    .with_help("write days as `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`"),
            });
        }
    }
    let open = minutes(&hours.open).filter(|m| *m < 24 * 60);
    for (key, value, read) in [
        ("open", &hours.open, open),
        ("close", &hours.close, minutes(&hours.close)),
    ] {
        if read.is_none() {
            let message = if value.is_empty() {
                format!("business hours need `{key}`")
            } else {
                format!("`{key} = \"{value}\"` is not a time of day")
            };
            found.push(
                at.invalid(&format!("{path}.{key}"), message)
                    .with_help("write a 24-hour local time as `HH:MM`: `\"08:00\"`, `\"17:30\"`"),
            );
        }
    }
    if open.is_some() && open == minutes(&hours.close) {
        found.push(
            at.invalid(
                &format!("{path}.close"),
                "the queue opens and closes at the same time",
            )
            .with_help("for a queue open all day, leave out `[hours]`"),
        );
    }
    let zone = hours.timezone.as_deref().unwrap_or(project_zone);
    if TimeZone::get(zone).is_err() {
        let key = if hours.timezone.is_some() {
            format!("{path}.timezone")
        } else {
            path.to_owned()
        };
        found.push(
            at.invalid(&key, format!("`{zone}` is not a time zone"))
                .with_help("write an IANA time zone name exactly, e.g. `\"Africa/Johannesburg\"`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(days: &[&str], open: &str, close: &str, zone: &str) -> Hours {
        let spec = HoursSpec {
            days: days.iter().map(|d| (*d).to_owned()).collect(),
            open: open.to_owned(),
            close: close.to_owned(),
            timezone: Some(zone.to_owned()),
        };
        Hours::new(&spec, "UTC").expect("valid hours")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn open_from_the_opening_minute_to_just_before_closing() {
        let week = hours(
            &["mon", "tue", "wed", "thu", "fri"],
            "08:00",
            "17:00",
            "Africa/Johannesburg",
        );
        // Monday 7 December 2026; Johannesburg is UTC+2 all year.
        assert!(!week.is_open(at("2026-12-07T05:59:59Z")));
        assert!(week.is_open(at("2026-12-07T06:00:00Z")));
        assert!(week.is_open(at("2026-12-07T14:59:00Z")));
        assert!(!week.is_open(at("2026-12-07T15:00:00Z")));
        // Saturday.
        assert!(!week.is_open(at("2026-12-12T10:00:00Z")));
    }

    #[test]
    fn local_hours_follow_daylight_saving_time() {
        let london = hours(&["sun", "mon"], "08:00", "17:00", "Europe/London");
        // Clocks went forward on Sunday 29 March 2026: 07:30 UTC is 08:30 local that
        // day, but 07:30 local the Monday before the change…
        assert!(london.is_open(at("2026-03-29T07:30:00Z")));
        assert!(!london.is_open(at("2026-03-23T07:30:00Z")));
        // …and on the Monday after, 16:30 UTC is 17:30 local: closed.
        assert!(!london.is_open(at("2026-03-30T16:30:00Z")));
        assert!(london.is_open(at("2026-03-23T16:30:00Z")));
    }

    #[test]
    fn hours_past_midnight_belong_to_the_day_they_open_on() {
        let nights = hours(&["fri"], "22:00", "06:00", "UTC");
        // Friday 11 December 2026, 23:00, and the Saturday morning after.
        assert!(nights.is_open(at("2026-12-11T23:00:00Z")));
        assert!(nights.is_open(at("2026-12-12T05:59:00Z")));
        assert!(!nights.is_open(at("2026-12-12T06:00:00Z")));
        // Friday before 06:00 belongs to Thursday's night, which is closed.
        assert!(!nights.is_open(at("2026-12-11T05:00:00Z")));
        // Sunday wraps to Monday: the week is a circle.
        let sunday = hours(&["sun"], "20:00", "02:00", "UTC");
        assert!(sunday.is_open(at("2026-12-14T01:00:00Z")), "Monday 01:00");
        assert!(!sunday.is_open(at("2026-12-15T01:00:00Z")), "Tuesday 01:00");
    }

    #[test]
    fn closing_at_midnight_is_written_24_00() {
        let evenings = hours(&["mon"], "18:00", "24:00", "UTC");
        assert!(evenings.is_open(at("2026-12-07T23:59:00Z")));
        assert!(!evenings.is_open(at("2026-12-08T00:00:00Z")));
    }

    #[test]
    fn unusable_hours_are_none() {
        let spec = |open: &str, close: &str, zone: &str| HoursSpec {
            days: vec!["mon".to_owned()],
            open: open.to_owned(),
            close: close.to_owned(),
            timezone: Some(zone.to_owned()),
        };
        assert!(Hours::new(&spec("8:00", "17:00", "UTC"), "UTC").is_none());
        assert!(Hours::new(&spec("08:00", "17:60", "UTC"), "UTC").is_none());
        assert!(Hours::new(&spec("24:00", "17:00", "UTC"), "UTC").is_none());
        assert!(Hours::new(&spec("08:00", "08:00", "UTC"), "UTC").is_none());
        assert!(Hours::new(&spec("08:00", "17:00", "Mars/Olympus"), "UTC").is_none());
        assert!(Hours::new(&spec("08:00", "17:00", "Europe/London"), "UTC").is_some());
    }
}
