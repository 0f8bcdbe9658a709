//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, one writer
//! thread that commits whatever requests have queued up in one transaction (group
//! commit, durable-runtime.md §5.8 and §6.2), and a pool of read connections.
//!
//! Each request runs in its own savepoint inside the batch, so one failing request
//! (a fence conflict) rolls back alone; callers hear back only after the batch commit.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::assign::{self, AssignOutcome, QueueAssignment};
use crate::types::*;
use crate::{INBOX_CHANGES_KEPT, Millis, Store, StoreError, StoreFuture, StoreResult};
use crate::{reports, schema};

/// Requests taken into one transaction at most. Large enough to amortise the fsync,
/// small enough that the first caller of a batch does not wait long.
const MAX_BATCH: usize = 512;
/// Queued write requests before callers wait (back-pressure on the webhook).
const QUEUE: usize = 16_384;

type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write request: runs on the writer's connection (`None` when the batch could not
/// begin, so the request must only report that) and returns how to answer its caller.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Reply + Send>;

pub struct SqliteStore {
    path: PathBuf,
    /// `PATH.lock`, held locked while the store is open: one process per file (none
    /// for [`SqliteStore::open_beside`]).
    _lock: Option<std::fs::File>,
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    readers: Mutex<Vec<Connection>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SqliteStore {
    /// Opens the database at `path` (created when missing) and migrates it. Refuses a
    /// file another process has open, and one that is empty (truncated state, unless
    /// `init_empty`) or holds another program's tables.
    pub fn open(path: &Path, init_empty: bool) -> Result<Arc<SqliteStore>, String> {
        SqliteStore::open_with(path, init_empty, true)
    }

    /// Opens the database for a short change beside a `journey serve` that may be
    /// running on it (`journey users`): without the one-process lock and leaving the
    /// outbox's leases alone. SQLite itself keeps the two writers' transactions apart.
    pub fn open_beside(path: &Path) -> Result<Arc<SqliteStore>, String> {
        SqliteStore::open_with(path, false, false)
    }

    fn open_with(
        path: &Path,
        init_empty: bool,
        exclusive: bool,
    ) -> Result<Arc<SqliteStore>, String> {
        let lock = if exclusive {
            Some(lock_exclusively(path)?)
        } else {
            None
        };
        if !init_empty && std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            return Err(format!(
                "`{}` is empty: it holds no journey state (was it truncated?). Restore it \
                 from a backup, or pass --init-database to start from nothing",
                path.display()
            ));
        }
        let mut conn =
            connect(path).map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
        refuse_foreign(&conn, path)?;
        schema::migrate(&mut conn)
            .map_err(|e| format!("cannot migrate `{}`: {e}", path.display()))??;
        // The server checks the whole file when it starts; a short change beside it
        // does not read every page again.
        if exclusive {
            let integrity: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| format!("cannot check `{}`: {e}", path.display()))?;
            if integrity != "ok" {
                return Err(format!(
                    "`{}` failed its integrity check: {integrity}",
                    path.display()
                ));
            }
            // The lock says no other process is sending: leases of rows a killed
            // process had claimed are over now, not when they run out.
            conn.execute(
                "UPDATE outbox SET lease_until = 0 WHERE state = 'sending'",
                [],
            )
            .map_err(|e| format!("cannot release old leases in `{}`: {e}", path.display()))?;
        }
        let (writer, jobs) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("journey-store-writer".to_owned())
            .spawn(move || write_loop(conn, jobs))
            .map_err(|e| format!("cannot start the store's writer: {e}"))?;
        Ok(Arc::new(SqliteStore {
            path: path.to_path_buf(),
            _lock: lock,
            writer: Mutex::new(Some(writer)),
            readers: Mutex::new(Vec::new()),
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// Stops taking writes and waits until the writer has committed what it took.
    pub fn close(&self) {
        if let Ok(mut writer) = self.writer.lock() {
            writer.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// Runs `f` in the writer's next batch; resolves after that batch commits.
    pub(crate) fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    ) -> impl Future<Output = StoreResult<R>> + Send + 'static {
        let (tx, rx) = oneshot::channel::<StoreResult<R>>();
        let job: Job = Box::new(move |conn: Option<&Connection>| {
            let result = match conn {
                Some(conn) => savepoint(conn, f),
                None => Err(StoreError::Database(
                    "the writer could not begin a transaction".to_owned(),
                )),
            };
            Box::new(move |committed: Result<(), String>| {
                let _ = tx.send(committed.map_err(StoreError::Database).and(result));
            })
        });
        let writer = self.writer.lock().ok().and_then(|w| w.clone());
        async move {
            let writer = writer.ok_or(StoreError::Closed)?;
            writer.send(job).await.map_err(|_| StoreError::Closed)?;
            rx.await.map_err(|_| StoreError::Closed)?
        }
    }

    /// Runs `f` on a read connection. Reads here are index lookups of a few rows
    /// (microseconds), so they run in place rather than on a blocking pool.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> StoreResult<R> {
        let conn = match self.readers.lock().ok().and_then(|mut r| r.pop()) {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = f(&conn);
        if let Ok(mut readers) = self.readers.lock() {
            readers.push(conn);
        }
        Ok(result?)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

/// Takes `PATH.lock` for this process (the operating system lets go of it when the
/// process ends, however it ends). SQLite's own locks let two writers take turns; two
/// `journey serve` processes on one file would each step the other's events.
fn lock_exclusively(path: &Path) -> Result<std::fs::File, String> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open `{}`: {e}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "`{}` is in use by another process (it holds `{}`): one `journey serve` per \
             SQLite file; for several processes use PostgreSQL (docs/scaling.md)",
            path.display(),
            lock_path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(format!("cannot lock `{}`: {e}", lock_path.display()))
        }
    }
}

/// A database with tables but no schema version of ours belongs to another program.
fn refuse_foreign(conn: &Connection, path: &Path) -> Result<(), String> {
    let unreadable = |e: rusqlite::Error| format!("cannot read `{}`: {e}", path.display());
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unreadable)?;
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )
        .map_err(unreadable)?;
    if version == 0 && tables > 0 {
        return Err(format!(
            "`{}` holds tables that are not journey's: point --database at another file",
            path.display()
        ));
    }
    Ok(())
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL with FULL: a commit is on disk when it returns, and readers never block the
    // writer. Batching keeps FULL cheap (§6.2).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The writer: take every queued request (up to [`MAX_BATCH`]), run them in one
/// transaction, commit, then answer them all.
fn write_loop(conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
            let error = error.to_string();
            for job in batch.drain(..) {
                job(None)(Err(error.clone()));
            }
            continue;
        }
        for job in batch.drain(..) {
            replies.push(job(Some(&conn)));
        }
        let committed = conn
            .execute_batch("COMMIT")
            .map_err(|e| e.to_string())
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            });
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// Runs one request in a savepoint: its writes stand or fall together.
fn savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    conn.execute_batch("SAVEPOINT request")?;
    match f(conn) {
        Ok(value) => {
            conn.execute_batch("RELEASE request")?;
            Ok(value)
        }
        Err(error) => {
            conn.execute_batch("ROLLBACK TO request; RELEASE request")?;
            Err(error)
        }
    }
}

