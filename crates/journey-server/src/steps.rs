//! Steps: one inbox event of one contact through the contact's session, as one
//! transaction.
//!
//! `plan` is pure: (deployed journeys, contact row, event, now) → the [`StepCommit`]
//! to apply. The contact's session (journey-runtime's `session`: triggers, handoffs,
//! opt-out gates, timer bookkeeping) decides what happens, exactly as it does for
//! `journey test`'s simulator; this adapter turns the row into the session's snapshot
//! and back, and performs the session's actions as rows: sends and HTTP requests become
//! outbox rows, timers timer rows, the actions the journal entry.
//!
//! The workers make sure one contact's events are stepped one at a time, in order,
//! while different contacts step in parallel.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use journey_expr::Value;
use journey_runtime::{Action, Contact, Inbound, Input, Outbound, Session, Snapshot, TimerTarget};
use journey_store::{
    ContactRow, InboxEvent, JournalEntry, Millis, NewOutbox, StepCommit, StoreError, TimerOp,
};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::clock::{millis_to_timestamp, project_day};
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
    /// An agent hands the contact back to the bot at a card of the run's journey
    /// rather than the handoff's `on_return:` card.
    ReturnTo { journey: String, card: String },
    /// Forget the run and its timers.
    Reset,
    /// An agent's message during a handoff; `by`: the console's person who sent it.
    AgentReply {
        message: Outbound,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The answer to a journey's HTTP request (`status` 0: it failed); `by_contact`
    /// is the request row's (absent in events queued before it was recorded).
    Http {
        request: String,
        status: u16,
        body: serde_json::Value,
        #[serde(default)]
        by_contact: bool,
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
    let (runtime, triggers) = (d.runtime(), d.triggers());
    let session = Session {
        runtime: &runtime,
        triggers: &triggers,
        entry: None,
    };
    plan_in(&session, event, row, live, now)
}

/// [`plan`] in a session the caller makes (the equivalence test of the simulator and
/// the server gives it a `.test` file's `journey:`).
pub fn plan_in(
    session: &Session<'_>,
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
    let mut p = Planner::new(session, row, now);
    match event.kind.as_str() {
        MESSAGE => match serde_json::from_str::<StoredMessage>(&event.payload) {
            Ok(message) => {
                p.commit.report.messages = 1;
                p.message(message)
            }
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
    p.finish(event, expected_version)
}

/// The session's view of a contact row: its columns, fields and run state (the same
/// payloads the server stored before the session existed).
pub fn snapshot(row: &ContactRow) -> Snapshot {
    Snapshot {
        contact: Contact {
            id: row.id.clone(),
            fields: fields(&row.fields),
        },
        run: row
            .state
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
        runs: row.run,
        visited: row.visited,
        opted_out: row.opted_out,
        handoff: row.handoff.clone().map(|queue| {
            let note = row.handoff_note.clone().unwrap_or_default();
            (queue, note)
        }),
    }
}

struct Planner<'a> {
    session: &'a Session<'a>,
    /// The row as read: the columns the session does not keep (the window, marketing).
    row: ContactRow,
    snapshot: Snapshot,
    now: Millis,
    commit: StepCommit,
    /// What the session asked for (and the planner's own notes): the journal entry.
    actions: Vec<Action>,
}

impl<'a> Planner<'a> {
    fn new(session: &'a Session<'a>, row: ContactRow, now: Millis) -> Self {
        Planner {
            session,
            snapshot: snapshot(&row),
            row,
            now,
            commit: StepCommit::default(),
            actions: Vec::new(),
        }
    }

    fn note(&mut self, text: String) {
        self.actions.push(Action::Note {
            text,
            problem: false,
        });
    }

    fn message(&mut self, message: StoredMessage) {
        // The window runs from the contact's latest message and never moves back.
        self.row.last_inbound_at = Some(
            self.row
                .last_inbound_at
                .map_or(message.at, |t| t.max(message.at)),
        );
        if let Some(name) = message.name
            && !self.snapshot.contact.fields.contains_key("name")
        {
            self.snapshot
                .contact
                .fields
                .insert("name".to_owned(), Value::Text(name));
        }
        self.react(Input::Message(message.inbound));
    }

    fn timer(&mut self, timer: FiredTimer, live: bool) {
        self.commit.fired_timer = Some(timer.row);
        if live {
            self.react(Input::Timer {
                id: timer.timer,
                target: timer.target,
            });
        } else {
            // Cancelled after it fired and before this step: a stale timer does nothing.
            self.note(format!("timer {} was cancelled", timer.timer));
        }
    }

    fn command(&mut self, command: Command) {
        let input = match command {
            Command::Start { journey } => Input::Start { journey },
            Command::Return => Input::AgentReturn,
            // The session moves a run to a card for a card timer, whatever it was doing
            // (the handoff's own timer cancelled): the same input, asked for by an agent.
            Command::ReturnTo { journey, card } => {
                if self.snapshot.handoff.is_none() {
                    return self.note("not returned: the contact is not with an agent".into());
                }
                Input::Timer {
                    id: "agent-return".to_owned(),
                    target: TimerTarget::Card { journey, card },
                }
            }
            Command::Reset => Input::Reset,
            Command::AgentReply { message, .. } => {
                // The agent answers a conversation the contact opened.
                self.commit.report.agent_reply = true;
                let row = self.outbox("message", json(&message), true);
                self.commit.outbox.push(row);
                self.actions.push(Action::Send {
                    message,
                    by_contact: true,
                });
                return;
            }
            Command::Http {
                request,
                status,
                body,
                by_contact,
            } => Input::Http {
                request,
                status,
                body: Value::from_json(&body),
                by_contact,
            },
        };
        self.react(input);
    }

    /// One input through the session; its actions become rows.
    fn react(&mut self, input: Input) {
        let snapshot = std::mem::take(&mut self.snapshot);
        let reaction = self
            .session
            .react(snapshot, input, millis_to_timestamp(self.now));
        self.snapshot = reaction.snapshot;
        self.commit.report.visits.extend(reaction.visits);
        for action in &reaction.actions {
            self.perform(action);
        }
        self.actions.extend(reaction.actions);
    }

    fn perform(&mut self, action: &Action) {
        match action {
            Action::Send {
                message,
                by_contact,
            } => {
                let row = self.outbox("message", json(message), *by_contact);
                self.commit.outbox.push(row);
            }
            Action::Http {
                request,
                by_contact,
            } => {
                let row = self.outbox("http", json(request), *by_contact);
                self.commit.outbox.push(row);
            }
            Action::SetTimer {
                run,
                id,
                at,
                target,
            } => self.commit.timers.push(TimerOp::Schedule {
                run: *run,
                timer: id.clone(),
                target: json(target),
                fire_at: at.as_millisecond(),
            }),
            Action::CancelTimer { run, id } => self.commit.timers.push(TimerOp::CancelTimer {
                run: *run,
                timer: id.clone(),
            }),
            Action::CancelTimers { target: None } => self.commit.timers.push(TimerOp::CancelAll),
            Action::CancelTimers {
                target: Some(target),
            } => self.commit.timers.push(TimerOp::CancelTarget(json(target))),
            Action::DropUnasked => self.commit.suppress_business_initiated = true,
            Action::WriteResult { key, value } => {
                self.commit.results.push((key.clone(), json(value)));
            }
            Action::AddLabel { label } => self.commit.labels.push(label.clone()),
            Action::Log { text } => {
                tracing::info!(contact = %self.row.id, "journey log: {text}")
            }
            Action::Error { message } => {
                tracing::warn!(contact = %self.row.id, "run failed: {message}")
            }
            // The journal keeps them; the snapshot has the handoff.
            Action::Withheld { .. }
            | Action::Handoff { .. }
            | Action::Ended
            | Action::Note { .. } => {}
        }
    }

    fn outbox(&self, kind: &str, body: String, by_contact: bool) -> NewOutbox {
        NewOutbox {
            kind: kind.to_owned(),
            body,
            by_contact,
            not_before: self.now,
        }
    }

    fn finish(mut self, event: &InboxEvent, expected_version: i64) -> StepCommit {
        let s = self.snapshot;
        // The inbox shows a contact with an agent, and sees them leave.
        self.commit.inbox_change = self.row.handoff.is_some() || s.handoff.is_some();
        let report = &mut self.commit.report;
        report.day = project_day(self.session.runtime.config, self.now).to_string();
        report.started = s.runs - self.row.run;
        report.finished = self
            .actions
            .iter()
            .filter(|a| matches!(a, Action::Ended))
            .count() as i64;
        self.row.run = s.runs;
        self.row.visited = s.visited;
        self.row.opted_out = s.opted_out;
        (self.row.handoff, self.row.handoff_note) = match s.handoff {
            Some((queue, note)) => (Some(queue), Some(note)),
            None => (None, None),
        };
        self.row.fields = json(&s.contact.fields);
        self.row.state = s.run.as_ref().map(json);
        let journal = serde_json::json!({ "actions": self.actions });
        self.commit.expected_version = expected_version;
        self.commit.consumed = event.id;
        self.commit.contact = self.row;
        self.commit.journal = JournalEntry {
            kind: event.kind.clone(),
            event: event.payload.clone(),
            effects: journal.to_string(),
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
        let commit = planned.unwrap_or_else(|_| {
            tracing::error!(contact, "the interpreter panicked on event {}", event.id);
            set_aside(&event, row.clone(), "the interpreter panicked")
        });
        if event.kind == TIMER && live {
            app.metrics.timer_fired(now, &event);
        }
        let sends = !commit.outbox.is_empty();
        // A handoff may have opened or ended: its queue's rules may assign someone.
        let handoffs = commit.inbox_change;
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
                if handoffs {
                    app.wake_assign.notify_one();
                }
            }
            Err(StoreError::Conflict) => app.metrics.count(&app.metrics.step_conflicts),
            Err(StoreError::Closed) => return,
            // It would be refused again at every try, and the contact's later events
            // wait behind it: the event is set aside, with the reason in the journal.
            Err(StoreError::Refused(reason)) => {
                tracing::error!(
                    contact,
                    "the database refused a step; its event is set aside: {reason}"
                );
                let why = format!("the database refused the step ({reason})");
                if let Err(e) = app
                    .store
                    .commit_step(set_aside(&event, row, &why), now)
                    .await
                {
                    tracing::error!(contact, "cannot set an event aside: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
            Err(e) => {
                tracing::error!(contact, "cannot commit a step: {e}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// A step that consumes the event and changes nothing but the journal, which says
/// why the event was set aside.
fn set_aside(event: &InboxEvent, row: Option<ContactRow>, why: &str) -> StepCommit {
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
            effects: serde_json::json!({"actions": [Action::Note {
                text: format!("{why}; the event was set aside"),
                problem: true,
            }]})
            .to_string(),
        },
        ..StepCommit::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey_store::Deployment;

    const HELPLINE: &str = r#"stack Helpline do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["nurse"])
  interrupt(keywords: ["help", "nurse"], then: Nurse)
  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)

  card Nurse do
    handoff(queue: "nurses", note: "Asked for a nurse", on_return: Clinic)
  end

  card Clinic do
    text("Our clinics are open Monday to Friday.")
  end

  card OptOut do
    update_contact(opted_in: false)
    text("You will not get any more messages from us.")
    end_journey()
  end
end
"#;

    fn deployed() -> Deployed {
        let bundle = crate::bundle::Bundle {
            files: vec![("helpline.journey".into(), HELPLINE.into())],
            ..Default::default()
        };
        let deployment = Deployment {
            id: 1,
            digest: bundle.digest(),
            bundle: serde_json::to_string(&bundle).unwrap(),
            at: 0,
        };
        Deployed::build(&[deployment], &BTreeMap::new()).unwrap()
    }

    fn event(kind: &str, payload: String) -> InboxEvent {
        InboxEvent {
            id: 1,
            contact: "c".into(),
            kind: kind.into(),
            payload,
            created_at: 0,
        }
    }

    fn step(d: &Deployed, row: Option<ContactRow>, kind: &str, payload: String) -> StepCommit {
        plan(d, &event(kind, payload), row, true, 1_000)
    }

    #[test]
    fn an_agent_returns_a_contact_at_a_chosen_card_and_the_inbox_hears_of_it() {
        let d = deployed();
        let message = StoredMessage {
            id: "wamid.1".into(),
            at: 1_000,
            name: None,
            inbound: journey_runtime::Inbound::text("nurse"),
        };
        let handed = step(&d, None, MESSAGE, json(&message));
        assert_eq!(handed.contact.handoff.as_deref(), Some("nurses"));
        assert!(handed.inbox_change, "a new handoff is news to the inbox");

        let back = Command::ReturnTo {
            journey: "Helpline".into(),
            card: "Clinic".into(),
        };
        let returned = step(&d, Some(handed.contact.clone()), COMMAND, json(&back));
        assert_eq!(returned.contact.handoff, None);
        assert!(returned.inbox_change, "leaving the inbox is news too");
        assert_eq!(returned.outbox.len(), 1);
        assert!(returned.outbox[0].body.contains("Our clinics are open"));

        // Asked again once the bot has the contact: nothing moves, and the inbox does
        // not hear of a contact it no longer shows.
        let again = step(&d, Some(returned.contact.clone()), COMMAND, json(&back));
        assert!(again.outbox.is_empty());
        assert_eq!(again.contact.state, returned.contact.state);
        assert!(!again.inbox_change);
        assert!(again.journal.effects.contains("not with an agent"));
    }
}
