//! A container for one contact: it hands what happens to the contact's session
//! (journey-runtime's `session`) and performs the session's actions in memory, with a
//! virtual clock, pending timers and canned HTTP responses, and writes a transcript.
//! What the session decides (triggers, handoffs, opt-out gates, which timers a run
//! cancels) is what `journey serve` decides.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use journey_expr::Value;
use journey_runtime::{
    Action, Contact, HttpRequest, Inbound, Input, Outbound, Record, RunState, Runtime, Session,
    Snapshot, TimerTarget,
};

use crate::duration;
use crate::http::{self, Fixture};
use crate::transcript::{self, Kind, Line};

/// HTTP requests answered for one event before the run is stopped: a journey that
/// calls an API in a loop without waiting for the contact would otherwise never stop.
const HTTP_CAP: usize = 100;

/// A timer the runtime asked for and that has not fired or been cancelled.
#[derive(Clone, Debug, PartialEq)]
pub struct Timer {
    pub id: String,
    pub at: Timestamp,
    pub target: TimerTarget,
    /// Which run scheduled it: timer ids are unique only within a run.
    run: i64,
}

/// An option of the last message, as a tap sends it back.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub id: String,
    pub title: String,
}

/// One contact talking to the deployed journeys.
///
/// Every action (`say`, `tap`, `advance`, `start`, `handoff_return`) first writes one
/// line that echoes it, then the lines of what followed.
pub struct Simulator<'a> {
    rt: &'a Runtime<'a>,
    /// The contact, their run (or the last one), whether they are with an agent or
    /// opted out.
    snapshot: Snapshot,
    now: Timestamp,
    timers: Vec<Timer>,
    fixtures: Vec<Fixture>,
    /// A journey that every new run starts in, instead of the one triggers pick.
    journey: Option<String>,
    results: BTreeMap<String, Value>,
    labels: Vec<String>,
    /// The options of the last message, and whether it was a template.
    options: Vec<Choice>,
    template: bool,
    transcript: Vec<Line>,
    /// When each transcript line was written, on the virtual clock.
    times: Vec<Timestamp>,
    /// Every input handed to the session and what came of it, in order.
    record: Vec<Record>,
    sent: Vec<Outbound>,
    last_request: Option<HttpRequest>,
}

impl<'a> Simulator<'a> {
    pub fn new(rt: &'a Runtime<'a>, contact: Contact, now: Timestamp) -> Self {
        Simulator {
            rt,
            snapshot: Snapshot::new(contact),
            now,
            timers: Vec::new(),
            fixtures: Vec::new(),
            journey: None,
            results: BTreeMap::new(),
            labels: Vec::new(),
            options: Vec::new(),
            template: false,
            transcript: Vec::new(),
            times: Vec::new(),
            record: Vec::new(),
            sent: Vec::new(),
            last_request: None,
        }
    }

    // ---------------------------------------------------------------- setup

    /// Start new runs in this journey rather than the one the triggers pick.
    pub fn set_journey(&mut self, journey: Option<String>) {
        self.journey = journey;
    }

    pub fn add_fixture(&mut self, fixture: Fixture) {
        self.fixtures.push(fixture);
    }

    /// Sets a contact field, or removes it (`None`), as an agent or an import would.
    pub fn set_field(&mut self, name: &str, value: Option<Value>) {
        let fields = &mut self.snapshot.contact.fields;
        match value {
            Some(value) => fields.insert(name.to_owned(), value),
            None => fields.remove(name),
        };
    }

    // ---------------------------------------------------------------- actions

    /// A text message from the contact.
    pub fn say(&mut self, text: &str) {
        self.log(Kind::Contact, text);
        self.react(Input::Message(Inbound::text(text)));
    }

    /// The contact taps a reply button, list row or template quick reply.
    pub fn tap(&mut self, reply_id: &str, title: &str) {
        self.log(Kind::Contact, &format!("[tap {title}]"));
        let kind = if self.template {
            "button"
        } else {
            "interactive"
        };
        self.react(Input::Message(Inbound {
            kind: kind.to_owned(),
            text: title.to_owned(),
            reply_id: Some(reply_id.to_owned()),
            media_id: None,
        }));
    }

    /// Taps the last message's option with this id, title or number (see [`Self::option`]),
    /// or reports that there is none.
    pub fn tap_option(&mut self, wanted: &str) {
        match self.option(wanted).cloned() {
            Some(choice) => self.tap(&choice.id, &choice.title),
            None => {
                self.log(Kind::Contact, &format!("[tap {wanted}]"));
                let offered: Vec<String> = self.options.iter().map(|c| c.title.clone()).collect();
                let message = if offered.is_empty() {
                    format!("cannot tap `{wanted}`: the last message has no options")
                } else {
                    format!(
                        "cannot tap `{wanted}`: the last message offers {}",
                        offered.join(", ")
                    )
                };
                self.log(Kind::Error, &message);
            }
        }
    }

