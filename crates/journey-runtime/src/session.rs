//! One contact's session: the world around their run, as a pure reducer.
//!
//! `(snapshot, input, now) → (snapshot, actions)`. The step function (`Runtime::step`)
//! knows one run; the session knows the contact: which journey a message starts
//! (triggers), that a run with an agent keeps its messages for the agent, that an
//! opted-out contact gets nothing they did not ask for, which run a timer belongs to
//! and which timers a new run or an opt-out cancels. Both containers are adapters
//! around it: `journey test`'s simulator performs the actions in memory with a virtual
//! clock, `journey serve`'s planner as rows of one transaction. Neither decides
//! anything the session decides, so a `.test` conversation shows what the server does.
//!
//! No I/O: timers to set or cancel are actions, and the container keeps them.

use std::collections::BTreeMap;

use journey_expr::Value;
use serde::{Deserialize, Serialize};

use crate::{
    Contact, Effect, Event, HttpRequest, Inbound, Outbound, Outcome, RunState, Runtime, Status,
    TimerTarget, says_keyword, triggers,
};

/// What the session knows of a contact between inputs. `journey serve` stores it as
/// the contact row's columns (`run`, `visited`, `opted_out`, `handoff`,
/// `handoff_note`), the fields and the run state as JSON: the same payloads as before
/// the session existed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub contact: Contact,
    /// The current run, or the last one after it ended (a follow-up timer may revive
    /// it); `None` before the first run and after a reset.
    pub run: Option<RunState>,
    /// Counts runs: timer ids are unique within a run only.
    pub runs: i64,
    /// Has written to us before (`FIRST VISIT` triggers).
    pub visited: bool,
    /// The gates are closed: the contact opted out (`contact.opted_in` is false) and
    /// the timers and queued messages they did not ask for were dropped when they did.
    pub opted_out: bool,
    /// The agents' queue and note while the contact is with a person.
    pub handoff: Option<(String, String)>,
}

impl Snapshot {
    /// A contact seen for the first time (or set up by a test): the gates follow their
    /// `opted_in` field.
    pub fn new(contact: Contact) -> Self {
        Snapshot {
            opted_out: opted_out(&contact),
            contact,
            ..Snapshot::default()
        }
    }
}

/// What happens to a contact from outside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// The contact's message (or tap).
    Message(Inbound),
    /// A timer fired, at or after its time. The container hands over only timers it
    /// still holds (a cancelled one does nothing).
    Timer { id: String, target: TimerTarget },
    /// The business starts a journey for the contact (an operator, a campaign).
    Start { journey: String },
    /// The agent hands the contact back to the bot.
    AgentReturn,
    /// The answer to a run's HTTP request (`status` 0: it failed); `by_contact`: the
    /// request was made for the contact's own message, as [`Action::Http`] said.
    Http {
        request: String,
        status: u16,
        body: Value,
        by_contact: bool,
    },
    /// An operator forgets the run and its timers.
    Reset,
}

/// What the container must do, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// A message to the contact. `by_contact`: it answers the contact's own message.
    Send {
        message: Outbound,
        by_contact: bool,
    },
    /// A message the opt-out gate kept back: the contact opted out and did not ask
    /// for it. Nothing is sent.
    Withheld {
        message: Outbound,
    },
    /// Perform the request and answer with [`Input::Http`], passing `by_contact` on.
    Http {
        request: HttpRequest,
        by_contact: bool,
    },
    /// Fire [`Input::Timer`] at `at` (never before), unless cancelled first.
    SetTimer {
        run: i64,
        id: String,
        at: jiff::Timestamp,
        target: TimerTarget,
    },
    /// One timer of one run.
    CancelTimer {
        run: i64,
        id: String,
    },
    /// Every timer of the contact with this target, or every timer (`None`).
    CancelTimers {
        target: Option<TimerTarget>,
    },
    /// Drop queued messages the contact did not ask for: they just opted out.
    DropUnasked,
    WriteResult {
        key: String,
        value: Value,
    },
    AddLabel {
        label: String,
    },
    /// The contact is with an agent of this queue now (the snapshot says so too).
    Handoff {
        queue: String,
        note: String,
    },
    /// A journey's `log(...)`.
    Log {
        text: String,
    },
    /// The run failed, and why.
    Error {
        message: String,
    },
    /// The run ended.
    Ended,
    /// What the session did with an input that changed no run: `* text` in a
    /// transcript, a note in the server's journal; `problem`: the input could not be
    /// done (`! text`).
    Note {
        text: String,
        problem: bool,
    },
}

