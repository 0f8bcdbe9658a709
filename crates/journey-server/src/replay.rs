//! Replays a conversation that another container had with a contact's session (`journey
//! test`'s simulator records every input, with what came of it) through the server's
//! own path: the inputs become inbox events of a real store, timers are fired by the
//! store when the clock reaches them, HTTP requests are outbox rows answered as the
//! dispatcher answers them, and each event is planned (`steps::plan_in`) and
//! committed. After every step the journal's actions, the messages queued and the
//! contact row (as a session snapshot) must equal the record's: the server and the
//! simulator are then two containers around one session, and a `.test` file shows what
//! `journey serve` does. The send-time rules (`dispatch::judge`) are the dispatcher's,
//! not the session's, and are not replayed.

use std::path::Path;

use std::sync::atomic::{AtomicU64, Ordering};

use journey_runtime::{Action, Input, Outbound, Record, Session};
use journey_store::{
    ContactRow, InboxEvent, Intake, Millis, OutboxOutcome, OutboxResult, SqliteStore, Store,
};

use crate::steps::{COMMAND, Command, FiredTimer, StoredMessage, TIMER, fields, plan_in, snapshot};

/// Replays `record` for `contact` with a fresh database in `dir`; where the server
/// first differs from the record, with the step it differs at.
pub fn replay(
    runtime: &journey_runtime::Runtime<'_>,
    contact: &str,
    record: &[Record],
    dir: &Path,
) -> Result<(), String> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    // Replays may run side by side (test threads): each has its own database.
    static REPLAYS: AtomicU64 = AtomicU64::new(0);
    let n = REPLAYS.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("replay-{}-{n}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path, true)?;
    let result = tokio.block_on(async {
        let mut replay = Replay {
            store: &store,
            runtime,
            contact,
            http: None,
            wamids: 0,
        };
        for (n, turn) in record.iter().enumerate() {
            replay
                .turn(turn)
                .await
                .map_err(|e| format!("input {} ({:?}) at {}: {e}", n + 1, turn.input, turn.at))?;
        }
        Ok(())
    });
    store.close();
    drop(store);
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    result
}

struct Replay<'a> {
    store: &'a SqliteStore,
    runtime: &'a journey_runtime::Runtime<'a>,
    contact: &'a str,
    /// The HTTP request row claimed and waiting for its answer: (row id, attempt,
    /// request id, by_contact).
    http: Option<(i64, i64, String, bool)>,
    wamids: usize,
}

