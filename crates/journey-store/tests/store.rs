//! The SQLite store's guarantees, one test each.

use std::sync::Arc;

use journey_store::*;

fn open() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("journey.db")).unwrap();
    (dir, store)
}

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

#[tokio::test]
async fn inbound_is_deduplicated_by_provider_id() {
    let (_dir, store) = open();
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

#[tokio::test]
async fn a_step_is_fenced_by_version_and_consumes_its_event_once() {
    let (_dir, store) = open();
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

#[tokio::test]
async fn timers_fire_once_in_order_and_never_early() {
    let (_dir, store) = open();
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

#[tokio::test]
async fn outbox_goes_one_row_per_contact_in_order_with_leases() {
    let (_dir, store) = open();
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

#[tokio::test]
async fn state_survives_reopening_and_migrations_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    {
        let store = SqliteStore::open(&path).unwrap();
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
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.stats().await.unwrap().inbox, 1);
    assert_eq!(store.deployments().await.unwrap().len(), 1);
    assert_eq!(store.meta("anchor", "8".into()).await.unwrap(), "7", "kept");
    let conn = rusqlite_version(&path);
    assert_eq!(conn, 1);
}

fn rusqlite_version(path: &std::path::Path) -> i64 {
    // The schema version is SQLite's user_version; read it with the sqlite3 file
    // header (offset 60, big-endian) to avoid a second driver in the test.
    let bytes = std::fs::read(path).unwrap();
    i64::from(u32::from_be_bytes(bytes[60..64].try_into().unwrap()))
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    drop(SqliteStore::open(&path).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(&path, bytes).unwrap();
    let error = SqliteStore::open(&path).err().unwrap();
    assert!(error.contains("schema version 99"), "{error}");
}
