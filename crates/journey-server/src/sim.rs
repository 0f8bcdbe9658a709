//! A deterministic simulation of the serve loop. One seed drives everything around the
//! real store and the real step planner and sending rules: which webhook arrives when
//! (and which is delivered twice), when steps are planned and committed (two planned
//! for one contact race on the version fence, as two processes would), the clock, the
//! timers, the network's answers, and crashes that forget everything not committed. At
//! every send and at the end it checks the invariants of ARCHITECTURE.md: every
//! acknowledged message stepped exactly once and in order per contact, no timer stepped
//! before its time, a contact's messages sent in order, nothing free-form outside the
//! 24-hour window, nothing to an opted-out contact they did not ask for.
//!
//! The same seed gives the same run: a failing seed replays with its trace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use journey_runtime::{Inbound, Outbound};
use journey_store::{
    Accepted, Intake, Millis, OutboxOutcome, OutboxResult, OutboxRow, SqliteStore, StepCommit,
    Store, StoreError,
};
use journey_whatsapp::response::Class;

use crate::bundle::Bundle;
use crate::deployed::Deployed;
use crate::dispatch::{LEASE, after_failure, judge, within_lease};
use crate::limits::{Limits, Rates};
use crate::steps::{COMMAND, Command, FiredTimer, MESSAGE, StoredMessage, TIMER, plan};

/// 2026-01-01T00:00:00Z: where every simulated clock starts.
const EPOCH: Millis = 1_767_225_600_000;
const DAY: Millis = 24 * 3_600_000;
/// How long a simulated send may take.
const SEND_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// What one seed did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimReport {
    pub webhooks: usize,
    pub redeliveries: usize,
    pub steps: usize,
    pub conflicts: usize,
    pub timers: usize,
    pub sends: usize,
    /// Sends of a row already sent (a crash or a lost answer): at-least-once.
    pub duplicate_sends: usize,
    pub refused: usize,
    pub crashes: usize,
}

impl std::ops::AddAssign for SimReport {
    fn add_assign(&mut self, other: SimReport) {
        self.webhooks += other.webhooks;
        self.redeliveries += other.redeliveries;
        self.steps += other.steps;
        self.conflicts += other.conflicts;
        self.timers += other.timers;
        self.sends += other.sends;
        self.duplicate_sends += other.duplicate_sends;
        self.refused += other.refused;
        self.crashes += other.crashes;
    }
}

/// Runs one seed of `actions` random actions over `bundle`, with its database in
/// `dir`; the report, or the invariant broken with the run's trace.
pub fn simulate(
    bundle: &Bundle,
    seed: u64,
    actions: usize,
    dir: &Path,
) -> Result<SimReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let path = dir.join(format!("sim-{seed}.db"));
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path, false)?;
    let result = runtime.block_on(async {
        let mut sim = Sim::new(bundle, seed, store.clone()).await?;
        sim.run(actions).await;
        if sim.violation.is_none() {
            sim.drain().await;
        }
        if sim.violation.is_none() {
            sim.verify().await;
        }
        match sim.violation.take() {
            None => Ok(sim.report),
            Some(violation) => Err(format!(
                "seed {seed}: {violation}\nactions:\n{}",
                sim.trace.join("\n")
            )),
        }
    });
    store.close();
    drop(store);
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    result
}

struct Sim {
    rng: fastrand::Rng,
    store: std::sync::Arc<SqliteStore>,
    deployed: Deployed,
    rates: Rates,
    limits: Limits,
    now: Millis,
    contacts: Vec<String>,
    vocabulary: Vec<String>,
    /// Messages acknowledged as new, per contact, in order.
    accepted: BTreeMap<String, Vec<String>>,
    delivered: Vec<(String, String, String)>,
    next_wamid: usize,
    /// Steps planned and not yet committed (a process between its read and its commit).
    planned: Vec<(String, StepCommit)>,
    /// Rows claimed and not yet sent.
    claimed: Vec<OutboxRow>,
    /// Rows sent whose result is not yet recorded.
    answered: Vec<OutboxResult>,
    /// Outbox ids the network accepted, and per contact the ids in the order sent.
    sent_ids: BTreeSet<i64>,
    sent_order: BTreeMap<String, Vec<i64>>,
    report: SimReport,
    trace: Vec<String>,
    violation: Option<String>,
}

