//! The shared store: several `journey serve` processes on one PostgreSQL database
//! (durable-runtime.md §2 and §5). The same tables and guarantees as the SQLite store,
//! with what several writers need on top:
//!
//! - a step takes a transaction-scoped advisory lock on its contact, then the version
//!   fence decides: of two processes stepping one contact, one commits, the other gets
//!   [`StoreError::Conflict`] and re-reads;
//! - timers and outbox rows are claimed with `FOR UPDATE SKIP LOCKED`, so processes
//!   never wait on each other's claims and never claim a row twice;
//! - [`PgStore::now`] is the database's clock, one clock for every process;
//! - migrations run under an advisory lock, so processes starting together migrate once.
//!
//! No per-row LISTEN/NOTIFY: workers poll with the `next_*_at` calls, as on SQLite.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::assign::{self, AssignOutcome, QueueAssignment};
use crate::reports;
use crate::types::*;
use crate::{INBOX_CHANGES_KEPT, Millis, Store, StoreError, StoreFuture, StoreResult, timer_event};

/// Connections per process: a step holds one for a few milliseconds.
const POOL_SIZE: usize = 16;

/// The key of the advisory lock that serialises migrations (any fixed number).
const MIGRATION_LOCK: i64 = 0x6a6f75726e6579;

/// Versioned migrations, applied in order; `schema_version` records how far a database
/// has come. A migration is never edited once released: add the next one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema, the SQLite store's (schema.rs) in PostgreSQL types.
    r#"
    CREATE TABLE contacts (
        id TEXT PRIMARY KEY,
        version BIGINT NOT NULL,
        run BIGINT NOT NULL DEFAULT 0,
        fields TEXT NOT NULL DEFAULT '{}',
        state TEXT,
        visited BOOLEAN NOT NULL DEFAULT FALSE,
        last_inbound_at BIGINT,
        opted_out BOOLEAN NOT NULL DEFAULT FALSE,
        marketing_opt_out BOOLEAN NOT NULL DEFAULT FALSE,
        handoff TEXT,
        handoff_note TEXT,
        handoff_since BIGINT,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX contacts_handoff ON contacts(handoff_since) WHERE handoff IS NOT NULL;

    CREATE TABLE inbound_dedupe (
        provider_id TEXT PRIMARY KEY,
        received_at BIGINT NOT NULL
    );

    CREATE TABLE inbox (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE INDEX inbox_contact ON inbox(contact, id);

    CREATE TABLE timers (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        run BIGINT NOT NULL,
        timer TEXT NOT NULL,
        target TEXT NOT NULL,
        fire_at BIGINT NOT NULL,
        fired_at BIGINT
    );
    CREATE INDEX timers_due ON timers(fire_at, id) WHERE fired_at IS NULL;
    CREATE INDEX timers_contact ON timers(contact);

    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        idem_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        by_contact BOOLEAN NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        provider_id TEXT,
        delivery TEXT,
        delivery_rank INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        sent_at BIGINT
    );
    CREATE INDEX outbox_pending ON outbox(contact, id) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_provider ON outbox(provider_id) WHERE provider_id IS NOT NULL;
    CREATE INDEX outbox_contact ON outbox(contact, id);

    CREATE TABLE journal (
        contact TEXT NOT NULL,
        version BIGINT NOT NULL,
        kind TEXT NOT NULL,
        event TEXT NOT NULL,
        effects TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (contact, version)
    );

    CREATE TABLE results (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE INDEX results_contact ON results(contact, id);

    CREATE TABLE labels (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        label TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE INDEX labels_contact ON labels(contact, id);

    CREATE TABLE reach (
        contact TEXT PRIMARY KEY,
        at BIGINT NOT NULL
    );

    CREATE TABLE deployments (
        id BIGSERIAL PRIMARY KEY,
        digest TEXT NOT NULL,
        bundle TEXT NOT NULL,
        at BIGINT NOT NULL
    );

    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 2: the claim's order as an index (the SQLite store's migration 2).
    r#"
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state IN ('queued', 'sending');
    "#,
    // 3: the console's people, sessions and audit log (the SQLite store's migration 3).
    r#"
    CREATE TABLE people (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        failed_logins BIGINT NOT NULL DEFAULT 0,
        locked_until BIGINT,
        created_at BIGINT NOT NULL
    );

    CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX console_sessions_person ON console_sessions(person);
    CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);

    CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        address TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_log_failures ON audit_log(address, at)
        WHERE action IN ('login_failed', 'login_refused');
    "#,
    // 4: the console's inbox (the SQLite store's migration 4).
    r#"
    CREATE TABLE handoff_assignments (
        contact TEXT PRIMARY KEY,
        since BIGINT NOT NULL,
        queue TEXT NOT NULL,
        assignee TEXT,
        at BIGINT NOT NULL
    );

    CREATE TABLE notes (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE INDEX notes_contact ON notes(contact, id);

    CREATE TABLE inbox_changes (
        id BIGSERIAL PRIMARY KEY,
        contact TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    "#,
    // 5: automatic assignment (issue 16): the agent each queue's round-robin last
    // chose, so that the next pass goes on after them.
    r#"
    CREATE TABLE queue_turns (
        queue TEXT PRIMARY KEY,
        last_agent TEXT NOT NULL
    );
    "#,
    // 6: broadcasts (issue 16): the broadcast and, once sent, each recipient's message
    // waiting for its moment and the tier's room before it enters the outbox.
    r#"
    CREATE TABLE broadcasts (
        id BIGSERIAL PRIMARY KEY,
        author TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        summary TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        sent_at BIGINT
    );

    CREATE TABLE broadcast_queue (
        broadcast BIGINT NOT NULL,
        contact TEXT NOT NULL,
        body TEXT NOT NULL,
        due BIGINT NOT NULL,
        PRIMARY KEY (broadcast, contact)
    );
    CREATE INDEX broadcast_queue_due ON broadcast_queue(due);
    "#,
    // 7: the console's contacts (issue 16): searched by id prefix (byte order, for
    // the pattern operators), label, opt-out and field value (`fields @> {…}` on a
    // GIN index) without reading every row.
    r#"
    CREATE INDEX labels_label ON labels(label, contact);
    CREATE INDEX contacts_opted_out ON contacts(opted_out, id);
    CREATE INDEX contacts_id_pattern ON contacts(id text_pattern_ops);
    CREATE INDEX contacts_fields ON contacts USING GIN ((fields::jsonb) jsonb_path_ops);
    "#,
    // 8: the console's reports (the SQLite store's migration 8).
    r#"
    CREATE TABLE handoff_history (
        contact TEXT NOT NULL,
        since BIGINT NOT NULL,
        queue TEXT NOT NULL,
        assignee TEXT,
        assigned_at BIGINT,
        first_reply_at BIGINT,
        closed_at BIGINT,
        PRIMARY KEY (contact, since)
    );
    CREATE INDEX handoff_history_since ON handoff_history(since);
    INSERT INTO handoff_history (contact, since, queue, assignee, assigned_at)
        SELECT c.id, c.handoff_since, COALESCE(a.queue, c.handoff), a.assignee,
            CASE WHEN a.assignee IS NULL THEN NULL ELSE a.at END
        FROM contacts c LEFT JOIN handoff_assignments a
            ON a.contact = c.id AND a.since = c.handoff_since
        WHERE c.handoff IS NOT NULL AND c.handoff_since IS NOT NULL;

    CREATE TABLE card_visits (
        journey TEXT NOT NULL,
        card TEXT NOT NULL,
        contact TEXT NOT NULL,
        first_at BIGINT NOT NULL,
        last_at BIGINT NOT NULL,
        PRIMARY KEY (journey, card, contact)
    );
    CREATE INDEX card_visits_range ON card_visits(journey, card, last_at, first_at);

    CREATE TABLE journey_places (
        journey TEXT NOT NULL,
        contact TEXT NOT NULL,
        card TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (journey, contact)
    );
    CREATE INDEX journey_places_range ON journey_places(journey, card, at);

    CREATE TABLE contact_days (
        day TEXT NOT NULL,
        contact TEXT NOT NULL,
        messages BIGINT NOT NULL DEFAULT 0,
        started BIGINT NOT NULL DEFAULT 0,
        finished BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (day, contact)
    );

    ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT 'bot';
    UPDATE outbox SET origin = 'broadcast' WHERE idem_key LIKE 'broadcast:%';
    CREATE INDEX outbox_report ON outbox(kind, origin, state, delivery_rank, created_at);
    CREATE INDEX results_at ON results(at, id);
    "#,
];

pub struct PgStore {
    pool: Pool,
    schema: String,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        // Serialization failures and deadlocks are what a retry resolves.
        match error.code() {
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                StoreError::Conflict
            }
            // Data exceptions and program limits (a value an index cannot hold): the
            // same request fails the same way every time.
            Some(code) if code.code().starts_with("22") || code.code().starts_with("54") => {
                StoreError::Refused(describe(&error))
            }
            _ => StoreError::Database(describe(&error)),
        }
    }
}