fn to_bool(value: i64) -> bool {
    value != 0
}

pub(crate) fn contact_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ContactRow> {
    Ok(ContactRow {
        id: row.get(0)?,
        version: row.get(1)?,
        run: row.get(2)?,
        fields: row.get(3)?,
        state: row.get(4)?,
        visited: to_bool(row.get(5)?),
        last_inbound_at: row.get(6)?,
        opted_out: to_bool(row.get(7)?),
        marketing_opt_out: to_bool(row.get(8)?),
        handoff: row.get(9)?,
        handoff_note: row.get(10)?,
    })
}

pub(crate) const CONTACT_COLUMNS: &str = "id, version, run, fields, state, visited, last_inbound_at, \
     opted_out, marketing_opt_out, handoff, handoff_note";

fn load_contact(conn: &Connection, id: &str) -> rusqlite::Result<Option<ContactRow>> {
    conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"
    ))?
    .query_row([id], contact_row)
    .optional()
}

fn accept_one(conn: &Connection, item: Intake, now: Millis) -> StoreResult<Accepted> {
    match item {
        Intake::Message {
            provider_id,
            contact,
            payload,
        } => {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO inbound_dedupe (provider_id, received_at) VALUES (?1, ?2) \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![provider_id, now])?;
            if inserted == 0 {
                return Ok(Accepted::Duplicate);
            }
            insert_event(conn, &contact, "message", &payload, now)?;
            Ok(Accepted::New)
        }
        Intake::Event {
            contact,
            kind,
            payload,
        } => {
            insert_event(conn, &contact, &kind, &payload, now)?;
            Ok(Accepted::New)
        }
        Intake::Status {
            provider_id,
            callback,
            status,
            rank,
            error,
        } => {
            // Monotonic: `read` after `delivered` moves on; a late `delivered` after
            // `read` changes nothing. `failed` (rank 9) is terminal.
            let changed = conn
                .prepare_cached(
                    "UPDATE outbox SET delivery = ?2, delivery_rank = ?3, \
                     last_error = COALESCE(?4, last_error) \
                     WHERE id = (SELECT id FROM outbox WHERE provider_id = ?1 \
                                 OR (?5 IS NOT NULL AND idem_key = ?5) LIMIT 1) \
                     AND delivery_rank < ?3",
                )?
                .execute(params![provider_id, status, rank, error, callback])?;
            Ok(if changed == 0 {
                Accepted::Ignored
            } else {
                Accepted::New
            })
        }
        Intake::MarketingOptOut { contact, stop } => {
            conn.prepare_cached(
                "INSERT INTO contacts (id, version, marketing_opt_out, updated_at) \
                 VALUES (?1, 0, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET marketing_opt_out = ?2, updated_at = ?3",
            )?
            .execute(params![contact, stop as i64, now])?;
            Ok(Accepted::New)
        }
    }
}

fn insert_event(
    conn: &Connection,
    contact: &str,
    kind: &str,
    payload: &str,
    now: Millis,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO inbox (contact, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![contact, kind, payload, now])?;
    Ok(())
}

