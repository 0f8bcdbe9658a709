//! How the console's reports behave with 100,000 contacts (BENCHMARKS.md; issue 16's
//! load target, 200 ms p95 like the inbox): every contact steps through a journey over
//! 30 days by the real step commit (card visits, daily activity, an outbox row, a
//! result), every 7th is handed off and half of those answered and closed; then each
//! report's store call is timed on SQLite and on PostgreSQL (`JOURNEY_TEST_DATABASE_URL`).
//! A measurement, so it runs only when asked:
//! `cargo test -p journey-store --test reports_scale -- --ignored --nocapture --test-threads=1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use journey_store::*;

mod timing;
use timing::p95;

const CONTACTS: usize = 100_000;
/// Days the activity is spread over: a 7-day report reads about a quarter of it.
const DAYS: usize = 30;
const DAY: Millis = 86_400_000;
/// 2026-11-01T00:00:00Z, the first day.
const START: Millis = 1_793_491_200_000;
/// The journey's cards, in order; contact `n` goes as far as card `1 + n % 5`.
const CARDS: [&str; 6] = ["Start", "Age", "Due", "Clinic", "Reminders", "Done"];
/// Steps committed at once (the writer groups them, as under real load).
const CONCURRENT: usize = 256;

fn contact_id(n: usize) -> String {
    format!("2782{n:07}")
}

/// When contact `n` writes in: spread evenly over the days.
fn at(n: usize) -> Millis {
    START + (n % DAYS) as Millis * DAY + (n / DAYS) as Millis * 20
}

fn day(n: usize) -> String {
    format!("2026-11-{:02}", 1 + n % DAYS)
}

/// One step of contact `n` at `now` with what `edit` adds.
async fn step(
    store: Arc<dyn Store>,
    contact: String,
    now: Millis,
    edit: impl FnOnce(&mut StepCommit),
) {
    store
        .accept(
            vec![Intake::Message {
                provider_id: format!("m-{contact}-{now}"),
                contact: contact.clone(),
                payload: r#"{"text":{"body":"hi"}}"#.into(),
            }],
            now,
        )
        .await
        .unwrap();
    let (event, row) = store.next_event(&contact).await.unwrap().unwrap();
    let mut commit = StepCommit {
        expected_version: row.as_ref().map_or(0, |r| r.version),
        consumed: event.id,
        contact: row.unwrap_or(ContactRow {
            id: contact.clone(),
            fields: "{}".into(),
            ..ContactRow::default()
        }),
        journal: JournalEntry {
            kind: "message".into(),
            event: event.payload,
            effects: r#"{"actions":[]}"#.into(),
        },
        outbox: vec![NewOutbox {
            kind: "message".into(),
            body: r#"{"Text":{"body":"Thanks."}}"#.into(),
            by_contact: true,
            not_before: now,
        }],
        ..StepCommit::default()
    };
    edit(&mut commit);
    store.commit_step(commit, now).await.unwrap();
}

/// Runs the steps `make` gives for `contacts`, `CONCURRENT` at a time.
async fn steps<F>(store: &Arc<dyn Store>, contacts: impl Iterator<Item = usize>, make: F)
where
    F: Fn(Arc<dyn Store>, usize) -> tokio::task::JoinHandle<()>,
{
    let contacts: Vec<usize> = contacts.collect();
    for chunk in contacts.chunks(CONCURRENT) {
        let running: Vec<_> = chunk.iter().map(|n| make(store.clone(), *n)).collect();
        for task in running {
            task.await.unwrap();
        }
    }
}

