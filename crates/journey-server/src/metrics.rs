//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use journey_store::{InboxEvent, Millis, Stats};
use journey_whatsapp::response::Class;

use crate::steps::FiredTimer;

#[derive(Default)]
pub struct Metrics {
    pub webhooks_ok: AtomicU64,
    pub webhooks_unauthorized: AtomicU64,
    pub webhooks_malformed: AtomicU64,
    pub webhooks_too_large: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub inbound_new: AtomicU64,
    pub inbound_duplicate: AtomicU64,
    pub statuses: AtomicU64,
    pub preferences: AtomicU64,
    pub other_changes: AtomicU64,
    pub webhook_items_rejected: AtomicU64,
    pub steps: AtomicU64,
    pub step_conflicts: AtomicU64,
    pub timers_fired: AtomicU64,
    /// How late timers were handled.
    pub timer_lateness: Histogram,
    /// From a webhook's arrival to its acknowledgement (the durable commit).
    pub webhook_ack: Histogram,
    pub sent: AtomicU64,
    pub failed_throttle: AtomicU64,
    pub failed_retry: AtomicU64,
    pub failed_permanent: AtomicU64,
    pub dead: AtomicU64,
    pub blocked_window: AtomicU64,
    pub blocked_opt_out: AtomicU64,
    pub blocked_empty_parameter: AtomicU64,
    pub held_rate: AtomicU64,
    pub held_tier: AtomicU64,
    pub http_requests: AtomicU64,
    pub console_logins_ok: AtomicU64,
    pub console_logins_wrong: AtomicU64,
    pub console_logins_refused: AtomicU64,
    pub console_lockouts: AtomicU64,
}

impl Metrics {
    pub fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn send_failed(&self, class: Class) {
        self.count(match class {
            Class::Throttle | Class::PairThrottle => &self.failed_throttle,
            Class::Retry => &self.failed_retry,
            Class::Permanent => &self.failed_permanent,
        });
    }

    /// A live timer was stepped at `now`.
    pub fn timer_fired(&self, now: Millis, event: &InboxEvent) {
        let Ok(timer) = serde_json::from_str::<FiredTimer>(&event.payload) else {
            return;
        };
        self.count(&self.timers_fired);
        self.timer_lateness
            .observe((now - timer.fire_at).max(0) as f64 / 1000.0);
    }

