//! The store's guarantees, one test each, run against both stores: SQLite in a
//! temporary file, and PostgreSQL in a fresh schema of the database named by
//! `JOURNEY_TEST_DATABASE_URL` (without it they are compiled as ignored, with the reason:
//! build.rs; CI sets it).
//! Then what only one of them has: SQLite's file, PostgreSQL's several processes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use journey_store::*;

fn open() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("journey.db"), false).unwrap();
    (dir, store)
}

/// A PostgreSQL store in a schema of its own, or `None` (said) without a database.
async fn postgres(test: &str) -> Option<Arc<PgStore>> {
    let Ok(url) = std::env::var("JOURNEY_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED {test} on PostgreSQL: JOURNEY_TEST_DATABASE_URL is not set");
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "journey_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    Some(PgStore::open(&url, &schema).await.unwrap())
}

/// Each shared test twice: `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, store) = super::open();
                    super::$name(&*store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(no_postgres, ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)")]
                async fn $name() {
                    let Some(store) = super::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(&*store).await;
                    store.drop_schema().await.unwrap();
                }
            )*
        }
    };
}

on_both_stores!(
    inbound_is_deduplicated_by_provider_id,
    a_step_is_fenced_by_version_and_consumes_its_event_once,
    timers_fire_once_in_order_and_never_early,
    outbox_goes_one_row_per_contact_in_order_with_leases,
    deployments_and_meta_are_kept,
    people_sessions_and_the_audit_log,
    five_wrong_passwords_lock_and_a_sign_in_clears_the_count,
    the_inbox_lists_assigns_notes_labels_and_feeds_changes,
    queues_are_assigned_by_their_rules,
    contacts_import_all_at_once_and_are_found_by_prefix_field_label_and_opt_out,
    a_recent_contact_reads_only_the_last_journal_entries,
    the_reports_read_what_steps_assignments_and_statuses_wrote,
);