fn apply_step(conn: &Connection, step: StepCommit, now: Millis) -> StoreResult<()> {
    let c = &step.contact;
    let version = step.expected_version + 1;
    let handoff_since: Option<Millis> = c.handoff.as_ref().map(|_| now);
    let changed = conn
        .prepare_cached(
            "INSERT INTO contacts (id, version, run, fields, state, visited, last_inbound_at, \
                opted_out, marketing_opt_out, handoff, handoff_note, handoff_since, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (id) DO UPDATE SET version = ?2, run = ?3, fields = ?4, state = ?5, \
                visited = ?6, last_inbound_at = ?7, opted_out = ?8, marketing_opt_out = ?9, \
                handoff = ?10, handoff_note = ?11, \
                handoff_since = CASE WHEN ?10 IS NULL THEN NULL \
                                     ELSE COALESCE(handoff_since, ?12) END, \
                updated_at = ?13 \
             WHERE contacts.version = ?14",
        )?
        .execute(params![
            c.id,
            version,
            c.run,
            c.fields,
            c.state,
            c.visited as i64,
            c.last_inbound_at,
            c.opted_out as i64,
            c.marketing_opt_out as i64,
            c.handoff,
            c.handoff_note,
            handoff_since,
            now,
            step.expected_version,
        ])?;
    if changed == 0 {
        return Err(StoreError::Conflict);
    }
    let consumed = conn
        .prepare_cached("DELETE FROM inbox WHERE id = ?1 AND contact = ?2")?
        .execute(params![step.consumed, c.id])?;
    if consumed == 0 {
        return Err(StoreError::Conflict);
    }
    if let Some(timer) = step.fired_timer {
        conn.prepare_cached("DELETE FROM timers WHERE id = ?1")?
            .execute([timer])?;
    }
    for op in &step.timers {
        match op {
            TimerOp::Schedule {
                run,
                timer,
                target,
                fire_at,
            } => {
                conn.prepare_cached(
                    "INSERT INTO timers (contact, run, timer, target, fire_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![c.id, run, timer, target, fire_at])?;
            }
            TimerOp::CancelAll => {
                conn.prepare_cached("DELETE FROM timers WHERE contact = ?1")?
                    .execute([&c.id])?;
            }
            TimerOp::CancelTarget(target) => {
                conn.prepare_cached("DELETE FROM timers WHERE contact = ?1 AND target = ?2")?
                    .execute(params![c.id, target])?;
            }
            TimerOp::CancelTimer { run, timer } => {
                conn.prepare_cached(
                    "DELETE FROM timers WHERE contact = ?1 AND run = ?2 AND timer = ?3",
                )?
                .execute(params![c.id, run, timer])?;
            }
        }
    }
    if step.suppress_business_initiated {
        conn.prepare_cached(
            "UPDATE outbox SET state = 'dead', last_error = 'the contact opted out' \
             WHERE contact = ?1 AND state = 'queued' AND by_contact = 0",
        )?
        .execute([&c.id])?;
    }
    for (n, message) in step.outbox.iter().enumerate() {
        conn.prepare_cached(
            "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
                next_attempt_at, created_at, origin) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8)",
        )?
        .execute(params![
            c.id,
            format!("{}:{version}:{n}", c.id),
            message.kind,
            message.body,
            message.by_contact as i64,
            message.not_before.max(now),
            now,
            if step.report.agent_reply {
                "agent"
            } else {
                "bot"
            },
        ])?;
    }
    for (key, value) in &step.results {
        conn.prepare_cached(
            "INSERT INTO results (contact, key, value, at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![c.id, key, value, now])?;
    }
    for label in &step.labels {
        conn.prepare_cached("INSERT INTO labels (contact, label, at) VALUES (?1, ?2, ?3)")?
            .execute(params![c.id, label, now])?;
    }
    if step.inbox_change {
        record_inbox_change(conn, &c.id, now)?;
    }
    reports::sqlite::record_step(conn, &step, now)?;
    conn.prepare_cached(
        "INSERT INTO journal (contact, version, kind, event, effects, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        c.id,
        version,
        step.journal.kind,
        step.journal.event,
        step.journal.effects,
        now
    ])?;
    Ok(())
}

