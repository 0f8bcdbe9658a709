//! A container for one contact: it performs the runtime's effects in memory, with a
//! virtual clock, pending timers and canned HTTP responses, and writes a transcript.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use journey_expr::Value;
use journey_runtime::{
    Contact, Effect, Event, HttpRequest, Inbound, Outbound, Outcome, RunState, Runtime, Status,
    TimerTarget, says_keyword, triggers,
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
    run: u32,
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
    contact: Contact,
    /// The current run, or the last one after it ended (a follow-up timer may revive it).
    run: Option<RunState>,
    /// Counts runs, to tell the timers of one run from another's.
    runs: u32,
    now: Timestamp,
    timers: Vec<Timer>,
    fixtures: Vec<Fixture>,
    /// A journey that every new run starts in, instead of the one triggers pick.
    journey: Option<String>,
    results: BTreeMap<String, Value>,
    labels: Vec<String>,
    handoff: Option<String>,
    /// The options of the last message, and whether it was a template.
    options: Vec<Choice>,
    template: bool,
    visited: bool,
    transcript: Vec<Line>,
    /// When each transcript line was written, on the virtual clock.
    times: Vec<Timestamp>,
    sent: Vec<Outbound>,
    last_request: Option<HttpRequest>,
}

impl<'a> Simulator<'a> {
    pub fn new(rt: &'a Runtime<'a>, contact: Contact, now: Timestamp) -> Self {
        Simulator {
            rt,
            contact,
            run: None,
            runs: 0,
            now,
            timers: Vec::new(),
            fixtures: Vec::new(),
            journey: None,
            results: BTreeMap::new(),
            labels: Vec::new(),
            handoff: None,
            options: Vec::new(),
            template: false,
            visited: false,
            transcript: Vec::new(),
            times: Vec::new(),
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
        match value {
            Some(value) => self.contact.fields.insert(name.to_owned(), value),
            None => self.contact.fields.remove(name),
        };
    }

    // ---------------------------------------------------------------- actions

    /// A text message from the contact.
    pub fn say(&mut self, text: &str) {
        self.log(Kind::Contact, text);
        self.receive(Inbound::text(text));
    }

    /// The contact taps a reply button, list row or template quick reply.
    pub fn tap(&mut self, reply_id: &str, title: &str) {
        self.log(Kind::Contact, &format!("[tap {title}]"));
        let kind = if self.template {
            "button"
        } else {
            "interactive"
        };
        self.receive(Inbound {
            kind: kind.to_owned(),
            text: title.to_owned(),
            reply_id: Some(reply_id.to_owned()),
            media_id: None,
        });
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
        self.begin(journey, None);
    }

    /// The agent hands the contact back to the bot.
    pub fn handoff_return(&mut self) {
        self.log(Kind::Event, "back from agent");
        match &self.run {
            Some(state) if matches!(state.status, Status::Handoff { .. }) => {
                self.step(Event::HandoffReturned);
            }
            _ => self.log(Kind::Error, "the contact is not with an agent"),
        }
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
        &self.contact
    }

    /// The current run, or the last one.
    pub fn state(&self) -> Option<&RunState> {
        self.run.as_ref()
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
        self.handoff.as_deref()
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

    fn receive(&mut self, inbound: Inbound) {
        let first_visit = !self.visited;
        self.visited = true;
        match self.run.as_ref().map(|state| &state.status) {
            // Automation is paused: the message goes to the agent's inbox, unless the
            // run takes it (an opt-out keyword, which WhatsApp requires be honoured).
            Some(Status::Handoff { .. }) => match self.outcome(Event::Message(inbound)) {
                Some(outcome) if !outcome.effects.is_empty() => self.deliver(outcome),
                _ => self.log(Kind::Event, "to the agent"),
            },
            Some(Status::Waiting { .. } | Status::Http { .. }) => {
                self.step(Event::Message(inbound))
            }
            _ => {
                let picked =
                    triggers::select(self.rt, &self.contact, &inbound, first_visit, self.now);
                // No run is waiting and no trigger takes the opt-out keyword: it is still
                // honoured (WhatsApp requires it), as `journey serve` does.
                if picked.is_none() && says_keyword(&inbound.text, &self.rt.config.keywords.opt_out)
                {
                    self.contact
                        .fields
                        .insert("opted_in".to_owned(), Value::Bool(false));
                    self.timers.clear();
                    return self.log(Kind::Event, "opted out (no journey was running)");
                }
                match self.journey.clone().or(picked) {
                    Some(journey) => self.begin(&journey, Some(inbound)),
                    None => self.log(Kind::Event, "no journey started"),
                }
            }
        }
    }

    /// A new run: the question timeouts of the previous one can no longer matter.
    fn begin(&mut self, journey: &str, inbound: Option<Inbound>) {
        self.runs += 1;
        self.timers.retain(|t| t.target != TimerTarget::Timeout);
        let outcome = self.rt.start(journey, &self.contact, inbound, self.now);
        self.deliver(outcome);
    }

    fn step(&mut self, event: Event) {
        if let Some(outcome) = self.outcome(event) {
            self.deliver(outcome);
        }
    }

    /// What an event does to the current run, not yet performed.
    fn outcome(&self, event: Event) -> Option<Outcome> {
        let state = self.run.clone()?;
        Some(self.rt.step(state, &self.contact, event, self.now))
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
        match timer.target {
            TimerTarget::Journey { journey } => self.begin(&journey, None),
            target => self.step(Event::Timer {
                id: timer.id,
                target,
            }),
        }
    }

    /// Performs an outcome's effects, answering HTTP requests from the fixtures at once.
    fn deliver(&mut self, outcome: Outcome) {
        let mut pending = self.apply(outcome);
        let mut answered = 0;
        while let Some(request) = pending {
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
            let Some(state) = self.run.clone() else {
                return;
            };
            let event = Event::Http {
                request: id,
                status,
                body,
            };
            pending = self.apply(self.rt.step(state, &self.contact, event, self.now));
        }
    }

    /// Performs the effects in order; returns the HTTP request the run now waits for.
    fn apply(&mut self, outcome: Outcome) -> Option<HttpRequest> {
        self.contact = outcome.contact;
        let mut request = None;
        for effect in outcome.effects {
            match effect {
                Effect::Send(message) => self.show(message),
                Effect::ScheduleTimer { id, at, target } => self.timers.push(Timer {
                    id,
                    at,
                    target,
                    run: self.runs,
                }),
                Effect::CancelTimers { target: None } => self.timers.clear(),
                Effect::CancelTimers {
                    target: Some(target),
                } => self.timers.retain(|t| t.target != target),
                Effect::CancelTimer { id } => {
                    let run = self.runs;
                    self.timers.retain(|t| !(t.id == id && t.run == run));
                }
                Effect::Http(http) => request = Some(http),
                // `outcome.contact` already has the update.
                Effect::UpdateContact { .. } => {}
                Effect::WriteResult { key, value } => {
                    self.results.insert(key, value);
                }
                Effect::AddLabel { label } => self.labels.push(label),
                Effect::Handoff { queue, note, .. } => {
                    let line = if note.is_empty() {
                        format!("handoff to {queue}")
                    } else {
                        format!("handoff to {queue}: {note}")
                    };
                    self.log(Kind::Event, &line);
                    self.handoff = Some(queue);
                }
                Effect::Log { text } => self.log(Kind::Event, &format!("log: {text}")),
                Effect::Error { message } => self.log(Kind::Error, &format!("error: {message}")),
                Effect::Ended => self.log(Kind::Event, "ended"),
            }
        }
        if !matches!(outcome.state.status, Status::Handoff { .. }) {
            self.handoff = None;
        }
        self.run = Some(outcome.state);
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
