//! The crash test: under load, `kill -9` the real `journey serve` at random moments
//! (at least 20 times) and restart it; then check that every acknowledged message was
//! stepped exactly once, no timer was lost or fired early, no outbound message was lost,
//! and count the duplicate sends (the at-least-once window of the outbox).
//!
//! Bounded: about a minute on two cores. `JOURNEY_CRASH_KILLS` sets the number of kills.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use journey_tests::fake_graph::FakeGraph;
use journey_tests::serve::{Options, Server, text_message};
use serde_json::Value;

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
    let database = data.path().join("journey.db");
    // One real second is a journey minute: the 2-minute follow-ups fire 2 s later.
    let options = Options {
        project: &project,
        database: &database,
        graph_url: &graph.url,
        time_scale: Some(60.0),
    };
    let mut server = Server::start(&options);
    let base = Arc::new(Mutex::new(server.url.clone()));

    // Loaders post messages, each until it is acknowledged (as Meta retries).
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let counter = Arc::new(AtomicUsize::new(0));
    let loaders: Vec<_> = (0..LOADERS)
        .map(|_| {
            let (stop, acked, counter, base) =
                (stop.clone(), acked.clone(), counter.clone(), base.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let contact = format!("2782{:07}", n % CONTACTS);
                    let id = format!("wamid.LOAD{n}");
                    let body = text_message(&contact, &id, &format!("m{n}"));
                    let signature = journey_whatsapp::signature::sign(
                        journey_tests::serve::APP_SECRET.as_bytes(),
                        &body,
                    );
                    loop {
                        let url = format!("{}/webhooks/whatsapp", base.lock().unwrap());
                        let status = client
                            .post(url)
                            .header("x-hub-signature-256", &signature)
                            .body(body.clone())
                            .send()
                            .map(|r| r.status().as_u16())
                            .unwrap_or(0);
                        if status == 200 {
                            acked.lock().unwrap().push((contact.clone(), id.clone()));
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();

    let started = Instant::now();
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(300 + fastrand::u64(0..900)));
        server.crash();
        server = Server::start(&options);
        *base.lock().unwrap() = server.url.clone();
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    for loader in loaders {
        loader.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // Wait until everything settles: no events, timers or sends left.
    let contacts: BTreeSet<String> = acked.iter().map(|(c, _)| c.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let views: BTreeMap<String, Value> = loop {
        let views: BTreeMap<String, Value> = contacts
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    server.admin("GET", &format!("/contacts/{c}"), None).1,
                )
            })
            .collect();
        let settled = views.values().all(|v| {
            v["pending_events"] == 0
                && v["timers"].as_array().is_some_and(Vec::is_empty)
                && v["outbox"]
                    .as_array()
                    .is_some_and(|o| o.iter().all(|row| row["state"] == "sent"))
        });
        if settled {
            break views;
        }
        assert!(Instant::now() < deadline, "the server did not settle");
        std::thread::sleep(Duration::from_millis(250));
    };

    // Every acknowledged message stepped exactly once; journals without gaps.
    let mut stepped: BTreeMap<String, usize> = BTreeMap::new();
    let (mut timers, mut schedules, mut sends) = (0, 0, 0);
    let mut timer_rows = BTreeSet::new();
    for (contact, view) in &views {
        let journal = view["journal"].as_array().unwrap();
        for (i, entry) in journal.iter().enumerate() {
            assert_eq!(
                entry["version"],
                i as i64 + 1,
                "{contact}: a gap in the journal"
            );
            match entry["kind"].as_str().unwrap() {
                "message" => {
                    *stepped
                        .entry(entry["event"]["id"].as_str().unwrap().to_owned())
                        .or_default() += 1
                }
                "timer" => {
                    timers += 1;
                    let fire_at = entry["event"]["fire_at"].as_i64().unwrap();
                    assert!(
                        entry["at_ms"].as_i64().unwrap() >= fire_at,
                        "{contact}: a timer stepped early: {entry}"
                    );
                    assert!(
                        entry["event"]["fired_at"].as_i64().unwrap() >= fire_at,
                        "{contact}: a timer fired early"
                    );
                    assert!(
                        timer_rows.insert(entry["event"]["row"].as_i64().unwrap()),
                        "a timer fired twice"
                    );
                }
                _ => {}
            }
            schedules += entry["effects"]["effects"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e.get("ScheduleTimer").is_some())
                .count();
        }
        sends += view["outbox"].as_array().unwrap().len();
    }
    let acked_ids: BTreeSet<&str> = acked.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(
        acked_ids.len(),
        acked.len(),
        "each message acknowledged once by the loaders"
    );
    for id in &acked_ids {
        assert_eq!(
            stepped.get(*id),
            Some(&1),
            "{id} was acknowledged but stepped {:?} times",
            stepped.get(*id)
        );
    }
    assert_eq!(
        stepped.len(),
        acked_ids.len(),
        "only acknowledged messages were stepped"
    );
    assert_eq!(
        timers, schedules,
        "every timer scheduled fired exactly once"
    );

    // Every outbox row reached the fake Graph API; count duplicates.
    let counts = graph.sends_by_key();
    let mut duplicates = 0;
    for view in views.values() {
        for row in view["outbox"].as_array().unwrap() {
            let key = row["key"].as_str().unwrap();
            let count = counts.get(key).copied().unwrap_or(0);
            assert!(count >= 1, "{key} was never sent");
            duplicates += count - 1;
        }
    }
    assert!(
        acked.len() > 200,
        "too little load to mean anything: {}",
        acked.len()
    );
    assert!(timers > 50, "too few timers fired: {timers}");
    eprintln!(
        "crash test: {kills} kills in {:.0?}, {} acknowledged webhooks, {timers} timers, {sends} sends: \
         0 lost, 0 double-applied, 0 early, {duplicates} duplicate sends ({:.2}%), integrity ok",
        started.elapsed(),
        acked.len(),
        100.0 * duplicates as f64 / sends.max(1) as f64
    );
}