    /// Moves the clock on, firing every timer that comes due, each at its own time.
    pub fn advance(&mut self, by: SignedDuration) {
        let until = self.now.checked_add(by).unwrap_or(Timestamp::MAX);
        self.log_at(
            Kind::Clock,
            &format!("+{} ({})", duration::show(by), transcript::moment(until)),
            until,
        );
        while let Some(index) = self.next_due(until) {
            let timer = self.timers.remove(index);
            // Never early; a timer set in the past fires now.
            self.now = self.now.max(timer.at);
            self.fire(timer);
        }
        self.now = self.now.max(until);
    }

    /// The business starts a journey for the contact (a time-based trigger, an operator).
    pub fn start(&mut self, journey: &str) {
        self.log(Kind::Event, &format!("start {journey}"));
        self.react(Input::Start {
            journey: journey.to_owned(),
        });
    }

    /// The agent hands the contact back to the bot.
    pub fn handoff_return(&mut self) {
        self.log(Kind::Event, "back from agent");
        self.react(Input::AgentReturn);
    }

    // ---------------------------------------------------------------- what is there

    pub fn transcript(&self) -> &[Line] {
        &self.transcript
    }

    /// The moment of each transcript line on the virtual clock (a `~` line's: the moment
    /// the clock was moved to).
    pub fn times(&self) -> &[Timestamp] {
        &self.times
    }

    /// Every message sent, in order: one for each `<` line of the transcript.
    pub fn sent(&self) -> &[Outbound] {
        &self.sent
    }

    /// The deployed journeys this contact talks to.
    pub fn runtime(&self) -> &'a Runtime<'a> {
        self.rt
    }

    pub fn contact(&self) -> &Contact {
        &self.snapshot.contact
    }

    /// The current run, or the last one.
    pub fn state(&self) -> Option<&RunState> {
        self.snapshot.run.as_ref()
    }

