//! Several processes on one PostgreSQL database (issue 6): three real `journey serve`
//! processes share a fresh schema; webhooks are spread across them; one of them,
//! chosen at random, is killed with `kill -9` and restarted, again and again; at the
//! end one is killed for good, and the two left step what it had acknowledged. Then
//! every acknowledged message was stepped exactly once and in order for its contact,
//! every timer fired exactly once and never early, nothing was lost, and duplicate
//! sends are counted.
//!
//! Needs `JOURNEY_TEST_DATABASE_URL` (CI sets it to the local server); without it the
//! test is compiled as ignored, with the reason (tests/build.rs). `JOURNEY_PG_KILLS` sets the number of kills (default 12).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use journey_tests::fake_graph::FakeGraph;
use journey_tests::load::{Load, verdict};
use journey_tests::serve::{Options, Server};

const PROCESSES: usize = 3;
const CONTACTS: usize = 40;
const LOADERS: usize = 3;

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn three_processes_on_one_database_survive_kill_9() {
    let Ok(base) = std::env::var("JOURNEY_TEST_DATABASE_URL") else {
        eprintln!(
            "SKIPPED three_processes_on_one_database_survive_kill_9: JOURNEY_TEST_DATABASE_URL is not set"
        );
        return;
    };
    let kills: usize = std::env::var("JOURNEY_PG_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(12);
    let schema = format!("journey_mp_{}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let database = format!("{base}{separator}schema={schema}");
    let graph = FakeGraph::start();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/serve/crash");
    let options = Options {
        project: &project,
        database: &database,
        graph_url: &graph.url,
        time_scale: Some(60.0),
        extra: Default::default(),
    };
    let mut servers: Vec<Server> = (0..PROCESSES).map(|_| Server::start(&options)).collect();
    let targets = Arc::new(Mutex::new(servers.iter().map(|s| s.url.clone()).collect()));
    let load = Load::start(LOADERS, CONTACTS, targets.clone());

    let started = Instant::now();
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(400 + fastrand::u64(0..1_200)));
        let victim = fastrand::usize(0..PROCESSES);
        let crashed = servers.remove(victim);
        // The loaders go to the others while it is down.
        targets.lock().unwrap().remove(victim);
        crashed.crash();
        servers.insert(victim, Server::start(&options));
        targets
            .lock()
            .unwrap()
            .insert(victim, servers[victim].url.clone());
    }
    // The last one killed stays down: the others step what it acknowledged.
    let gone = servers.pop().expect("a server");
    targets.lock().unwrap().pop();
    gone.crash();
    std::thread::sleep(Duration::from_secs(1));
    let acked = load.stop();
    let verdict = verdict(&servers[0], &acked, &graph);
    assert!(
        verdict.acked > 150,
        "too little load to mean anything: {}",
        verdict.acked
    );
    assert!(
        verdict.timers > 30,
        "too few timers fired: {}",
        verdict.timers
    );
    eprintln!(
        "{PROCESSES} processes on PostgreSQL: {kills} kills and restarts, then one for good, in {:.0?}; {} acknowledged webhooks, \
         {} timers, {} sends: 0 lost, 0 double-applied, 0 early, 0 out of order, {} duplicate sends",
        started.elapsed(),
        verdict.acked,
        verdict.timers,
        verdict.sends,
        verdict.duplicate_sends,
    );
    drop(servers);
    drop_schema(&base, &schema);
}

/// The test's schema goes once the servers are stopped.
fn drop_schema(url: &str, schema: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let store = journey_store::PgStore::open(url, schema)
            .await
            .expect("the test schema");
        store.drop_schema().await.expect("drop the test schema");
    });
}