fn message(id: &str, contact: &str) -> Intake {
    Intake::Message {
        provider_id: id.into(),
        contact: contact.into(),
        payload: format!(r#"{{"id":"{id}"}}"#),
    }
}

/// A step that consumes `event` for a contact at `version`.
fn step(contact: &str, version: i64, event: i64) -> StepCommit {
    StepCommit {
        expected_version: version,
        consumed: event,
        contact: ContactRow {
            id: contact.into(),
            fields: "{}".into(),
            ..ContactRow::default()
        },
        journal: JournalEntry {
            kind: "message".into(),
            event: "{}".into(),
            effects: "[]".into(),
        },
        ..StepCommit::default()
    }
}

async fn inbound_is_deduplicated_by_provider_id(store: &dyn Store) {
    let first = store
        .accept(vec![message("wamid.1", "27"), message("wamid.2", "27")], 1)
        .await
        .unwrap();
    assert_eq!(first, [Accepted::New, Accepted::New]);
    let again = store
        .accept(vec![message("wamid.2", "27"), message("wamid.3", "27")], 2)
        .await
        .unwrap();
    assert_eq!(again, [Accepted::Duplicate, Accepted::New]);
    assert_eq!(store.stats().await.unwrap().inbox, 3);
    assert_eq!(store.contacts_with_events().await.unwrap(), ["27"]);
}

async fn a_step_is_fenced_by_version_and_consumes_its_event_once(store: &dyn Store) {
    store
        .accept(vec![message("m1", "c"), message("m2", "c")], 1)
        .await
        .unwrap();
    let (event, contact) = store.next_event("c").await.unwrap().unwrap();
    assert!(contact.is_none(), "a new contact has no row");
    let mut commit = step("c", 0, event.id);
    commit.outbox.push(NewOutbox {
        kind: "message".into(),
        body: "hello".into(),
        by_contact: true,
        not_before: 0,
    });
    store.commit_step(commit.clone(), 10).await.unwrap();
    // The same step again: the version moved on.
    assert_eq!(
        store.commit_step(commit, 11).await,
        Err(StoreError::Conflict)
    );
    // The right version but an event already consumed: refused, and nothing written.
    let stale = step("c", 1, event.id);
    assert_eq!(
        store.commit_step(stale, 12).await,
        Err(StoreError::Conflict)
    );
    let view = store.contact("c").await.unwrap().unwrap();
    assert_eq!(view.row.version, 1);
    assert_eq!(view.journal.len(), 1);
    assert_eq!(view.outbox.len(), 1);
    assert_eq!(view.outbox[0].idem_key, "c:1:0");
    let (next, row) = store.next_event("c").await.unwrap().unwrap();
    assert!(next.id > event.id, "FIFO per contact");
    assert_eq!(row.unwrap().version, 1);
}

async fn timers_fire_once_in_order_and_never_early(store: &dyn Store) {
    store.accept(vec![message("m1", "c")], 1).await.unwrap();
    let (event, _) = store.next_event("c").await.unwrap().unwrap();
    let mut commit = step("c", 0, event.id);
    for (timer, at) in [("b", 2_000), ("a", 1_000), ("c", 3_000)] {
        commit.timers.push(TimerOp::Schedule {
            run: 1,
            timer: timer.into(),
            target: r#""Timeout""#.into(),
            fire_at: at,
        });
    }
    store.commit_step(commit, 5).await.unwrap();
    assert_eq!(store.next_timer_at().await.unwrap(), Some(1_000));
    assert!(
        store.fire_due_timers(999, 10).await.unwrap().is_empty(),
        "not early"
    );
    assert_eq!(store.fire_due_timers(2_000, 10).await.unwrap(), ["c", "c"]);
    assert!(
        store.fire_due_timers(2_500, 10).await.unwrap().is_empty(),
        "once"
    );
    let view = store.contact("c").await.unwrap().unwrap();
    assert_eq!(view.pending_events, 2);
    // Both fired timers are in the inbox, earliest first, with their due times.
    let (first, _) = store.next_event("c").await.unwrap().unwrap();
    assert_eq!(first.kind, "timer");
    assert!(
        first.payload.contains(r#""timer":"a""#) && first.payload.contains(r#""fire_at":1000"#)
    );
    let row: i64 = first
        .payload
        .split(r#""row":"#)
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(store.timer_live(row).await.unwrap());
    // A step that cancels every timer makes the fired-but-unhandled one stale.
    let mut cancel = step("c", 1, first.id);
    cancel.timers.push(TimerOp::CancelAll);
    store.commit_step(cancel, 2_600).await.unwrap();
    assert!(!store.timer_live(row).await.unwrap());
    assert_eq!(store.next_timer_at().await.unwrap(), None);
}

async fn outbox_goes_one_row_per_contact_in_order_with_leases(store: &dyn Store) {
    store
        .accept(vec![message("m1", "c"), message("m2", "d")], 1)
        .await
        .unwrap();
    for contact in ["c", "d"] {
        let (event, _) = store.next_event(contact).await.unwrap().unwrap();
        let mut commit = step(contact, 0, event.id);
        for body in ["one", "two"] {
            commit.outbox.push(NewOutbox {
                kind: "message".into(),
                body: body.into(),
                by_contact: true,
                not_before: 0,
            });
        }
        store.commit_step(commit, 2).await.unwrap();
    }
    let claimed = store.claim_outbox(10, 1_000, 10).await.unwrap();
    let got: Vec<(&str, &str)> = claimed
        .iter()
        .map(|r| (r.contact.as_str(), r.body.as_str()))
        .collect();
    assert_eq!(
        got,
        [("c", "one"), ("d", "one")],
        "the oldest row of each contact"
    );
    assert!(
        store.claim_outbox(20, 1_000, 10).await.unwrap().is_empty(),
        "leased"
    );
    // c's first row is sent; d's lease runs out (a crash while sending).
    store
        .finish_outbox(
            vec![OutboxResult {
                id: claimed[0].id,
                attempt: claimed[0].attempts,
                outcome: OutboxOutcome::Sent {
                    provider_id: "wamid.X".into(),
                    reached: true,
                },
                event: None,
            }],
            30,
        )
        .await
        .unwrap();
    let next = store.claim_outbox(1_011, 1_000, 10).await.unwrap();
    let got: Vec<(&str, &str, i64)> = next
        .iter()
        .map(|r| (r.contact.as_str(), r.body.as_str(), r.attempts))
        .collect();
    assert_eq!(got, [("c", "two", 1), ("d", "one", 2)]);
    assert_eq!(store.reach_since(0).await.unwrap(), [("c".to_owned(), 30)]);
    // Statuses move forward only, matched by the provider's id.
    let status = |status: &str, rank| Intake::Status {
        provider_id: "wamid.X".into(),
        callback: None,
        status: status.into(),
        rank,
        error: None,
    };
    let applied = store
        .accept(
            vec![
                status("read", 3),
                status("delivered", 2),
                Intake::Status {
                    provider_id: "wamid.unknown".into(),
                    callback: None,
                    status: "sent".into(),
                    rank: 1,
                    error: None,
                },
            ],
            40,
        )
        .await
        .unwrap();
    assert_eq!(
        applied,
        [Accepted::New, Accepted::Ignored, Accepted::Ignored]
    );
    let view = store.contact("c").await.unwrap().unwrap();
    assert_eq!(view.outbox[0].delivery.as_deref(), Some("read"));
}

async fn deployments_and_meta_are_kept(store: &dyn Store) {
    let d = store.deploy("abc".into(), "{}".into(), 5).await.unwrap();
    assert_eq!(
        store.deploy("abc".into(), "{}".into(), 6).await.unwrap().id,
        d.id,
        "same digest, same deployment"
    );
    let e = store.deploy("def".into(), "{}".into(), 7).await.unwrap();
    assert!(e.id > d.id);
    assert_eq!(store.deployments().await.unwrap().len(), 2);
    assert_eq!(store.meta("anchor", "7".into()).await.unwrap(), "7");
    assert_eq!(store.meta("anchor", "8".into()).await.unwrap(), "7", "kept");
}

fn audit(actor: &str, action: &str, address: &str) -> AuditEntry {
    AuditEntry {
        actor: actor.into(),
        action: action.into(),
        subject: Some("ada".into()),
        address: Some(address.into()),
        detail: String::new(),
    }
}

async fn people_sessions_and_the_audit_log(store: &dyn Store) {
    let add = |name: &str, role: &str| PersonChange::Add {
        name: name.into(),
        role: role.into(),
        password_hash: format!("$argon2id$hash-of-{name}"),
    };
    let by_cli = audit("cli:root", "person_added", "command line");
    assert!(
        store
            .change_person(add("ada", "admin"), by_cli.clone(), 10)
            .await
            .unwrap()
    );
    assert!(
        !store
            .change_person(add("ada", "operator"), by_cli.clone(), 11)
            .await
            .unwrap(),
        "a taken name is refused"
    );
    assert!(
        store
            .change_person(add("bo", "operator"), by_cli.clone(), 12)
            .await
            .unwrap()
    );
    let people = store.people().await.unwrap();
    assert_eq!(
        people
            .iter()
            .map(|p| (p.name.as_str(), p.role.as_str()))
            .collect::<Vec<_>>(),
        [("ada", "admin"), ("bo", "operator")]
    );
    assert_eq!(store.person("ada").await.unwrap().unwrap().created_at, 10);
    assert_eq!(store.person("nobody").await.unwrap(), None);

    // A session lives until it expires, and only while its person does.
    let session = |id: &str, person: &str| SessionRow {
        id_hash: id.into(),
        person: person.into(),
        created_at: 20,
        expires_at: 100,
    };
    store
        .open_session(session("s1", "ada"), audit("ada", "login", "10.0.0.1"), 20)
        .await
        .unwrap();
    store
        .open_session(session("s2", "bo"), audit("bo", "login", "10.0.0.2"), 20)
        .await
        .unwrap();
    let (found, person) = store.session("s1", 50).await.unwrap().unwrap();
    assert_eq!(
        (found.person.as_str(), person.role.as_str()),
        ("ada", "admin")
    );
    assert_eq!(store.session("s1", 100).await.unwrap(), None, "expired");
    assert_eq!(store.session("nope", 50).await.unwrap(), None);
    assert!(
        store
            .close_session("s1", audit("ada", "logout", "10.0.0.1"), 30)
            .await
            .unwrap()
    );
    assert!(
        !store
            .close_session("s1", audit("ada", "logout", "10.0.0.1"), 31)
            .await
            .unwrap(),
        "closed once"
    );
    assert_eq!(store.session("s1", 50).await.unwrap(), None);

    // A new password ends the person's sessions; so does removing them.
    let reset = PersonChange::SetPassword {
        name: "bo".into(),
        password_hash: "$argon2id$new".into(),
    };
    assert!(
        store
            .change_person(
                reset,
                audit("cli:root", "password_reset", "command line"),
                40
            )
            .await
            .unwrap()
    );
    assert_eq!(store.session("s2", 50).await.unwrap(), None);
    assert_eq!(
        store.person("bo").await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    let remove = |name: &str| PersonChange::Remove { name: name.into() };
    assert!(
        !store
            .change_person(remove("nobody"), by_cli.clone(), 41)
            .await
            .unwrap(),
        "an unknown name"
    );
    assert!(store.change_person(remove("bo"), by_cli, 42).await.unwrap());
    assert_eq!(store.person("bo").await.unwrap(), None);

    // What was done, newest first; only what changed something was written.
    let log = store.audit_log(None, 100).await.unwrap();
    let actions: Vec<(&str, i64)> = log
        .iter()
        .map(|r| (r.entry.action.as_str(), r.at))
        .collect();
    assert_eq!(
        actions,
        [
            ("person_added", 42),
            ("password_reset", 40),
            ("logout", 30),
            ("login", 20),
            ("login", 20),
            ("person_added", 12),
            ("person_added", 10),
        ]
    );
    assert_eq!(log[2].entry.address.as_deref(), Some("10.0.0.1"));
    let older = store.audit_log(Some(log[2].id), 2).await.unwrap();
    assert_eq!(
        older.iter().map(|r| r.id).collect::<Vec<_>>(),
        [log[3].id, log[4].id],
        "paged by id"
    );
}

async fn five_wrong_passwords_lock_and_a_sign_in_clears_the_count(store: &dyn Store) {
    let add = PersonChange::Add {
        name: "ada".into(),
        role: "operator".into(),
        password_hash: "$argon2id$x".into(),
    };
    store
        .change_person(add, audit("cli:root", "person_added", "command line"), 1)
        .await
        .unwrap();
    let failure = |name: &str| LoginFailure {
        name: name.into(),
        tries: 5,
        lock_for: 900_000,
        audit: audit(name, "login_failed", "10.0.0.9"),
        lockout: audit(name, "lockout", "10.0.0.9"),
    };
    // Two wrong, then a right one: the count starts again.
    for at in [10, 11] {
        assert_eq!(store.login_failed(failure("ada"), at).await.unwrap(), None);
    }
    assert_eq!(store.person("ada").await.unwrap().unwrap().failed_logins, 2);
    let session = SessionRow {
        id_hash: "s".into(),
        person: "ada".into(),
        created_at: 12,
        expires_at: 1_000,
    };
    store
        .open_session(session, audit("ada", "login", "10.0.0.9"), 12)
        .await
        .unwrap();
    assert_eq!(store.person("ada").await.unwrap().unwrap().failed_logins, 0);
    for at in 20..24 {
        assert_eq!(store.login_failed(failure("ada"), at).await.unwrap(), None);
    }
    assert_eq!(
        store.login_failed(failure("ada"), 24).await.unwrap(),
        Some(900_024),
        "the fifth in a row locks"
    );
    let person = store.person("ada").await.unwrap().unwrap();
    assert_eq!(
        (person.failed_logins, person.locked_until),
        (0, Some(900_024))
    );
    // A name nobody has is counted by address only.
    assert_eq!(store.login_failed(failure("eve"), 25).await.unwrap(), None);
    assert_eq!(
        store.login_failures_from("10.0.0.9", 10).await.unwrap(),
        (7, Some(11)),
        "failures after the time asked, with the oldest"
    );
    assert_eq!(
        store.login_failures_from("10.0.0.8", 0).await.unwrap(),
        (0, None)
    );
    let lockouts = store
        .audit_log(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action == "lockout")
        .count();
    assert_eq!(lockouts, 1);
}

#[tokio::test]
async fn state_survives_reopening_and_migrations_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    {
        let store = SqliteStore::open(&path, false).unwrap();
        store.accept(vec![message("m1", "c")], 1).await.unwrap();
        let d = store.deploy("abc".into(), "{}".into(), 5).await.unwrap();
        assert_eq!(
            store.deploy("abc".into(), "{}".into(), 6).await.unwrap().id,
            d.id,
            "same digest"
        );
        assert_eq!(store.meta("anchor", "7".into()).await.unwrap(), "7");
        store.close();
    }
    let store = SqliteStore::open(&path, false).unwrap();
    assert_eq!(store.stats().await.unwrap().inbox, 1);
    assert_eq!(store.deployments().await.unwrap().len(), 1);
    assert_eq!(store.meta("anchor", "8".into()).await.unwrap(), "7", "kept");
    let conn = rusqlite_version(&path);
    assert_eq!(conn, 8, "every migration applied");
}

fn rusqlite_version(path: &std::path::Path) -> i64 {
    // The schema version is SQLite's user_version; read it with the sqlite3 file
    // header (offset 60, big-endian) to avoid a second driver in the test.
    let bytes = std::fs::read(path).unwrap();
    i64::from(u32::from_be_bytes(bytes[60..64].try_into().unwrap()))
}

/// A contact handed off to `queue` by a step at `now`.
async fn hand_off(store: &dyn Store, contact: &str, queue: &str, now: Millis) {
    store
        .accept(vec![message(&format!("m-{contact}-{now}"), contact)], now)
        .await
        .unwrap();
    let (event, row) = store.next_event(contact).await.unwrap().unwrap();
    let mut commit = step(contact, row.map_or(0, |r| r.version), event.id);
    commit.contact.handoff = Some(queue.into());
    commit.contact.handoff_note = Some("asked for a nurse".into());
    commit.contact.last_inbound_at = Some(now);
    commit.inbox_change = true;
    store.commit_step(commit, now).await.unwrap();
}

async fn the_inbox_lists_assigns_notes_labels_and_feeds_changes(store: &dyn Store) {
    assert_eq!(store.last_inbox_change().await.unwrap(), 0);
    hand_off(store, "b", "nurses", 2_000).await;
    hand_off(store, "a", "nurses", 1_000).await;
    let inbox = store.inbox().await.unwrap();
    let order: Vec<_> = inbox.iter().map(|i| i.contact.as_str()).collect();
    assert_eq!(order, ["a", "b"], "longest waiting first");
    assert_eq!(inbox[0].queue, "nurses");
    assert_eq!(inbox[0].assignee, None);
    assert_eq!(inbox[0].last_inbound_at, Some(1_000));
    let changes = store.inbox_changes(0, 10).await.unwrap();
    assert_eq!(changes.len(), 2, "each step that hands off is fed");
    let last = store.last_inbox_change().await.unwrap();
    assert_eq!(last, changes[1].0);

    let assign = |since, assignee: Option<&str>| InboxChange::Assign {
        since,
        queue: "counsellors".into(),
        assignee: assignee.map(str::to_owned),
    };
    let who = audit("ada", "assign", "10.0.0.1");
    assert!(
        !store
            .change_inbox("a", assign(999, Some("ada")), who.clone(), 3_000)
            .await
            .unwrap(),
        "another handoff than the one read: refused"
    );
    assert!(
        store
            .change_inbox("a", assign(1_000, Some("ada")), who.clone(), 3_000)
            .await
            .unwrap()
    );
    let a = store.inbox_item("a").await.unwrap().unwrap();
    assert_eq!(
        (a.queue.as_str(), a.assignee.as_deref()),
        ("counsellors", Some("ada"))
    );
    assert_eq!(store.inbox_item("nobody").await.unwrap(), None);
    let changes = store.inbox_changes(last, 10).await.unwrap();
    assert_eq!(changes, vec![(changes[0].0, "a".to_owned())]);

    let note = InboxChange::Note {
        author: "ada".into(),
        text: "mother is worried; call back".into(),
    };
    assert!(
        store
            .change_inbox("a", note, who.clone(), 4_000)
            .await
            .unwrap()
    );
    let notes = store.notes("a").await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].author.as_str(), notes[0].at), ("ada", 4_000));
    for change in [
        InboxChange::AddLabel("fever".into()),
        InboxChange::AddLabel("fever".into()),
        InboxChange::AddLabel("baby".into()),
        InboxChange::RemoveLabel("baby".into()),
    ] {
        store
            .change_inbox("a", change, who.clone(), 5_000)
            .await
            .unwrap();
    }
    let view = store.contact("a").await.unwrap().unwrap();
    assert_eq!(view.labels, ["fever"], "added once, removed");
    // An agent's command goes to the contact's inbox with its audit row.
    let queued = InboxChange::Event {
        kind: "command".into(),
        payload: r#"{"kind":"return"}"#.into(),
    };
    assert!(
        store
            .change_inbox("a", queued, who.clone(), 5_500)
            .await
            .unwrap()
    );
    let (event, _) = store.next_event("a").await.unwrap().unwrap();
    assert_eq!(
        (event.kind.as_str(), event.payload.as_str()),
        ("command", r#"{"kind":"return"}"#)
    );
    let log = store.audit_log(None, 100).await.unwrap();
    assert_eq!(log.len(), 7, "every change audited, the refused one not");

    // The contact goes back to the bot and later asks again: a new handoff, unassigned.
    store
        .accept(vec![message("m-a-back", "a")], 6_000)
        .await
        .unwrap();
    let (event, row) = store.next_event("a").await.unwrap().unwrap();
    let mut back = step("a", row.unwrap().version, event.id);
    back.inbox_change = true;
    store.commit_step(back, 6_000).await.unwrap();
    assert_eq!(store.inbox_item("a").await.unwrap(), None);
    hand_off(store, "a", "nurses", 7_000).await;
    let a = store.inbox_item("a").await.unwrap().unwrap();
    assert_eq!(
        (a.queue.as_str(), a.assignee, a.since),
        ("nurses", None, 7_000)
    );
}

/// A database of the version before the people (2) moves forward, its state kept.
#[tokio::test]
async fn a_database_from_before_the_people_migrates_forward() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    {
        let store = SqliteStore::open(&path, false).unwrap();
        store.accept(vec![message("m1", "c")], 1).await.unwrap();
        store.close();
    }
    {
        // Version 2 is today's schema without what migrations 3 to 8 add.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE people; DROP TABLE console_sessions; DROP TABLE audit_log; \
             DROP TABLE handoff_assignments; DROP TABLE notes; DROP TABLE inbox_changes; \
             DROP TABLE queue_turns; DROP TABLE broadcasts; DROP TABLE broadcast_queue; \
             DROP TRIGGER contact_fields_insert; DROP TRIGGER contact_fields_update; \
             DROP TRIGGER contact_fields_delete; DROP TABLE contact_fields; \
             DROP INDEX labels_label; DROP INDEX contacts_opted_out; \
             DROP TABLE handoff_history; DROP TABLE card_visits; DROP TABLE journey_places; \
             DROP TABLE contact_days; DROP INDEX outbox_report; DROP INDEX results_at; \
             ALTER TABLE outbox DROP COLUMN origin; \
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path, false).unwrap();
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8);
    assert_eq!(store.stats().await.unwrap().inbox, 1, "state kept");
    assert!(store.people().await.unwrap().is_empty());
    // `journey users` beside a running server: no lock taken, the same data.
    let beside = SqliteStore::open_beside(&path).unwrap();
    assert_eq!(beside.stats().await.unwrap().inbox, 1);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    drop(SqliteStore::open(&path, false).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(&path, bytes).unwrap();
    let error = SqliteStore::open(&path, false).err().unwrap();
    assert!(error.contains("schema version 99"), "{error}");
}