/// The deployed journeys, as a session sees them.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    /// Runs every version a run may be pinned to.
    pub runtime: &'a Runtime<'a>,
    /// Picks the journey a message starts (`journey serve`: the latest deployment only).
    pub triggers: &'a Runtime<'a>,
    /// Every new run starts in this journey rather than the one the triggers pick
    /// (a `.test` file's `journey:`).
    pub entry: Option<&'a str>,
}

/// The result of one input.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub snapshot: Snapshot,
    pub actions: Vec<Action>,
    /// The cards the runs entered, in order, as `(journey, card)` (the console's
    /// funnel counts them).
    pub visits: Vec<(String, String)>,
}

/// One input a container handed to a contact's session and what came of it: a
/// conversation's record, which another container can replay and must agree with
/// (journey-server's `replay` does, for every `.test` conversation).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub at: jiff::Timestamp,
    /// The contact's fields as the container handed them over (a test may set fields
    /// between inputs, as an agent or an import would).
    pub fields: BTreeMap<String, Value>,
    /// The session's `entry` journey at the time.
    pub entry: Option<String>,
    pub input: Input,
    pub reaction: Reaction,
}

impl<'a> Session<'a> {
    /// A session whose runs and triggers are the same journeys.
    pub fn new(runtime: &'a Runtime<'a>) -> Self {
        Session {
            runtime,
            triggers: runtime,
            entry: None,
        }
    }

    /// One input to the contact's session.
    pub fn react(&self, snapshot: Snapshot, input: Input, now: jiff::Timestamp) -> Reaction {
        let mut r = Reactor {
            session: self,
            s: snapshot,
            now,
            actions: Vec::new(),
            visits: Vec::new(),
        };
        match input {
            Input::Message(inbound) => r.message(inbound),
            Input::Timer { id, target } => r.timer(id, target),
            Input::Start { journey } => r.start(&journey),
            Input::AgentReturn => match &r.s.run {
                Some(state) if matches!(state.status, Status::Handoff { .. }) => {
                    r.step(Event::HandoffReturned, false)
                }
                _ => r.problem("the contact is not with an agent"),
            },
            Input::Http {
                request,
                status,
                body,
                by_contact,
            } => {
                let event = Event::Http {
                    request,
                    status,
                    body,
                };
                if r.s.run.is_some() {
                    r.step(event, by_contact);
                } else {
                    r.note("an HTTP response for a contact with no run".to_owned());
                }
            }
            Input::Reset => {
                r.s.run = None;
                r.s.handoff = None;
                r.actions.push(Action::CancelTimers { target: None });
                r.note("reset by an operator".to_owned());
            }
        }
        r.gates();
        Reaction {
            snapshot: r.s,
            actions: r.actions,
            visits: r.visits,
        }
    }
}

/// Opted out means `contact.opted_in` is false: a journey's opt-out card sets it.
fn opted_out(contact: &Contact) -> bool {
    matches!(contact.fields.get("opted_in"), Some(Value::Bool(false)))
}

struct Reactor<'s, 'a> {
    session: &'s Session<'a>,
    s: Snapshot,
    now: jiff::Timestamp,
    actions: Vec<Action>,
    visits: Vec<(String, String)>,
}

impl Reactor<'_, '_> {
    fn note(&mut self, text: String) {
        self.actions.push(Action::Note {
            text,
            problem: false,
        });
    }

    fn problem(&mut self, text: &str) {
        self.actions.push(Action::Note {
            text: text.to_owned(),
            problem: true,
        });
    }

    fn message(&mut self, inbound: Inbound) {
        let first_visit = !self.s.visited;
        self.s.visited = true;
        let rt = self.session.runtime;
        match self.s.run.as_ref().map(|state| &state.status) {
            // Automation is paused: the message goes to the agent's inbox, unless the
            // run takes it (an opt-out keyword, which WhatsApp requires be honoured).
            Some(Status::Handoff { .. }) => {
                let outcome = self.outcome(Event::Message(inbound));
                match outcome {
                    Some(outcome) if !outcome.effects.is_empty() => self.apply(outcome, true),
                    _ => self.note("to the agent".to_owned()),
                }
            }
            Some(Status::Waiting { .. } | Status::Http { .. }) => {
                self.step(Event::Message(inbound), true)
            }
            _ => {
                let picked = triggers::select(
                    self.session.triggers,
                    &self.s.contact,
                    &inbound,
                    first_visit,
                    self.now,
                );
                let keywords = &rt.config.keywords;
                // No run is waiting and no trigger takes the opt-out keyword: it is
                // still honoured (WhatsApp requires it); `gates` cancels the timers.
                // The opt-in keyword likewise opens the gates again.
                if picked.is_none() && says_keyword(&inbound.text, &keywords.opt_out) {
                    self.set_opted_in(false);
                    return self.note("opted out (no journey was running)".to_owned());
                }
                if picked.is_none()
                    && opted_out(&self.s.contact)
                    && says_keyword(&inbound.text, &keywords.opt_in)
                {
                    self.set_opted_in(true);
                    return self.note("opted in (no journey was running)".to_owned());
                }
                match self.session.entry.map(str::to_owned).or(picked) {
                    Some(journey) => self.begin(&journey, Some(inbound)),
                    None => self.note("no journey started".to_owned()),
                }
            }
        }
    }