/// The database's own words (message, detail, hint), or the driver's error with its
/// causes: tokio-postgres's `Display` alone says only "db error".
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} ({})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(&format!("; {detail}"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// PostgreSQL's text cannot hold U+0000 (SQLite's can): a contact's answer, name or
/// label with one would be refused at every try, so it is stored as U+FFFD.
fn text(value: &str) -> Cow<'_, str> {
    if value.contains('\0') {
        Cow::Owned(value.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Nor can jsonb hold the JSON escape `\u0000`, and contact fields are read as jsonb
/// (their index, searches): in JSON text it becomes `\ufffd`.
fn json_text(json: &str) -> Cow<'_, str> {
    if !json.contains("\\u0000") {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push_str("\\ufffd");
            rest = after;
            continue;
        }
        // A whole escape at a time, so that `\\u0000` (a backslash, then text) stays.
        let length = 1 + escape[1..].chars().next().map_or(0, char::len_utf8);
        out.push_str(&escape[..length]);
        rest = &escape[length..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        let reason = match &error {
            deadpool_postgres::PoolError::Backend(e) => describe(e),
            deadpool_postgres::PoolError::Timeout(_) => {
                "no connection could be made or freed in time".to_owned()
            }
            other => other.to_string(),
        };
        StoreError::Database(format!("cannot get a database connection: {reason}"))
    }
}

impl PgStore {
    /// Opens the store a `--database` URL names: `postgres://…/DB?schema=NAME`, the
    /// schema `journey` when the URL names none.
    pub async fn open_url(url: &str) -> Result<Arc<PgStore>, String> {
        let (url, schema) = split_schema(url);
        PgStore::open(&url, schema.as_deref().unwrap_or(DEFAULT_SCHEMA)).await
    }

    /// Connects to the database at `url` (a `postgres://` URL), keeps this deployment's
    /// tables in `schema` (created if missing: one database can hold several), and
    /// migrates it.
    pub async fn open(url: &str, schema: &str) -> Result<Arc<PgStore>, String> {
        if !is_identifier(schema) {
            return Err(format!(
                "`{schema}` is not a schema name: use lowercase letters, digits and `_`"
            ));
        }
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| format!("`{}` is not a PostgreSQL URL: {e}", redact(url)))?;
        // Quiet notices ("already exists, skipping"); a session that stalls inside a
        // transaction must not hold its locks (a contact's, the migration's) forever.
        config.options(format!(
            "-c search_path={schema} -c client_min_messages=warning \
             -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
        ));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| format!("cannot set up the connection pool: {e}"))?;
        let store = PgStore {
            pool,
            schema: schema.to_owned(),
        };
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot prepare the database at `{}`: {e}", redact(url)))?;
        Ok(Arc::new(store))
    }

    /// The schema that holds this deployment's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The database's clock, in milliseconds since the epoch: the one clock every
    /// process of a deployment agrees on.
    pub async fn now(&self) -> StoreResult<Millis> {
        let client = self.pool.get().await?;
        let row = one(
            &client,
            "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
            &[],
        )
        .await?;
        Ok(row.get(0))
    }

    /// Deletes this deployment's schema and everything in it (tests use a fresh schema
    /// each and drop it after).
    pub async fn drop_schema(&self) -> StoreResult<()> {
        let client = self.pool.get().await?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The lock first: two processes creating one schema at once would otherwise
        // collide in the catalogue (a unique violation) instead of waiting.
        exec(&tx, "SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema))
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL); \
             INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
        )
        .await?;
        let current: i64 = one(&tx, "SELECT version FROM schema_version", &[])
            .await?
            .get(0);
        let current = usize::try_from(current).unwrap_or(usize::MAX);
        if current > MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "schema `{}` has version {current}, newer than this journey ({}); upgrade \
                 journey, or use another schema",
                self.schema,
                MIGRATIONS.len()
            )));
        }
        for migration in &MIGRATIONS[current..] {
            tx.batch_execute(migration).await?;
        }
        exec(
            &tx,
            "UPDATE schema_version SET version = $1",
            &[&(MIGRATIONS.len() as i64)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs `f` in one transaction, committed before the result is returned.
    pub(crate) async fn transaction<R>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let result = f(&tx).await?;
        tx.commit().await?;
        Ok(result)
    }
}

/// Connecting to the database gives up after this.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// A call waits this long for a free pooled connection, then fails (and is retried)
/// rather than hanging.
const POOL_WAIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// PostgreSQL ends a session left idle inside a transaction after this.
const IDLE_IN_TRANSACTION_MS: u64 = 60_000;

/// The schema of a deployment whose URL names none.
const DEFAULT_SCHEMA: &str = "journey";

/// Takes the `schema=` parameter out of a URL (the driver does not know it).
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_owned());
                false
            }
            None => !pair.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