/// Two handles on one schema stand for two `journey serve` processes.
async fn two_processes(test: &str) -> Option<(Arc<PgStore>, Arc<PgStore>)> {
    let first = postgres(test).await?;
    let url = std::env::var("JOURNEY_TEST_DATABASE_URL").unwrap();
    let second = PgStore::open(&url, first.schema()).await.unwrap();
    Some((first, second))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
async fn postgres_one_of_two_racing_steps_commits() {
    let Some((a, b)) = two_processes("one_of_two_racing_steps_commits").await else {
        return;
    };
    for round in 0..20 {
        let contact = format!("c{round}");
        a.accept(vec![message(&format!("m{round}"), &contact)], 1)
            .await
            .unwrap();
        let (event, _) = a.next_event(&contact).await.unwrap().unwrap();
        let (left, right) = tokio::join!(
            a.commit_step(step(&contact, 0, event.id), 2),
            b.commit_step(step(&contact, 0, event.id), 2)
        );
        let outcomes = [left, right];
        assert_eq!(
            outcomes.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {outcomes:?}"
        );
        assert!(outcomes.contains(&Err(StoreError::Conflict)));
        let view = a.contact(&contact).await.unwrap().unwrap();
        assert_eq!((view.row.version, view.journal.len()), (1, 1));
    }
    a.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
async fn postgres_processes_fire_each_timer_and_claim_each_row_once() {
    let Some((a, b)) = two_processes("processes_fire_each_timer_and_claim_each_row_once").await
    else {
        return;
    };
    let contacts: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
    let intake = contacts
        .iter()
        .map(|c| message(&format!("m-{c}"), c))
        .collect();
    a.accept(intake, 1).await.unwrap();
    for contact in &contacts {
        let (event, _) = a.next_event(contact).await.unwrap().unwrap();
        let mut commit = step(contact, 0, event.id);
        for n in 0..4 {
            commit.timers.push(TimerOp::Schedule {
                run: 1,
                timer: format!("t{n}"),
                target: r#""Timeout""#.into(),
                fire_at: 100 + n,
            });
        }
        commit.outbox.push(NewOutbox {
            kind: "message".into(),
            body: "hello".into(),
            by_contact: true,
            not_before: 0,
        });
        a.commit_step(commit, 2).await.unwrap();
    }
    // Both processes fire and claim at once, in small batches, until nothing is left.
    async fn drain(store: &PgStore) -> (usize, Vec<i64>) {
        let (mut fired, mut claimed) = (0, Vec::new());
        loop {
            let contacts = store.fire_due_timers(1_000, 7).await.unwrap();
            let rows = store.claim_outbox(1_000, 60_000, 7).await.unwrap();
            if contacts.is_empty() && rows.is_empty() {
                return (fired, claimed);
            }
            fired += contacts.len();
            claimed.extend(rows.iter().map(|r| r.id));
        }
    }
    let ((_, mut left), (_, right)) = tokio::join!(drain(&a), drain(&b));
    left.extend(right);
    let claimed = left.len();
    left.sort();
    left.dedup();
    assert_eq!((claimed, left.len()), (50, 50), "each row claimed once");
    let stats = a.stats().await.unwrap();
    assert_eq!(stats.timers_pending, 0);
    // Every timer reached its contact's inbox exactly once: 4 each.
    for contact in &contacts {
        let view = a.contact(contact).await.unwrap().unwrap();
        assert_eq!(view.pending_events, 4, "{contact}");
    }
    a.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
async fn postgres_migrates_once_and_refuses_a_newer_schema() {
    let Some(store) = postgres("migrates_once_and_refuses_a_newer_schema").await else {
        return;
    };
    let url = std::env::var("JOURNEY_TEST_DATABASE_URL").unwrap();
    // Reopening (a second process starting) keeps the data and does not migrate again.
    store.accept(vec![message("m1", "c")], 1).await.unwrap();
    let again = PgStore::open(&url, store.schema()).await.unwrap();
    assert_eq!(again.stats().await.unwrap().inbox, 1);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "UPDATE {}.schema_version SET version = 99",
            store.schema()
        ))
        .await
        .unwrap();
    let error = PgStore::open(&url, store.schema()).await.err().unwrap();
    assert!(error.contains("version 99"), "{error}");
    // A schema of the version before the people (2) moves forward, its state kept.
    client
        .batch_execute(&format!(
            "SET search_path = {}; DROP TABLE people; DROP TABLE console_sessions; \
             DROP TABLE audit_log; DROP TABLE handoff_assignments; DROP TABLE notes; \
             DROP TABLE inbox_changes; DROP TABLE queue_turns; DROP TABLE broadcasts; \
             DROP TABLE broadcast_queue; DROP INDEX labels_label; DROP INDEX contacts_opted_out; \
             DROP INDEX contacts_id_pattern; DROP INDEX contacts_fields; \
             DROP TABLE handoff_history; DROP TABLE card_visits; DROP TABLE journey_places; \
             DROP TABLE contact_days; DROP INDEX outbox_report; DROP INDEX results_at; \
             ALTER TABLE outbox DROP COLUMN origin; \
             UPDATE schema_version SET version = 2",
            store.schema()
        ))
        .await
        .unwrap();
    let forward = PgStore::open(&url, store.schema()).await.unwrap();
    assert_eq!(forward.stats().await.unwrap().inbox, 1, "state kept");
    assert!(forward.people().await.unwrap().is_empty());
    let version: i64 = client
        .query_one(
            &format!("SELECT version FROM {}.schema_version", store.schema()),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, 8);
    // The database's clock is the one every process reads.
    let now = store.now().await.unwrap();
    let local = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now - local).abs() < 60_000, "db {now} vs local {local}");
    store.drop_schema().await.unwrap();
}

