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
use crate::limits::Hold;
use crate::steps::{COMMAND, Command};

/// How long a claimed row is ours; past it, it may be claimed (and sent) again.
const LEASE: Millis = 60_000;
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
                let result = deliver(&app, row).await;
                // The permit is released once the result is recorded, so the contact's
                // next row is not claimed before this one is finished.
                let _ = results.send((result, permit));
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
    let _ = slots.acquire_many(CONCURRENCY as u32).await;
    drop(results);
    let _ = recorder.await;
}

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
        if let Err(e) = app.store.finish_outbox(rows.clone(), app.clock.now()).await {
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

async fn deliver(app: &Arc<App>, row: OutboxRow) -> OutboxResult {
    let outcome_event = |outcome, event| OutboxResult {
        id: row.id,
        outcome,
        event,
    };
    if row.kind == "http" {
        let (command, outcome) = http(app, &row).await;
        let payload = serde_json::to_string(&command).unwrap_or_default();
        return outcome_event(
            outcome,
            Some((row.contact.clone(), COMMAND.to_owned(), payload)),
        );
    }
    outcome_event(message(app, &row).await, None)
}

/// Sends one WhatsApp message, under the rules.
async fn message(app: &Arc<App>, row: &OutboxRow) -> OutboxOutcome {
    let now = app.clock.now();
    let message: Outbound = match serde_json::from_str(&row.body) {
        Ok(message) => message,
        Err(e) => return dead(app, format!("unreadable message: {e}")),
    };
    let contact = match app.store.contact_row(&row.contact).await {
        Ok(contact) => contact.unwrap_or_default(),
        Err(e) => return retry(row, now, format!("cannot read the contact: {e}")),
    };
    let deployed = app.deployed();
    let template = match &message {
        Outbound::Template { name, language, .. } => Some(deployed.config.template(name, language)),
        _ => None,
    };
    if contact.opted_out && !row.by_contact {
        app.metrics.count(&app.metrics.blocked_opt_out);
        return dead(app, "the contact opted out".to_owned());
    }
    if let Some(Some(template)) = template
        && template.category == TemplateCategory::Marketing
        && contact.marketing_opt_out
    {
        app.metrics.count(&app.metrics.blocked_opt_out);
        return dead(app, "the contact stopped marketing messages".to_owned());
    }
    let open = window_open(app, &contact, now);
    if template.is_none() && !open {
        // Never free-form outside the window (error 131047): the checker should make
        // this unreachable; the runtime makes it impossible.
        app.metrics.count(&app.metrics.blocked_window);
        return dead(
            app,
            "the 24-hour window is closed: only a template may be sent".to_owned(),
        );
    }
    let business_initiated = !open;
    let admitted = app
        .limits
        .lock()
        .map(|mut limits| limits.admit(&row.contact, business_initiated, now))
        .map_err(|_| ());
    match admitted {
        Ok(Ok(())) => {}
        Ok(Err(Hold::Rate(at))) => {
            app.metrics.count(&app.metrics.held_rate);
            return hold(at, "held by a rate limit");
        }
        Ok(Err(Hold::Tier(at))) => {
            app.metrics.count(&app.metrics.held_tier);
            return hold(at, "held: the messaging-limit tier is full for today");
        }
        Err(_) => return retry(row, now, "the limits are unavailable".to_owned()),
    }
    let names: Vec<String> = match template {
        Some(Some(template)) => template
            .parameter_names()
            .into_iter()
            .filter(|n| !n.chars().all(|c| c.is_ascii_digit()))
            .collect(),
        _ => Vec::new(),
    };
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
    let answer = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) => journey_whatsapp::response::classify(status, &bytes),
                Err(e) => {
                    return failed(
                        app,
                        row,
                        Class::Retry,
                        now,
                        format!("the answer was cut off: {e}"),
                    );
                }
            }
        }
        // Meta may have sent it; we cannot know. Retrying risks a duplicate, which the
        // callback key lets the status webhooks reveal; not retrying risks a loss.
        Err(e) => return failed(app, row, Class::Retry, now, format!("no answer: {e}")),
    };
    match answer {
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
    }
}

fn window_open(app: &App, contact: &ContactRow, now: Millis) -> bool {
    window::is_open(
        contact
            .last_inbound_at
            .map(crate::clock::millis_to_timestamp),
        crate::clock::millis_to_timestamp(now),
        app.settings.window_margin,
    )
}

fn failed(app: &App, row: &OutboxRow, class: Class, now: Millis, error: String) -> OutboxOutcome {
    app.metrics.send_failed(class);
    let wait = backoff(row.attempts);
    if let Ok(mut limits) = app.limits.lock() {
        match class {
            Class::Throttle => limits.pause_number(now + wait),
            // Resellers advise 4^n seconds for the pair limit.
            Class::PairThrottle => limits.pause_pair(
                &row.contact,
                now + 4i64.saturating_pow(row.attempts.clamp(1, 6) as u32) * 1000,
            ),
            Class::Retry | Class::Permanent => {}
        }
    }
    match class {
        Class::Permanent => dead(app, error),
        _ if row.attempts >= MAX_ATTEMPTS => dead(
            app,
            format!("gave up after {} attempts: {error}", row.attempts),
        ),
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
    let exponent = attempts.clamp(1, 30) as u32 - 1;
    let full = BACKOFF_BASE
        .saturating_mul(1i64 << exponent.min(20))
        .min(BACKOFF_CAP);
    (full as f64 * (0.5 + fastrand::f64() * 0.5)) as Millis
}

/// Performs a journey's HTTP request; any failure is status 0, which the journey's
/// `on_error:` handles.
async fn http(app: &Arc<App>, row: &OutboxRow) -> (Command, OutboxOutcome) {
    let request: HttpRequest = match serde_json::from_str(&row.body) {
        Ok(request) => request,
        Err(e) => {
            let command = Command::Http {
                request: String::new(),
                status: 0,
                body: serde_json::Value::Null,
            };
            return (
                command,
                OutboxOutcome::Dead {
                    error: format!("unreadable request: {e}"),
                },
            );
        }
    };
    app.metrics.count(&app.metrics.http_requests);
    // The secrets go in only now, into what is sent; the stored row keeps placeholders.
    let request = request.revealed(&app.settings.secrets);
    let method = reqwest::Method::from_bytes(request.method.to_uppercase().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut builder = app
        .http
        .request(method, &request.url)
        .query(&request.query)
        .timeout(Duration::from_millis(request.timeout.clamp(1, 60_000)));
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
    (
        Command::Http {
            request: request.id,
            status,
            body,
        },
        OutboxOutcome::Done,
    )
}