/// A schema name we can put in SQL unquoted.
fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A URL for messages, without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Statements are prepared once per connection and reused (the pool's cache): a
/// statement then costs one round trip to the database instead of two.
pub(crate) async fn exec(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.execute(&statement, params).await
}

pub(crate) async fn rows(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.query(&statement, params).await
}

pub(crate) async fn one(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.query_one(&statement, params).await
}

pub(crate) async fn maybe(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.query_opt(&statement, params).await
}

pub(crate) const CONTACT_COLUMNS: &str = "id, version, run, fields, state, visited, last_inbound_at, \
     opted_out, marketing_opt_out, handoff, handoff_note";

pub(crate) fn contact_row(row: &Row) -> ContactRow {
    ContactRow {
        id: row.get(0),
        version: row.get(1),
        run: row.get(2),
        fields: row.get(3),
        state: row.get(4),
        visited: row.get(5),
        last_inbound_at: row.get(6),
        opted_out: row.get(7),
        marketing_opt_out: row.get(8),
        handoff: row.get(9),
        handoff_note: row.get(10),
    }
}

async fn load_contact(client: &impl GenericClient, id: &str) -> StoreResult<Option<ContactRow>> {
    let row = maybe(
        client,
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1"),
        &[&id],
    )
    .await?;
    Ok(row.as_ref().map(contact_row))
}

async fn insert_event(
    client: &impl GenericClient,
    contact: &str,
    kind: &str,
    payload: &str,
    now: Millis,
) -> StoreResult<()> {
    exec(
        client,
        "INSERT INTO inbox (contact, kind, payload, created_at) VALUES ($1, $2, $3, $4)",
        &[&contact, &kind, &payload, &now],
    )
    .await?;
    Ok(())
}

async fn accept_one(
    client: &impl GenericClient,
    item: Intake,
    now: Millis,
) -> StoreResult<Accepted> {
    match item {
        Intake::Message {
            provider_id,
            contact,
            payload,
        } => {
            let inserted = exec(
                client,
                "INSERT INTO inbound_dedupe (provider_id, received_at) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                &[&provider_id, &now],
            )
            .await?;
            if inserted == 0 {
                return Ok(Accepted::Duplicate);
            }
            insert_event(client, &contact, "message", &payload, now).await?;
            Ok(Accepted::New)
        }
        Intake::Event {
            contact,
            kind,
            payload,
        } => {
            insert_event(client, &contact, &kind, &payload, now).await?;
            Ok(Accepted::New)
        }
        Intake::Status {
            provider_id,
            callback,
            status,
            rank,
            error,
        } => {
            // Monotonic, as on SQLite: a status never moves a message backwards.
            let changed = exec(
                client,
                "UPDATE outbox SET delivery = $2, delivery_rank = $3, \
                     last_error = COALESCE($4, last_error) \
                     WHERE id = (SELECT id FROM outbox WHERE provider_id = $1 \
                                 OR ($5::TEXT IS NOT NULL AND idem_key = $5) LIMIT 1) \
                     AND delivery_rank < $3",
                &[
                    &provider_id,
                    &status,
                    &rank,
                    &error.as_deref().map(text),
                    &callback,
                ],
            )
            .await?;
            Ok(if changed == 0 {
                Accepted::Ignored
            } else {
                Accepted::New
            })
        }
        Intake::MarketingOptOut { contact, stop } => {
            exec(
                client,
                "INSERT INTO contacts (id, version, marketing_opt_out, updated_at) \
                     VALUES ($1, 0, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET marketing_opt_out = $2, updated_at = $3",
                &[&contact, &stop, &now],
            )
            .await?;
            Ok(Accepted::New)
        }
    }
}

async fn apply_step(tx: &Transaction<'_>, step: StepCommit, now: Millis) -> StoreResult<()> {
    let c = &step.contact;
    // One process at a time steps a contact; the fence below decides who was first.
    exec(
        tx,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&c.id],
    )
    .await?;
    let version = step.expected_version + 1;
    let handoff_since: Option<Millis> = c.handoff.as_ref().map(|_| now);
    let (handoff, handoff_note) = (
        c.handoff.as_deref().map(text),
        c.handoff_note.as_deref().map(text),
    );
    let changed = exec(
        tx,
        "INSERT INTO contacts (id, version, run, fields, state, visited, last_inbound_at, \
                opted_out, marketing_opt_out, handoff, handoff_note, handoff_since, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO UPDATE SET version = $2, run = $3, fields = $4, state = $5, \
                visited = $6, last_inbound_at = $7, opted_out = $8, marketing_opt_out = $9, \
                handoff = $10, handoff_note = $11, \
                handoff_since = CASE WHEN $10::TEXT IS NULL THEN NULL \
                                     ELSE COALESCE(contacts.handoff_since, $12) END, \
                updated_at = $13 \
             WHERE contacts.version = $14",
        &[
            &c.id,
            &version,
            &c.run,
            &json_text(&c.fields),
            &c.state,
            &c.visited,
            &c.last_inbound_at,
            &c.opted_out,
            &c.marketing_opt_out,
            &handoff,
            &handoff_note,
            &handoff_since,
            &now,
            &step.expected_version,
        ],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::Conflict);
    }
    let consumed = exec(
        tx,
        "DELETE FROM inbox WHERE id = $1 AND contact = $2",
        &[&step.consumed, &c.id],
    )
    .await?;
    if consumed == 0 {
        return Err(StoreError::Conflict);
    }
    if let Some(timer) = step.fired_timer {
        exec(tx, "DELETE FROM timers WHERE id = $1", &[&timer]).await?;
    }
    for op in &step.timers {
        match op {
            TimerOp::Schedule {
                run,
                timer,
                target,
                fire_at,
            } => {
                exec(
                    tx,
                    "INSERT INTO timers (contact, run, timer, target, fire_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&c.id, run, timer, target, fire_at],
                )
                .await?;
            }
            TimerOp::CancelAll => {
                exec(tx, "DELETE FROM timers WHERE contact = $1", &[&c.id]).await?;
            }
            TimerOp::CancelTarget(target) => {
                exec(
                    tx,
                    "DELETE FROM timers WHERE contact = $1 AND target = $2",
                    &[&c.id, target],
                )
                .await?;
            }
            TimerOp::CancelTimer { run, timer } => {
                exec(
                    tx,
                    "DELETE FROM timers WHERE contact = $1 AND run = $2 AND timer = $3",
                    &[&c.id, run, timer],
                )
                .await?;
            }
        }
    }
    if step.suppress_business_initiated {
        exec(
            tx,
            "UPDATE outbox SET state = 'dead', last_error = 'the contact opted out' \
             WHERE contact = $1 AND state = 'queued' AND NOT by_contact",
            &[&c.id],
        )
        .await?;
    }
    let origin = if step.report.agent_reply {
        "agent"
    } else {
        "bot"
    };
    for (n, message) in step.outbox.iter().enumerate() {
        let idem_key = format!("{}:{version}:{n}", c.id);
        exec(
            tx,
            "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
                next_attempt_at, created_at, origin) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8)",
            &[
                &c.id,
                &idem_key,
                &message.kind,
                &message.body,
                &message.by_contact,
                &message.not_before.max(now),
                &now,
                &origin,
            ],
        )
        .await?;
    }
    for (key, value) in &step.results {
        exec(
            tx,
            "INSERT INTO results (contact, key, value, at) VALUES ($1, $2, $3, $4)",
            &[&c.id, &text(key), value, &now],
        )
        .await?;
    }
    for label in &step.labels {
        exec(
            tx,
            "INSERT INTO labels (contact, label, at) VALUES ($1, $2, $3)",
            &[&c.id, &text(label), &now],
        )
        .await?;
    }
    if step.inbox_change {
        record_inbox_change(tx, &c.id, now).await?;
    }
    reports::postgres::record_step(tx, &step, now).await?;
    exec(
        tx,
        "INSERT INTO journal (contact, version, kind, event, effects, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &c.id,
            &version,
            &step.journal.kind,
            &step.journal.event,
            &step.journal.effects,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// A change to a conversation the inbox shows, for its live updates; the feed keeps
/// only the latest rows.
async fn record_inbox_change(
    client: &impl GenericClient,
    contact: &str,
    now: Millis,
) -> StoreResult<()> {
    let id: i64 = one(
        client,
        "INSERT INTO inbox_changes (contact, at) VALUES ($1, $2) RETURNING id",
        &[&contact, &now],
    )
    .await?
    .get(0);
    exec(
        client,
        "DELETE FROM inbox_changes WHERE id <= $1",
        &[&(id - INBOX_CHANGES_KEPT)],
    )
    .await?;
    Ok(())
}

const INBOX_SELECT: &str = "SELECT c.id, COALESCE(a.queue, c.handoff), \
     COALESCE(c.handoff_note, ''), COALESCE(c.handoff_since, 0), a.assignee, c.last_inbound_at \
     FROM contacts c LEFT JOIN handoff_assignments a \
     ON a.contact = c.id AND a.since = c.handoff_since WHERE c.handoff IS NOT NULL";

fn inbox_item(r: &Row) -> InboxItem {
    InboxItem {
        contact: r.get(0),
        queue: r.get(1),
        note: r.get(2),
        since: r.get(3),
        assignee: r.get(4),
        last_inbound_at: r.get(5),
    }
}

async fn change_inbox(
    tx: &Transaction<'_>,
    contact: &str,
    change: &InboxChange,
    now: Millis,
) -> StoreResult<bool> {
    match change {
        InboxChange::Note { author, text } => {
            exec(
                tx,
                "INSERT INTO notes (contact, author, text, at) VALUES ($1, $2, $3, $4)",
                &[&contact, author, text, &now],
            )
            .await?;
        }
        InboxChange::AddLabel(label) => {
            exec(
                tx,
                "INSERT INTO labels (contact, label, at) SELECT $1, $2, $3 \
                 WHERE NOT EXISTS (SELECT 1 FROM labels WHERE contact = $1 AND label = $2)",
                &[&contact, label, &now],
            )
            .await?;
        }
        InboxChange::RemoveLabel(label) => {
            exec(
                tx,
                "DELETE FROM labels WHERE contact = $1 AND label = $2",
                &[&contact, label],
            )
            .await?;
        }
        InboxChange::Assign {
            since,
            queue,
            assignee,
        } => {
            let changed = exec(
                tx,
                "INSERT INTO handoff_assignments (contact, since, queue, assignee, at) \
                 SELECT id, handoff_since, $2, $3, $4 FROM contacts \
                 WHERE id = $1 AND handoff IS NOT NULL AND handoff_since = $5 \
                 ON CONFLICT (contact) DO UPDATE SET since = excluded.since, \
                    queue = excluded.queue, assignee = excluded.assignee, at = excluded.at",
                &[&contact, queue, assignee, &now, since],
            )
            .await?;
            if changed == 0 {
                return Ok(false);
            }
            reports::postgres::record_assignment(
                tx,
                contact,
                *since,
                queue,
                assignee.as_deref(),
                now,
            )
            .await?;
        }
        InboxChange::Event { kind, payload } => {
            insert_event(tx, contact, kind, payload, now).await?;
        }
    }
    record_inbox_change(tx, contact, now).await?;
    Ok(true)
}

/// One pass of a queue's rules ([`Store::assign_queue`]) under the deployment's
/// assignment lock: passes of every process run one at a time, each reading what the
/// one before it committed.
async fn assign_queue(
    tx: &Transaction<'_>,
    schema: &str,
    rules: &QueueAssignment,
    now: Millis,
) -> StoreResult<AssignOutcome> {
    exec(
        tx,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&format!("journey-assign:{schema}")],
    )
    .await?;
    let waiting: Vec<(String, Millis)> = rows(
        tx,
        "SELECT c.id, c.handoff_since FROM contacts c LEFT JOIN handoff_assignments a \
         ON a.contact = c.id AND a.since = c.handoff_since \
         WHERE c.handoff IS NOT NULL AND COALESCE(a.queue, c.handoff) = $1 \
           AND a.assignee IS NULL ORDER BY c.handoff_since, c.id",
        &[&rules.queue],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    if waiting.is_empty() {
        return Ok(AssignOutcome::default());
    }
    let load = rows(
        tx,
        "SELECT a.assignee, COUNT(*) FROM handoff_assignments a JOIN contacts c \
         ON c.id = a.contact AND c.handoff_since = a.since \
         WHERE c.handoff IS NOT NULL AND a.assignee IS NOT NULL GROUP BY a.assignee",
        &[],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let last = rows(
        tx,
        "SELECT last_agent FROM queue_turns WHERE queue = $1",
        &[&rules.queue],
    )
    .await?
    .first()
    .map(|r| r.get(0));
    let plan = assign::plan(rules, &waiting, load, last);
    let mut outcome = AssignOutcome::default();
    for (contact, since, agent) in plan.assign {
        // An operator's own assignment since the read wins: only a handoff still
        // unassigned is taken.
        let changed = exec(
            tx,
            "INSERT INTO handoff_assignments (contact, since, queue, assignee, at) \
             SELECT id, handoff_since, $2, $3, $4 FROM contacts \
             WHERE id = $1 AND handoff IS NOT NULL AND handoff_since = $5 \
             ON CONFLICT (contact) DO UPDATE SET since = excluded.since, \
                queue = excluded.queue, assignee = excluded.assignee, at = excluded.at \
             WHERE handoff_assignments.assignee IS NULL \
                OR handoff_assignments.since <> excluded.since",
            &[&contact, &rules.queue, &agent, &now, &since],
        )
        .await?;
        if changed > 0 {
            reports::postgres::record_assignment(
                tx,
                &contact,
                since,
                &rules.queue,
                Some(&agent),
                now,
            )
            .await?;
            insert_audit(tx, &assign::audit(rules, &contact, &agent), now).await?;
            record_inbox_change(tx, &contact, now).await?;
            outcome.assigned.push((contact, agent));
        }
    }
    if let Some(last) = plan.last {
        exec(
            tx,
            "INSERT INTO queue_turns (queue, last_agent) VALUES ($1, $2) \
             ON CONFLICT (queue) DO UPDATE SET last_agent = excluded.last_agent",
            &[&rules.queue, &last],
        )
        .await?;
    }
    // Every pass offers the notices again (the key keeps out all but the first): one
    // statement for all, however many wait.
    let (mut contacts, mut keys, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for (contact, since, notice, body) in plan.notify {
        keys.push(notice.idem_key(&contact, since));
        contacts.push(contact);
        bodies.push(body);
    }
    let queued: std::collections::HashSet<String> = rows(
        tx,
        "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
            next_attempt_at, created_at) \
         SELECT n.contact, n.key, 'message', n.body, TRUE, 'queued', $4, $4 \
         FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[]) AS n(contact, key, body) \
         ON CONFLICT (idem_key) DO NOTHING RETURNING contact",
        &[&contacts, &keys, &bodies, &now],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for contact in contacts.into_iter().filter(|c| queued.contains(c)) {
        record_inbox_change(tx, &contact, now).await?;
        outcome.notified.push(contact);
    }
    Ok(outcome)
}

async fn fire_timers(tx: &Transaction<'_>, now: Millis, limit: usize) -> StoreResult<Vec<String>> {
    // Rows another process is firing are skipped, not waited for.
    let mut due: Vec<(i64, String, i64, String, String, Millis)> = rows(
        tx,
        "UPDATE timers SET fired_at = $1 WHERE id IN ( \
                SELECT id FROM timers WHERE fired_at IS NULL AND fire_at <= $1 \
                ORDER BY fire_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING id, contact, run, timer, target, fire_at",
        &[&now, &(limit as i64)],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect();
    // RETURNING has no order: a contact's timers reach its inbox earliest first.
    due.sort_by_key(|(id, _, _, _, _, fire_at)| (*fire_at, *id));
    let mut contacts = Vec::with_capacity(due.len());
    for (id, contact, run, timer, target, fire_at) in due {
        let payload = timer_event(id, run, &timer, &target, fire_at, now);
        insert_event(tx, &contact, "timer", &payload, now).await?;
        contacts.push(contact);
    }
    Ok(contacts)
}

async fn claim(
    tx: &Transaction<'_>,
    now: Millis,
    lease: Millis,
    limit: usize,
) -> StoreResult<Vec<OutboxRow>> {
    // Each contact's oldest pending row only, so that its messages go out in order.
    // The UPDATE re-checks the row's state: a row another process claimed between the
    // two reads is not claimed twice.
    let mut rows: Vec<(Millis, OutboxRow)> = rows(
        tx,
        "WITH heads AS ( \
                SELECT DISTINCT ON (contact) id, state, next_attempt_at, lease_until \
                FROM outbox WHERE state IN ('queued', 'sending') ORDER BY contact, id), \
             ready AS ( \
                SELECT o.id FROM outbox o JOIN heads h ON h.id = o.id \
                WHERE (h.state = 'queued' AND h.next_attempt_at <= $1) \
                   OR (h.state = 'sending' AND h.lease_until <= $1) \
                ORDER BY h.next_attempt_at, h.id LIMIT $3 \
                FOR UPDATE OF o SKIP LOCKED) \
             UPDATE outbox SET state = 'sending', lease_until = $1 + $2, \
                attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM ready) \
               AND ((state = 'queued' AND next_attempt_at <= $1) \
                    OR (state = 'sending' AND lease_until <= $1)) \
             RETURNING id, contact, idem_key, kind, body, by_contact, attempts, created_at, \
                next_attempt_at",
        &[&now, &lease, &(limit as i64)],
    )
    .await?
    .iter()
    .map(|r| {
        let row = OutboxRow {
            id: r.get(0),
            contact: r.get(1),
            idem_key: r.get(2),
            kind: r.get(3),
            body: r.get(4),
            by_contact: r.get(5),
            attempts: r.get(6),
            created_at: r.get(7),
            leased_until: now + lease,
        };
        (r.get::<_, Millis>(8), row)
    })
    .collect();
    // RETURNING has no order: the oldest due first, as on SQLite.
    rows.sort_by_key(|(due, row)| (*due, row.id));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

async fn finish(tx: &Transaction<'_>, results: Vec<OutboxResult>, now: Millis) -> StoreResult<()> {
    for result in results {
        // 0 rows: the result of a claim older than the row's latest; it changes nothing.
        let updated =
            match &result.outcome {
                OutboxOutcome::Sent {
                    provider_id,
                    reached,
                } => {
                    let updated = exec(
                        tx,
                        "UPDATE outbox SET state = 'sent', provider_id = $2, sent_at = $3, \
                     lease_until = NULL, delivery = COALESCE(delivery, 'accepted') \
                     WHERE id = $1 AND state = 'sending' AND attempts = $4",
                        &[&result.id, &text(provider_id), &now, &result.attempt],
                    )
                    .await?;
                    // Sent is sent, by whichever claim: the contact was reached.
                    if *reached {
                        exec(
                            tx,
                            "INSERT INTO reach (contact, at) \
                         SELECT contact, $2 FROM outbox WHERE id = $1 \
                         ON CONFLICT (contact) DO UPDATE SET at = excluded.at",
                            &[&result.id, &now],
                        )
                        .await?;
                    }
                    updated
                }
                OutboxOutcome::Retry {
                    at,
                    error,
                    attempted,
                } => exec(
                    tx,
                    "UPDATE outbox SET state = 'queued', next_attempt_at = $2, last_error = $3, \
                     lease_until = NULL, attempts = attempts - CASE WHEN $4 THEN 0 ELSE 1 END \
                     WHERE id = $1 AND state = 'sending' AND attempts = $5",
                    &[&result.id, at, &text(error), attempted, &result.attempt],
                )
                .await?,
                OutboxOutcome::Dead { error } => {
                    exec(
                        tx,
                        "UPDATE outbox SET state = 'dead', last_error = $2, lease_until = NULL \
                     WHERE id = $1 AND state = 'sending' AND attempts = $3",
                        &[&result.id, &text(error), &result.attempt],
                    )
                    .await?
                }
                OutboxOutcome::Done => {
                    exec(
                        tx,
                        "UPDATE outbox SET state = 'done', sent_at = $2, lease_until = NULL \
                     WHERE id = $1 AND state = 'sending' AND attempts = $3",
                        &[&result.id, &now, &result.attempt],
                    )
                    .await?
                }
            };
        if updated > 0
            && let Some((contact, kind, payload)) = &result.event
        {
            insert_event(tx, contact, kind, payload, now).await?;
        }
    }
    Ok(())
}

/// The contact with their last `entries` journal entries (all: `i64::MAX`) and the
/// outbox rows those entries wrote (a step's rows carry its journal entry's time).
async fn view(
    client: &impl GenericClient,
    id: &str,
    entries: i64,
) -> StoreResult<Option<ContactView>> {
    let Some(row) = load_contact(client, id).await? else {
        return Ok(None);
    };
    let journal: Vec<JournalRow> = rows(
        client,
        "SELECT version, kind, event, effects, at FROM \
           (SELECT * FROM journal WHERE contact = $1 ORDER BY version DESC LIMIT $2) recent \
         ORDER BY version",
        &[&id, &entries],
    )
    .await?
    .iter()
    .map(|r| JournalRow {
        version: r.get(0),
        kind: r.get(1),
        event: r.get(2),
        effects: r.get(3),
        at: r.get(4),
    })
    .collect();
    let since = match journal.first() {
        Some(first) if journal.len() as i64 == entries => first.at,
        _ => Millis::MIN,
    };
    let timers = rows(
        client,
        "SELECT id, run, timer, target, fire_at, fired_at FROM timers \
             WHERE contact = $1 ORDER BY fire_at, id",
        &[&id],
    )
    .await?
    .iter()
    .map(|r| TimerRow {
        id: r.get(0),
        run: r.get(1),
        timer: r.get(2),
        target: r.get(3),
        fire_at: r.get(4),
        fired_at: r.get(5),
    })
    .collect();
    let outbox = rows(
        client,
        "SELECT id, idem_key, kind, body, state, attempts, provider_id, delivery, last_error \
             FROM outbox WHERE contact = $1 AND created_at >= $2 ORDER BY id",
        &[&id, &since],
    )
    .await?
    .iter()
    .map(|r| OutboxSummary {
        id: r.get(0),
        idem_key: r.get(1),
        kind: r.get(2),
        body: r.get(3),
        state: r.get(4),
        attempts: r.get(5),
        provider_id: r.get(6),
        delivery: r.get(7),
        last_error: r.get(8),
    })
    .collect();
    let results = rows(
        client,
        "SELECT key, value FROM results WHERE contact = $1 ORDER BY id",
        &[&id],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let labels = rows(
        client,
        "SELECT label FROM labels WHERE contact = $1 ORDER BY id",
        &[&id],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let pending_events: i64 = one(
        client,
        "SELECT COUNT(*) FROM inbox WHERE contact = $1",
        &[&id],
    )
    .await?
    .get(0);
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

fn deployment(r: &Row) -> Deployment {
    Deployment {
        id: r.get(0),
        digest: r.get(1),
        bundle: r.get(2),
        at: r.get(3),
    }
}

/// When the dispatcher has something to do next: the earliest time a contact's oldest
/// pending row becomes claimable. Rows queued behind a contact's held or in-flight
/// row are not counted: they cannot be claimed before it, and counting them would
/// wake the dispatcher over and over for nothing.
const NEXT_OUTBOX_AT: &str = "SELECT MIN(CASE o.state WHEN 'queued' THEN o.next_attempt_at \
                                             ELSE o.lease_until END) \
     FROM outbox o WHERE o.state IN ('queued', 'sending') \
       AND o.id = (SELECT MIN(p.id) FROM outbox p \
                   WHERE p.contact = o.contact AND p.state IN ('queued', 'sending'))";

const PERSON_COLUMNS: &str = "name, role, password_hash, failed_logins, locked_until, created_at";

/// A person from `PERSON_COLUMNS` starting at column `at`.
fn person_row(r: &Row, at: usize) -> PersonRow {
    PersonRow {
        name: r.get(at),
        role: r.get(at + 1),
        password_hash: r.get(at + 2),
        failed_logins: r.get(at + 3),
        locked_until: r.get(at + 4),
        created_at: r.get(at + 5),
    }
}

pub(crate) async fn insert_audit(
    client: &impl GenericClient,
    entry: &AuditEntry,
    now: Millis,
) -> StoreResult<()> {
    exec(
        client,
        "INSERT INTO audit_log (at, actor, action, subject, address, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &now,
            &entry.actor,
            &entry.action,
            &entry.subject,
            &entry.address,
            &entry.detail,
        ],
    )
    .await?;
    Ok(())
}

async fn change_person(
    tx: &Transaction<'_>,
    change: &PersonChange,
    now: Millis,
) -> StoreResult<bool> {
    let changed = match change {
        PersonChange::Add {
            name,
            role,
            password_hash,
        } => {
            exec(
                tx,
                "INSERT INTO people (name, role, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[name, role, password_hash, &now],
            )
            .await?
        }
        PersonChange::Remove { name } => {
            exec(tx, "DELETE FROM people WHERE name = $1", &[name]).await?
        }
        PersonChange::SetPassword {
            name,
            password_hash,
        } => {
            exec(
                tx,
                "UPDATE people SET password_hash = $2, failed_logins = 0, locked_until = NULL \
                 WHERE name = $1",
                &[name, password_hash],
            )
            .await?
        }
    };
    if changed > 0 && !matches!(change, PersonChange::Add { .. }) {
        exec(
            tx,
            "DELETE FROM console_sessions WHERE person = $1",
            &[&change.name()],
        )
        .await?;
    }
    Ok(changed > 0)
}

fn audit_row(r: &Row) -> AuditRow {
    AuditRow {
        id: r.get(0),
        at: r.get(1),
        entry: AuditEntry {
            actor: r.get(2),
            action: r.get(3),
            subject: r.get(4),
            address: r.get(5),
            detail: r.get(6),
        },
    }
}

impl PgStore {
    /// One query on a pooled connection, outside any explicit transaction.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let client = self.pool.get().await?;
        Ok(rows(&client, sql, params).await?)
    }

    /// Every count in one round trip (the outbox is scanned once).
    async fn stats_now(&self) -> StoreResult<Stats> {
        let row = &self
            .query(
                "SELECT (SELECT COUNT(*) FROM contacts), \
                        (SELECT COUNT(*) FROM inbox), \
                        (SELECT COUNT(*) FROM timers WHERE fired_at IS NULL), \
                        o.queued, o.sending, o.sent, o.dead, \
                        (SELECT COUNT(*) FROM contacts WHERE handoff IS NOT NULL) \
                 FROM (SELECT COUNT(*) FILTER (WHERE state = 'queued') AS queued, \
                              COUNT(*) FILTER (WHERE state = 'sending') AS sending, \
                              COUNT(*) FILTER (WHERE state = 'sent') AS sent, \
                              COUNT(*) FILTER (WHERE state = 'dead') AS dead \
                       FROM outbox) o",
                &[],
            )
            .await?[0];
        Ok(Stats {
            contacts: row.get(0),
            inbox: row.get(1),
            timers_pending: row.get(2),
            outbox_queued: row.get(3),
            outbox_sending: row.get(4),
            outbox_sent: row.get(5),
            outbox_dead: row.get(6),
            handoffs: row.get(7),
        })
    }
}

impl Store for PgStore {
    fn accept(&self, intake: Vec<Intake>, now: Millis) -> StoreFuture<'_, Vec<Accepted>> {
        Box::pin(self.transaction(async move |tx| {
            let mut accepted = Vec::with_capacity(intake.len());
            for item in intake {
                accepted.push(accept_one(tx, item, now).await?);
            }
            Ok(accepted)
        }))
    }

    fn next_event(
        &self,
        contact: &str,
    ) -> StoreFuture<'_, Option<(InboxEvent, Option<ContactRow>)>> {
        let contact = contact.to_owned();
        Box::pin(async move {
            let client = self.pool.get().await?;
            let event = maybe(
                &client,
                "SELECT id, contact, kind, payload, created_at FROM inbox \
                     WHERE contact = $1 ORDER BY id LIMIT 1",
                &[&contact],
            )
            .await?
            .map(|r| InboxEvent {
                id: r.get(0),
                contact: r.get(1),
                kind: r.get(2),
                payload: r.get(3),
                created_at: r.get(4),
            });
            match event {
                Some(event) => Ok(Some((event, load_contact(&client, &contact).await?))),
                None => Ok(None),
            }
        })
    }

    fn commit_step(&self, step: StepCommit, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(self.transaction(async move |tx| apply_step(tx, step, now).await))
    }

    fn timer_live(&self, timer: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            Ok(!self
                .query("SELECT 1 FROM timers WHERE id = $1", &[&timer])
                .await?
                .is_empty())
        })
    }

    fn fire_due_timers(&self, now: Millis, limit: usize) -> StoreFuture<'_, Vec<String>> {
        Box::pin(self.transaction(async move |tx| fire_timers(tx, now, limit).await))
    }

    fn next_timer_at(&self) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT MIN(fire_at) FROM timers WHERE fired_at IS NULL",
                    &[],
                )
                .await?[0]
                .get(0))
        })
    }

    fn contacts_with_events(&self) -> StoreFuture<'_, Vec<String>> {
        Box::pin(async move {
            Ok(self
                .query("SELECT DISTINCT contact FROM inbox", &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn claim_outbox(
        &self,
        now: Millis,
        lease: Millis,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxRow>> {
        Box::pin(self.transaction(async move |tx| claim(tx, now, lease, limit).await))
    }

    fn finish_outbox(&self, results: Vec<OutboxResult>, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(self.transaction(async move |tx| finish(tx, results, now).await))
    }

    fn next_outbox_at(&self) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(async move { Ok(self.query(NEXT_OUTBOX_AT, &[]).await?[0].get(0)) })
    }

    fn reach_since(&self, since: Millis) -> StoreFuture<'_, Vec<(String, Millis)>> {
        Box::pin(async move {
            Ok(self
                .query("SELECT contact, at FROM reach WHERE at > $1", &[&since])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
    }

    fn contact_row(&self, contact: &str) -> StoreFuture<'_, Option<ContactRow>> {
        let contact = contact.to_owned();
        Box::pin(async move {
            let client = self.pool.get().await?;
            load_contact(&client, &contact).await
        })
    }

    fn contact(&self, contact: &str) -> StoreFuture<'_, Option<ContactView>> {
        let contact = contact.to_owned();
        Box::pin(async move {
            let client = self.pool.get().await?;
            view(&client, &contact, i64::MAX).await
        })
    }

    fn handoffs(&self) -> StoreFuture<'_, Vec<Handoff>> {
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT id, handoff, COALESCE(handoff_note, ''), handoff_since FROM contacts \
                     WHERE handoff IS NOT NULL ORDER BY handoff_since, id",
                    &[],
                )
                .await?
                .iter()
                .map(|r| Handoff {
                    contact: r.get(0),
                    queue: r.get(1),
                    note: r.get(2),
                    since: r.get::<_, Option<i64>>(3).unwrap_or_default(),
                })
                .collect())
        })
    }

    fn inbox(&self) -> StoreFuture<'_, Vec<InboxItem>> {
        Box::pin(async move {
            Ok(self
                .query(
                    &format!("{INBOX_SELECT} ORDER BY c.handoff_since, c.id"),
                    &[],
                )
                .await?
                .iter()
                .map(inbox_item)
                .collect())
        })
    }

    fn inbox_item(&self, contact: &str) -> StoreFuture<'_, Option<InboxItem>> {
        let contact = contact.to_owned();
        Box::pin(async move {
            Ok(self
                .query(&format!("{INBOX_SELECT} AND c.id = $1"), &[&contact])
                .await?
                .first()
                .map(inbox_item))
        })
    }

    fn notes(&self, contact: &str) -> StoreFuture<'_, Vec<NoteRow>> {
        let contact = contact.to_owned();
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT id, author, text, at FROM notes WHERE contact = $1 ORDER BY id",
                    &[&contact],
                )
                .await?
                .iter()
                .map(|r| NoteRow {
                    id: r.get(0),
                    author: r.get(1),
                    text: r.get(2),
                    at: r.get(3),
                })
                .collect())
        })
    }

    fn change_inbox(
        &self,
        contact: &str,
        change: InboxChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        let contact = contact.to_owned();
        Box::pin(self.transaction(async move |tx| {
            let changed = change_inbox(tx, &contact, &change, now).await?;
            if changed {
                insert_audit(tx, &audit, now).await?;
            }
            Ok(changed)
        }))
    }

    fn assign_queue(&self, rules: QueueAssignment, now: Millis) -> StoreFuture<'_, AssignOutcome> {
        Box::pin(
            self.transaction(async move |tx| assign_queue(tx, &self.schema, &rules, now).await),
        )
    }

    fn inbox_changes(&self, after: i64, limit: usize) -> StoreFuture<'_, Vec<(i64, String)>> {
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT id, contact FROM inbox_changes WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after, &(limit as i64)],
                )
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
    }

    fn last_inbox_change(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            Ok(self
                .query("SELECT COALESCE(MAX(id), 0) FROM inbox_changes", &[])
                .await?
                .first()
                .map_or(0, |r| r.get(0)))
        })
    }

    fn deploy(&self, digest: String, bundle: String, now: Millis) -> StoreFuture<'_, Deployment> {
        Box::pin(self.transaction(async move |tx| {
            // Processes deploying the same sources at start-up record one deployment.
            exec(tx, "LOCK TABLE deployments IN EXCLUSIVE MODE", &[]).await?;
            let latest = maybe(
                tx,
                "SELECT id, digest, bundle, at FROM deployments ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await?
            .as_ref()
            .map(deployment);
            if let Some(latest) = latest
                && latest.digest == digest
            {
                return Ok(latest);
            }
            let row = one(
                tx,
                "INSERT INTO deployments (digest, bundle, at) VALUES ($1, $2, $3) \
                     RETURNING id, digest, bundle, at",
                &[&digest, &bundle, &now],
            )
            .await?;
            Ok(deployment(&row))
        }))
    }

    fn deployments(&self) -> StoreFuture<'_, Vec<Deployment>> {
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT id, digest, bundle, at FROM deployments ORDER BY id",
                    &[],
                )
                .await?
                .iter()
                .map(deployment)
                .collect())
        })
    }

    fn clock(&self) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(async { Ok(Some(self.now().await?)) })
    }

    fn meta(&self, key: &str, default: String) -> StoreFuture<'_, String> {
        let key = key.to_owned();
        Box::pin(self.transaction(async move |tx| {
            exec(
                tx,
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &default],
            )
            .await?;
            Ok(one(tx, "SELECT value FROM meta WHERE key = $1", &[&key])
                .await?
                .get(0))
        }))
    }

    fn stats(&self) -> StoreFuture<'_, Stats> {
        Box::pin(self.stats_now())
    }

    fn person(&self, name: &str) -> StoreFuture<'_, Option<PersonRow>> {
        let name = name.to_owned();
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = maybe(
                &client,
                &format!("SELECT {PERSON_COLUMNS} FROM people WHERE name = $1"),
                &[&name],
            )
            .await?;
            Ok(row.map(|r| person_row(&r, 0)))
        })
    }

    fn people(&self) -> StoreFuture<'_, Vec<PersonRow>> {
        Box::pin(async move {
            Ok(self
                .query(
                    &format!("SELECT {PERSON_COLUMNS} FROM people ORDER BY name"),
                    &[],
                )
                .await?
                .iter()
                .map(|r| person_row(r, 0))
                .collect())
        })
    }

    fn change_person(
        &self,
        change: PersonChange,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.transaction(async move |tx| {
            let changed = change_person(tx, &change, now).await?;
            if changed {
                insert_audit(tx, &audit, now).await?;
            }
            Ok(changed)
        }))
    }

    fn login_failed(&self, failure: LoginFailure, now: Millis) -> StoreFuture<'_, Option<Millis>> {
        Box::pin(self.transaction(async move |tx| {
            insert_audit(tx, &failure.audit, now).await?;
            // FOR UPDATE: processes counting one person's failures take turns.
            let Some(row) = maybe(
                tx,
                "SELECT failed_logins, locked_until FROM people WHERE name = $1 FOR UPDATE",
                &[&failure.name],
            )
            .await?
            else {
                return Ok(None);
            };
            let before: Option<Millis> = row.get(1);
            let (failed, locked_until) =
                crate::lockout(row.get(0), before, now, failure.tries, failure.lock_for);
            exec(
                tx,
                "UPDATE people SET failed_logins = $2, locked_until = $3 WHERE name = $1",
                &[&failure.name, &failed, &locked_until],
            )
            .await?;
            let locked = locked_until.filter(|until| Some(*until) != before);
            if locked.is_some() {
                insert_audit(tx, &failure.lockout, now).await?;
            }
            Ok(locked)
        }))
    }

    fn login_failures_from(
        &self,
        address: &str,
        since: Millis,
    ) -> StoreFuture<'_, (i64, Option<Millis>)> {
        let address = address.to_owned();
        Box::pin(async move {
            let rows = self
                .query(
                    "SELECT COUNT(*), MIN(at) FROM audit_log \
                     WHERE address = $1 AND at > $2 \
                       AND action IN ('login_failed', 'login_refused')",
                    &[&address, &since],
                )
                .await?;
            Ok((rows[0].get(0), rows[0].get(1)))
        })
    }

    fn open_session(
        &self,
        session: SessionRow,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.transaction(async move |tx| {
            exec(
                tx,
                "DELETE FROM console_sessions WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
            exec(
                tx,
                "INSERT INTO console_sessions (id_hash, person, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &session.id_hash,
                    &session.person,
                    &session.created_at,
                    &session.expires_at,
                ],
            )
            .await?;
            exec(
                tx,
                "UPDATE people SET failed_logins = 0, locked_until = NULL WHERE name = $1",
                &[&session.person],
            )
            .await?;
            insert_audit(tx, &audit, now).await
        }))
    }

    fn session(
        &self,
        id_hash: &str,
        now: Millis,
    ) -> StoreFuture<'_, Option<(SessionRow, PersonRow)>> {
        let id_hash = id_hash.to_owned();
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = maybe(
                &client,
                "SELECT s.id_hash, s.person, s.created_at, s.expires_at, \
                        p.name, p.role, p.password_hash, p.failed_logins, p.locked_until, \
                        p.created_at \
                 FROM console_sessions s JOIN people p ON p.name = s.person \
                 WHERE s.id_hash = $1 AND s.expires_at > $2",
                &[&id_hash, &now],
            )
            .await?;
            Ok(row.map(|r| {
                (
                    SessionRow {
                        id_hash: r.get(0),
                        person: r.get(1),
                        created_at: r.get(2),
                        expires_at: r.get(3),
                    },
                    person_row(&r, 4),
                )
            }))
        })
    }

    fn close_session(
        &self,
        id_hash: &str,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool> {
        let id_hash = id_hash.to_owned();
        Box::pin(self.transaction(async move |tx| {
            let closed = exec(
                tx,
                "DELETE FROM console_sessions WHERE id_hash = $1",
                &[&id_hash],
            )
            .await?
                > 0;
            if closed {
                insert_audit(tx, &audit, now).await?;
            }
            Ok(closed)
        }))
    }

    fn audit(&self, entry: AuditEntry, now: Millis) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            insert_audit(&client, &entry, now).await
        })
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> StoreFuture<'_, Vec<AuditRow>> {
        Box::pin(async move {
            Ok(self
                .query(
                    "SELECT id, at, actor, action, subject, address, detail FROM audit_log \
                     WHERE id < $1 ORDER BY id DESC LIMIT $2",
                    &[&before.unwrap_or(i64::MAX), &(limit as i64)],
                )
                .await?
                .iter()
                .map(audit_row)
                .collect())
        })
    }

    // ------------------------------------------------------------ the console's contacts

    fn search_contacts(&self, query: ContactQuery) -> StoreFuture<'_, Vec<ContactListing>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            search_contacts(&client, &query).await
        })
    }

    fn recent_contact(
        &self,
        contact: &str,
        entries: usize,
    ) -> StoreFuture<'_, Option<ContactView>> {
        let contact = contact.to_owned();
        let entries = i64::try_from(entries).unwrap_or(i64::MAX);
        Box::pin(async move {
            let client = self.pool.get().await?;
            view(&client, &contact, entries).await
        })
    }

    fn import_contacts(
        &self,
        contacts: Vec<ContactImport>,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, ImportCount> {
        Box::pin(self.transaction(async move |tx| {
            let count = import_contacts(tx, &contacts, now).await?;
            insert_audit(tx, &audit, now).await?;
            Ok(count)
        }))
    }
}

