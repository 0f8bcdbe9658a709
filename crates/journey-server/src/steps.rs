//! Steps: one inbox event of one contact through the interpreter, as one transaction.
//!
//! `plan` is pure: (deployed journeys, contact row, event, now) → the [`StepCommit`]
//! to apply. It performs the runtime's effects the way `journey test`'s simulator does
//! (journey-testing/src/simulator.rs), but as rows: sends and HTTP requests become outbox
//! rows, timers become timer rows, the run state and contact fields the new contact row.
//!
//! The workers make sure one contact's events are stepped one at a time, in order,
//! while different contacts step in parallel.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use journey_expr::Value;
use journey_runtime::{
    Contact, Effect, Event, Inbound, Outbound, Outcome, RunState, Status, TimerTarget,
    says_keyword, triggers,
};
use journey_store::{
    ContactRow, InboxEvent, JournalEntry, Millis, NewOutbox, StepCommit, StoreError, TimerOp,
};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::clock::millis_to_timestamp;
use crate::deployed::Deployed;

/// A contact's message as the inbox keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMessage {
    /// The provider's id (wamid).
    pub id: String,
    /// When the contact sent it, on the journey clock (milliseconds).
    pub at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub inbound: Inbound,
}

/// A timer moved to the inbox by the store (journey-store's `fire_timers`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FiredTimer {
    pub row: i64,
    pub run: i64,
    pub timer: String,
    pub target: TimerTarget,
    pub fire_at: Millis,
    pub fired_at: Millis,
}

/// Events the admin API and the dispatcher put in inboxes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// An operator starts a journey for the contact.
    Start { journey: String },
    /// An agent hands the contact back to the bot.
    Return,
    /// Forget the run and its timers.
    Reset,
    /// An agent's message during a handoff.
    AgentReply { message: Outbound },
    /// The answer to a journey's HTTP request (`status` 0: it failed).
    Http {
        request: String,
        status: u16,
        body: serde_json::Value,
    },
}

pub const MESSAGE: &str = "message";
pub const TIMER: &str = "timer";
pub const COMMAND: &str = "command";

/// What one step will write.
pub fn plan(
    d: &Deployed,
    event: &InboxEvent,
    row: Option<ContactRow>,
    live: bool,
    now: Millis,
) -> StepCommit {
    let expected_version = row.as_ref().map_or(0, |r| r.version);
    let row = row.unwrap_or_else(|| ContactRow {
        id: event.contact.clone(),
        fields: "{}".to_owned(),
        ..ContactRow::default()
    });
    let was_opted_out = row.opted_out;
    let mut p = Planner::new(d, row, now);
    match event.kind.as_str() {
        MESSAGE => match serde_json::from_str::<StoredMessage>(&event.payload) {
            Ok(message) => p.message(message),
            Err(e) => p.note(format!("unreadable message event: {e}")),
        },
        TIMER => match serde_json::from_str::<FiredTimer>(&event.payload) {
            Ok(timer) => p.timer(timer, live),
            Err(e) => p.note(format!("unreadable timer event: {e}")),
        },
        COMMAND => match serde_json::from_str::<Command>(&event.payload) {
            Ok(command) => p.command(command),
            Err(e) => p.note(format!("unreadable command: {e}")),
        },
        other => p.note(format!("unknown event kind `{other}`")),
    }
    p.finish(event, expected_version, was_opted_out)
}

struct Planner<'a> {
    d: &'a Deployed,
    row: ContactRow,
    contact: Contact,
    state: Option<RunState>,
    now: Millis,
    commit: StepCommit,
    effects: Vec<Effect>,
    /// The contact's own message caused this step: its sends are replies.
    by_contact: bool,
    notes: Vec<String>,
}

impl<'a> Planner<'a> {
    fn new(d: &'a Deployed, row: ContactRow, now: Millis) -> Self {
        let fields = fields(&row.fields);
        let state = row
            .state
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        Planner {
            d,
            contact: Contact {
                id: row.id.clone(),
                fields,
            },
            row,
            state,
            now,
            commit: StepCommit::default(),
            effects: Vec::new(),
            by_contact: false,
            notes: Vec::new(),
        }
    }

    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    fn timestamp(&self) -> jiff::Timestamp {
        millis_to_timestamp(self.now)
    }