    /// Every input handed to the contact's session and what came of it, in order
    /// (what `journey serve` must do alike: journey-server's `replay`).
    pub fn record(&self) -> &[Record] {
        &self.record
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Pending timers, in the order they were scheduled.
    pub fn timers(&self) -> &[Timer] {
        &self.timers
    }

    /// Results written, the last value of each key.
    pub fn results(&self) -> &BTreeMap<String, Value> {
        &self.results
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The queue of the agents the contact is with, during a handoff.
    pub fn handoff(&self) -> Option<&str> {
        self.snapshot
            .handoff
            .as_ref()
            .map(|(queue, _)| queue.as_str())
    }

    /// The last HTTP request a run made.
    pub fn last_request(&self) -> Option<&HttpRequest> {
        self.last_request.as_ref()
    }

    /// The options of the last message sent, if it had any.
    pub fn options(&self) -> &[Choice] {
        &self.options
    }

    /// The last message's option with this id, title (ignoring case) or number.
    pub fn option(&self, wanted: &str) -> Option<&Choice> {
        let folded = transcript::normalise(wanted).to_lowercase();
        self.options
            .iter()
            .find(|c| c.id == wanted)
            .or_else(|| {
                self.options
                    .iter()
                    .find(|c| transcript::normalise(&c.title).to_lowercase() == folded)
            })
            .or_else(|| {
                let number: usize = wanted.trim().parse().ok()?;
                self.options.get(number.checked_sub(1)?)
            })
    }

    // ---------------------------------------------------------------- the container

    /// Hands an input to the contact's session and performs what it says, answering
    /// HTTP requests from the fixtures at once.
    fn react(&mut self, input: Input) {
        let mut pending = self.perform(input);
        let mut answered = 0;
        while let Some((request, by_contact)) = pending {
            if answered == HTTP_CAP {
                self.log(
                    Kind::Error,
                    &format!(
                        "error: more than {HTTP_CAP} HTTP requests without waiting for the contact"
                    ),
                );
                return;
            }
            answered += 1;
            // Sent as a real container would send it; the transcript masks the values.
            let request = request.revealed(&self.rt.secrets);
            let (status, body, unmatched) = match http::answer(&self.fixtures, &request) {
                Some(fixture) => (fixture.status, Value::from_json(&fixture.body), ""),
                None => (0, Value::Nil, " (no fixture)"),
            };
            let url = self.masked(&http::full_url(&request));
            self.log(
                Kind::Event,
                &format!("http {} {url} -> {status}{unmatched}", request.method),
            );
            let id = request.id.clone();
            self.last_request = Some(request);
            pending = self.perform(Input::Http {
                request: id,
                status,
                body,
                by_contact,
            });
        }
    }

    fn next_due(&self, until: Timestamp) -> Option<usize> {
        let mut due: Option<(usize, Timestamp)> = None;
        for (index, timer) in self.timers.iter().enumerate() {
            // Strictly earlier: of timers due at once, the first scheduled fires first.
            if timer.at <= until && due.is_none_or(|(_, at)| timer.at < at) {
                due = Some((index, timer.at));
            }
        }
        due.map(|(index, _)| index)
    }

    fn fire(&mut self, timer: Timer) {
        self.log(
            Kind::Event,
            &format!("timer fired: {}", transcript::timer_name(&timer.target)),
        );
        self.react(Input::Timer {
            id: timer.id,
            target: timer.target,
        });
    }

    /// One input through the session; performs its actions in order and returns the
    /// HTTP request the run now waits for.
    fn perform(&mut self, input: Input) -> Option<(HttpRequest, bool)> {
        let session = Session {
            runtime: self.rt,
            triggers: self.rt,
            entry: self.journey.as_deref(),
        };
        let snapshot = std::mem::take(&mut self.snapshot);
        let fields = snapshot.contact.fields.clone();
        let reaction = session.react(snapshot, input.clone(), self.now);
        self.snapshot = reaction.snapshot.clone();
        let mut request = None;
        for action in &reaction.actions {
            match action.clone() {
                Action::Send { message, .. } => self.show(message),
                Action::Withheld { message } => self.log(
                    Kind::Event,
                    &format!(
                        "not sent, the contact opted out: {}",
                        transcript::outbound(&message)
                    ),
                ),
                Action::SetTimer {
                    run,
                    id,
                    at,
                    target,
                } => self.timers.push(Timer {
                    id,
                    at,
                    target,
                    run,
                }),
                Action::CancelTimers { target: None } => self.timers.clear(),
                Action::CancelTimers {
                    target: Some(target),
                } => self.timers.retain(|t| t.target != target),
                Action::CancelTimer { run, id } => {
                    self.timers.retain(|t| !(t.id == id && t.run == run));
                }
                // Nothing is queued: a message is sent as soon as the run says so.
                Action::DropUnasked => {}
                Action::Http {
                    request: http,
                    by_contact,
                } => request = Some((http, by_contact)),
                Action::WriteResult { key, value } => {
                    self.results.insert(key, value);
                }
                Action::AddLabel { label } => self.labels.push(label),
                Action::Handoff { queue, note } => {
                    let line = if note.is_empty() {
                        format!("handoff to {queue}")
                    } else {
                        format!("handoff to {queue}: {note}")
                    };
                    self.log(Kind::Event, &line);
                }
                Action::Log { text } => self.log(Kind::Event, &format!("log: {text}")),
                Action::Error { message } => self.log(Kind::Error, &format!("error: {message}")),
                Action::Ended => self.log(Kind::Event, "ended"),
                Action::Note { text, problem } => {
                    let kind = if problem { Kind::Error } else { Kind::Event };
                    self.log(kind, &text);
                }
            }
        }
        self.record.push(Record {
            at: self.now,
            fields,
            entry: self.journey.clone(),
            input,
            reaction,
        });
        request
    }

    /// Secrets stay out of the transcript, as they stay out of logs.
    pub(crate) fn masked(&self, text: &str) -> String {
        self.rt
            .secrets
            .values()
            .filter(|secret| !secret.is_empty())
            .fold(text.to_owned(), |text, secret| {
                text.replace(secret, "[secret]")
            })
    }

    fn show(&mut self, message: Outbound) {
        self.log(Kind::Bot, &transcript::outbound(&message));
        (self.options, self.template) = match &message {
            Outbound::Interactive { options, .. } => (
                options
                    .iter()
                    .map(|(id, title)| Choice {
                        id: id.clone(),
                        title: title.clone(),
                    })
                    .collect(),
                false,
            ),
            // A quick reply's payload is its text unless the template sets one.
            Outbound::Template { buttons, .. } => (
                buttons
                    .iter()
                    .map(|title| Choice {
                        id: title.clone(),
                        title: title.clone(),
                    })
                    .collect(),
                true,
            ),
            _ => (Vec::new(), false),
        };
        self.sent.push(message);
    }

    fn log(&mut self, kind: Kind, text: &str) {
        self.log_at(kind, text, self.now);
    }

    fn log_at(&mut self, kind: Kind, text: &str, at: Timestamp) {
        self.times.push(at);
        self.transcript.push(Line::new(kind, text));
    }
}