impl Replay<'_> {
    async fn turn(&mut self, turn: &Record) -> Result<(), String> {
        let now = turn.at.as_millisecond();
        self.inbox(&turn.input, now).await?;
        let (event, row) = self
            .store
            .next_event(self.contact)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the input left no event in the inbox")?;
        let mut live = true;
        if event.kind == TIMER {
            live = self.check_timer(&event, &turn.input).await?;
        }
        // Fields a test set between inputs (as an agent or an import would).
        let mut row = row.unwrap_or_else(|| ContactRow {
            id: self.contact.to_owned(),
            fields: "{}".to_owned(),
            ..ContactRow::default()
        });
        if fields(&row.fields) != turn.fields {
            row.fields = serde_json::to_string(&turn.fields).map_err(|e| e.to_string())?;
        }
        let session = Session {
            runtime: self.runtime,
            triggers: self.runtime,
            entry: turn.entry.as_deref(),
        };
        let commit = plan_in(&session, &event, Some(row), live, now);
        let journal: serde_json::Value =
            serde_json::from_str(&commit.journal.effects).map_err(|e| e.to_string())?;
        let expected = serde_json::to_value(&turn.reaction.actions).map_err(|e| e.to_string())?;
        if journal["actions"] != expected {
            return Err(format!(
                "the server did\n  {}\nthe simulator did\n  {expected}",
                journal["actions"]
            ));
        }
        self.store
            .commit_step(commit, now)
            .await
            .map_err(|e| format!("cannot commit: {e}"))?;
        let row = self
            .store
            .contact_row(self.contact)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no contact row after the step")?;
        if snapshot(&row) != turn.reaction.snapshot {
            return Err(format!(
                "the server's contact is\n  {:?}\nthe simulator's\n  {:?}",
                snapshot(&row),
                turn.reaction.snapshot
            ));
        }
        self.drain_outbox(&turn.reaction.actions, now).await
    }

    /// Puts the input in the contact's inbox the way its source would.
    async fn inbox(&mut self, input: &Input, now: Millis) -> Result<(), String> {
        let command = |command: Command| Intake::Event {
            contact: self.contact.to_owned(),
            kind: COMMAND.to_owned(),
            payload: serde_json::to_string(&command).unwrap_or_default(),
        };
        let intake = match input {
            Input::Message(inbound) => {
                self.wamids += 1;
                let message = StoredMessage {
                    id: format!("wamid.replay{}", self.wamids),
                    at: now,
                    name: None,
                    inbound: inbound.clone(),
                };
                Intake::Message {
                    provider_id: message.id.clone(),
                    contact: self.contact.to_owned(),
                    payload: serde_json::to_string(&message).map_err(|e| e.to_string())?,
                }
            }
            Input::Start { journey } => command(Command::Start {
                journey: journey.clone(),
            }),
            Input::AgentReturn => command(Command::Return),
            Input::Reset => command(Command::Reset),
            Input::Timer { .. } => {
                let fired = self
                    .store
                    .fire_due_timers(now, 1)
                    .await
                    .map_err(|e| e.to_string())?;
                return match fired.as_slice() {
                    [_] => Ok(()),
                    _ => Err("the store has no timer due".to_owned()),
                };
            }
            Input::Http {
                request,
                status,
                body,
                by_contact,
            } => {
                let Some((row, attempt, id, row_by_contact)) = self.http.take() else {
                    return Err("the server made no HTTP request".to_owned());
                };
                if (&id, row_by_contact) != (request, *by_contact) {
                    return Err(format!(
                        "the server's request is {id} (by contact: {row_by_contact})"
                    ));
                }
                // As the dispatcher answers: the response and the row's end in one commit.
                let answer = Command::Http {
                    request: id,
                    status: *status,
                    body: body.to_json(),
                    by_contact: row_by_contact,
                };
                let result = OutboxResult {
                    id: row,
                    attempt,
                    outcome: OutboxOutcome::Done,
                    event: Some((
                        self.contact.to_owned(),
                        COMMAND.to_owned(),
                        serde_json::to_string(&answer).map_err(|e| e.to_string())?,
                    )),
                };
                return self
                    .store
                    .finish_outbox(vec![result], now)
                    .await
                    .map_err(|e| e.to_string());
            }
        };
        self.store
            .accept(vec![intake], now)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// The store fired the timer the simulator fired, never early; whether it is live.
    async fn check_timer(&self, event: &InboxEvent, input: &Input) -> Result<bool, String> {
        let timer: FiredTimer = serde_json::from_str(&event.payload).map_err(|e| e.to_string())?;
        let Input::Timer { id, target } = input else {
            return Err(format!("the store fired timer {}", timer.timer));
        };
        if timer.timer != *id || timer.target != *target || timer.fired_at < timer.fire_at {
            return Err(format!(
                "the store fired {} {:?} (due {}, fired {})",
                timer.timer, timer.target, timer.fire_at, timer.fired_at
            ));
        }
        self.store
            .timer_live(timer.row)
            .await
            .map_err(|e| e.to_string())
    }

    /// Claims what the step queued: the messages must be the ones the simulator sent,
    /// in order; an HTTP request waits for its answer.
    async fn drain_outbox(&mut self, actions: &[Action], now: Millis) -> Result<(), String> {
        let mut expected = actions.iter().filter_map(|a| match a {
            Action::Send { message, .. } => Some(message),
            _ => None,
        });
        while self.http.is_none() {
            let claimed = self
                .store
                .claim_outbox(now, 60_000, 16)
                .await
                .map_err(|e| e.to_string())?;
            let Some(row) = claimed.into_iter().next() else {
                break;
            };
            if row.kind == "http" {
                let request: journey_runtime::HttpRequest =
                    serde_json::from_str(&row.body).map_err(|e| e.to_string())?;
                self.http = Some((row.id, row.attempts, request.id, row.by_contact));
                continue;
            }
            let message: Outbound = serde_json::from_str(&row.body).map_err(|e| e.to_string())?;
            if expected.next() != Some(&message) {
                return Err(format!("the server queued {message:?} out of turn"));
            }
            let sent = OutboxResult {
                id: row.id,
                attempt: row.attempts,
                outcome: OutboxOutcome::Sent {
                    provider_id: format!("wamid.sent{}", row.id),
                    reached: false,
                },
                event: None,
            };
            self.store
                .finish_outbox(vec![sent], now)
                .await
                .map_err(|e| e.to_string())?;
        }
        match expected.next() {
            Some(message) => Err(format!("the server did not queue {message:?}")),
            None => Ok(()),
        }
    }
}