    fn set_opted_in(&mut self, value: bool) {
        self.s
            .contact
            .fields
            .insert("opted_in".to_owned(), Value::Bool(value));
    }

    fn timer(&mut self, id: String, target: TimerTarget) {
        match target {
            TimerTarget::Journey { journey } => self.start(&journey),
            target if self.s.run.is_some() => self.step(Event::Timer { id, target }, false),
            _ => self.note("a timer fired for a contact with no run".to_owned()),
        }
    }

    /// A run the business starts: the contact did not ask for it.
    fn start(&mut self, journey: &str) {
        if opted_out(&self.s.contact) {
            self.note(format!("not starting {journey}: the contact opted out"));
        } else {
            self.begin(journey, None);
        }
    }

    /// A new run: the previous run's question timeouts can no longer matter.
    fn begin(&mut self, journey: &str, inbound: Option<Inbound>) {
        self.s.runs += 1;
        self.actions.push(Action::CancelTimers {
            target: Some(TimerTarget::Timeout),
        });
        let by_contact = inbound.is_some();
        let outcome = self
            .session
            .runtime
            .start(journey, &self.s.contact, inbound, self.now);
        self.apply(outcome, by_contact);
    }

    fn outcome(&self, event: Event) -> Option<Outcome> {
        let state = self.s.run.clone()?;
        Some(
            self.session
                .runtime
                .step(state, &self.s.contact, event, self.now),
        )
    }

    fn step(&mut self, event: Event, by_contact: bool) {
        if let Some(outcome) = self.outcome(event) {
            self.apply(outcome, by_contact);
        }
    }

    /// The run's effects as the container's actions, through the opt-out gate.
    fn apply(&mut self, outcome: Outcome, by_contact: bool) {
        self.s.contact = outcome.contact;
        self.visits.extend(outcome.visits);
        let closed = !by_contact && opted_out(&self.s.contact);
        let run = self.s.runs;
        for effect in outcome.effects {
            let action = match effect {
                Effect::Send(message) if closed => Action::Withheld { message },
                Effect::Send(message) => Action::Send {
                    message,
                    by_contact,
                },
                Effect::ScheduleTimer { id, at, target } => Action::SetTimer {
                    run,
                    id,
                    at,
                    target,
                },
                Effect::CancelTimer { id } => Action::CancelTimer { run, id },
                Effect::CancelTimers { target } => Action::CancelTimers { target },
                Effect::Http(request) => Action::Http {
                    request,
                    by_contact,
                },
                // The snapshot's contact already has the update.
                Effect::UpdateContact { .. } => continue,
                Effect::WriteResult { key, value } => Action::WriteResult { key, value },
                Effect::AddLabel { label } => Action::AddLabel { label },
                Effect::Handoff { queue, note, .. } => {
                    self.s.handoff = Some((queue.clone(), note.clone()));
                    Action::Handoff { queue, note }
                }
                Effect::Log { text } => Action::Log { text },
                Effect::Error { message } => Action::Error { message },
                Effect::Ended => Action::Ended,
            };
            self.actions.push(action);
        }
        if !matches!(outcome.state.status, Status::Handoff { .. }) {
            self.s.handoff = None;
        }
        self.s.run = Some(outcome.state);
    }

    /// Closes the gates when the contact has just opted out (every timer cancelled,
    /// queued messages they did not ask for dropped), opens them when they opted in.
    fn gates(&mut self) {
        let now_out = opted_out(&self.s.contact);
        if now_out && !self.s.opted_out {
            self.actions.push(Action::CancelTimers { target: None });
            self.actions.push(Action::DropUnasked);
        }
        self.s.opted_out = now_out;
    }
}