async fn load(store: &Arc<dyn Store>) {
    // Everyone: the first message starts the journey and walks to their last card.
    steps(store, 0..CONTACTS, |store, n| {
        tokio::spawn(step(store, contact_id(n), at(n), move |c| {
            let last = 1 + n % 5;
            c.report = StepReport {
                day: day(n),
                messages: 1,
                started: 1,
                finished: i64::from(last == CARDS.len() - 1),
                visits: CARDS[..=last]
                    .iter()
                    .map(|card| ("Registration".to_owned(), (*card).to_owned()))
                    .collect(),
                agent_reply: false,
            };
            c.results = vec![("age".into(), format!(r#"{{"Number":{}}}"#, 18 + n % 30))];
            if n % 7 == 0 {
                c.contact.handoff = Some(format!("queue-{}", n % 3));
                c.contact.handoff_note = Some("asked for a nurse".into());
                c.inbox_change = true;
            }
        }))
    })
    .await;
    // Half the handoffs: a nurse answers an hour later and closes two hours later.
    let answered = (0..CONTACTS).step_by(14);
    steps(store, answered.clone(), |store, n| {
        tokio::spawn(step(store, contact_id(n), at(n) + 3_600_000, move |c| {
            c.inbox_change = true;
            c.report.agent_reply = true;
        }))
    })
    .await;
    steps(store, answered, |store, n| {
        tokio::spawn(step(store, contact_id(n), at(n) + 7_200_000, move |c| {
            c.contact.handoff = None;
            c.contact.handoff_note = None;
            c.inbox_change = true;
            c.outbox.clear();
        }))
    })
    .await;
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn measure(store: Arc<dyn Store>, name: &str) {
    let s = &*store;
    // The last 7 days (the default) and the whole 30.
    let week = (START + 23 * DAY, START + 30 * DAY);
    let month = (START, START + 30 * DAY);
    for (label, (from, to), (first, last)) in [
        ("7 days", week, ("2026-11-24", "2026-11-30")),
        ("30 days", month, ("2026-11-01", "2026-11-30")),
    ] {
        let days = s.activity(first.into(), last.into()).await.unwrap();
        let wrote: i64 = days.iter().map(|d| d.contacts).sum();
        let handoffs = s.handoff_history(from, to).await.unwrap();
        let funnel = s.funnel("Registration".into(), from, to).await.unwrap();
        let reached = funnel.iter().find(|c| c.card == "Start").unwrap().reached;
        assert_eq!(wrote, reached, "everyone who wrote started the journey");
        let results = s
            .results(ResultQuery {
                from,
                to,
                key: None,
                after: None,
                limit: 1_000,
            })
            .await
            .unwrap();
        assert_eq!(results.len(), 1_000);
        let conversations =
            p95(|| async { s.activity(first.into(), last.into()).await.unwrap() }).await;
        let handoff_times = p95(|| async { s.handoff_history(from, to).await.unwrap() }).await;
        let messages = p95(|| async { s.message_figures(from, to).await.unwrap() }).await;
        let funnel_times =
            p95(|| async { s.funnel("Registration".into(), from, to).await.unwrap() }).await;
        let page = p95(|| async {
            s.results(ResultQuery {
                from,
                to,
                key: Some("age".into()),
                after: Some((from + DAY, 0)),
                limit: 1_000,
            })
            .await
            .unwrap()
        })
        .await;
        println!(
            "{name}, {label} ({wrote} contacts wrote, {} handoffs): conversations p95 {}; \
             handoffs p95 {}; messages p95 {}; funnel p95 {}; a results page of 1,000 p95 {}",
            handoffs.len(),
            ms(conversations),
            ms(handoff_times),
            ms(messages),
            ms(funnel_times),
            ms(page),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture"]
async fn the_reports_among_100_000_contacts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = SqliteStore::open(&dir.path().join("journey.db"), false).unwrap();
    let start = Instant::now();
    load(&store).await;
    println!("sqlite: loaded in {:?}", start.elapsed());
    measure(store, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture, with JOURNEY_TEST_DATABASE_URL"]
async fn the_reports_among_100_000_contacts_on_postgres() {
    let Ok(url) = std::env::var("JOURNEY_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED on PostgreSQL: JOURNEY_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("journey_reports_scale_{}", std::process::id());
    let store = PgStore::open(&url, &schema).await.unwrap();
    let start = Instant::now();
    load(&(store.clone() as Arc<dyn Store>)).await;
    println!("postgres: loaded in {:?}", start.elapsed());
    // What autovacuum does a while after a bulk load: statistics for the planner, and
    // the visibility map that lets the counts read the indexes alone.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let tables = [
        "card_visits",
        "journey_places",
        "contact_days",
        "handoff_history",
        "outbox",
        "results",
    ]
    .map(|t| format!("{schema}.{t}"))
    .join(", ");
    client
        .batch_execute(&format!("VACUUM ANALYZE {tables}"))
        .await
        .unwrap();
    measure(store.clone(), "postgres").await;
    store.drop_schema().await.unwrap();
}
