//! How a contact search behaves with 100,000 contacts (BENCHMARKS.md): each filter of the
//! console's Contacts page, timed, on SQLite and on PostgreSQL
//! (`JOURNEY_TEST_DATABASE_URL`). A measurement, so it runs only when asked:
//! `cargo test -p journey-store --test contacts_scale -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use journey_store::*;

const CONTACTS: usize = 100_000;

fn text(value: &str) -> String {
    format!(r#"{{"Text":"{value}"}}"#)
}

/// 100,000 contacts: every 100th labelled `vip`, every 10th opted out, one of 50 clinics.
fn contacts() -> Vec<ContactImport> {
    (0..CONTACTS)
        .map(|n| ContactImport {
            id: format!("2782{n:07}"),
            fields: vec![
                ("name".into(), text(&format!("Contact {n}"))),
                ("clinic".into(), text(&format!("Clinic {}", n % 50))),
            ],
            opted_out: Some(n % 10 == 0),
            labels: if n % 100 == 0 {
                vec!["vip".into()]
            } else {
                vec![]
            },
        })
        .collect()
}

/// The 95th percentile of 20 runs of a search, and what it found.
async fn timed(store: &dyn Store, query: ContactQuery) -> (Duration, Vec<ContactListing>) {
    let mut times = Vec::new();
    let mut found = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        found = store.search_contacts(query.clone()).await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    (times[18], found)
}

/// Imports the contacts in one call, as a CSV import does.
async fn load(store: &dyn Store, name: &str) {
    let start = Instant::now();
    let count = store
        .import_contacts(contacts(), AuditEntry::default(), 1)
        .await
        .unwrap();
    assert_eq!(count.created, CONTACTS);
    println!(
        "{name}: imported {CONTACTS} contacts in {:?}",
        start.elapsed()
    );
}

async fn measure(store: &dyn Store, name: &str) {
    let page = |query: ContactQuery| ContactQuery { limit: 50, ..query };
    let cases = [
        ("first page, no filter", page(ContactQuery::default()), 50),
        (
            "number prefix 278200012",
            page(ContactQuery {
                prefix: Some("278200012".into()),
                ..Default::default()
            }),
            50,
        ),
        (
            "a name (one contact)",
            page(ContactQuery {
                field: Some(("name".into(), text("Contact 99999"))),
                ..Default::default()
            }),
            1,
        ),
        (
            "a clinic (2,000 contacts)",
            page(ContactQuery {
                field: Some(("clinic".into(), text("Clinic 7"))),
                ..Default::default()
            }),
            50,
        ),
        (
            "label vip (1,000 contacts)",
            page(ContactQuery {
                label: Some("vip".into()),
                ..Default::default()
            }),
            50,
        ),
        (
            "opted out, last page",
            page(ContactQuery {
                opted_out: Some(true),
                after: Some("27820099000".into()),
                ..Default::default()
            }),
            50,
        ),
        (
            "vip and opted out and a prefix",
            page(ContactQuery {
                prefix: Some("27820".into()),
                label: Some("vip".into()),
                opted_out: Some(true),
                ..Default::default()
            }),
            50,
        ),
    ];
    for (what, query, expected) in cases {
        let (p95, found) = timed(store, query).await;
        assert_eq!(found.len(), expected, "{what}");
        println!("{name}: {what}: p95 {:.2} ms", p95.as_secs_f64() * 1000.0);
    }
}

#[tokio::test]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture"]
async fn a_search_among_100_000_contacts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("journey.db"), false).unwrap();
    load(&*store, "sqlite").await;
    measure(&*store, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md): --ignored --nocapture, with JOURNEY_TEST_DATABASE_URL"]
async fn a_search_among_100_000_contacts_on_postgres() {
    let Ok(url) = std::env::var("JOURNEY_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED on PostgreSQL: JOURNEY_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("journey_scale_{}", std::process::id());
    let store = PgStore::open(&url, &schema).await.unwrap();
    load(&*store, "postgres").await;
    // As autovacuum does after a bulk import: the planner learns how rare a field's
    // value is, and takes the fields' GIN index for a rare one.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "ANALYZE {schema}.contacts; ANALYZE {schema}.labels"
        ))
        .await
        .unwrap();
    measure(&*store, "postgres").await;
    store.drop_schema().await.unwrap();
}
