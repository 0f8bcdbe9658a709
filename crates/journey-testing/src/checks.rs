//! `?` lines: checks of what the transcript does not show (fields, results, labels,
//! timers, the run's status). A failed check says what it found instead.

use journey_expr::Value;
use journey_runtime::Status;

use crate::duration;
use crate::format::Assertion;
use crate::simulator::Simulator;
use crate::transcript;

/// `Err` holds what was found instead, as the failure message shows it.
pub fn check(assertion: &Assertion, sim: &Simulator<'_>) -> Result<(), String> {
    match assertion {
        Assertion::Field { name, value } => compare(sim.contact().fields.get(name), value),
        Assertion::Result { key, value } => compare(sim.results().get(key), value),
        Assertion::Label { label, present } => {
            expect(sim.labels().contains(label) == *present, || labels(sim))
        }
        Assertion::Timer {
            name,
            due_in,
            present,
        } => {
            let found = sim.timers().iter().any(|timer| {
                transcript::timer_name(&timer.target) == name
                    && due_in
                        .is_none_or(|due_in| sim.now().checked_add(due_in).ok() == Some(timer.at))
            });
            expect(found == *present, || timers(sim))
        }
        Assertion::NoTimers => expect(sim.timers().is_empty(), || timers(sim)),
        Assertion::Header { name, value } => {
            let headers = sim.last_request().map(|request| &request.headers);
            let found = headers.is_some_and(|headers| {
                headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)
            });
            expect(found, || match headers {
                None => "no HTTP request was made".to_owned(),
                Some(headers) if headers.is_empty() => "the last request had no headers".to_owned(),
                Some(headers) => {
                    let listed: Vec<String> = headers
                        .iter()
                        .map(|(n, v)| format!("{n}: {}", sim.masked(v)))
                        .collect();
                    format!("headers {}", listed.join(", "))
                }
            })
        }
        Assertion::Handoff { queue, present } => {
            let with = sim
                .handoff()
                .is_some_and(|q| queue.as_deref().is_none_or(|want| want == q));
            expect(with == *present, || match sim.handoff() {
                Some(queue) => format!("with an agent of `{queue}`"),
                None => "not with an agent".to_owned(),
            })
        }
        Assertion::Ended => expect(matches!(status(sim), Some(Status::Ended)), || describe(sim)),
        Assertion::Waiting => expect(matches!(status(sim), Some(Status::Waiting { .. })), || {
            describe(sim)
        }),
        Assertion::Failed => expect(matches!(status(sim), Some(Status::Failed { .. })), || {
            describe(sim)
        }),
    }
}

fn expect(holds: bool, found: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(found()) }
}

fn status<'s>(sim: &'s Simulator<'_>) -> Option<&'s Status> {
    sim.state().map(|state| &state.status)
}

fn compare(actual: Option<&Value>, expected: &serde_json::Value) -> Result<(), String> {
    expect(same(actual, expected), || match actual {
        None => "not set".to_owned(),
        Some(Value::Nil) => "nil".to_owned(),
        Some(value) => value.to_json().to_string(),
    })
}

/// Values compare as JSON, so that `24` equals `24.0` and a date equals its text.
fn same(actual: Option<&Value>, expected: &serde_json::Value) -> bool {
    match actual {
        None | Some(Value::Nil) => expected.is_null(),
        Some(value) => Value::from_json(&value.to_json()) == Value::from_json(expected),
    }
}

fn labels(sim: &Simulator<'_>) -> String {
    if sim.labels().is_empty() {
        return "no labels".to_owned();
    }
    let quoted: Vec<String> = sim
        .labels()
        .iter()
        .map(|label| serde_json::Value::String(label.clone()).to_string())
        .collect();
    format!("labels {}", quoted.join(", "))
}

/// Pending timers, as `Reminder in 23h, timeout in 2h`.
fn timers(sim: &Simulator<'_>) -> String {
    if sim.timers().is_empty() {
        return "no timers".to_owned();
    }
    let listed: Vec<String> = sim
        .timers()
        .iter()
        .map(|timer| {
            let due = sim.now().duration_until(timer.at);
            format!(
                "{} in {}",
                transcript::timer_name(&timer.target),
                duration::show(due)
            )
        })
        .collect();
    format!("timers {}", listed.join(", "))
}

/// Where the run stands, in words.
fn describe(sim: &Simulator<'_>) -> String {
    match status(sim) {
        None => "no run has started".to_owned(),
        Some(Status::Waiting { .. }) => "waiting for the contact".to_owned(),
        Some(Status::Http { .. }) => "waiting for an HTTP response".to_owned(),
        Some(Status::Handoff { .. }) => "with an agent".to_owned(),
        Some(Status::Ended) => "ended".to_owned(),
        Some(Status::Failed { error }) => format!("failed: {error}"),
    }
}
