//! Versioned migrations, applied in order at open; `PRAGMA user_version` says how far a
//! database has come. A migration is never edited once released: add the next one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema (durable-runtime.md §5.1).
    r#"
    CREATE TABLE contacts (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        run INTEGER NOT NULL DEFAULT 0,
        fields TEXT NOT NULL DEFAULT '{}',
        state TEXT,
        visited INTEGER NOT NULL DEFAULT 0,
        last_inbound_at INTEGER,
        opted_out INTEGER NOT NULL DEFAULT 0,
        marketing_opt_out INTEGER NOT NULL DEFAULT 0,
        handoff TEXT,
        handoff_note TEXT,
        handoff_since INTEGER,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX contacts_handoff ON contacts(handoff_since) WHERE handoff IS NOT NULL;

    CREATE TABLE inbound_dedupe (
        provider_id TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        contact TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX inbox_contact ON inbox(contact, id);

    CREATE TABLE timers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        contact TEXT NOT NULL,
        run INTEGER NOT NULL,
        timer TEXT NOT NULL,
        target TEXT NOT NULL,
        fire_at INTEGER NOT NULL,
        fired_at INTEGER
    );
    CREATE INDEX timers_due ON timers(fire_at, id) WHERE fired_at IS NULL;
    CREATE INDEX timers_contact ON timers(contact);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        contact TEXT NOT NULL,
        idem_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        by_contact INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        provider_id TEXT,
        delivery TEXT,
        delivery_rank INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
    );
    CREATE INDEX outbox_pending ON outbox(contact, id) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_provider ON outbox(provider_id) WHERE provider_id IS NOT NULL;
    CREATE INDEX outbox_contact ON outbox(contact, id);

    CREATE TABLE journal (
        contact TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        event TEXT NOT NULL,
        effects TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (contact, version)
    ) WITHOUT ROWID;

    CREATE TABLE results (
        contact TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX results_contact ON results(contact);

    CREATE TABLE labels (
        contact TEXT NOT NULL,
        label TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX labels_contact ON labels(contact);

    CREATE TABLE reach (
        contact TEXT PRIMARY KEY,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        digest TEXT NOT NULL,
        bundle TEXT NOT NULL,
        at INTEGER NOT NULL
    );

    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 2: the claim walks pending rows in the order it leases them and stops at its
    // limit, instead of sorting every contact's head (the backlog) on each claim.
    r#"
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state IN ('queued', 'sending');
    "#,
    // 3: the console's people, their browser sessions (the id kept only as its hash)
    // and the audit log of what they do (issue 16).
    r#"
    CREATE TABLE people (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX console_sessions_person ON console_sessions(person);
    CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        address TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_log_failures ON audit_log(address, at)
        WHERE action IN ('login_failed', 'login_refused');
    "#,
    // 4: the console's inbox (issue 16): who has an open handoff (per handoff: `since`
    // is the contact's handoff_since), internal notes, and the feed of changes that
    // live updates poll.
    r#"
    CREATE TABLE handoff_assignments (
        contact TEXT PRIMARY KEY,
        since INTEGER NOT NULL,
        queue TEXT NOT NULL,
        assignee TEXT,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        contact TEXT NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX notes_contact ON notes(contact, id);

    CREATE TABLE inbox_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        contact TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    "#,
    // 5: automatic assignment (issue 16): the agent each queue's round-robin last
    // chose, so that the next pass goes on after them.
    r#"
    CREATE TABLE queue_turns (
        queue TEXT PRIMARY KEY,
        last_agent TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 6: broadcasts (issue 16): the broadcast and, once sent, each recipient's message
    // waiting for its moment and the tier's room before it enters the outbox.
    r#"
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        author TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        summary TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
    );

    CREATE TABLE broadcast_queue (
        broadcast INTEGER NOT NULL,
        contact TEXT NOT NULL,
        body TEXT NOT NULL,
        due INTEGER NOT NULL,
        PRIMARY KEY (broadcast, contact)
    ) WITHOUT ROWID;
    CREATE INDEX broadcast_queue_due ON broadcast_queue(due);
    "#,
    // 7: the console's contacts (issue 16): searched by label, opt-out and field value
    // without reading every row. `contact_fields` mirrors each contact's fields JSON
    // (one row a field, the value as JSON), kept by triggers so that no writer of
    // `contacts` has to remember it.
    r#"
    CREATE INDEX labels_label ON labels(label, contact);
    CREATE INDEX contacts_opted_out ON contacts(opted_out, id);

    CREATE TABLE contact_fields (
        contact TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (contact, name)
    ) WITHOUT ROWID;
    CREATE INDEX contact_fields_value ON contact_fields(name, value, contact);

    INSERT INTO contact_fields (contact, name, value)
        SELECT c.id, f.key, f.value FROM contacts c,
            json_each(CASE WHEN json_valid(c.fields) THEN c.fields ELSE '{}' END) f;

    CREATE TRIGGER contact_fields_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contact_fields (contact, name, value)
            SELECT new.id, key, value
            FROM json_each(CASE WHEN json_valid(new.fields) THEN new.fields ELSE '{}' END);
    END;
    CREATE TRIGGER contact_fields_update AFTER UPDATE OF fields ON contacts
        WHEN old.fields IS NOT new.fields BEGIN
        DELETE FROM contact_fields WHERE contact = new.id;
        INSERT INTO contact_fields (contact, name, value)
            SELECT new.id, key, value
            FROM json_each(CASE WHEN json_valid(new.fields) THEN new.fields ELSE '{}' END);
    END;
    CREATE TRIGGER contact_fields_delete AFTER DELETE ON contacts BEGIN
        DELETE FROM contact_fields WHERE contact = old.id;
    END;
    "#,
    // 8: the console's reports (issue 16, docs/reports.md). Each handoff's history
    // (open, first assignment, first agent reply, close), kept after it closes, with
    // the open ones of today copied in; each contact's first and latest visit of each
    // card and their latest card per journey (the funnel); per day in the project's time
    // zone, each active contact's messages in and runs started and finished; who wrote
    // each outbox row (`bot`, `agent`, `broadcast`). Every report reads ranges of
    // indexes (the funnel one range per card).
    r#"
    CREATE TABLE handoff_history (
        contact TEXT NOT NULL,
        since INTEGER NOT NULL,
        queue TEXT NOT NULL,
        assignee TEXT,
        assigned_at INTEGER,
        first_reply_at INTEGER,
        closed_at INTEGER,
        PRIMARY KEY (contact, since)
    ) WITHOUT ROWID;
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
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (journey, card, contact)
    ) WITHOUT ROWID;
    CREATE INDEX card_visits_range ON card_visits(journey, card, last_at, first_at);

    CREATE TABLE journey_places (
        journey TEXT NOT NULL,
        contact TEXT NOT NULL,
        card TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (journey, contact)
    ) WITHOUT ROWID;
    CREATE INDEX journey_places_range ON journey_places(journey, card, at);

    CREATE TABLE contact_days (
        day TEXT NOT NULL,
        contact TEXT NOT NULL,
        messages INTEGER NOT NULL DEFAULT 0,
        started INTEGER NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, contact)
    ) WITHOUT ROWID;

    ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT 'bot';
    UPDATE outbox SET origin = 'broadcast' WHERE idem_key >= 'broadcast:' AND idem_key < 'broadcast;';
    CREATE INDEX outbox_report ON outbox(kind, origin, state, delivery_rank, created_at);
    CREATE INDEX results_at ON results(at);
    "#,
];

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > VERSION {
        return Ok(Err(format!(
            "the database has schema version {current}, newer than this journey ({VERSION}); \
             upgrade journey, or use another database"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(Ok(()))
}