impl Sim {
    async fn new(
        bundle: &Bundle,
        seed: u64,
        store: std::sync::Arc<SqliteStore>,
    ) -> Result<Sim, String> {
        let digest = bundle.digest();
        let json = serde_json::to_string(bundle).map_err(|e| e.to_string())?;
        store
            .deploy(digest, json, EPOCH)
            .await
            .map_err(|e| e.to_string())?;
        let deployments = store.deployments().await.map_err(|e| e.to_string())?;
        let deployed = Deployed::build(&deployments, &BTreeMap::new())?;
        let mut rng = fastrand::Rng::with_seed(seed);
        let contacts = (0..rng.usize(1..=6))
            .map(|i| format!("2782000{i:04}"))
            .collect();
        let rates = Rates {
            per_number: 80.0,
            pair_interval_secs: 6.0,
            pair_burst: rng.choice([3.0, 45.0]).unwrap_or(45.0),
            tier: rng.choice([2, 1000]).unwrap_or(1000),
        };
        Ok(Sim {
            limits: Limits::new(rates, Vec::new(), EPOCH),
            rates,
            vocabulary: vocabulary(bundle),
            rng,
            store,
            deployed,
            now: EPOCH,
            contacts,
            accepted: BTreeMap::new(),
            delivered: Vec::new(),
            next_wamid: 0,
            planned: Vec::new(),
            claimed: Vec::new(),
            answered: Vec::new(),
            sent_ids: BTreeSet::new(),
            sent_order: BTreeMap::new(),
            report: SimReport::default(),
            trace: Vec::new(),
            violation: None,
        })
    }

    fn fail(&mut self, violation: String) {
        if self.violation.is_none() {
            self.violation = Some(violation);
        }
    }

    async fn run(&mut self, actions: usize) {
        for _ in 0..actions {
            if self.violation.is_some() {
                return;
            }
            match self.rng.u32(0..100) {
                0..30 => self.webhook().await,
                30..48 => self.plan_step().await,
                48..64 => self.commit_step(false).await,
                64..72 => self.advance(),
                72..78 => self.fire_timers().await,
                78..85 => self.claim().await,
                85..94 => self.send(false).await,
                94..98 => self.record().await,
                98 => self.give_back().await,
                _ => self.crash().await,
            }
        }
    }

    /// Lets everything finish: the network answers, no crash, time moves on by hours.
    async fn drain(&mut self) {
        for _ in 0..200 {
            if self.violation.is_some() {
                return;
            }
            self.record().await;
            while !self.planned.is_empty() {
                self.commit_step(true).await;
            }
            let waiting = self.store.contacts_with_events().await.unwrap_or_default();
            for _ in 0..waiting.len() * 4 {
                self.plan_step().await;
                while !self.planned.is_empty() {
                    self.commit_step(true).await;
                }
            }
            self.claim().await;
            while !self.claimed.is_empty() {
                self.send(true).await;
            }
            self.record().await;
            let idle = self
                .store
                .contacts_with_events()
                .await
                .unwrap_or_default()
                .is_empty()
                && self.planned.is_empty();
            let pending = self
                .store
                .stats()
                .await
                .map_or(0, |s| s.outbox_queued + s.outbox_sending);
            if idle && pending == 0 {
                return;
            }
            self.now += self.rng.choice([LEASE + 1, 3_600_000]).unwrap_or(LEASE + 1);
            self.fire_timers().await;
        }
    }

