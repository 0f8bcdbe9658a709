//! How the inbox's reads behave with 100,000 contacts and 1,000 open handoffs
//! (BENCHMARKS.md, issue 16's load target: list and conversation under 200 ms p95): the
//! store calls behind `/console/api/queues` and `/console/api/conversations/{id}`, timed
//! on SQLite and on PostgreSQL (`JOURNEY_TEST_DATABASE_URL`). A measurement, so it runs
//! only when asked:
//! `cargo test -p journey-store --test inbox_scale -- --ignored --nocapture --test-threads=1`.

use std::time::Instant;

use journey_store::*;

mod timing;
use timing::p95;

const CONTACTS: usize = 100_000;
const HANDOFFS: usize = 1_000;
/// The journal of the contact whose conversation is opened: far longer than the
/// 200 entries the conversation view reads.
const LONG_JOURNAL: i64 = 2_000;
/// What the conversation view reads (`CONVERSATION_ENTRIES` in the server's inbox).
const CONVERSATION_ENTRIES: usize = 200;

fn contact_id(n: usize) -> String {
    format!("2782{n:07}")
}

async fn load_contacts(store: &dyn Store) {
    let contacts = (0..CONTACTS)
        .map(|n| ContactImport {
            id: contact_id(n),
            fields: vec![("name".into(), format!(r#"{{"Text":"Contact {n}"}}"#))],
            opted_out: Some(false),
            labels: vec![],
        })
        .collect();
    store
        .import_contacts(contacts, AuditEntry::default(), 1)
        .await
        .unwrap();
}

/// One step of `contact` that consumes a new message at `now`, sends a reply, and hands
/// the contact to `queue` when there is one.
async fn step(store: &dyn Store, contact: &str, queue: Option<&str>, now: Millis) {
    store
        .accept(
            vec![Intake::Message {
                provider_id: format!("m-{contact}-{now}"),
                contact: contact.into(),
                payload: r#"{"text":{"body":"I need a nurse"}}"#.into(),
            }],
            now,
        )
        .await
        .unwrap();
    let (event, row) = store.next_event(contact).await.unwrap().unwrap();
    let row = row.expect("an imported contact");
    let commit = StepCommit {
        expected_version: row.version,
        consumed: event.id,
        contact: ContactRow {
            handoff: queue.map(Into::into),
            handoff_note: queue.map(|_| "asked for a nurse".into()),
            last_inbound_at: Some(now),
            ..row
        },
        journal: JournalEntry {
            kind: "message".into(),
            event: event.payload,
            effects: r#"{"actions":[]}"#.into(),
        },
        outbox: vec![NewOutbox {
            kind: "message".into(),
            body: r#"{"Text":{"body":"A nurse will answer soon."}}"#.into(),
            by_contact: true,
            not_before: now,
        }],
        inbox_change: queue.is_some(),
        ..StepCommit::default()
    };
    store.commit_step(commit, now).await.unwrap();
}

async fn measure(store: &dyn Store, name: &str) {
    let start = Instant::now();
    load_contacts(store).await;
    // Every 100th contact waits for a person; the first has a long history.
    for (k, n) in (0..CONTACTS).step_by(CONTACTS / HANDOFFS).enumerate() {
        step(store, &contact_id(n), Some("nurses"), 10 + k as i64).await;
    }
    let talker = contact_id(0);
    for t in 0..LONG_JOURNAL {
        step(store, &talker, Some("nurses"), 10_000 + t).await;
    }
    println!("{name}: loaded in {:?}", start.elapsed());

    let inbox = store.inbox().await.unwrap();
    assert_eq!(inbox.len(), HANDOFFS);
    let list = p95(|| async { store.inbox().await.unwrap() }).await;
    let conversation = p95(|| async {
        let view = store
            .recent_contact(&talker, CONVERSATION_ENTRIES)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.journal.len(), CONVERSATION_ENTRIES);
        store.inbox_item(&talker).await.unwrap().unwrap();
        store.notes(&talker).await.unwrap();
    })
    .await;
    println!(
        "{name}: queues (1,000 open handoffs) p95 {:.1} ms; a conversation of {LONG_JOURNAL} \
         steps (the last {CONVERSATION_ENTRIES} read) p95 {:.1} ms",
        list.as_secs_f64() * 1000.0,
        conversation.as_secs_f64() * 1000.0
    );
}

#[tokio::test]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture"]
async fn the_inbox_among_100_000_contacts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("journey.db"), false).unwrap();
    measure(&*store, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture, with JOURNEY_TEST_DATABASE_URL"]
async fn the_inbox_among_100_000_contacts_on_postgres() {
    let Ok(url) = std::env::var("JOURNEY_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED on PostgreSQL: JOURNEY_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("journey_inbox_scale_{}", std::process::id());
    let store = PgStore::open(&url, &schema).await.unwrap();
    measure(&*store, "postgres").await;
    store.drop_schema().await.unwrap();
}
