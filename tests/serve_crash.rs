//! The crash test: under load, `kill -9` the real `journey serve` at random moments
//! (at least 20 times) and restart it; then check that every acknowledged message was
//! stepped exactly once, no timer was lost or fired early, no outbound message was lost,
//! and count the duplicate sends (the at-least-once window of the outbox).
//!
//! Bounded: about a minute on two cores. `JOURNEY_CRASH_KILLS` sets the number of kills.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use journey_tests::fake_graph::FakeGraph;
use journey_tests::load::{Load, verdict};
use journey_tests::serve::{Options, Server};

const CONTACTS: usize = 40;
const LOADERS: usize = 3;

#[test]
fn kill_9_under_load_loses_nothing_and_runs_nothing_twice() {
    let kills: usize = std::env::var("JOURNEY_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(20);
    let graph = FakeGraph::start();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/serve/crash");
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("journey.db").display());
    // One real second is a journey minute: the 2-minute follow-ups fire 2 s later.
    let options = Options {
        project: &project,
        database: &database,
        graph_url: &graph.url,
        time_scale: Some(60.0),
        extra: Default::default(),
    };
    let mut server = Server::start(&options);
    let targets = Arc::new(Mutex::new(vec![server.url.clone()]));
    let load = Load::start(LOADERS, CONTACTS, targets.clone());

    let started = Instant::now();
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(300 + fastrand::u64(0..900)));
        server.crash();
        server = Server::start(&options);
        *targets.lock().unwrap() = vec![server.url.clone()];
    }
    std::thread::sleep(Duration::from_secs(1));
    let acked = load.stop();
    let verdict = verdict(&server, &acked, &graph);
    assert!(
        verdict.acked > 200,
        "too little load to mean anything: {}",
        verdict.acked
    );
    assert!(
        verdict.timers > 50,
        "too few timers fired: {}",
        verdict.timers
    );
    eprintln!(
        "crash test: {kills} kills in {:.0?}, {} acknowledged webhooks, {} timers, {} sends: \
         0 lost, 0 double-applied, 0 early, 0 out of order, {} duplicate sends ({:.2}%), integrity ok",
        started.elapsed(),
        verdict.acked,
        verdict.timers,
        verdict.sends,
        verdict.duplicate_sends,
        100.0 * verdict.duplicate_sends as f64 / verdict.sends.max(1) as f64
    );
}
