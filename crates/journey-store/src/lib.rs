//! Durable state for `journey serve` (durable-runtime.md §5): one trait, [`Store`], and
//! its embedded implementation, [`SqliteStore`].
//!
//! The store knows rows, not journeys: run states, events and messages are opaque JSON
//! text that the server writes and reads. What it guarantees:
//!
//! - **intake is atomic and de-duplicated**: a webhook body's messages, statuses and
//!   preference changes are committed together, each message once by its provider id,
//!   and the call returns only after the commit is durable;
//! - **a step is one transaction**: the contact row moves from version `v` to `v + 1`
//!   only if it is still at `v` (the fence), and in the same transaction the inbox row
//!   is consumed, timers and outbox rows are written and the journal gains the entry;
//! - **timers are rows**, moved to the inbox exactly once when due and never before;
//! - **the outbox** is claimed with leases, one row per contact at a time, so a
//!   contact's messages go out in order; an expired lease makes a row claimable again;
//! - **the console's people** (roles, password hashes, failure counts), their sessions
//!   (by the id's hash) and the audit log: a change and its audit row commit together;
//! - **the console's inbox**: assignments of open handoffs (kept per handoff, so a new
//!   handoff starts unassigned), internal notes, and a short feed of changes that the
//!   live updates of every process read;
//! - **automatic assignment** of a queue's waiting handoffs (its team, strategy,
//!   capacity and hours), in one transaction that every process's passes serialise
//!   on, with the busy and out-of-hours messages queued once per handoff;
//! - **broadcasts** ([`BroadcastStore`]): a recipient's message waits outside the outbox
//!   until due and the tier has room, then enters it once under its broadcast's key;
//! - **the console's contacts**: searched by id prefix, field value, label and opt-out
//!   from indexes, and imported all or nothing;
//! - **the console's reports** ([`ReportStore`]): handoff history, card visits, daily
//!   activity and the outbox's origin, written in the transactions of the events they
//!   count and read by range scans of their indexes.
//!
//! The trait is async and every call names the moment it happens (`now`), so that a
//! PostgreSQL store (several `journey serve` processes on one database, claims with
//! `FOR UPDATE SKIP LOCKED`) fits the same shape.

mod assign;
mod broadcast;
mod postgres;
mod reports;
mod schema;
mod sqlite;
mod types;

pub use assign::{AssignOutcome, QueueAssignment, Strategy, pick};
pub use broadcast::{
    AudienceMember, BroadcastMessage, BroadcastRow, BroadcastSend, BroadcastStore,
    key as broadcast_key,
};
pub use postgres::PgStore;
pub use reports::{
    CardCount, DayActivity, HandoffRecord, MessageFigures, ORIGINS, ReportStore, ResultQuery,
    ResultRow,
};
pub use sqlite::SqliteStore;
pub use types::*;