    fn message(&mut self, message: StoredMessage) {
        self.by_contact = true;
        let first_visit = !self.row.visited;
        self.row.visited = true;
        // The window runs from the contact's latest message and never moves back.
        self.row.last_inbound_at = Some(
            self.row
                .last_inbound_at
                .map_or(message.at, |t| t.max(message.at)),
        );
        if let Some(name) = message.name
            && !self.contact.fields.contains_key("name")
        {
            self.contact
                .fields
                .insert("name".to_owned(), Value::Text(name));
        }
        let inbound = message.inbound;
        let rt = self.d.runtime();
        match self.state.as_ref().map(|s| &s.status) {
            // With an agent: the message is theirs (the journal keeps it for the admin
            // API), unless the run takes it (an opt-out keyword).
            Some(Status::Handoff { .. }) => {
                let outcome = rt.step(
                    self.state.clone().unwrap_or_default(),
                    &self.contact,
                    Event::Message(inbound),
                    self.timestamp(),
                );
                if outcome.effects.is_empty() {
                    self.note("to the agent".to_owned());
                } else {
                    self.apply(outcome);
                }
            }
            Some(Status::Waiting { .. } | Status::Http { .. }) => {
                let outcome = rt.step(
                    self.state.clone().unwrap_or_default(),
                    &self.contact,
                    Event::Message(inbound),
                    self.timestamp(),
                );
                self.apply(outcome);
            }
            _ => {
                let picked = triggers::select(
                    &self.d.triggers(),
                    &self.contact,
                    &inbound,
                    first_visit,
                    self.timestamp(),
                );
                match picked {
                    Some(journey) => self.begin(&journey, Some(inbound)),
                    // No run is waiting and no trigger takes the opt-out keyword: it is
                    // still honoured, as WhatsApp requires (`finish` cancels the timers).
                    None if says_keyword(&inbound.text, &self.d.config.keywords.opt_out) => {
                        self.contact
                            .fields
                            .insert("opted_in".to_owned(), Value::Bool(false));
                        self.note("opted out (no journey was running)".to_owned());
                    }
                    None => self.note("no journey started".to_owned()),
                }
            }
        }
    }

    fn timer(&mut self, timer: FiredTimer, live: bool) {
        self.commit.fired_timer = Some(timer.row);
        if !live {
            // Cancelled after it fired and before this step: a stale timer does nothing.
            self.note(format!("timer {} was cancelled", timer.timer));
            return;
        }
        match timer.target {
            TimerTarget::Journey { journey } => {
                if self.row.opted_out {
                    self.note(format!("not starting {journey}: the contact opted out"));
                } else {
                    self.begin(&journey, None);
                }
            }
            target => match self.state.clone() {
                Some(state) => {
                    let outcome = self.d.runtime().step(
                        state,
                        &self.contact,
                        Event::Timer {
                            id: timer.timer,
                            target,
                        },
                        self.timestamp(),
                    );
                    self.apply(outcome);
                }
                None => self.note("a timer fired for a contact with no run".to_owned()),
            },
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Start { journey } => {
                if self.row.opted_out {
                    self.note(format!("not starting {journey}: the contact opted out"));
                } else {
                    self.begin(&journey, None);
                }
            }
            Command::Return => match self.state.clone() {
                Some(state) if matches!(state.status, Status::Handoff { .. }) => {
                    let outcome = self.d.runtime().step(
                        state,
                        &self.contact,
                        Event::HandoffReturned,
                        self.timestamp(),
                    );
                    self.apply(outcome);
                }
                _ => self.note("the contact is not with an agent".to_owned()),
            },
            Command::Reset => {
                self.state = None;
                self.row.handoff = None;
                self.row.handoff_note = None;
                self.commit.timers.push(TimerOp::CancelAll);
                self.note("reset by an operator".to_owned());
            }
            Command::AgentReply { message } => {
                // The agent answers a conversation the contact opened.
                self.by_contact = true;
                self.effects.push(Effect::Send(message.clone()));
                self.commit.outbox.push(self.outbox("message", &message));
            }
            Command::Http {
                request,
                status,
                body,
            } => match self.state.clone() {
                Some(state) => {
                    let event = Event::Http {
                        request,
                        status,
                        body: Value::from_json(&body),
                    };
                    let outcome =
                        self.d
                            .runtime()
                            .step(state, &self.contact, event, self.timestamp());
                    self.apply(outcome);
                }
                None => self.note("an HTTP response for a contact with no run".to_owned()),
            },
        }
    }

