//! The outbox dispatcher: claims rows with a lease (one per contact at a time, so a
//! contact's messages arrive in order), applies the sending rules, posts to the Graph
//! API and records the result. Sending is at-least-once: a crash between Meta's answer
//! and the record re-sends that row once its lease runs out, with the same
//! `biz_opaque_callback_data` so the duplicate can be recognised.

use std::sync::Arc;
use std::time::Duration;

use journey_project::TemplateCategory;
use journey_runtime::{HttpRequest, Outbound};
use journey_store::{ContactRow, Millis, OutboxOutcome, OutboxResult, OutboxRow};
use journey_whatsapp::response::{Answer, Class};
use journey_whatsapp::{send, window};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::App;
use crate::limits::{Hold, Limits};
use crate::steps::{COMMAND, Command};

/// How long a claimed row is ours; past it, it may be claimed (and sent) again. Longer
/// than the longest send, which must end inside it.
pub const LEASE: Millis = 90_000;
/// A journey's HTTP request may wait this long at most.
const MAX_HTTP_TIMEOUT: u64 = 60_000;
/// Sends in flight at once.
const CONCURRENCY: usize = 64;
/// The shortest idle wait when a row is due but was not claimable (its contact has a
/// row in flight).
const IDLE_FLOOR: Duration = Duration::from_millis(20);
/// The Graph API's answer must come within this.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries: 2 s doubling up to 15 min, at most 12 attempts (durable-runtime.md §5.6).
const BACKOFF_BASE: Millis = 2_000;
const BACKOFF_CAP: Millis = 15 * 60_000;
const MAX_ATTEMPTS: i64 = 12;

pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    // Results go to one recorder, which writes whatever has come in as one request:
    // the single writer sees one `finish` per batch of sends, not one per send.
    let (results, finished) = mpsc::unbounded_channel::<(OutboxResult, OwnedSemaphorePermit)>();
    let recorder = tokio::spawn(record(app.clone(), finished));
    loop {
        if *stop.borrow() {
            break;
        }
        let free = slots.available_permits();
        if free == 0 {
            // Every slot busy: the next finished send wakes us. No store call here, so a
            // saturated dispatcher does not keep the writer busy with empty claims.
            tokio::select! {
                _ = app.wake_dispatch.notified() => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let claimed = match app.store.claim_outbox(app.clock.now(), LEASE, free).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!("cannot claim outbox rows: {e}");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        for row in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let app = app.clone();
            let results = results.clone();
            tokio::spawn(async move {
                match deliver(&app, row).await {
                    // The permit is released once the result is recorded, so the
                    // contact's next row is not claimed before this one is finished.
                    Some(result) => {
                        let _ = results.send((result, permit));
                    }
                    None => {
                        drop(permit);
                        app.wake_dispatch.notify_one();
                    }
                }
            });
        }
        if !idle {
            continue;
        }
        // Nothing due: sleep until the next row is, a step queues one, a send finishes,
        // or a second passes (the safety net against a missed wake-up). A row due now
        // that was not claimed waits behind its contact's row in flight, whose end
        // wakes us; the short floor keeps that case from spinning on the store.
        let next = app.store.next_outbox_at().await.ok().flatten();
        let wait = next
            .map(|at| app.clock.real_until(at).max(IDLE_FLOOR))
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        tokio::select! {
            _ = app.wake_dispatch.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
    // Wait for sends in flight, so their results are recorded before the store closes.
    // Briefly: a send whose result is not recorded is sent again after its lease,
    // with the same idempotency key (at-least-once).
    let _ = tokio::time::timeout(
        Duration::from_millis(1500),
        slots.acquire_many(CONCURRENCY as u32),
    )
    .await;
    drop(results);
    // Sends still in flight hold the channel open; their rows are leased, not lost.
    let _ = tokio::time::timeout(Duration::from_secs(1), recorder).await;
}

/// Waits before recording a batch of finished sends again.
const RECORD_RETRY_WAITS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// Records finished sends: takes every result that has arrived, writes them in one
/// `finish_outbox`, then frees their slots.
async fn record(
    app: Arc<App>,
    mut finished: mpsc::UnboundedReceiver<(OutboxResult, OwnedSemaphorePermit)>,
) {
    let mut batch = Vec::with_capacity(CONCURRENCY);
    while finished.recv_many(&mut batch, CONCURRENCY).await > 0 {
        let (rows, permits): (Vec<OutboxResult>, Vec<OwnedSemaphorePermit>) =
            batch.drain(..).unzip();
        let answered: Vec<String> = rows
            .iter()
            .filter_map(|row| row.event.as_ref().map(|(contact, _, _)| contact.clone()))
            .collect();
        let mut recorded = app.store.finish_outbox(rows.clone(), app.clock.now()).await;
        // A dropped database connection is usually replaced within these waits; a send
        // left unrecorded is sent again when its lease runs out. Recording twice is
        // harmless: a result changes only the row of its own claim.
        for wait in RECORD_RETRY_WAITS {
            let Err(e) = &recorded else { break };
            tracing::warn!(
                "cannot record {} sends, trying again in {wait:?}: {e}",
                rows.len()
            );
            tokio::time::sleep(wait).await;
            recorded = app.store.finish_outbox(rows.clone(), app.clock.now()).await;
        }
        if let Err(e) = recorded {
            // One row at a time, so one failure does not cost the batch its records.
            tracing::warn!(
                "cannot record {} sends together, one by one: {e}",
                rows.len()
            );
            for row in rows {
                if let Err(e) = app.store.finish_outbox(vec![row], app.clock.now()).await {
                    // The lease runs out and the row is sent again: at-least-once.
                    tracing::error!("cannot record a send: {e}");
                }
            }
        }
        // An HTTP response is now an event in its contact's inbox: step it.
        for contact in &answered {
            crate::steps::notify(&app, contact);
        }
        drop(permits);
        app.wake_dispatch.notify_one();
    }
}

/// Sends a claimed row; `None` when its lease would run out before the send could
/// finish (the row goes to whoever claims it next, and nothing is recorded).
async fn deliver(app: &Arc<App>, row: OutboxRow) -> Option<OutboxResult> {
    let outcome_event = |outcome, event| OutboxResult {
        id: row.id,
        attempt: row.attempts,
        outcome,
        event,
    };
    if row.kind == "http" {
        let (command, outcome) = http(app, &row).await?;
        let payload = serde_json::to_string(&command).unwrap_or_default();
        return Some(outcome_event(
            outcome,
            Some((row.contact.clone(), COMMAND.to_owned(), payload)),
        ));
    }
    Some(outcome_event(message(app, &row).await?, None))
}

/// Whether a send that may take `longest` can start now and end inside the row's
/// lease: past the lease, another claim may be sending the same row.
pub fn within_lease(row: &OutboxRow, now: Millis, longest: Duration) -> bool {
    now.saturating_add(longest.as_millis() as Millis) < row.leased_until
}

/// Why the rules keep a message from going now.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    OptedOut,
    MarketingStopped,
    WindowClosed,
    /// A template parameter is empty (a contact field that is not set, say): WhatsApp
    /// would send a broken message or refuse it.
    EmptyParameter(usize),
    HeldByRate(Millis),
    HeldByTier(Millis),
}

/// What the rules let through: how the message counts, and its template's parameter
/// names (the Cloud API wants named parameters by name).
#[derive(Clone, Debug, PartialEq)]
pub struct Admitted {
    pub business_initiated: bool,
    pub parameter_names: Vec<String>,
}

/// The sending rules, without I/O: opt-out (a reply the contact asked for still goes),
/// marketing opt-out, the 24-hour window, then the limits (whose tokens are taken on
/// admission). The dispatcher and the simulation (sim.rs) both ask this.
pub fn judge(
    message: &Outbound,
    row: &OutboxRow,
    contact: &ContactRow,
    config: &journey_project::ProjectConfig,
    limits: &mut Limits,
    window_margin: jiff::SignedDuration,
    now: Millis,
) -> Result<Admitted, Refusal> {
    let template = match message {
        Outbound::Template { name, language, .. } => Some(config.template(name, language)),
        _ => None,
    };
    if contact.opted_out && !row.by_contact {
        return Err(Refusal::OptedOut);
    }
    if let Some(Some(template)) = template
        && template.category == TemplateCategory::Marketing
        && contact.marketing_opt_out
    {
        return Err(Refusal::MarketingStopped);
    }
    let open = window::is_open(
        contact
            .last_inbound_at
            .map(crate::clock::millis_to_timestamp),
        crate::clock::millis_to_timestamp(now),
        window_margin,
    );
    // Never free-form outside the window (error 131047): the checker should make this
    // unreachable; the runtime makes it impossible.
    if template.is_none() && !open {
        return Err(Refusal::WindowClosed);
    }
    if let Outbound::Template { params, .. } = message
        && let Some(empty) = params.iter().position(|p| p.trim().is_empty())
    {
        return Err(Refusal::EmptyParameter(empty + 1));
    }
    let business_initiated = !open;
    match limits.admit(&row.contact, business_initiated, now) {
        Ok(()) => {}
        Err(Hold::Rate(at)) => return Err(Refusal::HeldByRate(at)),
        Err(Hold::Tier(at)) => return Err(Refusal::HeldByTier(at)),
    }
    let parameter_names = match template {
        Some(Some(template)) => template
            .parameter_names()
            .into_iter()
            .filter(|n| !n.chars().all(|c| c.is_ascii_digit()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Admitted {
        business_initiated,
        parameter_names,
    })
}

impl Refusal {
    /// The row's fate: refused for good, or held until a moment.
    pub fn outcome(&self) -> OutboxOutcome {
        match self {
            Refusal::OptedOut => OutboxOutcome::Dead {
                error: "the contact opted out".to_owned(),
            },
            Refusal::MarketingStopped => OutboxOutcome::Dead {
                error: "the contact stopped marketing messages".to_owned(),
            },
            Refusal::WindowClosed => OutboxOutcome::Dead {
                error: "the 24-hour window is closed: only a template may be sent".to_owned(),
            },
            Refusal::EmptyParameter(n) => OutboxOutcome::Dead {
                error: format!(
                    "the template's parameter {n} is empty (a contact field that is not set?): \
                     not sent"
                ),
            },
            Refusal::HeldByRate(at) => hold(*at, "held by a rate limit"),
            Refusal::HeldByTier(at) => {
                hold(*at, "held: the messaging-limit tier is full for today")
            }
        }
    }
}

/// Sends one WhatsApp message, under the rules; `None` when the lease ran out first.
async fn message(app: &Arc<App>, row: &OutboxRow) -> Option<OutboxOutcome> {
    let now = app.clock.now();
    let message: Outbound = match serde_json::from_str(&row.body) {
        Ok(message) => message,
        Err(e) => return Some(dead(app, format!("unreadable message: {e}"))),
    };
    let contact = match app.store.contact_row(&row.contact).await {
        Ok(contact) => contact.unwrap_or_default(),
        Err(e) => return Some(retry(row, now, format!("cannot read the contact: {e}"))),
    };
    let deployed = app.deployed();
    let judged = match app.limits.lock() {
        Ok(mut limits) => judge(
            &message,
            row,
            &contact,
            &deployed.config,
            &mut limits,
            app.settings.window_margin,
            now,
        ),
        Err(_) => return Some(retry(row, now, "the limits are unavailable".to_owned())),
    };
    let Admitted {
        business_initiated,
        parameter_names: names,
    } = match judged {
        Ok(admitted) => admitted,
        Err(refusal) => {
            let metrics = &app.metrics;
            app.metrics.count(match refusal {
                Refusal::OptedOut | Refusal::MarketingStopped => &metrics.blocked_opt_out,
                Refusal::WindowClosed => &metrics.blocked_window,
                Refusal::EmptyParameter(_) => &metrics.blocked_empty_parameter,
                Refusal::HeldByRate(_) => &metrics.held_rate,
                Refusal::HeldByTier(_) => &metrics.held_tier,
            });
            let outcome = refusal.outcome();
            if let OutboxOutcome::Dead { error } = &outcome {
                app.metrics.count(&app.metrics.dead);
                tracing::warn!(contact = %row.contact, key = %row.idem_key, "a message will not be sent: {error}");
            }
            return Some(outcome);
        }
    };
    if !within_lease(row, app.clock.now(), SEND_TIMEOUT) {
        tracing::warn!(
            row = row.id,
            "a send's lease ran out before it began; left to the next claim"
        );
        return None;
    }
    let body = send::body(
        &message,
        &send::Envelope {
            contact: &row.contact,
            callback: &row.idem_key,
            parameter_names: &names,
        },
    );
    let url = format!(
        "{}/{}/messages",
        app.settings.graph_url.trim_end_matches('/'),
        app.settings.phone_number_id
    );
    let answer = app
        .http
        .post(&url)
        .bearer_auth(&app.settings.access_token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(SEND_TIMEOUT)
        .send()
        .await;
    // Without a whole answer Meta may have sent it; we cannot know. Retrying risks a
    // duplicate, which the callback key lets the status webhooks reveal; not retrying
    // risks a loss.
    let answer = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            response
                .bytes()
                .await
                .map(|bytes| journey_whatsapp::response::classify(status, &bytes))
                .map_err(|e| format!("the answer was cut off: {e}"))
        }
        Err(e) => Err(format!("no answer: {e}")),
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => return Some(failed(app, row, Class::Retry, now, error)),
    };
    Some(match answer {
        Answer::Accepted { message_id } => {
            app.metrics.count(&app.metrics.sent);
            if business_initiated && let Ok(mut limits) = app.limits.lock() {
                limits.reached(&row.contact, now);
            }
            OutboxOutcome::Sent {
                provider_id: message_id,
                reached: business_initiated,
            }
        }
        Answer::Failed(failure) => failed(app, row, failure.class, now, failure.message),
    })
}

fn failed(app: &App, row: &OutboxRow, class: Class, now: Millis, error: String) -> OutboxOutcome {
    app.metrics.send_failed(class);
    tracing::warn!(contact = %row.contact, key = %row.idem_key, attempt = row.attempts, "a send failed ({class:?}): {error}");
    let outcome = match app.limits.lock() {
        Ok(mut limits) => after_failure(&mut limits, row, class, now, error, fastrand::f64()),
        Err(_) => OutboxOutcome::Retry {
            at: now + backoff(row.attempts),
            error,
            attempted: true,
        },
    };
    if matches!(outcome, OutboxOutcome::Dead { .. }) {
        app.metrics.count(&app.metrics.dead);
    }
    outcome
}

/// What a failed send becomes: throttles pause the number or the pair, permanent
/// failures and the last attempt end the row, the rest retry with backoff.
pub fn after_failure(
    limits: &mut Limits,
    row: &OutboxRow,
    class: Class,
    now: Millis,
    error: String,
    jitter: f64,
) -> OutboxOutcome {
    let wait = backoff_with(row.attempts, jitter);
    match class {
        Class::Throttle => limits.pause_number(now + wait),
        // Resellers advise 4^n seconds for the pair limit.
        Class::PairThrottle => limits.pause_pair(
            &row.contact,
            now + 4i64.saturating_pow(row.attempts.clamp(1, 6) as u32) * 1000,
        ),
        Class::Retry | Class::Permanent => {}
    }
    match class {
        Class::Permanent => OutboxOutcome::Dead { error },
        _ if row.attempts >= MAX_ATTEMPTS => OutboxOutcome::Dead {
            error: format!("gave up after {} attempts: {error}", row.attempts),
        },
        _ => OutboxOutcome::Retry {
            at: now + wait,
            error,
            attempted: true,
        },
    }
}

fn retry(row: &OutboxRow, now: Millis, error: String) -> OutboxOutcome {
    OutboxOutcome::Retry {
        at: now + backoff(row.attempts),
        error,
        attempted: true,
    }
}

fn hold(at: Millis, why: &str) -> OutboxOutcome {
    OutboxOutcome::Retry {
        at,
        error: why.to_owned(),
        attempted: false,
    }
}

fn dead(app: &App, error: String) -> OutboxOutcome {
    app.metrics.count(&app.metrics.dead);
    OutboxOutcome::Dead { error }
}

/// Exponential backoff with jitter: base·2^(n−1), capped, times 0.5–1.0.
pub fn backoff(attempts: i64) -> Millis {
    backoff_with(attempts, fastrand::f64())
}

/// The backoff with a given jitter in 0–1 (the simulation draws it from its seed).
pub fn backoff_with(attempts: i64, jitter: f64) -> Millis {
    let exponent = attempts.clamp(1, 30) as u32 - 1;
    let full = BACKOFF_BASE
        .saturating_mul(1i64 << exponent.min(20))
        .min(BACKOFF_CAP);
    (full as f64 * (0.5 + jitter * 0.5)) as Millis
}

/// Performs a journey's HTTP request; any failure is status 0, which the journey's
/// `on_error:` handles.
async fn http(app: &Arc<App>, row: &OutboxRow) -> Option<(Command, OutboxOutcome)> {
    let request: HttpRequest = match serde_json::from_str(&row.body) {
        Ok(request) => request,
        Err(e) => {
            let command = Command::Http {
                request: String::new(),
                status: 0,
                body: serde_json::Value::Null,
                by_contact: row.by_contact,
            };
            return Some((
                command,
                OutboxOutcome::Dead {
                    error: format!("unreadable request: {e}"),
                },
            ));
        }
    };
    let timeout = Duration::from_millis(request.timeout.clamp(1, MAX_HTTP_TIMEOUT));
    if !within_lease(row, app.clock.now(), timeout) {
        tracing::warn!(
            row = row.id,
            "a request's lease ran out before it began; left to the next claim"
        );
        return None;
    }
    app.metrics.count(&app.metrics.http_requests);
    // The secrets go in only now, into what is sent; the stored row keeps placeholders.
    let request = request.revealed(&app.settings.secrets);
    let method = reqwest::Method::from_bytes(request.method.to_uppercase().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut builder = app
        .http
        .request(method, &request.url)
        .query(&request.query)
        .timeout(timeout);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let (status, body) = match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
            });
            (status, body)
        }
        Err(e) => {
            // Without the address: its query may hold a secret.
            tracing::info!(
                contact = %row.contact,
                "a journey's HTTP request failed: {}",
                e.without_url()
            );
            (0, serde_json::Value::Null)
        }
    };
    Some((
        Command::Http {
            request: request.id,
            status,
            body,
            by_contact: row.by_contact,
        },
        OutboxOutcome::Done,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> OutboxRow {
        OutboxRow {
            id: 1,
            contact: "27820000001".to_owned(),
            idem_key: "27820000001:1:0".to_owned(),
            kind: "message".to_owned(),
            body: String::new(),
            by_contact: false,
            attempts: 1,
            created_at: 0,
            leased_until: LEASE,
        }
    }

    fn judged(message: &Outbound, contact: &ContactRow) -> Result<Admitted, Refusal> {
        let rates = Rates {
            per_number: 80.0,
            pair_interval_secs: 6.0,
            pair_burst: 45.0,
            tier: 1000,
        };
        judge(
            message,
            &row(),
            contact,
            &journey_project::ProjectConfig::default(),
            &mut Limits::new(rates, Vec::new(), 0),
            jiff::SignedDuration::from_mins(1),
            3_600_000,
        )
    }

    use crate::limits::Rates;

    #[test]
    fn a_template_with_an_empty_parameter_is_not_sent() {
        let template = |params: &[&str]| Outbound::Template {
            name: "visit_reminder".to_owned(),
            language: "en".to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            buttons: Vec::new(),
        };
        let contact = ContactRow::default();
        assert_eq!(
            judged(&template(&["Thandi", " "]), &contact),
            Err(Refusal::EmptyParameter(2))
        );
        assert!(judged(&template(&["Thandi", "Hillbrow Clinic"]), &contact).is_ok());
    }

    #[test]
    fn free_form_goes_only_inside_the_window_and_never_to_an_opted_out_contact() {
        let text = Outbound::Text {
            body: "Hello".to_owned(),
        };
        let mut contact = ContactRow::default();
        assert_eq!(judged(&text, &contact), Err(Refusal::WindowClosed));
        contact.last_inbound_at = Some(0);
        assert!(judged(&text, &contact).is_ok());
        contact.opted_out = true;
        assert_eq!(judged(&text, &contact), Err(Refusal::OptedOut));
    }
}