use std::future::Future;
use std::pin::Pin;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The contact moved on since it was read (the version fence), or the inbox row
    /// was already consumed: re-read and try again.
    Conflict,
    /// The store is shutting down or its writer stopped.
    Closed,
    /// The database failed.
    Database(String),
    /// The database refuses what the request holds (a value too large for an index,
    /// say): unlike a failure, trying the same request again cannot succeed.
    Refused(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("the contact changed since it was read"),
            StoreError::Closed => f.write_str("the store is closed"),
            StoreError::Database(message) => write!(f, "database error: {message}"),
            StoreError::Refused(message) => write!(f, "the database refused it: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The inbox payload of a fired timer: `{"row","run","timer","target","fire_at",
/// "fired_at"}`. The store builds it, so that firing needs no round trip to the server.
fn timer_event(
    row: i64,
    run: i64,
    timer: &str,
    target: &str,
    fire_at: Millis,
    now: Millis,
) -> String {
    format!(
        r#"{{"row":{row},"run":{run},"timer":{},"target":{target},"fire_at":{fire_at},"fired_at":{now}}}"#,
        json_string(timer)
    )
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Changes the inbox feed keeps: live updates look back seconds, not thousands.
const INBOX_CHANGES_KEPT: i64 = 10_000;

/// What every store call returns: a future that can cross threads.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// The durable state of a deployment. Every method is one transaction.
pub trait Store: BroadcastStore + ReportStore + Send + Sync + 'static {
    /// Commits a webhook body's worth of intake atomically. Messages already seen (by
    /// provider id) are reported as duplicates and change nothing. Returns only once
    /// the commit is durable: the caller may then acknowledge the webhook.
    fn accept(&self, intake: Vec<Intake>, now: Millis) -> StoreFuture<'_, Vec<Accepted>>;

    /// The contact's oldest unconsumed inbox event, with the contact row (if any).
    fn next_event(
        &self,
        contact: &str,
    ) -> StoreFuture<'_, Option<(InboxEvent, Option<ContactRow>)>>;

    /// Applies a step (see [`StepCommit`]); [`StoreError::Conflict`] when the fence fails.
    fn commit_step(&self, step: StepCommit, now: Millis) -> StoreFuture<'_, ()>;

    /// Whether a fired timer is still wanted (not cancelled since it fired).
    fn timer_live(&self, timer: i64) -> StoreFuture<'_, bool>;

    /// Moves up to `limit` timers due at `now` to their contacts' inboxes, earliest
    /// first; returns the contact of each timer fired, in firing order.
    fn fire_due_timers(&self, now: Millis, limit: usize) -> StoreFuture<'_, Vec<String>>;

    /// When the earliest unfired timer is due.
    fn next_timer_at(&self) -> StoreFuture<'_, Option<Millis>>;

    /// Contacts with events waiting (to resume work after a restart).
    fn contacts_with_events(&self) -> StoreFuture<'_, Vec<String>>;

    /// Leases up to `limit` outbox rows that are due, the oldest pending row of each
    /// contact only, until `now + lease`.
    fn claim_outbox(
        &self,
        now: Millis,
        lease: Millis,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxRow>>;

    /// Records what became of claimed rows.
    fn finish_outbox(&self, results: Vec<OutboxResult>, now: Millis) -> StoreFuture<'_, ()>;

    /// When the next queued outbox row becomes due.
    fn next_outbox_at(&self) -> StoreFuture<'_, Option<Millis>>;

    /// Contacts reached by business-initiated messages since `since` (the messaging
    /// limit's rolling window), with when.
    fn reach_since(&self, since: Millis) -> StoreFuture<'_, Vec<(String, Millis)>>;

    /// The contact row alone (what the dispatcher checks before sending).
    fn contact_row(&self, contact: &str) -> StoreFuture<'_, Option<ContactRow>>;

    /// The contact with their timers, outbox, journal, results and labels.
    fn contact(&self, contact: &str) -> StoreFuture<'_, Option<ContactView>>;

    /// Contacts with an agent now.
    fn handoffs(&self) -> StoreFuture<'_, Vec<Handoff>>;

    // ---------------------------------------------------------------- the console's inbox

    /// Open handoffs with their queue and assignee, longest waiting first.
    fn inbox(&self) -> StoreFuture<'_, Vec<InboxItem>>;

    /// The open handoff of one contact, if they are with an agent.
    fn inbox_item(&self, contact: &str) -> StoreFuture<'_, Option<InboxItem>>;

    /// A contact's internal notes, oldest first.
    fn notes(&self, contact: &str) -> StoreFuture<'_, Vec<NoteRow>>;

    /// Applies an operator's change with its audit row and records a change for the
    /// live updates, in one transaction; `false` (nothing written) when an assignment's
    /// handoff is no longer open.
    fn change_inbox(
        &self,
        contact: &str,
        change: InboxChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool>;

    /// Recorded changes with ids above `after`, oldest first, at most `limit`: the
    /// contact of each. Only the latest few thousand are kept.
    fn inbox_changes(&self, after: i64, limit: usize) -> StoreFuture<'_, Vec<(i64, String)>>;

    /// The id of the latest recorded change (0: none yet).
    fn last_inbox_change(&self) -> StoreFuture<'_, i64>;

    /// Assigns `rules.queue`'s unassigned open handoffs, oldest first, by its rules
    /// ([`assign::plan`]), counting each agent's open assigned handoffs in every queue;
    /// those who must wait get the busy (or, when closed, the out-of-hours) message
    /// once per handoff, through the outbox. One transaction, serialised with every
    /// other process's passes: no handoff is assigned twice and no capacity exceeded
    /// by them. Each assignment gets an audit row and a live-update change.
    fn assign_queue(&self, rules: QueueAssignment, now: Millis) -> StoreFuture<'_, AssignOutcome>;

    /// Saves a deployment (the project's sources) unless the latest has the same digest;
    /// returns its id.
    fn deploy(&self, digest: String, bundle: String, now: Millis) -> StoreFuture<'_, Deployment>;

    /// Every deployment, oldest first.
    fn deployments(&self) -> StoreFuture<'_, Vec<Deployment>>;

    /// The database's clock, when processes on several machines share the store and
    /// must agree on the time (timers never fire early by one machine's clock); `None`
    /// when the store is on this machine and its clock is this machine's.
    fn clock(&self) -> StoreFuture<'_, Option<Millis>>;

    /// A value kept across restarts (the test clock's anchor).
    fn meta(&self, key: &str, default: String) -> StoreFuture<'_, String>;

    /// Row counts for `/metrics`.
    fn stats(&self) -> StoreFuture<'_, Stats>;

    // ---------------------------------------------------------------- the console's people

    /// A person by name.
    fn person(&self, name: &str) -> StoreFuture<'_, Option<PersonRow>>;

    /// Everyone, by name.
    fn people(&self) -> StoreFuture<'_, Vec<PersonRow>>;

    /// Applies `change` and writes `audit` with it; `false` (nothing written) when the
    /// name is taken (add) or unknown (remove, set password).
    fn change_person(
        &self,
        change: PersonChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool>;

    /// Records a wrong password: its audit row, and for a known person the count
    /// ([`lockout`]); when that locks the account, a `lockout` audit row too. Returns
    /// the end of the lock it set, if it set one.
    fn login_failed(&self, failure: LoginFailure, now: Millis) -> StoreFuture<'_, Option<Millis>>;

    /// Failed sign-ins (`login_failed`, `login_refused`) from `address` since `since`:
    /// how many, and the time of the oldest.
    fn login_failures_from(
        &self,
        address: &str,
        since: Millis,
    ) -> StoreFuture<'_, (i64, Option<Millis>)>;

    /// Starts a session after a right password: clears the person's failure count,
    /// drops expired sessions, writes `audit`.
    fn open_session(
        &self,
        session: SessionRow,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ()>;

    /// The session with this id hash and its person, unless it expired or the person
    /// is gone.
    fn session(
        &self,
        id_hash: &str,
        now: Millis,
    ) -> StoreFuture<'_, Option<(SessionRow, PersonRow)>>;

    /// Ends a session and writes `audit`; `false` when there was none.
    fn close_session(&self, id_hash: &str, audit: AuditEntry, now: Millis)
    -> StoreFuture<'_, bool>;

    /// Appends to the audit log.
    fn audit(&self, entry: AuditEntry, now: Millis) -> StoreFuture<'_, ()>;

    /// The audit log, newest first: up to `limit` rows with ids below `before`.
    fn audit_log(&self, before: Option<i64>, limit: usize) -> StoreFuture<'_, Vec<AuditRow>>;

    // ---------------------------------------------------------------- the console's contacts

    /// A page of the contacts that match, in id order, with their labels; answered
    /// from indexes (the journal is not read).
    fn search_contacts(&self, query: ContactQuery) -> StoreFuture<'_, Vec<ContactListing>>;

    /// The contact as [`Store::contact`] shows them, with only the last `entries`
    /// journal entries and the outbox rows written since the first of them: what a
    /// conversation or a profile shows, however long the contact's history.
    fn recent_contact(&self, contact: &str, entries: usize)
    -> StoreFuture<'_, Option<ContactView>>;

    /// Creates or updates every contact of an import, all or none, with `audit`.
    /// A new contact starts at version 1; an updated one moves to the next version
    /// (a step that read it before is fenced off and re-reads).
    fn import_contacts(
        &self,
        contacts: Vec<ContactImport>,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ImportCount>;
}

/// A person's failure count and lock after one more wrong password (both stores apply
/// it in the transaction that records the failure, so processes sharing a database
/// count together). A lock that ran out starts the count afresh; reaching `tries`
/// locks until `now + lock_for` and resets the count, so the next lock needs `tries`
/// more.
pub fn lockout(
    failed: i64,
    locked_until: Option<Millis>,
    now: Millis,
    tries: i64,
    lock_for: Millis,
) -> (i64, Option<Millis>) {
    let failed = match locked_until {
        Some(until) if until <= now => 1,
        _ => failed + 1,
    };
    if failed >= tries {
        (0, Some(now + lock_for))
    } else {
        (failed, locked_until.filter(|until| *until > now))
    }
}

#[cfg(test)]
mod tests {
    use super::lockout;

    const MINUTE: i64 = 60_000;

    #[test]
    fn five_wrong_passwords_in_a_row_lock_for_the_period() {
        let (mut failed, mut locked) = (0, None);
        for n in 1..5 {
            (failed, locked) = lockout(failed, locked, n * MINUTE, 5, 15 * MINUTE);
            assert_eq!((failed, locked), (n, None), "try {n}");
        }
        (failed, locked) = lockout(failed, locked, 5 * MINUTE, 5, 15 * MINUTE);
        assert_eq!((failed, locked), (0, Some(20 * MINUTE)), "the fifth locks");
    }

    #[test]
    fn a_lock_that_ran_out_starts_the_count_afresh() {
        // Locked until minute 20; a wrong password at minute 21 is the first of five.
        assert_eq!(
            lockout(0, Some(20 * MINUTE), 21 * MINUTE, 5, 15 * MINUTE),
            (1, None)
        );
        // A stale count from before the lock does not carry over either.
        assert_eq!(
            lockout(4, Some(20 * MINUTE), 21 * MINUTE, 5, 15 * MINUTE),
            (1, None)
        );
        // While the lock holds, failures still count and do not lift it.
        assert_eq!(
            lockout(1, Some(20 * MINUTE), 10 * MINUTE, 5, 15 * MINUTE),
            (2, Some(20 * MINUTE))
        );
    }
}