    /// A new run: the previous run's question timeouts can no longer matter.
    fn begin(&mut self, journey: &str, inbound: Option<Inbound>) {
        self.row.run += 1;
        self.commit
            .timers
            .push(TimerOp::CancelTarget(json(&TimerTarget::Timeout)));
        let outcome = self
            .d
            .runtime()
            .start(journey, &self.contact, inbound, self.timestamp());
        self.apply(outcome);
    }

    fn apply(&mut self, outcome: Outcome) {
        self.contact = outcome.contact;
        let run = self.row.run;
        for effect in &outcome.effects {
            match effect {
                Effect::Send(message) => {
                    let row = self.outbox("message", message);
                    self.commit.outbox.push(row);
                }
                Effect::ScheduleTimer { id, at, target } => {
                    self.commit.timers.push(TimerOp::Schedule {
                        run,
                        timer: id.clone(),
                        target: json(target),
                        fire_at: at.as_millisecond(),
                    })
                }
                Effect::CancelTimers { target: None } => {
                    self.commit.timers.push(TimerOp::CancelAll)
                }
                Effect::CancelTimers {
                    target: Some(target),
                } => self.commit.timers.push(TimerOp::CancelTarget(json(target))),
                Effect::CancelTimer { id } => self.commit.timers.push(TimerOp::CancelTimer {
                    run,
                    timer: id.clone(),
                }),
                Effect::Http(request) => {
                    let row = NewOutbox {
                        kind: "http".to_owned(),
                        body: json(request),
                        by_contact: self.by_contact,
                        not_before: self.now,
                    };
                    self.commit.outbox.push(row);
                }
                // `outcome.contact` already has the update.
                Effect::UpdateContact { .. } => {}
                Effect::WriteResult { key, value } => {
                    self.commit.results.push((key.clone(), json(value)));
                }
                Effect::AddLabel { label } => self.commit.labels.push(label.clone()),
                Effect::Handoff { queue, note, .. } => {
                    self.row.handoff = Some(queue.clone());
                    self.row.handoff_note = Some(note.clone());
                }
                Effect::Log { text } => {
                    tracing::info!(contact = %self.row.id, "journey log: {text}")
                }
                Effect::Error { message } => {
                    tracing::warn!(contact = %self.row.id, "run failed: {message}")
                }
                Effect::Ended => {}
            }
        }
        if !matches!(outcome.state.status, Status::Handoff { .. }) {
            self.row.handoff = None;
            self.row.handoff_note = None;
        }
        self.state = Some(outcome.state);
        self.effects.extend(outcome.effects);
    }

    fn outbox(&self, kind: &str, message: &Outbound) -> NewOutbox {
        NewOutbox {
            kind: kind.to_owned(),
            body: json(message),
            by_contact: self.by_contact,
            not_before: self.now,
        }
    }

    fn finish(
        mut self,
        event: &InboxEvent,
        expected_version: i64,
        was_opted_out: bool,
    ) -> StepCommit {
        // Opted out means `contact.opted_in` is false: the journey's own opt-out card
        // sets it. From then on nothing the contact did not ask for is sent.
        let opted_out = matches!(
            self.contact.fields.get("opted_in"),
            Some(Value::Bool(false))
        );
        if opted_out && !was_opted_out {
            self.commit.timers.push(TimerOp::CancelAll);
            self.commit.suppress_business_initiated = true;
        }
        self.row.opted_out = opted_out;
        self.row.fields = json(&self.contact.fields);
        self.row.state = self.state.as_ref().map(json);
        let effects = serde_json::json!({ "effects": self.effects, "notes": self.notes });
        self.commit.expected_version = expected_version;
        self.commit.consumed = event.id;
        self.commit.contact = self.row;
        self.commit.journal = JournalEntry {
            kind: event.kind.clone(),
            event: event.payload.clone(),
            effects: effects.to_string(),
        };
        self.commit
    }
}