    pub fn render(&self, stats: &Stats, busy_contacts: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP journey_build_info The running journey's version."
        );
        let _ = writeln!(out, "# TYPE journey_build_info gauge");
        let _ = writeln!(
            out,
            "journey_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP journey_{name} {help}");
            let _ = writeln!(out, "# TYPE journey_{name} {kind}");
            for (labels, value) in samples {
                if labels.is_empty() {
                    let _ = writeln!(out, "journey_{name} {value}");
                } else {
                    let _ = writeln!(out, "journey_{name}{{{labels}}} {value}");
                }
            }
        };
        family(
            "webhook_requests_total",
            "counter",
            "Webhook POSTs by outcome.",
            &[
                ("result=\"ok\"", get(&self.webhooks_ok)),
                ("result=\"unauthorized\"", get(&self.webhooks_unauthorized)),
                ("result=\"malformed\"", get(&self.webhooks_malformed)),
                ("result=\"too_large\"", get(&self.webhooks_too_large)),
                ("result=\"failed\"", get(&self.webhooks_failed)),
            ],
        );
        family(
            "inbound_messages_total",
            "counter",
            "Inbound messages by whether they were new or a duplicate delivery.",
            &[
                ("kind=\"new\"", get(&self.inbound_new)),
                ("kind=\"duplicate\"", get(&self.inbound_duplicate)),
            ],
        );
        family(
            "statuses_total",
            "counter",
            "Delivery statuses received.",
            &[("", get(&self.statuses))],
        );
        family(
            "preferences_total",
            "counter",
            "user_preferences changes received.",
            &[("", get(&self.preferences))],
        );
        family(
            "other_changes_total",
            "counter",
            "Webhook changes of fields the runtime does not act on.",
            &[("", get(&self.other_changes))],
        );
        family(
            "webhook_items_rejected_total",
            "counter",
            "Messages, statuses or preferences of a notification that could not be read and were set aside.",
            &[("", get(&self.webhook_items_rejected))],
        );
        family(
            "steps_total",
            "counter",
            "Events stepped through the interpreter and committed.",
            &[("", get(&self.steps))],
        );
        family(
            "step_conflicts_total",
            "counter",
            "Steps refused by the version fence and retried.",
            &[("", get(&self.step_conflicts))],
        );
        family(
            "timers_fired_total",
            "counter",
            "Timers handled.",
            &[("", get(&self.timers_fired))],
        );
        family(
            "messages_sent_total",
            "counter",
            "Messages the Graph API accepted.",
            &[("", get(&self.sent))],
        );
        family(
            "send_failures_total",
            "counter",
            "Failed sends by class.",
            &[
                ("class=\"throttle\"", get(&self.failed_throttle)),
                ("class=\"retry\"", get(&self.failed_retry)),
                ("class=\"permanent\"", get(&self.failed_permanent)),
            ],
        );
        family(
            "messages_dead_total",
            "counter",
            "Messages that will never be sent.",
            &[("", get(&self.dead))],
        );
        family(
            "messages_blocked_total",
            "counter",
            "Messages refused by a rule.",
            &[
                ("rule=\"window\"", get(&self.blocked_window)),
                ("rule=\"opt_out\"", get(&self.blocked_opt_out)),
                (
                    "rule=\"empty_parameter\"",
                    get(&self.blocked_empty_parameter),
                ),
            ],
        );
        family(
            "messages_held_total",
            "counter",
            "Messages delayed by a limit.",
            &[
                ("limit=\"rate\"", get(&self.held_rate)),
                ("limit=\"tier\"", get(&self.held_tier)),
            ],
        );
        family(
            "console_logins_total",
            "counter",
            "Console sign-ins by outcome: refused means the person or the address was locked.",
            &[
                ("result=\"ok\"", get(&self.console_logins_ok)),
                ("result=\"wrong_password\"", get(&self.console_logins_wrong)),
                ("result=\"refused\"", get(&self.console_logins_refused)),
            ],
        );
        family(
            "console_lockouts_total",
            "counter",
            "Console sign-ins locked after wrong passwords in a row.",
            &[("", get(&self.console_lockouts))],
        );
        family(
            "http_requests_total",
            "counter",
            "Journeys' HTTP requests performed.",
            &[("", get(&self.http_requests))],
        );
        let gauge = |n: i64| n.max(0) as u64;
        family(
            "contacts",
            "gauge",
            "Contacts stored.",
            &[("", gauge(stats.contacts))],
        );
        family(
            "inbox_events",
            "gauge",
            "Events waiting to be stepped.",
            &[("", gauge(stats.inbox))],
        );
        family(
            "timers_pending",
            "gauge",
            "Timers not yet due.",
            &[("", gauge(stats.timers_pending))],
        );
        family(
            "outbox",
            "gauge",
            "Outbox rows by state.",
            &[
                ("state=\"queued\"", gauge(stats.outbox_queued)),
                ("state=\"sending\"", gauge(stats.outbox_sending)),
                ("state=\"sent\"", gauge(stats.outbox_sent)),
                ("state=\"dead\"", gauge(stats.outbox_dead)),
            ],
        );
        family(
            "handoffs_open",
            "gauge",
            "Contacts with an agent.",
            &[("", gauge(stats.handoffs))],
        );
        family(
            "contacts_stepping",
            "gauge",
            "Contacts being stepped now.",
            &[("", busy_contacts as u64)],
        );
        histogram(
            &mut out,
            "timer_lateness_seconds",
            "How late timers were handled after their time.",
            &self.timer_lateness,
        );
        histogram(
            &mut out,
            "webhook_ack_seconds",
            "From a webhook's arrival to its acknowledgement.",
            &self.webhook_ack,
        );
        out
    }
}

/// Upper bounds of the histograms' buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0,
];

/// A Prometheus histogram: cumulative counts per bucket, the sum and the count.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// The sum in microseconds (atomics hold integers).
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

fn histogram(out: &mut String, name: &str, help: &str, histogram: &Histogram) {
    let _ = writeln!(out, "# HELP journey_{name} {help}");
    let _ = writeln!(out, "# TYPE journey_{name} histogram");
    let mut cumulative = 0;
    for (bound, bucket) in BUCKETS.iter().zip(&histogram.buckets) {
        cumulative += bucket.load(Ordering::Relaxed);
        let _ = writeln!(out, "journey_{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    let count = histogram.count.load(Ordering::Relaxed);
    let _ = writeln!(out, "journey_{name}_bucket{{le=\"+Inf\"}} {count}");
    let sum = histogram.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "journey_{name}_sum {sum}");
    let _ = writeln!(out, "journey_{name}_count {count}");
}