    async fn webhook(&mut self) {
        let (wamid, contact, text) = if !self.delivered.is_empty() && self.rng.u32(0..10) == 0 {
            self.report.redeliveries += 1;
            self.delivered[self.rng.usize(..self.delivered.len())].clone()
        } else {
            self.next_wamid += 1;
            let contact = self.contacts[self.rng.usize(..self.contacts.len())].clone();
            let text = self.vocabulary[self.rng.usize(..self.vocabulary.len())].clone();
            (format!("wamid.sim{}", self.next_wamid), contact, text)
        };
        let sent_at = self.now - self.rng.i64(0..5_000);
        let payload = StoredMessage {
            id: wamid.clone(),
            at: sent_at.min(self.now),
            name: Some("Sim".to_owned()),
            inbound: Inbound::text(&text),
        };
        let intake = Intake::Message {
            provider_id: wamid.clone(),
            contact: contact.clone(),
            payload: serde_json::to_string(&payload).unwrap_or_default(),
        };
        match self.store.accept(vec![intake], self.now).await {
            Ok(accepted) => {
                self.report.webhooks += 1;
                if accepted.first() == Some(&Accepted::New) {
                    self.accepted
                        .entry(contact.clone())
                        .or_default()
                        .push(wamid.clone());
                    self.delivered
                        .push((wamid.clone(), contact.clone(), text.clone()));
                }
                self.trace.push(format!(
                    "{} webhook {wamid} {contact} {text:?} {accepted:?}",
                    self.now
                ));
            }
            Err(e) => self.fail(format!("a webhook was not accepted: {e}")),
        }
    }

    async fn plan_step(&mut self) {
        let waiting = match self.store.contacts_with_events().await {
            Ok(waiting) => waiting,
            Err(e) => return self.fail(format!("cannot list inboxes: {e}")),
        };
        if waiting.is_empty() {
            return;
        }
        let contact = waiting[self.rng.usize(..waiting.len())].clone();
        let Ok(Some((event, row))) = self.store.next_event(&contact).await else {
            return;
        };
        let mut live = true;
        if event.kind == TIMER {
            match serde_json::from_str::<FiredTimer>(&event.payload) {
                Ok(timer) if timer.fire_at > self.now || timer.fired_at < timer.fire_at => {
                    return self.fail(format!(
                        "timer {} of {contact} stepped early: due {}, fired {}, now {}",
                        timer.timer, timer.fire_at, timer.fired_at, self.now
                    ));
                }
                Ok(timer) => live = self.store.timer_live(timer.row).await.unwrap_or(false),
                Err(e) => return self.fail(format!("unreadable timer event: {e}")),
            }
        }
        let commit = plan(&self.deployed, &event, row, live, self.now);
        self.trace.push(format!(
            "{} plan {contact} event {} {}",
            self.now, event.id, event.kind
        ));
        self.planned.push((contact, commit));
    }

    async fn commit_step(&mut self, first: bool) {
        if self.planned.is_empty() {
            return;
        }
        let index = if first {
            0
        } else {
            self.rng.usize(..self.planned.len())
        };
        let (contact, commit) = self.planned.remove(index);
        let event = commit.consumed;
        match self.store.commit_step(commit, self.now).await {
            Ok(()) => {
                self.report.steps += 1;
                self.trace
                    .push(format!("{} commit {contact} event {event}", self.now));
            }
            Err(StoreError::Conflict) => {
                self.report.conflicts += 1;
                self.trace
                    .push(format!("{} conflict {contact} event {event}", self.now));
            }
            Err(e) => self.fail(format!("a step could not commit: {e}")),
        }
    }

    fn advance(&mut self) {
        let by = match self.rng.u32(0..10) {
            0..4 => self.rng.i64(1..5_000),
            4..7 => self.rng.i64(60_000..3_600_000),
            7..9 => self.rng.i64(3_600_000..DAY),
            _ => self.rng.i64(DAY..3 * DAY),
        };
        self.now += by;
        self.trace.push(format!("{} advance {by}", self.now));
    }

    async fn fire_timers(&mut self) {
        match self.store.fire_due_timers(self.now, 50).await {
            Ok(fired) => {
                self.report.timers += fired.len();
                if !fired.is_empty() {
                    self.trace.push(format!("{} fired {fired:?}", self.now));
                }
            }
            Err(e) => self.fail(format!("cannot fire timers: {e}")),
        }
    }