/// Two nurses with room for one conversation each, round-robin.
fn nurses(open: bool) -> QueueAssignment {
    QueueAssignment {
        queue: "nurses".into(),
        agents: vec!["olu".into(), "nia".into()],
        strategy: Strategy::RoundRobin,
        capacity: 1,
        open,
        busy: Some(r#"{"Text":{"body":"busy"}}"#.into()),
        out_of_hours: Some(r#"{"Text":{"body":"closed"}}"#.into()),
    }
}

/// The outbox rows of a contact by idempotency key.
async fn notices(store: &dyn Store, contact: &str) -> Vec<String> {
    let view = store.contact(contact).await.unwrap().unwrap();
    view.outbox.into_iter().map(|o| o.idem_key).collect()
}

async fn queues_are_assigned_by_their_rules(store: &dyn Store) {
    // Closed: nobody is assigned; the out-of-hours message is queued once.
    hand_off(store, "a", "nurses", 1_000).await;
    let closed = store.assign_queue(nurses(false), 1_500).await.unwrap();
    assert_eq!(
        (closed.assigned.len(), closed.notified),
        (0, vec!["a".to_owned()])
    );
    let again = store.assign_queue(nurses(false), 1_600).await.unwrap();
    assert_eq!(again, AssignOutcome::default(), "said once");
    assert_eq!(notices(store, "a").await, ["a:out-of-hours:1000"]);

    // Open: a to Olu, b to Nia; c waits and hears everyone is busy, once.
    hand_off(store, "b", "nurses", 2_000).await;
    hand_off(store, "c", "nurses", 3_000).await;
    hand_off(store, "x", "counsellors", 3_500).await;
    let open = store.assign_queue(nurses(true), 4_000).await.unwrap();
    assert_eq!(
        open.assigned,
        [
            ("a".to_owned(), "olu".to_owned()),
            ("b".to_owned(), "nia".to_owned())
        ]
    );
    assert_eq!(open.notified, ["c"]);
    let again = store.assign_queue(nurses(true), 4_100).await.unwrap();
    assert_eq!(again, AssignOutcome::default());
    assert_eq!(notices(store, "c").await, ["c:busy:3000"]);
    assert_eq!(
        store.inbox_item("x").await.unwrap().unwrap().assignee,
        None,
        "another queue"
    );

    // An operator unassigns b by hand and takes c: the rules respect both.
    let by_hand = |assignee: Option<&str>, since| InboxChange::Assign {
        since,
        queue: "nurses".into(),
        assignee: assignee.map(Into::into),
    };
    let entry = audit("nia", "assign", "10.0.0.1");
    assert!(
        store
            .change_inbox("c", by_hand(Some("nia"), 3_000), entry.clone(), 4_200)
            .await
            .unwrap()
    );
    assert!(
        store
            .change_inbox("b", by_hand(None, 2_000), entry, 4_300)
            .await
            .unwrap()
    );
    // Nia has c and Olu has a: b waits now, and hears so (it was never told before).
    let full = store.assign_queue(nurses(true), 4_400).await.unwrap();
    assert_eq!(
        (full.assigned.len(), full.notified),
        (0, vec!["b".to_owned()])
    );

    // a's handoff ends: Olu is free, and b (waiting longest) goes to Olu.
    store
        .accept(vec![message("m-a-back", "a")], 5_000)
        .await
        .unwrap();
    let (event, row) = store.next_event("a").await.unwrap().unwrap();
    let mut back = step("a", row.unwrap().version, event.id);
    back.inbox_change = true;
    store.commit_step(back, 5_000).await.unwrap();
    let freed = store.assign_queue(nurses(true), 5_100).await.unwrap();
    assert_eq!(freed.assigned, [("b".to_owned(), "olu".to_owned())]);
    assert_eq!(
        store
            .inbox_item("c")
            .await
            .unwrap()
            .unwrap()
            .assignee
            .as_deref(),
        Some("nia")
    );

    // Every automatic assignment is audited, by the rules.
    let log = store.audit_log(None, 100).await.unwrap();
    let automatic: Vec<(Option<String>, String)> = log
        .into_iter()
        .filter(|r| r.entry.action == "auto_assign")
        .map(|r| (r.entry.subject, r.entry.detail))
        .rev()
        .collect();
    let detail = |agent: &str| {
        format!("assigned to {agent} in queue nurses (round-robin, at most 1 at once)")
    };
    assert_eq!(
        automatic,
        [
            (Some("a".to_owned()), detail("olu")),
            (Some("b".to_owned()), detail("nia")),
            (Some("b".to_owned()), detail("olu")),
        ]
    );
}

/// Two processes passing over one queue at once, again and again, assign each handoff
/// once, never beyond capacity, and queue each busy message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
async fn postgres_processes_assign_each_handoff_once() {
    let Some((a, b)) = two_processes("processes_assign_each_handoff_once").await else {
        return;
    };
    for i in 0..30 {
        hand_off(&*a, &format!("c{i:02}"), "nurses", 1_000 + i).await;
    }
    let rules = QueueAssignment {
        agents: (0..4).map(|i| format!("agent{i}")).collect(),
        capacity: 5,
        ..nurses(true)
    };
    let mut passes = Vec::new();
    for round in 0..8 {
        let (a, b, rules) = (a.clone(), b.clone(), rules.clone());
        passes.push(tokio::spawn(async move {
            let (left, right) = tokio::join!(
                a.assign_queue(rules.clone(), 2_000 + round),
                b.assign_queue(rules, 2_000 + round)
            );
            [left.unwrap(), right.unwrap()]
        }));
    }
    let mut assigned = Vec::new();
    let mut notified = Vec::new();
    for pass in passes {
        for outcome in pass.await.unwrap() {
            assigned.extend(outcome.assigned);
            notified.extend(outcome.notified);
        }
    }
    assert_eq!(assigned.len(), 20, "four agents, five each: {assigned:?}");
    let mut contacts: Vec<&String> = assigned.iter().map(|(c, _)| c).collect();
    contacts.sort();
    contacts.dedup();
    assert_eq!(contacts.len(), 20, "no handoff twice");
    for agent in &rules.agents {
        assert_eq!(
            assigned.iter().filter(|(_, a)| a == agent).count(),
            5,
            "{agent}"
        );
    }
    notified.sort();
    let waiting: Vec<String> = (20..30).map(|i| format!("c{i:02}")).collect();
    assert_eq!(
        notified, waiting,
        "the twenty longest waiting are assigned; the rest are told once"
    );
    let inbox = a.inbox().await.unwrap();
    assert_eq!(inbox.iter().filter(|i| i.assignee.is_some()).count(), 20);
    a.drop_schema().await.unwrap();
}

fn text(value: &str) -> String {
    format!(r#"{{"Text":"{value}"}}"#)
}

fn import(id: &str, fields: &[(&str, String)], labels: &[&str]) -> ContactImport {
    ContactImport {
        id: id.into(),
        fields: fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
        opted_out: None,
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
    }
}

fn ids(found: &[ContactListing]) -> Vec<&str> {
    found.iter().map(|c| c.row.id.as_str()).collect()
}

async fn contacts_import_all_at_once_and_are_found_by_prefix_field_label_and_opt_out(
    store: &dyn Store,
) {
    // A contact the bot already knows keeps what the import does not set.
    store
        .accept(vec![message("m1", "2782000003")], 1)
        .await
        .unwrap();
    let (event, _) = store.next_event("2782000003").await.unwrap().unwrap();
    let mut known = step("2782000003", 0, event.id);
    known.contact.fields = format!(
        r#"{{"name":{},"clinic":{}}}"#,
        text("Thandi"),
        text("Soweto")
    );
    store.commit_step(known, 2).await.unwrap();

    let mut opted_out = import("2782000002", &[("name", text("Lerato"))], &[]);
    opted_out.opted_out = Some(true);
    let count = store
        .import_contacts(
            vec![
                import(
                    "2782000001",
                    &[("name", text("Ann")), ("clinic", text("Soweto"))],
                    &["vip"],
                ),
                opted_out,
                import("2782000003", &[("name", text("Thandi M"))], &["vip"]),
                import("2799000001", &[("due date", text("2025-01-31"))], &[]),
            ],
            audit("ann", "contacts_imported", "127.0.0.1"),
            3,
        )
        .await
        .unwrap();
    assert_eq!(
        count,
        ImportCount {
            created: 3,
            updated: 1
        }
    );
    let row = store.contact_row("2782000003").await.unwrap().unwrap();
    assert_eq!(row.version, 2, "an update moves the fence");
    assert!(
        row.fields.contains("Thandi M") && row.fields.contains("Soweto"),
        "{}",
        row.fields
    );
    assert_eq!(
        store
            .contact_row("2782000001")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
    let log = store.audit_log(None, 10).await.unwrap();
    assert_eq!(log[0].entry.action, "contacts_imported");

    let search = |query: ContactQuery| async move {
        store
            .search_contacts(ContactQuery { limit: 10, ..query })
            .await
            .unwrap()
    };
    let all = search(ContactQuery::default()).await;
    assert_eq!(
        ids(&all),
        ["2782000001", "2782000002", "2782000003", "2799000001"]
    );
    assert_eq!(all[0].labels, ["vip"]);
    let prefix = search(ContactQuery {
        prefix: Some("2782".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&prefix), ["2782000001", "2782000002", "2782000003"]);
    let soweto = search(ContactQuery {
        field: Some(("clinic".into(), text("Soweto"))),
        ..Default::default()
    })
    .await;
    assert_eq!(
        ids(&soweto),
        ["2782000001", "2782000003"],
        "imported and stepped fields alike"
    );
    let spaced = search(ContactQuery {
        field: Some(("due date".into(), text("2025-01-31"))),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&spaced), ["2799000001"]);
    let vip = search(ContactQuery {
        label: Some("vip".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&vip), ["2782000001", "2782000003"]);
    let out = search(ContactQuery {
        opted_out: Some(true),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&out), ["2782000002"]);
    let both = search(ContactQuery {
        prefix: Some("2782".into()),
        label: Some("vip".into()),
        opted_out: Some(false),
        after: Some("2782000001".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&both), ["2782000003"], "filters and the cursor combine");
    let page = store
        .search_contacts(ContactQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&page), ["2782000001", "2782000002"]);

    // Importing again updates: a label is added once, the field index follows.
    let again = store
        .import_contacts(
            vec![import("2782000001", &[("name", text("Ann B"))], &["vip"])],
            audit("ann", "contacts_imported", "127.0.0.1"),
            4,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        ImportCount {
            created: 0,
            updated: 1
        }
    );
    let vip = search(ContactQuery {
        label: Some("vip".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(vip[0].labels, ["vip"], "a label is added once");
    let old_name = search(ContactQuery {
        field: Some(("name".into(), text("Ann"))),
        ..Default::default()
    })
    .await;
    assert!(old_name.is_empty(), "the field index follows the update");
}

async fn a_recent_contact_reads_only_the_last_journal_entries(store: &dyn Store) {
    for n in 0..5_i64 {
        store
            .accept(vec![message(&format!("m{n}"), "c")], 10 * n)
            .await
            .unwrap();
        let (event, _) = store.next_event("c").await.unwrap().unwrap();
        let mut commit = step("c", n, event.id);
        commit.outbox.push(NewOutbox {
            kind: "message".into(),
            body: format!("reply {n}"),
            by_contact: true,
            not_before: 10 * n,
        });
        store.commit_step(commit, 10 * n).await.unwrap();
    }
    let recent = store.recent_contact("c", 2).await.unwrap().unwrap();
    let versions: Vec<i64> = recent.journal.iter().map(|j| j.version).collect();
    assert_eq!(versions, [4, 5], "the last two, oldest first");
    let bodies: Vec<&str> = recent.outbox.iter().map(|o| o.body.as_str()).collect();
    assert_eq!(bodies, ["reply 3", "reply 4"], "only what those steps sent");
    let whole = store.contact("c").await.unwrap().unwrap();
    assert_eq!((whole.journal.len(), whole.outbox.len()), (5, 5));
    let short = store.recent_contact("c", 50).await.unwrap().unwrap();
    assert_eq!(
        short.outbox.len(),
        5,
        "fewer entries than asked: everything"
    );
    assert!(store.recent_contact("nobody", 2).await.unwrap().is_none());
}

/// A step of `contact` at `now` that the reports count: `visits` in journey `J`.
async fn reported_step(
    store: &dyn Store,
    contact: &str,
    now: Millis,
    edit: impl FnOnce(&mut StepCommit),
) {
    store
        .accept(vec![message(&format!("m-{contact}-{now}"), contact)], now)
        .await
        .unwrap();
    let (event, row) = store.next_event(contact).await.unwrap().unwrap();
    let mut commit = step(contact, row.as_ref().map_or(0, |r| r.version), event.id);
    if let Some(row) = row {
        commit.contact = ContactRow { version: 0, ..row };
    }
    edit(&mut commit);
    store.commit_step(commit, now).await.unwrap();
}

fn visits(cards: &[&str]) -> Vec<(String, String)> {
    cards
        .iter()
        .map(|c| ("J".to_owned(), (*c).to_owned()))
        .collect()
}

fn counts(cards: &[CardCount]) -> Vec<(&str, i64, i64)> {
    cards
        .iter()
        .map(|c| (c.card.as_str(), c.reached, c.stopped))
        .collect()
}

async fn the_reports_read_what_steps_assignments_and_statuses_wrote(store: &dyn Store) {
    // Handoffs: `a` opened at 1 s, moved and assigned at 3 s, answered at 5 s (and
    // again at 6 s), closed at 9 s; `b` opened at 2 s and assigned by its queue's rules.
    hand_off(store, "a", "nurses", 1_000).await;
    hand_off(store, "b", "nurses", 2_000).await;
    let moved = InboxChange::Assign {
        since: 1_000,
        queue: "counsellors".into(),
        assignee: Some("ada".into()),
    };
    let who = audit("ada", "assign", "10.0.0.1");
    assert!(store.change_inbox("a", moved, who, 3_000).await.unwrap());
    let outcome = store.assign_queue(nurses(true), 4_000).await.unwrap();
    assert_eq!(outcome.assigned, [("b".to_owned(), "olu".to_owned())]);
    for at in [5_000, 6_000] {
        reported_step(store, "a", at, |c| {
            c.inbox_change = true;
            c.report.agent_reply = true;
            c.outbox.push(NewOutbox {
                kind: "message".into(),
                body: "{}".into(),
                by_contact: true,
                not_before: at,
            });
        })
        .await;
    }
    reported_step(store, "a", 9_000, |c| {
        c.contact.handoff = None;
        c.contact.handoff_note = None;
        c.inbox_change = true;
    })
    .await;
    let history = store.handoff_history(0, 10_000).await.unwrap();
    assert_eq!(
        history,
        [
            HandoffRecord {
                contact: "a".into(),
                queue: "counsellors".into(),
                since: 1_000,
                assignee: Some("ada".into()),
                assigned_at: Some(3_000),
                first_reply_at: Some(5_000),
                closed_at: Some(9_000),
            },
            HandoffRecord {
                contact: "b".into(),
                queue: "nurses".into(),
                since: 2_000,
                assignee: Some("olu".into()),
                assigned_at: Some(4_000),
                first_reply_at: None,
                closed_at: None,
            },
        ]
    );
    let later = store.handoff_history(1_500, 10_000).await.unwrap();
    assert_eq!(later.len(), 1, "opened in the range only");
    // A new handoff of `a` is a new row; the closed one stays.
    hand_off(store, "a", "nurses", 11_000).await;
    assert_eq!(store.handoff_history(0, 20_000).await.unwrap().len(), 3);

    // The funnel: `c` goes Start → Ask, then Ask → End; `d` Start → Ask.
    reported_step(store, "c", 1_000, |c| {
        c.report = StepReport {
            day: "2026-12-01".into(),
            messages: 1,
            started: 1,
            visits: visits(&["Start", "Ask"]),
            ..StepReport::default()
        };
        c.outbox.push(NewOutbox {
            kind: "message".into(),
            body: "{}".into(),
            by_contact: true,
            not_before: 1_000,
        });
        c.results.push(("score".into(), "3".into()));
    })
    .await;
    reported_step(store, "d", 1_500, |c| {
        c.report = StepReport {
            day: "2026-12-02".into(),
            messages: 1,
            started: 1,
            visits: visits(&["Start", "Ask"]),
            ..StepReport::default()
        };
        c.results.push(("score".into(), "5".into()));
    })
    .await;
    reported_step(store, "c", 2_000, |c| {
        c.report = StepReport {
            day: "2026-12-01".into(),
            messages: 1,
            finished: 1,
            visits: visits(&["Ask", "End"]),
            ..StepReport::default()
        };
        c.results.push(("done".into(), "true".into()));
    })
    .await;
    let all = store.funnel("J".into(), 0, 10_000).await.unwrap();
    assert_eq!(
        counts(&all),
        [("Ask", 2, 1), ("End", 1, 1), ("Start", 2, 0)]
    );
    let late = store.funnel("J".into(), 1_800, 10_000).await.unwrap();
    assert_eq!(
        counts(&late),
        [("Ask", 1, 0), ("End", 1, 1), ("Start", 0, 0)],
        "every card ever reached, counted in the range"
    );
    assert!(
        store
            .funnel("K".into(), 0, 10_000)
            .await
            .unwrap()
            .is_empty()
    );

    // Days: two messages of `c` on the first, `d` on the second.
    let days = store
        .activity("2026-12-01".into(), "2026-12-01".into())
        .await
        .unwrap();
    assert_eq!(
        days,
        [DayActivity {
            day: "2026-12-01".into(),
            contacts: 1,
            messages: 2,
            started: 1,
            finished: 1,
        }]
    );
    assert_eq!(
        store
            .activity("2026-11-30".into(), "2026-12-31".into())
            .await
            .unwrap()
            .len(),
        2
    );

    // Messages: the agent's two replies wait; the bot's one is sent and delivered.
    let claimed = store.claim_outbox(2_500, 60_000, 10).await.unwrap();
    let bot = claimed.iter().find(|r| r.contact == "c").unwrap();
    store
        .finish_outbox(
            vec![OutboxResult {
                id: bot.id,
                attempt: bot.attempts,
                outcome: OutboxOutcome::Sent {
                    provider_id: "wamid.C".into(),
                    reached: false,
                },
                event: None,
            }],
            2_500,
        )
        .await
        .unwrap();
    let delivered = Intake::Status {
        provider_id: "wamid.C".into(),
        callback: None,
        status: "delivered".into(),
        rank: 2,
        error: None,
    };
    // The agent's first reply (version 2 of `a`) is reported failed before it went.
    let failed = Intake::Status {
        provider_id: "wamid.none".into(),
        callback: Some("a:2:0".into()),
        status: "failed".into(),
        rank: 9,
        error: Some("131026".into()),
    };
    store.accept(vec![delivered, failed], 3_000).await.unwrap();
    let figures =
        |origin: &str, [total, pending, sent, delivered, read, failed]: [i64; 6]| MessageFigures {
            origin: origin.into(),
            total,
            pending,
            sent,
            delivered,
            read,
            failed,
        };
    assert_eq!(
        store.message_figures(0, 10_000).await.unwrap(),
        [
            figures("bot", [1, 0, 1, 1, 0, 0]),
            figures("agent", [2, 1, 0, 0, 0, 1]),
            figures("broadcast", [0; 6]),
        ]
    );
    assert!(
        store
            .message_figures(10_000, 20_000)
            .await
            .unwrap()
            .iter()
            .all(|f| f.total == 0)
    );

    // Results, oldest first, a page at a time, of one key or all.
    let page = |after, key: Option<&str>| ResultQuery {
        from: 0,
        to: 10_000,
        key: key.map(str::to_owned),
        after,
        limit: 2,
    };
    let first = store.results(page(None, None)).await.unwrap();
    let keys: Vec<(&str, &str, Millis)> = first
        .iter()
        .map(|r| (r.contact.as_str(), r.key.as_str(), r.at))
        .collect();
    assert_eq!(keys, [("c", "score", 1_000), ("d", "score", 1_500)]);
    let last = first.last().map(|r| (r.at, r.id));
    let rest = store.results(page(last, None)).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        (rest[0].key.as_str(), rest[0].value.as_str()),
        ("done", "true")
    );
    let scores = store.results(page(None, Some("score"))).await.unwrap();
    assert_eq!(scores.len(), 2);
    let from_later = ResultQuery {
        from: 1_200,
        ..page(None, Some("score"))
    };
    assert_eq!(store.results(from_later).await.unwrap().len(), 1);
}
