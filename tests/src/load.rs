//! Load and verdict for the crash tests: loaders post signed webhooks to the live
//! servers (each message until one acknowledges it, as Meta retries), and the verdict
//! reads every contact back once the deployment settles and proves what `journey serve`
//! promises: every acknowledged message stepped exactly once and in order for its
//! contact, every timer fired exactly once and never early, every outbound message
//! sent, duplicate sends counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_graph::FakeGraph;
use crate::serve::{APP_SECRET, Server, text_message};

/// A message a server acknowledged (200), and when it was posted and acknowledged.
#[derive(Clone, Debug)]
pub struct Acked {
    pub contact: String,
    pub id: String,
    pub posted: Instant,
    pub acked: Instant,
}

/// Threads posting messages from `contacts` contacts to the servers whose base URLs
/// are in `targets` (replaced as servers restart).
pub struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    pub fn start(threads: usize, contacts: usize, targets: Arc<Mutex<Vec<String>>>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let counter = Arc::new(AtomicUsize::new(0));
        let threads = (0..threads)
            .map(|_| {
                let (stop, acked, counter, targets) = (
                    stop.clone(),
                    acked.clone(),
                    counter.clone(),
                    targets.clone(),
                );
                std::thread::spawn(move || {
                    post_until_stopped(&stop, &acked, &counter, &targets, contacts)
                })
            })
            .collect();
        Load {
            stop,
            acked,
            threads,
        }
    }

    /// Stops posting; every message acknowledged so far.
    pub fn stop(self) -> Vec<Acked> {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            thread.join().expect("a loader thread");
        }
        self.acked.lock().expect("the acked list").clone()
    }
}

fn post_until_stopped(
    stop: &AtomicBool,
    acked: &Mutex<Vec<Acked>>,
    counter: &AtomicUsize,
    targets: &Mutex<Vec<String>>,
    contacts: usize,
) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    while !stop.load(Ordering::Relaxed) {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let contact = format!("2782{:07}", n % contacts);
        let id = format!("wamid.LOAD{n}");
        let body = text_message(&contact, &id, &format!("m{n}"));
        let signature = journey_whatsapp::signature::sign(APP_SECRET.as_bytes(), &body);
        let posted = Instant::now();
        // Until acknowledged, trying the servers in turn (one may be down).
        for attempt in n.. {
            let base = {
                let targets = targets.lock().expect("the targets");
                targets[attempt % targets.len()].clone()
            };
            let status = client
                .post(format!("{base}/webhooks/whatsapp"))
                .header("x-hub-signature-256", &signature)
                .body(body.clone())
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            if status == 200 {
                acked.lock().expect("the acked list").push(Acked {
                    contact: contact.clone(),
                    id: id.clone(),
                    posted,
                    acked: Instant::now(),
                });
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What the verdict counted.
#[derive(Debug)]
pub struct Verdict {
    pub acked: usize,
    pub timers: usize,
    pub sends: usize,
    pub duplicate_sends: usize,
}

/// Waits until `server` shows every contact of `acked` settled (no events, timers or
/// unsent messages), then checks the promises; panics with the first one broken.
pub fn verdict(server: &Server, acked: &[Acked], graph: &FakeGraph) -> Verdict {
    let views = settled(server, acked);
    let mut stepped: BTreeMap<String, usize> = BTreeMap::new();
    let (mut timers, mut schedules, mut sends) = (0, 0, 0);
    let mut timer_rows = BTreeSet::new();
    let mut order: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (contact, view) in &views {
        let journal = view["journal"].as_array().expect("a journal");
        for (i, entry) in journal.iter().enumerate() {
            assert_eq!(
                entry["version"],
                i as i64 + 1,
                "{contact}: a gap in the journal"
            );
            match entry["kind"].as_str().expect("a kind") {
                "message" => {
                    let id = entry["event"]["id"]
                        .as_str()
                        .expect("a message id")
                        .to_owned();
                    *stepped.entry(id.clone()).or_default() += 1;
                    order.entry(contact.as_str()).or_default().push(id);
                }
                "timer" => {
                    timers += 1;
                    let fire_at = entry["event"]["fire_at"].as_i64().expect("fire_at");
                    assert!(
                        entry["at_ms"].as_i64().expect("at_ms") >= fire_at,
                        "{contact}: a timer stepped early: {entry}"
                    );
                    assert!(
                        entry["event"]["fired_at"].as_i64().expect("fired_at") >= fire_at,
                        "{contact}: a timer fired early"
                    );
                    assert!(
                        timer_rows.insert(entry["event"]["row"].as_i64().expect("row")),
                        "a timer fired twice"
                    );
                }
                _ => {}
            }
            schedules += entry["effects"]["actions"]
                .as_array()
                .expect("the session's actions")
                .iter()
                .filter(|e| e["do"] == "set_timer")
                .count();
        }
        sends += view["outbox"].as_array().expect("an outbox").len();
    }
    let ids: BTreeSet<&str> = acked.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        acked.len(),
        "each message acknowledged once by the loaders"
    );
    for id in &ids {
        assert_eq!(
            stepped.get(*id),
            Some(&1),
            "{id} was acknowledged but stepped {:?} times",
            stepped.get(*id)
        );
    }
    assert_eq!(
        stepped.len(),
        ids.len(),
        "only acknowledged messages were stepped"
    );
    assert_eq!(
        timers, schedules,
        "every timer scheduled fired exactly once"
    );
    in_order(acked, &order);
    let counts = graph.sends_by_key();
    let mut duplicate_sends = 0;
    for view in views.values() {
        for row in view["outbox"].as_array().expect("an outbox") {
            let key = row["key"].as_str().expect("an idempotency key");
            let count = counts.get(key).copied().unwrap_or(0);
            assert!(count >= 1, "{key} was never sent");
            duplicate_sends += count - 1;
        }
    }
    Verdict {
        acked: acked.len(),
        timers,
        sends,
        duplicate_sends,
    }
}

/// A contact's message posted after another was acknowledged is stepped after it.
fn in_order(acked: &[Acked], order: &BTreeMap<&str, Vec<String>>) {
    let mut by_contact: BTreeMap<&str, Vec<&Acked>> = BTreeMap::new();
    for a in acked {
        by_contact.entry(a.contact.as_str()).or_default().push(a);
    }
    for (contact, messages) in by_contact {
        let stepped = &order[contact];
        let position = |id: &str| stepped.iter().position(|s| s == id).expect("stepped");
        for earlier in &messages {
            for later in messages.iter().filter(|m| m.posted > earlier.acked) {
                assert!(
                    position(&earlier.id) < position(&later.id),
                    "{contact}: {} was posted after {} was acknowledged, but stepped before it",
                    later.id,
                    earlier.id
                );
            }
        }
    }
}

fn settled(server: &Server, acked: &[Acked]) -> BTreeMap<String, Value> {
    let contacts: BTreeSet<&str> = acked.iter().map(|a| a.contact.as_str()).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let views: BTreeMap<String, Value> = contacts
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    server.admin("GET", &format!("/contacts/{c}"), None).1,
                )
            })
            .collect();
        let done = views.values().all(|v| {
            v["pending_events"] == 0
                && v["timers"].as_array().is_some_and(Vec::is_empty)
                && v["outbox"]
                    .as_array()
                    .is_some_and(|o| o.iter().all(|row| row["state"] == "sent"))
        });
        if done {
            return views;
        }
        assert!(Instant::now() < deadline, "the deployment did not settle");
        std::thread::sleep(Duration::from_millis(250));
    }
}