fn fire_timers(conn: &Connection, now: Millis, limit: usize) -> StoreResult<Vec<String>> {
    let due: Vec<(i64, String, i64, String, String, Millis)> = conn
        .prepare_cached(
            "SELECT id, contact, run, timer, target, fire_at FROM timers \
             WHERE fired_at IS NULL AND fire_at <= ?1 ORDER BY fire_at, id LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut contacts = Vec::with_capacity(due.len());
    for (id, contact, run, timer, target, fire_at) in due {
        conn.prepare_cached("UPDATE timers SET fired_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
        let payload = crate::timer_event(id, run, &timer, &target, fire_at, now);
        insert_event(conn, &contact, "timer", &payload, now)?;
        contacts.push(contact);
    }
    Ok(contacts)
}

/// When the dispatcher has something to do next: the earliest time a contact's oldest
/// pending row becomes claimable. Rows queued behind a contact's held or in-flight
/// row are not counted: they cannot be claimed before it, and counting them would
/// wake the dispatcher over and over for nothing.
const NEXT_OUTBOX_AT: &str = "SELECT MIN(CASE o.state WHEN 'queued' THEN o.next_attempt_at \
                                             ELSE o.lease_until END) \
     FROM outbox o WHERE o.state IN ('queued', 'sending') \
       AND o.id = (SELECT MIN(p.id) FROM outbox p INDEXED BY outbox_pending \
                   WHERE p.contact = o.contact AND p.state IN ('queued', 'sending'))";

fn claim(
    conn: &Connection,
    now: Millis,
    lease: Millis,
    limit: usize,
) -> StoreResult<Vec<OutboxRow>> {
    // Walks the due pending rows in lease order (the `outbox_due` index) and stops at
    // `limit`, so a claim costs what it returns, not the backlog. `next_attempt_at <= now`
    // holds for every claimable row: a queued row by the rule, a leased one because it was
    // claimed at or after its `next_attempt_at` and its lease ends after that.
    let rows: Vec<OutboxRow> = conn
        .prepare_cached(
            "SELECT o.id, o.contact, o.idem_key, o.kind, o.body, o.by_contact, o.attempts, \
                    o.created_at \
             FROM outbox o INDEXED BY outbox_due \
             WHERE o.state IN ('queued', 'sending') AND o.next_attempt_at <= ?1 \
               AND ((o.state = 'queued' AND o.next_attempt_at <= ?1) \
                    OR (o.state = 'sending' AND o.lease_until <= ?1)) \
               AND o.id = (SELECT MIN(p.id) FROM outbox p INDEXED BY outbox_pending \
                           WHERE p.contact = o.contact AND p.state IN ('queued', 'sending')) \
             ORDER BY o.next_attempt_at, o.id LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| {
            Ok(OutboxRow {
                id: r.get(0)?,
                contact: r.get(1)?,
                idem_key: r.get(2)?,
                kind: r.get(3)?,
                body: r.get(4)?,
                by_contact: to_bool(r.get(5)?),
                attempts: r.get::<_, i64>(6)? + 1,
                created_at: r.get(7)?,
                leased_until: now + lease,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for row in &rows {
        conn.prepare_cached(
            "UPDATE outbox SET state = 'sending', lease_until = ?2, attempts = attempts + 1 \
             WHERE id = ?1",
        )?
        .execute(params![row.id, now + lease])?;
    }
    Ok(rows)
}

fn finish(conn: &Connection, results: Vec<OutboxResult>, now: Millis) -> StoreResult<()> {
    for result in results {
        // 0 rows: the result of a claim older than the row's latest; it changes nothing.
        let updated = match &result.outcome {
            OutboxOutcome::Sent {
                provider_id,
                reached,
            } => {
                let updated = conn
                    .prepare_cached(
                        "UPDATE outbox SET state = 'sent', provider_id = ?2, sent_at = ?3, \
                     lease_until = NULL, delivery = COALESCE(delivery, 'accepted') \
                     WHERE id = ?1 AND state = 'sending' AND attempts = ?4",
                    )?
                    .execute(params![result.id, provider_id, now, result.attempt])?;
                // Sent is sent, by whichever claim: the contact was reached.
                if *reached {
                    conn.prepare_cached(
                        "INSERT INTO reach (contact, at) \
                         SELECT contact, ?2 FROM outbox WHERE id = ?1 \
                         ON CONFLICT (contact) DO UPDATE SET at = excluded.at",
                    )?
                    .execute(params![result.id, now])?;
                }
                updated
            }
            OutboxOutcome::Retry {
                at,
                error,
                attempted,
            } => conn
                .prepare_cached(
                    "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, last_error = ?3, \
                     lease_until = NULL, attempts = attempts - CASE WHEN ?4 THEN 0 ELSE 1 END \
                     WHERE id = ?1 AND state = 'sending' AND attempts = ?5",
                )?
                .execute(params![result.id, at, error, attempted, result.attempt])?,
            OutboxOutcome::Dead { error } => conn
                .prepare_cached(
                    "UPDATE outbox SET state = 'dead', last_error = ?2, lease_until = NULL \
                     WHERE id = ?1 AND state = 'sending' AND attempts = ?3",
                )?
                .execute(params![result.id, error, result.attempt])?,
            OutboxOutcome::Done => conn
                .prepare_cached(
                    "UPDATE outbox SET state = 'done', sent_at = ?2, lease_until = NULL \
                     WHERE id = ?1 AND state = 'sending' AND attempts = ?3",
                )?
                .execute(params![result.id, now, result.attempt])?,
        };
        if updated > 0
            && let Some((contact, kind, payload)) = &result.event
        {
            insert_event(conn, contact, kind, payload, now)?;
        }
    }
    Ok(())
}

/// The contact with their last `entries` journal entries (all: `i64::MAX`) and the
/// outbox rows those entries wrote (a step's rows carry its journal entry's time).
fn view(conn: &Connection, id: &str, entries: i64) -> rusqlite::Result<Option<ContactView>> {
    let Some(row) = load_contact(conn, id)? else {
        return Ok(None);
    };
    let journal: Vec<JournalRow> = conn
        .prepare_cached(
            "SELECT version, kind, event, effects, at FROM \
               (SELECT * FROM journal WHERE contact = ?1 ORDER BY version DESC LIMIT ?2) \
             ORDER BY version",
        )?
        .query_map(params![id, entries], |r| {
            Ok(JournalRow {
                version: r.get(0)?,
                kind: r.get(1)?,
                event: r.get(2)?,
                effects: r.get(3)?,
                at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let since = match journal.first() {
        Some(first) if journal.len() as i64 == entries => first.at,
        _ => Millis::MIN,
    };
    let timers = conn
        .prepare_cached(
            "SELECT id, run, timer, target, fire_at, fired_at FROM timers \
             WHERE contact = ?1 ORDER BY fire_at, id",
        )?
        .query_map([id], |r| {
            Ok(TimerRow {
                id: r.get(0)?,
                run: r.get(1)?,
                timer: r.get(2)?,
                target: r.get(3)?,
                fire_at: r.get(4)?,
                fired_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let outbox = conn
        .prepare_cached(
            "SELECT id, idem_key, kind, body, state, attempts, provider_id, delivery, last_error \
             FROM outbox WHERE contact = ?1 AND created_at >= ?2 ORDER BY id",
        )?
        .query_map(params![id, since], |r| {
            Ok(OutboxSummary {
                id: r.get(0)?,
                idem_key: r.get(1)?,
                kind: r.get(2)?,
                body: r.get(3)?,
                state: r.get(4)?,
                attempts: r.get(5)?,
                provider_id: r.get(6)?,
                delivery: r.get(7)?,
                last_error: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let results = conn
        .prepare_cached("SELECT key, value FROM results WHERE contact = ?1 ORDER BY rowid")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let labels = conn
        .prepare_cached("SELECT label FROM labels WHERE contact = ?1 ORDER BY rowid")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let pending_events = conn
        .prepare_cached("SELECT COUNT(*) FROM inbox WHERE contact = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(Some(ContactView {
        row,
        timers,
        outbox,
        journal,
        results,
        labels,
        pending_events,
    }))
}

/// A change to a conversation the inbox shows, for its live updates; the feed keeps
/// only the latest rows.
fn record_inbox_change(conn: &Connection, contact: &str, now: Millis) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO inbox_changes (contact, at) VALUES (?1, ?2)")?
        .execute(params![contact, now])?;
    conn.prepare_cached("DELETE FROM inbox_changes WHERE id <= last_insert_rowid() - ?1")?
        .execute([INBOX_CHANGES_KEPT])?;
    Ok(())
}

const INBOX_SELECT: &str = "SELECT c.id, COALESCE(a.queue, c.handoff), \
     COALESCE(c.handoff_note, ''), COALESCE(c.handoff_since, 0), a.assignee, c.last_inbound_at \
     FROM contacts c LEFT JOIN handoff_assignments a \
     ON a.contact = c.id AND a.since = c.handoff_since WHERE c.handoff IS NOT NULL";

fn inbox_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxItem> {
    Ok(InboxItem {
        contact: r.get(0)?,
        queue: r.get(1)?,
        note: r.get(2)?,
        since: r.get(3)?,
        assignee: r.get(4)?,
        last_inbound_at: r.get(5)?,
    })
}

fn change_inbox(
    conn: &Connection,
    contact: &str,
    change: &InboxChange,
    now: Millis,
) -> rusqlite::Result<bool> {
    match change {
        InboxChange::Note { author, text } => {
            conn.prepare_cached(
                "INSERT INTO notes (contact, author, text, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![contact, author, text, now])?;
        }
        InboxChange::AddLabel(label) => {
            conn.prepare_cached(
                "INSERT INTO labels (contact, label, at) SELECT ?1, ?2, ?3 \
                 WHERE NOT EXISTS (SELECT 1 FROM labels WHERE contact = ?1 AND label = ?2)",
            )?
            .execute(params![contact, label, now])?;
        }
        InboxChange::RemoveLabel(label) => {
            conn.prepare_cached("DELETE FROM labels WHERE contact = ?1 AND label = ?2")?
                .execute(params![contact, label])?;
        }
        InboxChange::Assign {
            since,
            queue,
            assignee,
        } => {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO handoff_assignments (contact, since, queue, assignee, at) \
                     SELECT id, handoff_since, ?2, ?3, ?4 FROM contacts \
                     WHERE id = ?1 AND handoff IS NOT NULL AND handoff_since = ?5 \
                     ON CONFLICT (contact) DO UPDATE SET since = excluded.since, \
                        queue = excluded.queue, assignee = excluded.assignee, at = excluded.at",
                )?
                .execute(params![contact, queue, assignee, now, since])?;
            if changed == 0 {
                return Ok(false);
            }
            reports::sqlite::record_assignment(
                conn,
                contact,
                *since,
                queue,
                assignee.as_deref(),
                now,
            )?;
        }
        InboxChange::Event { kind, payload } => {
            insert_event(conn, contact, kind, payload, now)?;
        }
    }
    record_inbox_change(conn, contact, now)?;
    Ok(true)
}

/// One pass of a queue's rules ([`Store::assign_queue`]); the writer's one connection
/// serialises passes.
fn assign_queue(
    conn: &Connection,
    rules: &QueueAssignment,
    now: Millis,
) -> rusqlite::Result<AssignOutcome> {
    let waiting: Vec<(String, Millis)> = conn
        .prepare_cached(
            "SELECT c.id, c.handoff_since FROM contacts c LEFT JOIN handoff_assignments a \
             ON a.contact = c.id AND a.since = c.handoff_since \
             WHERE c.handoff IS NOT NULL AND COALESCE(a.queue, c.handoff) = ?1 \
               AND a.assignee IS NULL ORDER BY c.handoff_since, c.id",
        )?
        .query_map([&rules.queue], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if waiting.is_empty() {
        return Ok(AssignOutcome::default());
    }
    let load = conn
        .prepare_cached(
            "SELECT a.assignee, COUNT(*) FROM handoff_assignments a JOIN contacts c \
             ON c.id = a.contact AND c.handoff_since = a.since \
             WHERE c.handoff IS NOT NULL AND a.assignee IS NOT NULL GROUP BY a.assignee",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let last = conn
        .prepare_cached("SELECT last_agent FROM queue_turns WHERE queue = ?1")?
        .query_row([&rules.queue], |r| r.get(0))
        .optional()?;
    let plan = assign::plan(rules, &waiting, load, last);
    let mut outcome = AssignOutcome::default();
    for (contact, since, agent) in plan.assign {
        let changed = conn
            .prepare_cached(
                "INSERT INTO handoff_assignments (contact, since, queue, assignee, at) \
                 SELECT id, handoff_since, ?2, ?3, ?4 FROM contacts \
                 WHERE id = ?1 AND handoff IS NOT NULL AND handoff_since = ?5 \
                 ON CONFLICT (contact) DO UPDATE SET since = excluded.since, \
                    queue = excluded.queue, assignee = excluded.assignee, at = excluded.at \
                 WHERE handoff_assignments.assignee IS NULL \
                    OR handoff_assignments.since <> excluded.since",
            )?
            .execute(params![contact, rules.queue, agent, now, since])?;
        if changed > 0 {
            reports::sqlite::record_assignment(
                conn,
                &contact,
                since,
                &rules.queue,
                Some(&agent),
                now,
            )?;
            insert_audit(conn, &assign::audit(rules, &contact, &agent), now)?;
            record_inbox_change(conn, &contact, now)?;
            outcome.assigned.push((contact, agent));
        }
    }
    if let Some(last) = plan.last {
        conn.prepare_cached(
            "INSERT INTO queue_turns (queue, last_agent) VALUES (?1, ?2) \
             ON CONFLICT (queue) DO UPDATE SET last_agent = excluded.last_agent",
        )?
        .execute(params![rules.queue, last])?;
    }
    for (contact, since, notice, body) in plan.notify {
        let queued = conn
            .prepare_cached(
                "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
                    next_attempt_at, created_at) VALUES (?1, ?2, 'message', ?3, 1, 'queued', ?4, ?4) \
                 ON CONFLICT (idem_key) DO NOTHING",
            )?
            .execute(params![contact, notice.idem_key(&contact, since), body, now])?;
        if queued > 0 {
            record_inbox_change(conn, &contact, now)?;
            outcome.notified.push(contact);
        }
    }
    Ok(outcome)
}

fn count(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached(sql)?.query_row([], |r| r.get(0))
}

impl Store for SqliteStore {
    fn accept(&self, intake: Vec<Intake>, now: Millis) -> StoreFuture<'_, Vec<Accepted>> {
        Box::pin(self.write(move |conn| {
            intake
                .into_iter()
                .map(|item| accept_one(conn, item, now))
                .collect()
        }))
    }

    fn next_event(
        &self,
        contact: &str,
    ) -> StoreFuture<'_, Option<(InboxEvent, Option<ContactRow>)>> {
        let result = self.read(|conn| {
            let event = conn
                .prepare_cached(
                    "SELECT id, contact, kind, payload, created_at FROM inbox \
                     WHERE contact = ?1 ORDER BY id LIMIT 1",
                )?
                .query_row([contact], |r| {
                    Ok(InboxEvent {
                        id: r.get(0)?,
                        contact: r.get(1)?,
                        kind: r.get(2)?,
                        payload: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                })
                .optional()?;
            match event {
                Some(event) => Ok(Some((event, load_contact(conn, contact)?))),
                None => Ok(None),
            }
        });
        Box::pin(async move { result })
    }

    fn commit_step(&self, step: StepCommit, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(self.write(move |conn| apply_step(conn, step, now)))
    }

    fn timer_live(&self, timer: i64) -> StoreFuture<'_, bool> {
        let result = self.read(|conn| {
            conn.prepare_cached("SELECT 1 FROM timers WHERE id = ?1")?
                .query_row([timer], |_| Ok(()))
                .optional()
                .map(|found| found.is_some())
        });
        Box::pin(async move { result })
    }

    fn fire_due_timers(&self, now: Millis, limit: usize) -> StoreFuture<'_, Vec<String>> {
        Box::pin(self.write(move |conn| fire_timers(conn, now, limit)))
    }

    fn next_timer_at(&self) -> StoreFuture<'_, Option<Millis>> {
        let result = self.read(|conn| {
            conn.prepare_cached("SELECT MIN(fire_at) FROM timers WHERE fired_at IS NULL")?
                .query_row([], |r| r.get(0))
        });
        Box::pin(async move { result })
    }

    fn contacts_with_events(&self) -> StoreFuture<'_, Vec<String>> {
        let result = self.read(|conn| {
            conn.prepare_cached("SELECT DISTINCT contact FROM inbox")?
                .query_map([], |r| r.get(0))?
                .collect()
        });
        Box::pin(async move { result })
    }

    fn claim_outbox(
        &self,
        now: Millis,
        lease: Millis,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxRow>> {
        Box::pin(self.write(move |conn| claim(conn, now, lease, limit)))
    }

    fn finish_outbox(&self, results: Vec<OutboxResult>, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(self.write(move |conn| finish(conn, results, now)))
    }

    fn next_outbox_at(&self) -> StoreFuture<'_, Option<Millis>> {
        let result = self.read(|conn| {
            conn.prepare_cached(NEXT_OUTBOX_AT)?
                .query_row([], |r| r.get(0))
        });
        Box::pin(async move { result })
    }

    fn reach_since(&self, since: Millis) -> StoreFuture<'_, Vec<(String, Millis)>> {
        let result = self.read(|conn| {
            conn.prepare_cached("SELECT contact, at FROM reach WHERE at > ?1")?
                .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        });
        Box::pin(async move { result })
    }

    fn contact_row(&self, contact: &str) -> StoreFuture<'_, Option<ContactRow>> {
        let result = self.read(|conn| load_contact(conn, contact));
        Box::pin(async move { result })
    }

    fn contact(&self, contact: &str) -> StoreFuture<'_, Option<ContactView>> {
        let result = self.read(|conn| view(conn, contact, i64::MAX));
        Box::pin(async move { result })
    }

    fn handoffs(&self) -> StoreFuture<'_, Vec<Handoff>> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, handoff, COALESCE(handoff_note, ''), handoff_since FROM contacts \
                 WHERE handoff IS NOT NULL ORDER BY handoff_since, id",
            )?
            .query_map([], |r| {
                Ok(Handoff {
                    contact: r.get(0)?,
                    queue: r.get(1)?,
                    note: r.get(2)?,
                    since: r.get::<_, Option<i64>>(3)?.unwrap_or_default(),
                })
            })?
            .collect()
        });
        Box::pin(async move { result })
    }

    fn inbox(&self) -> StoreFuture<'_, Vec<InboxItem>> {
        let result = self.read(|conn| {
            conn.prepare_cached(&format!("{INBOX_SELECT} ORDER BY c.handoff_since, c.id"))?
                .query_map([], inbox_item)?
                .collect()
        });
        Box::pin(async move { result })
    }

    fn inbox_item(&self, contact: &str) -> StoreFuture<'_, Option<InboxItem>> {
        let result = self.read(|conn| {
            conn.prepare_cached(&format!("{INBOX_SELECT} AND c.id = ?1"))?
                .query_row([contact], inbox_item)
                .optional()
        });
        Box::pin(async move { result })
    }

    fn notes(&self, contact: &str) -> StoreFuture<'_, Vec<NoteRow>> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, author, text, at FROM notes WHERE contact = ?1 ORDER BY id",
            )?
            .query_map([contact], |r| {
                Ok(NoteRow {
                    id: r.get(0)?,
                    author: r.get(1)?,
                    text: r.get(2)?,
                    at: r.get(3)?,
                })
            })?
            .collect()
        });
        Box::pin(async move { result })
    }

    fn change_inbox(
        &self,
        contact: &str,
        change: InboxChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        let contact = contact.to_owned();
        Box::pin(self.write(move |conn| {
            let changed = change_inbox(conn, &contact, &change, now)?;
            if changed {
                insert_audit(conn, &audit, now)?;
            }
            Ok(changed)
        }))
    }

    fn assign_queue(&self, rules: QueueAssignment, now: Millis) -> StoreFuture<'_, AssignOutcome> {
        Box::pin(self.write(move |conn| Ok(assign_queue(conn, &rules, now)?)))
    }

    fn inbox_changes(&self, after: i64, limit: usize) -> StoreFuture<'_, Vec<(i64, String)>> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, contact FROM inbox_changes WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?
            .query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        });
        Box::pin(async move { result })
    }

    fn last_inbox_change(&self) -> StoreFuture<'_, i64> {
        let result =
            self.read(|conn| count(conn, "SELECT COALESCE(MAX(id), 0) FROM inbox_changes"));
        Box::pin(async move { result })
    }

    fn deploy(&self, digest: String, bundle: String, now: Millis) -> StoreFuture<'_, Deployment> {
        Box::pin(self.write(move |conn| {
            let latest: Option<Deployment> = conn
                .prepare_cached(
                    "SELECT id, digest, bundle, at FROM deployments ORDER BY id DESC LIMIT 1",
                )?
                .query_row([], deployment)
                .optional()?;
            if let Some(latest) = latest
                && latest.digest == digest
            {
                return Ok(latest);
            }
            conn.prepare_cached(
                "INSERT INTO deployments (digest, bundle, at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![digest, bundle, now])?;
            Ok(Deployment {
                id: conn.last_insert_rowid(),
                digest,
                bundle,
                at: now,
            })
        }))
    }

    fn deployments(&self) -> StoreFuture<'_, Vec<Deployment>> {
        let result = self.read(|conn| {
            conn.prepare_cached("SELECT id, digest, bundle, at FROM deployments ORDER BY id")?
                .query_map([], deployment)?
                .collect()
        });
        Box::pin(async move { result })
    }

    fn clock(&self) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(async { Ok(None) })
    }

    fn meta(&self, key: &str, default: String) -> StoreFuture<'_, String> {
        let key = key.to_owned();
        Box::pin(self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![key, default])?;
            Ok(conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([key], |r| r.get(0))?)
        }))
    }

    fn stats(&self) -> StoreFuture<'_, Stats> {
        let result = self.read(|conn| {
            Ok(Stats {
                contacts: count(conn, "SELECT COUNT(*) FROM contacts")?,
                inbox: count(conn, "SELECT COUNT(*) FROM inbox")?,
                timers_pending: count(conn, "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL")?,
                outbox_queued: count(conn, "SELECT COUNT(*) FROM outbox WHERE state = 'queued'")?,
                outbox_sending: count(conn, "SELECT COUNT(*) FROM outbox WHERE state = 'sending'")?,
                outbox_sent: count(conn, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'")?,
                outbox_dead: count(conn, "SELECT COUNT(*) FROM outbox WHERE state = 'dead'")?,
                handoffs: count(
                    conn,
                    "SELECT COUNT(*) FROM contacts WHERE handoff IS NOT NULL",
                )?,
            })
        });
        Box::pin(async move { result })
    }

    fn person(&self, name: &str) -> StoreFuture<'_, Option<PersonRow>> {
        let result = self.person_now(name);
        Box::pin(async move { result })
    }

    fn people(&self) -> StoreFuture<'_, Vec<PersonRow>> {
        let result = self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM people ORDER BY name"
            ))?
            .query_map([], person_row)?
            .collect()
        });
        Box::pin(async move { result })
    }

    fn change_person(
        &self,
        change: PersonChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.write(move |conn| {
            let changed = change_person(conn, &change, now)?;
            if changed {
                insert_audit(conn, &audit, now)?;
            }
            Ok(changed)
        }))
    }

    fn login_failed(&self, failure: LoginFailure, now: Millis) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(self.write(move |conn| {
            insert_audit(conn, &failure.audit, now)?;
            let Some(person) = load_person(conn, &failure.name)? else {
                return Ok(None);
            };
            let (failed, locked_until) = crate::lockout(
                person.failed_logins,
                person.locked_until,
                now,
                failure.tries,
                failure.lock_for,
            );
            conn.prepare_cached(
                "UPDATE people SET failed_logins = ?2, locked_until = ?3 WHERE name = ?1",
            )?
            .execute(params![failure.name, failed, locked_until])?;
            let locked = locked_until.filter(|until| Some(*until) != person.locked_until);
            if locked.is_some() {
                insert_audit(conn, &failure.lockout, now)?;
            }
            Ok(locked)
        }))
    }

    fn login_failures_from(
        &self,
        address: &str,
        since: Millis,
    ) -> StoreFuture<'_, (i64, Option<Millis>)> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT COUNT(*), MIN(at) FROM audit_log \
                 WHERE address = ?1 AND at > ?2 AND action IN ('login_failed', 'login_refused')",
            )?
            .query_row(params![address, since], |r| Ok((r.get(0)?, r.get(1)?)))
        });
        Box::pin(async move { result })
    }

    fn open_session(
        &self,
        session: SessionRow,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.write(move |conn| {
            conn.prepare_cached("DELETE FROM console_sessions WHERE expires_at <= ?1")?
                .execute([now])?;
            conn.prepare_cached(
                "INSERT INTO console_sessions (id_hash, person, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                session.id_hash,
                session.person,
                session.created_at,
                session.expires_at
            ])?;
            conn.prepare_cached(
                "UPDATE people SET failed_logins = 0, locked_until = NULL WHERE name = ?1",
            )?
            .execute([&session.person])?;
            insert_audit(conn, &audit, now)?;
            Ok(())
        }))
    }

    fn session(
        &self,
        id_hash: &str,
        now: Millis,
    ) -> StoreFuture<'_, Option<(SessionRow, PersonRow)>> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT s.id_hash, s.person, s.created_at, s.expires_at, \
                        p.name, p.role, p.password_hash, p.failed_logins, p.locked_until, \
                        p.created_at \
                 FROM console_sessions s JOIN people p ON p.name = s.person \
                 WHERE s.id_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![id_hash, now], |r| {
                Ok((
                    SessionRow {
                        id_hash: r.get(0)?,
                        person: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                    },
                    PersonRow {
                        name: r.get(4)?,
                        role: r.get(5)?,
                        password_hash: r.get(6)?,
                        failed_logins: r.get(7)?,
                        locked_until: r.get(8)?,
                        created_at: r.get(9)?,
                    },
                ))
            })
            .optional()
        });
        Box::pin(async move { result })
    }

    fn close_session(
        &self,
        id_hash: &str,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        let id_hash = id_hash.to_owned();
        Box::pin(self.write(move |conn| {
            let closed = conn
                .prepare_cached("DELETE FROM console_sessions WHERE id_hash = ?1")?
                .execute([&id_hash])?
                > 0;
            if closed {
                insert_audit(conn, &audit, now)?;
            }
            Ok(closed)
        }))
    }

    fn audit(&self, entry: AuditEntry, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(self.write(move |conn| Ok(insert_audit(conn, &entry, now)?)))
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> StoreFuture<'_, Vec<AuditRow>> {
        let result = self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, at, actor, action, subject, address, detail FROM audit_log \
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )?
            .query_map(params![before.unwrap_or(i64::MAX), limit as i64], audit_row)?
            .collect()
        });
        Box::pin(async move { result })
    }

    // ------------------------------------------------------------ the console's contacts

    fn search_contacts(&self, query: ContactQuery) -> StoreFuture<'_, Vec<ContactListing>> {
        let result = self.read(|conn| search_contacts(conn, &query));
        Box::pin(async move { result })
    }

    fn recent_contact(
        &self,
        contact: &str,
        entries: usize,
    ) -> StoreFuture<'_, Option<ContactView>> {
        let entries = i64::try_from(entries).unwrap_or(i64::MAX);
        let result = self.read(|conn| view(conn, contact, entries));
        Box::pin(async move { result })
    }

    fn import_contacts(
        &self,
        contacts: Vec<ContactImport>,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ImportCount> {
        Box::pin(self.write(move |conn| {
            let count = import_contacts(conn, &contacts, now)?;
            insert_audit(conn, &audit, now)?;
            Ok(count)
        }))
    }
}

