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
//!   contact's messages go out in order; an expired lease makes a row claimable again.
//!
//! The trait is async and every call names the moment it happens (`now`), so that a
//! PostgreSQL store (several `journey serve` processes on one database, claims with
//! `FOR UPDATE SKIP LOCKED`) fits the same shape.

mod postgres;
mod schema;
mod sqlite;
mod types;

pub use postgres::PgStore;
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
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("the contact changed since it was read"),
            StoreError::Closed => f.write_str("the store is closed"),
            StoreError::Database(message) => write!(f, "database error: {message}"),
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

/// What every store call returns: a future that can cross threads.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// The durable state of a deployment. Every method is one transaction.
pub trait Store: Send + Sync + 'static {
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
}