// ---------------------------------------------------------------- the console's contacts

/// One page of a contact search. Each filter is an indexed lookup: the id range
/// (`text_pattern_ops`), the fields' GIN index (`@>`), `labels(label)`, and
/// `contacts(opted_out, id)`.
async fn search_contacts(
    client: &impl GenericClient,
    query: &ContactQuery,
) -> StoreResult<Vec<ContactListing>> {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let bind = |values: &mut Vec<Box<dyn ToSql + Sync + Send>>,
                value: Box<dyn ToSql + Sync + Send>| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some(after) = &query.after {
        let at = bind(&mut values, Box::new(after.clone()));
        conditions.push(format!("id > {at}"));
    }
    if let Some(prefix) = &query.prefix {
        // Byte order (the pattern operators): every id that starts with the prefix
        // sorts between it and it + U+10FFFF.
        let low = bind(&mut values, Box::new(prefix.clone()));
        let high = bind(&mut values, Box::new(format!("{prefix}\u{10FFFF}")));
        conditions.push(format!("id ~>=~ {low} AND id ~<~ {high}"));
    }
    if let Some((name, value)) = &query.field {
        let pattern = format!("{{{}:{value}}}", crate::json_string(name));
        let at = bind(&mut values, Box::new(pattern));
        conditions.push(format!("fields::jsonb @> {at}::text::jsonb"));
    }
    if let Some(label) = &query.label {
        let at = bind(&mut values, Box::new(label.clone()));
        conditions.push(format!(
            "id IN (SELECT contact FROM labels WHERE label = {at})"
        ));
    }
    if let Some(opted_out) = query.opted_out {
        let at = bind(&mut values, Box::new(opted_out));
        conditions.push(format!("opted_out = {at}"));
    }
    let limit = bind(&mut values, Box::new(query.limit as i64));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect();
    // Not a cached statement: planned for its values each time, a search for a rare
    // field value takes the GIN index, where a generic plan would walk the ids.
    let found = client
        .query(
            &format!("SELECT {CONTACT_COLUMNS} FROM contacts {filter} ORDER BY id LIMIT {limit}"),
            &params,
        )
        .await?;
    let contacts: Vec<ContactRow> = found.iter().map(contact_row).collect();
    let ids: Vec<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
    let mut labels: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for r in rows(
        client,
        "SELECT contact, label FROM labels WHERE contact = ANY($1) ORDER BY id",
        &[&ids],
    )
    .await?
    {
        labels.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(contacts
        .into_iter()
        .map(|row| ContactListing {
            labels: labels.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

async fn import_contacts(
    tx: &Transaction<'_>,
    contacts: &[ContactImport],
    now: Millis,
) -> StoreResult<ImportCount> {
    let mut count = ImportCount::default();
    for contact in contacts {
        let fields = contact.fields_object();
        let created: bool = one(
            tx,
            "INSERT INTO contacts (id, version, fields, opted_out, updated_at) \
             VALUES ($1, 1, $2::text::jsonb::text, COALESCE($3, FALSE), $4) \
             ON CONFLICT (id) DO UPDATE SET version = contacts.version + 1, \
                fields = (contacts.fields::jsonb || $2::text::jsonb)::text, \
                opted_out = COALESCE($3, contacts.opted_out), updated_at = $4 \
             RETURNING version = 1",
            &[&contact.id, &fields, &contact.opted_out, &now],
        )
        .await?
        .get(0);
        if created {
            count.created += 1;
        } else {
            count.updated += 1;
        }
        for label in &contact.labels {
            exec(
                tx,
                "INSERT INTO labels (contact, label, at) SELECT $1, $2, $3 \
                 WHERE NOT EXISTS (SELECT 1 FROM labels WHERE contact = $1 AND label = $2)",
                &[&contact.id, label, &now],
            )
            .await?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::{json_text, redact, split_schema};

    #[test]
    fn the_schema_comes_out_of_the_url() {
        assert_eq!(
            split_schema("postgres://u@h/db?schema=clinic&sslmode=disable"),
            (
                "postgres://u@h/db?sslmode=disable".to_owned(),
                Some("clinic".to_owned())
            )
        );
        assert_eq!(
            split_schema("postgres://u@h/db?schema=clinic"),
            ("postgres://u@h/db".to_owned(), Some("clinic".to_owned()))
        );
        assert_eq!(
            split_schema("postgres://u@h/db"),
            ("postgres://u@h/db".to_owned(), None)
        );
    }

    #[test]
    fn messages_do_not_show_the_password() {
        assert_eq!(
            redact("postgres://journey:s3cret@db:5432/test"),
            "postgres://journey:***@db:5432/test"
        );
        assert_eq!(redact("postgres://db/test"), "postgres://db/test");
    }

    #[test]
    fn a_nul_escape_in_json_becomes_the_replacement_character_and_nothing_else_changes() {
        assert_eq!(
            json_text(r#"{"name":"Tha\u0000ndi","path":"C:\\u0000","é":"\u0000"}"#),
            r#"{"name":"Tha\ufffdndi","path":"C:\\u0000","é":"\ufffd"}"#
        );
        assert!(matches!(
            json_text(r#"{"a":"\n\u0001"}"#),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