/// A contact row's fields (serde's form of runtime values, so they round-trip exactly).
pub fn fields(text: &str) -> BTreeMap<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Which contacts are being stepped, and whether more arrived for them meanwhile.
#[derive(Default)]
pub struct Workers {
    running: Mutex<HashMap<String, bool>>,
}

impl Workers {
    pub fn busy(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or_default()
    }
}

/// Makes sure the contact's inbox gets drained: starts a worker, or tells the running
/// one to look again before it stops.
pub fn notify(app: &Arc<App>, contact: &str) {
    let Ok(mut running) = app.workers.running.lock() else {
        return;
    };
    match running.get_mut(contact) {
        Some(again) => *again = true,
        None => {
            running.insert(contact.to_owned(), false);
            tokio::spawn(drain(app.clone(), contact.to_owned()));
        }
    }
}

async fn drain(app: Arc<App>, contact: String) {
    let _slot = app.step_slots.acquire().await;
    loop {
        step_all(&app, &contact).await;
        let Ok(mut running) = app.workers.running.lock() else {
            return;
        };
        match running.get_mut(&contact) {
            Some(again) if *again => *again = false,
            _ => {
                running.remove(&contact);
                return;
            }
        }
    }
}

/// Steps the contact's events until the inbox is empty.
async fn step_all(app: &Arc<App>, contact: &str) {
    loop {
        let (event, row) = match app.store.next_event(contact).await {
            Ok(Some(next)) => next,
            Ok(None) | Err(StoreError::Closed) => return,
            Err(e) => {
                tracing::error!(contact, "cannot read the inbox: {e}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let live = match event.kind.as_str() {
            TIMER => match serde_json::from_str::<FiredTimer>(&event.payload) {
                Ok(timer) => app.store.timer_live(timer.row).await.unwrap_or(false),
                Err(_) => false,
            },
            _ => true,
        };
        let now = app.clock.now();
        let deployed = app.deployed();
        // The interpreter runs on the blocking pool: a slow step (a heavy helper, a
        // long loop within its budget) must not hold up the async workers that answer
        // webhooks. It is total, but a bug must not wedge a contact: a panic consumes
        // the event with the reason in the journal.
        let planned = {
            let (event, row) = (event.clone(), row.clone());
            tokio::task::spawn_blocking(move || plan(&deployed, &event, row, live, now)).await
        };
        let commit = planned.unwrap_or_else(|_| poisoned(&event, row));
        if event.kind == TIMER && live {
            app.metrics.timer_fired(now, &event);
        }
        let sends = !commit.outbox.is_empty();
        let schedules = commit
            .timers
            .iter()
            .any(|t| matches!(t, TimerOp::Schedule { .. }));
        match app.store.commit_step(commit, now).await {
            Ok(()) => {
                app.metrics.count(&app.metrics.steps);
                if sends {
                    app.wake_dispatch.notify_one();
                }
                if schedules {
                    app.wake_timers.notify_one();
                }
            }
            Err(StoreError::Conflict) => app.metrics.count(&app.metrics.step_conflicts),
            Err(StoreError::Closed) => return,
            Err(e) => {
                tracing::error!(contact, "cannot commit a step: {e}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

fn poisoned(event: &InboxEvent, row: Option<ContactRow>) -> StepCommit {
    tracing::error!(contact = %event.contact, "the interpreter panicked on event {}", event.id);
    let expected_version = row.as_ref().map_or(0, |r| r.version);
    let contact = row.unwrap_or_else(|| ContactRow {
        id: event.contact.clone(),
        fields: "{}".to_owned(),
        ..ContactRow::default()
    });
    StepCommit {
        expected_version,
        consumed: event.id,
        contact,
        journal: JournalEntry {
            kind: event.kind.clone(),
            event: event.payload.clone(),
            effects:
                r#"{"effects":[],"notes":["the interpreter panicked; the event was set aside"]}"#
                    .to_owned(),
        },
        ..StepCommit::default()
    }
}