    async fn claim(&mut self) {
        match self
            .store
            .claim_outbox(self.now, LEASE, self.rng.usize(1..=8))
            .await
        {
            Ok(rows) => {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                if !ids.is_empty() {
                    self.trace.push(format!("{} claimed {ids:?}", self.now));
                }
                self.claimed.extend(rows);
            }
            Err(e) => self.fail(format!("cannot claim: {e}")),
        }
    }

    /// One claimed row through the rules and the network.
    async fn send(&mut self, reliable: bool) {
        if self.claimed.is_empty() {
            return;
        }
        let row = self.claimed.remove(self.rng.usize(..self.claimed.len()));
        // As the dispatcher does: a claim whose lease would run out mid-send is dropped.
        if !within_lease(&row, self.now, SEND_TIME) {
            self.trace
                .push(format!("{} lease ran out for {}", self.now, row.id));
            return;
        }
        let (outcome, event) = if row.kind == "http" {
            let command = Command::Http {
                request: serde_json::from_str::<serde_json::Value>(&row.body)
                    .ok()
                    .and_then(|r| r["id"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
                status: if reliable || self.rng.bool() { 200 } else { 0 },
                body: serde_json::json!({}),
                by_contact: row.by_contact,
            };
            let payload = serde_json::to_string(&command).unwrap_or_default();
            (
                OutboxOutcome::Done,
                Some((row.contact.clone(), COMMAND.to_owned(), payload)),
            )
        } else {
            (self.message(&row, reliable).await, None)
        };
        self.answered.push(OutboxResult {
            id: row.id,
            attempt: row.attempts,
            outcome,
            event,
        });
    }

    async fn message(&mut self, row: &OutboxRow, reliable: bool) -> OutboxOutcome {
        let message: Outbound = match serde_json::from_str(&row.body) {
            Ok(message) => message,
            Err(e) => {
                self.fail(format!("an unreadable outbox row {}: {e}", row.id));
                return OutboxOutcome::Dead {
                    error: e.to_string(),
                };
            }
        };
        let contact = match self.store.contact_row(&row.contact).await {
            Ok(contact) => contact.unwrap_or_default(),
            Err(e) => {
                self.fail(format!("cannot read {}: {e}", row.contact));
                return OutboxOutcome::Dead {
                    error: e.to_string(),
                };
            }
        };
        let judged = judge(
            &message,
            row,
            &contact,
            &self.deployed.config,
            &mut self.limits,
            jiff::SignedDuration::from_mins(1),
            self.now,
        );
        let admitted = match judged {
            Ok(admitted) => admitted,
            Err(refusal) => {
                self.report.refused += 1;
                self.trace
                    .push(format!("{} refused {} {refusal:?}", self.now, row.id));
                return refusal.outcome();
            }
        };
        // What reaches the network must be allowed by WhatsApp's rules and the contact's
        // wishes, whatever the rules above say.
        let template = matches!(message, Outbound::Template { .. });
        let window_open = contact
            .last_inbound_at
            .is_some_and(|at| self.now < at + DAY);
        if !template && !window_open {
            self.fail(format!(
                "row {} to {} sent free-form outside the window (last message {:?}, now {})",
                row.id, row.contact, contact.last_inbound_at, self.now
            ));
        }
        if contact.opted_out && !row.by_contact {
            self.fail(format!(
                "row {} sent to {}, who opted out",
                row.id, row.contact
            ));
        }
        let roll = if reliable { 0 } else { self.rng.u32(0..100) };
        let class = match roll {
            0..85 => None,
            85..90 => Some(Class::Retry),
            90..93 => Some(Class::Throttle),
            93..96 => Some(Class::PairThrottle),
            _ => Some(Class::Permanent),
        };
        self.trace.push(format!(
            "{} send {} to {} {class:?}",
            self.now, row.id, row.contact
        ));
        match class {
            None => {
                self.report.sends += 1;
                if !self.sent_ids.insert(row.id) {
                    self.report.duplicate_sends += 1;
                } else {
                    self.sent_order
                        .entry(row.contact.clone())
                        .or_default()
                        .push(row.id);
                }
                if admitted.business_initiated {
                    self.limits.reached(&row.contact, self.now);
                }
                OutboxOutcome::Sent {
                    provider_id: format!("wamid.out{}", row.id),
                    reached: admitted.business_initiated,
                }
            }
            Some(class) => {
                let jitter = self.rng.f64();
                after_failure(
                    &mut self.limits,
                    row,
                    class,
                    self.now,
                    "simulated".to_owned(),
                    jitter,
                )
            }
        }
    }

    async fn record(&mut self) {
        if self.answered.is_empty() {
            return;
        }
        let results = std::mem::take(&mut self.answered);
        let ids: Vec<i64> = results.iter().map(|r| r.id).collect();
        match self.store.finish_outbox(results, self.now).await {
            Ok(()) => self.trace.push(format!("{} recorded {ids:?}", self.now)),
            Err(e) => self.fail(format!("cannot record sends: {e}")),
        }
    }

    /// An agent hands a contact who is with them back to the bot.
    async fn give_back(&mut self) {
        let Ok(handoffs) = self.store.handoffs().await else {
            return;
        };
        let Some(handoff) = handoffs.first() else {
            return;
        };
        let intake = Intake::Event {
            contact: handoff.contact.clone(),
            kind: COMMAND.to_owned(),
            payload: serde_json::to_string(&Command::Return).unwrap_or_default(),
        };
        self.trace
            .push(format!("{} return {}", self.now, handoff.contact));
        if let Err(e) = self.store.accept(vec![intake], self.now).await {
            self.fail(format!("cannot queue a return: {e}"));
        }
    }

    /// The process dies: what it planned, claimed or heard back is forgotten; what it
    /// committed is not. It restarts with fresh limits from the stored reach.
    async fn crash(&mut self) {
        self.report.crashes += 1;
        self.planned.clear();
        self.claimed.clear();
        self.answered.clear();
        let reach = self
            .store
            .reach_since(self.now - DAY)
            .await
            .unwrap_or_default();
        self.limits = Limits::new(self.rates, reach, self.now);
        self.trace.push(format!("{} crash", self.now));
    }

    /// After the drain: every acknowledged message stepped once, in order; no event
    /// left; each contact's messages sent in the order they were queued.
    async fn verify(&mut self) {
        let waiting = self.store.contacts_with_events().await.unwrap_or_default();
        if !waiting.is_empty() {
            return self.fail(format!("events never stepped for {waiting:?}"));
        }
        for contact in self.contacts.clone() {
            let view = match self.store.contact(&contact).await {
                Ok(view) => view,
                Err(e) => return self.fail(format!("cannot read {contact}: {e}")),
            };
            let stepped: Vec<String> = view
                .iter()
                .flat_map(|v| &v.journal)
                .filter(|j| j.kind == MESSAGE)
                .filter_map(|j| serde_json::from_str::<StoredMessage>(&j.event).ok())
                .map(|m| m.id)
                .collect();
            let expected = self.accepted.get(&contact).cloned().unwrap_or_default();
            if stepped != expected {
                return self.fail(format!(
                    "{contact}: acknowledged {expected:?} but stepped {stepped:?}"
                ));
            }
            let order = self.sent_order.get(&contact).cloned().unwrap_or_default();
            if order.windows(2).any(|w| w[0] > w[1]) {
                return self.fail(format!("{contact}: messages sent out of order {order:?}"));
            }
        }
    }
}

/// What simulated contacts type: every short text literal of the journeys (keywords,
/// button and row titles, trigger phrases), and some noise.
fn vocabulary(bundle: &Bundle) -> Vec<String> {
    let mut words = BTreeSet::new();
    for (_, text) in &bundle.files {
        for (i, part) in text.split('"').enumerate() {
            if i % 2 == 1 && !part.is_empty() && part.len() <= 24 && !part.contains('@') {
                words.insert(part.to_owned());
            }
        }
    }
    for noise in ["hi", "stop", "help", "1", "2", "asdf", ""] {
        words.insert(noise.to_owned());
    }
    words.into_iter().collect()
}