const PERSON_COLUMNS: &str = "name, role, password_hash, failed_logins, locked_until, created_at";

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonRow> {
    Ok(PersonRow {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        failed_logins: r.get(3)?,
        locked_until: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn load_person(conn: &Connection, name: &str) -> rusqlite::Result<Option<PersonRow>> {
    conn.prepare_cached(&format!(
        "SELECT {PERSON_COLUMNS} FROM people WHERE name = ?1"
    ))?
    .query_row([name], person_row)
    .optional()
}

pub(crate) fn insert_audit(
    conn: &Connection,
    entry: &AuditEntry,
    now: Millis,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, subject, address, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now,
        entry.actor,
        entry.action,
        entry.subject,
        entry.address,
        entry.detail
    ])?;
    Ok(())
}

fn change_person(conn: &Connection, change: &PersonChange, now: Millis) -> rusqlite::Result<bool> {
    let changed = match change {
        PersonChange::Add {
            name,
            role,
            password_hash,
        } => conn
            .prepare_cached(
                "INSERT INTO people (name, role, password_hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?
            .execute(params![name, role, password_hash, now])?,
        PersonChange::Remove { name } => conn
            .prepare_cached("DELETE FROM people WHERE name = ?1")?
            .execute([name])?,
        PersonChange::SetPassword {
            name,
            password_hash,
        } => conn
            .prepare_cached(
                "UPDATE people SET password_hash = ?2, failed_logins = 0, locked_until = NULL \
                 WHERE name = ?1",
            )?
            .execute(params![name, password_hash])?,
    };
    if changed > 0 && !matches!(change, PersonChange::Add { .. }) {
        conn.prepare_cached("DELETE FROM console_sessions WHERE person = ?1")?
            .execute([change.name()])?;
    }
    Ok(changed > 0)
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        entry: AuditEntry {
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            address: r.get(5)?,
            detail: r.get(6)?,
        },
    })
}

impl SqliteStore {
    fn person_now(&self, name: &str) -> StoreResult<Option<PersonRow>> {
        self.read(|conn| load_person(conn, name))
    }
}

fn deployment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Deployment> {
    Ok(Deployment {
        id: r.get(0)?,
        digest: r.get(1)?,
        bundle: r.get(2)?,
        at: r.get(3)?,
    })
}

// ---------------------------------------------------------------- the console's contacts

/// One page of a contact search. Each filter is an indexed lookup: the id range (the
/// primary key), `contact_fields` (kept by triggers), `labels(label)`, and
/// `contacts(opted_out, id)`.
fn search_contacts(
    conn: &Connection,
    query: &ContactQuery,
) -> rusqlite::Result<Vec<ContactListing>> {
    use rusqlite::types::Value;
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(after) = &query.after {
        conditions.push("id > ?");
        values.push(Value::Text(after.clone()));
    }
    if let Some(prefix) = &query.prefix {
        // Every id that starts with the prefix sorts between it and it + U+10FFFF.
        conditions.push("id >= ? AND id < ?");
        values.push(Value::Text(prefix.clone()));
        values.push(Value::Text(format!("{prefix}\u{10FFFF}")));
    }
    if let Some((name, value)) = &query.field {
        conditions
            .push("id IN (SELECT contact FROM contact_fields WHERE name = ? AND value = json(?))");
        values.push(Value::Text(name.clone()));
        values.push(Value::Text(value.clone()));
    }
    if let Some(label) = &query.label {
        conditions.push("id IN (SELECT contact FROM labels WHERE label = ?)");
        values.push(Value::Text(label.clone()));
    }
    if let Some(opted_out) = query.opted_out {
        conditions.push("opted_out = ?");
        values.push(Value::Integer(opted_out.into()));
    }
    values.push(Value::Integer(query.limit as i64));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let rows: Vec<ContactRow> = conn
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts {filter} ORDER BY id LIMIT ?"
        ))?
        .query_map(rusqlite::params_from_iter(values), contact_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut labels =
        conn.prepare_cached("SELECT label FROM labels WHERE contact = ?1 ORDER BY rowid")?;
    rows.into_iter()
        .map(|row| {
            let labels = labels
                .query_map([&row.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ContactListing { row, labels })
        })
        .collect()
}

fn import_contacts(
    conn: &Connection,
    contacts: &[ContactImport],
    now: Millis,
) -> rusqlite::Result<ImportCount> {
    let mut count = ImportCount::default();
    for contact in contacts {
        // One statement a contact, the fields merged shallowly (`json_patch`; imported
        // values are never null, which it would read as "remove"): the field index's
        // trigger then runs once a contact, not once a field.
        let created = conn
            .prepare_cached(
                "INSERT INTO contacts (id, version, fields, opted_out, updated_at) \
                 VALUES (?1, 1, json(?2), COALESCE(?3, 0), ?4) \
                 ON CONFLICT (id) DO UPDATE SET version = contacts.version + 1, \
                    fields = json_patch(contacts.fields, excluded.fields), \
                    opted_out = COALESCE(?3, contacts.opted_out), updated_at = ?4 \
                 RETURNING version = 1",
            )?
            .query_row(
                params![
                    contact.id,
                    contact.fields_object(),
                    contact.opted_out.map(i64::from),
                    now
                ],
                |r| r.get::<_, bool>(0),
            )?;
        if created {
            count.created += 1;
        } else {
            count.updated += 1;
        }
        for label in &contact.labels {
            conn.prepare_cached(
                "INSERT INTO labels (contact, label, at) SELECT ?1, ?2, ?3 \
                 WHERE NOT EXISTS (SELECT 1 FROM labels WHERE contact = ?1 AND label = ?2)",
            )?
            .execute(params![contact.id, label, now])?;
        }
    }
    Ok(count)
}
