//! The HTTP surface: the WhatsApp webhook, the admin API, health and metrics (and the
//! console's routes, console/).

// Handlers return early with a ready response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use journey_runtime::{Contact, Effect, Outbound};
use journey_store::{Accepted, Intake};
use journey_whatsapp::webhook::{Delivery, Notice};
use journey_whatsapp::{signature, webhook, window};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::App;
use crate::bundle::Bundle;
use crate::clock::millis_to_timestamp;
use crate::steps::{COMMAND, Command, StoredMessage, notify};

pub fn router(app: Arc<App>) -> Router {
    let max_body = app.settings.max_body;
    Router::new()
        .route("/webhooks/whatsapp", get(verify).post(receive))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/admin/start", post(start))
        .route("/admin/contacts/{id}", get(contact))
        .route("/admin/contacts/{id}/reset", post(reset))
        .route("/admin/contacts/{id}/reply", post(reply))
        .route("/admin/contacts/{id}/return", post(give_back))
        .route("/admin/handoffs", get(handoffs))
        .route("/admin/journeys", get(journeys))
        .route("/admin/deploy", post(deploy))
        .merge(crate::console::router())
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(app)
}

/// A body must arrive within this once its headers have (a slow sender holds a
/// connection, not the server).
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One line per request: the route (not the path, which can hold a contact's number,
/// nor the query, which can hold the verify token), the status and the time taken.
async fn log_request(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::warn!(%method, route, status, millis, "request");
    } else {
        tracing::info!(%method, route, status, millis, "request");
    }
    response
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

// ------------------------------------------------------------------ webhook

/// The verification handshake (§5.1): echo `hub.challenge` when the token matches.
async fn verify(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or_default();
    let matches = bool::from(token.as_bytes().ct_eq(app.settings.verify_token.as_bytes()));
    match (mode, query.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if matches => {
            (StatusCode::OK, challenge.clone()).into_response()
        }
        _ => (StatusCode::FORBIDDEN, "verification failed").into_response(),
    }
}

/// A notification: signature on the raw bytes first, then parse, then one durable
/// commit, then 200. Anything that fails before the commit is not acknowledged, so
/// Meta delivers it again.
async fn receive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let arrived = std::time::Instant::now();
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            app.metrics.count(&app.metrics.webhooks_too_large);
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {} bytes", app.settings.max_body),
            );
        }
        Err(rejection) => {
            app.metrics.count(&app.metrics.webhooks_malformed);
            return error(rejection.status(), rejection.body_text());
        }
    };
    let header = headers
        .get("x-hub-signature-256")
        .map(|v| v.to_str().unwrap_or("invalid"));
    if let Err(e) = signature::verify(app.settings.app_secret.as_bytes(), &body, header) {
        app.metrics.count(&app.metrics.webhooks_unauthorized);
        return error(StatusCode::UNAUTHORIZED, e.to_string());
    }
    let notices = match webhook::parse(&body) {
        Ok(notices) => notices,
        Err(e) => {
            app.metrics.count(&app.metrics.webhooks_malformed);
            return error(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let now = app.clock.now();
    let mut intake = Vec::with_capacity(notices.len());
    for notice in notices {
        match notice {
            Notice::Message(message) => {
                // Never in the future: a skewed clock must not stretch the window.
                let at = message.timestamp.map_or(now, |sent| {
                    app.clock.to_journey(sent.saturating_mul(1000)).min(now)
                });
                let payload = StoredMessage {
                    id: message.id.clone(),
                    at,
                    name: message.profile_name,
                    inbound: message.inbound,
                };
                intake.push(Intake::Message {
                    provider_id: message.id,
                    contact: message.contact,
                    payload: serde_json::to_string(&payload).unwrap_or_default(),
                });
            }
            Notice::Status(status) => {
                let rank = match status.status {
                    Delivery::Sent => 1,
                    Delivery::Delivered => 2,
                    Delivery::Read | Delivery::Played => 3,
                    Delivery::Failed => 9,
                    Delivery::Deleted => continue,
                };
                let error = status
                    .errors
                    .first()
                    .map(|e| format!("error {}: {}", e.code, e.message));
                if let Some(error) = &error {
                    tracing::warn!(message = %status.message_id, "a sent message failed: {error}");
                }
                intake.push(Intake::Status {
                    provider_id: status.message_id,
                    callback: status.callback,
                    status: status.status.as_str().to_owned(),
                    rank,
                    error,
                });
            }
            Notice::Preference(preference) if preference.category == "marketing_messages" => {
                app.metrics.count(&app.metrics.preferences);
                match preference.value.as_str() {
                    "stop" | "resume" => intake.push(Intake::MarketingOptOut {
                        contact: preference.contact,
                        stop: preference.value == "stop",
                    }),
                    other => {
                        tracing::info!(contact = %preference.contact, "marketing preference `{other}`")
                    }
                }
            }
            Notice::Preference(preference) => {
                app.metrics.count(&app.metrics.other_changes);
                tracing::info!(contact = %preference.contact, category = %preference.category, "preference change not acted on");
            }
            Notice::Other { field, .. } => {
                app.metrics.count(&app.metrics.other_changes);
                tracing::info!(%field, "webhook change not acted on");
            }
            Notice::Rejected { at, reason } => {
                app.metrics.count(&app.metrics.webhook_items_rejected);
                tracing::warn!(%at, "a webhook item was set aside: {reason}");
            }
        }
    }
    let contacts: Vec<Option<String>> = intake
        .iter()
        .map(|i| match i {
            Intake::Message { contact, .. } => Some(contact.clone()),
            _ => None,
        })
        .collect();
    match app.store.accept(intake, now).await {
        Ok(accepted) => {
            for (result, contact) in accepted.iter().zip(contacts) {
                match (result, contact) {
                    (Accepted::New, Some(contact)) => {
                        app.metrics.count(&app.metrics.inbound_new);
                        notify(&app, &contact);
                    }
                    (Accepted::Duplicate, Some(_)) => {
                        app.metrics.count(&app.metrics.inbound_duplicate)
                    }
                    (_, None) => app.metrics.count(&app.metrics.statuses),
                    _ => {}
                }
            }
            app.metrics.count(&app.metrics.webhooks_ok);
            app.metrics
                .webhook_ack
                .observe(arrived.elapsed().as_secs_f64());
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Err(e) => {
            app.metrics.count(&app.metrics.webhooks_failed);
            tracing::error!("cannot store a notification: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot store the notification now; deliver it again",
            )
        }
    }
}

// ------------------------------------------------------------------ health, metrics

async fn health(State(app): State<Arc<App>>) -> Response {
    match app.store.stats().await {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    match app.store.stats().await {
        Ok(stats) => (
            [("content-type", "text/plain; version=0.0.4")],
            app.metrics.render(&stats, app.workers.busy()),
        )
            .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

// ------------------------------------------------------------------ admin

/// The bearer token, compared in constant time.
fn admin(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = &app.settings.admin_token else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the admin API is off: set JOURNEY_ADMIN_TOKEN",
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "a valid `Authorization: Bearer <JOURNEY_ADMIN_TOKEN>` is required",
        ))
    }
}

macro_rules! admin {
    ($app:expr, $headers:expr) => {
        if let Err(response) = admin(&$app, &$headers) {
            return response;
        }
    };
}

/// Puts commands in contacts' inboxes, in one transaction.
pub(crate) async fn enqueue(
    app: &Arc<App>,
    commands: Vec<(String, Command)>,
) -> Result<(), Response> {
    let intake = commands
        .iter()
        .map(|(contact, command)| Intake::Event {
            contact: contact.clone(),
            kind: COMMAND.to_owned(),
            payload: serde_json::to_string(command).unwrap_or_default(),
        })
        .collect();
    app.store
        .accept(intake, app.clock.now())
        .await
        .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    for (contact, _) in &commands {
        notify(app, contact);
    }
    Ok(())
}

#[derive(Deserialize)]
struct StartRequest {
    journey: String,
    contacts: Vec<String>,
}

/// Starts a journey for contacts. A start is refused for a contact who opted out, is
/// with an agent, or whose 24-hour window is closed when the journey's first message
/// is not a template (WhatsApp only lets templates open a conversation).
async fn start(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Json<StartRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    admin!(app, headers);
    let request = match body {
        Ok(Json(request)) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let deployed = app.deployed();
    if !deployed.has_journey(&request.journey) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "no journey `{}`; deployed: {}",
                request.journey,
                deployed.journey_names().join(", ")
            ),
        );
    }
    let now = app.clock.now();
    let mut started = Vec::new();
    let mut refused = Vec::new();
    // A contact named twice is started once.
    let mut seen = std::collections::HashSet::new();
    for id in request.contacts {
        if !seen.insert(id.clone()) {
            continue;
        }
        if id.is_empty() {
            refused.push(json!({"contact": id, "reason": "an empty contact id"}));
            continue;
        }
        let row = match app.store.contact_row(&id).await {
            Ok(row) => row.unwrap_or_default(),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        };
        let reason = if row.opted_out {
            Some("the contact opted out".to_owned())
        } else if row.handoff.is_some() {
            Some("the contact is with an agent".to_owned())
        } else {
            first_message_rule(&app, &deployed, &request.journey, &id, &row, now)
        };
        match reason {
            Some(reason) => refused.push(json!({"contact": id, "reason": reason})),
            None => started.push(id),
        }
    }
    let commands = started
        .iter()
        .map(|c| {
            (
                c.clone(),
                Command::Start {
                    journey: request.journey.clone(),
                },
            )
        })
        .collect();
    if let Err(response) = enqueue(&app, commands).await {
        return response;
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({"started": started, "refused": refused})),
    )
        .into_response()
}

/// Why a start would send something that cannot go: free-form outside the window, or
/// an opening template with an empty parameter (a contact field that is not set).
fn first_message_rule(
    app: &App,
    deployed: &crate::deployed::Deployed,
    journey: &str,
    id: &str,
    row: &journey_store::ContactRow,
    now: journey_store::Millis,
) -> Option<String> {
    let open = window::is_open(
        row.last_inbound_at.map(millis_to_timestamp),
        millis_to_timestamp(now),
        app.settings.window_margin,
    );
    let contact = Contact {
        id: id.to_owned(),
        fields: crate::steps::fields(&row.fields),
    };
    // The interpreter is pure: a dry run shows what the first message would be.
    let outcome = deployed
        .runtime()
        .start(journey, &contact, None, millis_to_timestamp(now));
    let first = outcome.effects.iter().find_map(|e| match e {
        Effect::Send(message) => Some(message),
        _ => None,
    });
    match first {
        Some(Outbound::Template { params, .. }) => {
            params.iter().position(|p| p.trim().is_empty()).map(|n| {
                format!(
                    "the journey's first message is a template whose parameter {} would be \
                     empty (a contact field that is not set?)",
                    n + 1
                )
            })
        }
        Some(_) if !open => Some(
            "the 24-hour window is closed and the journey's first message is not a template"
                .to_owned(),
        ),
        _ => None,
    }
}

async fn contact(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    admin!(app, headers);
    let view = match app.store.contact(&id).await {
        Ok(Some(view)) => view,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no contact `{id}`")),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let parse =
        |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::String(text.to_owned()));
    let row = &view.row;
    let window_closes = row
        .last_inbound_at
        .map(|t| millis_to_timestamp(t + 24 * 3_600_000).to_string());
    Json(json!({
        "id": row.id,
        "version": row.version,
        "run": row.run,
        "fields": crate::steps::fields(&row.fields)
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect::<serde_json::Map<_, _>>(),
        "state": row.state.as_deref().map(parse),
        "last_inbound_at": row.last_inbound_at.map(|t| millis_to_timestamp(t).to_string()),
        "window_closes_at": window_closes,
        "opted_out": row.opted_out,
        "marketing_opted_out": row.marketing_opt_out,
        "handoff": row.handoff.as_ref().map(|q| json!({"queue": q, "note": row.handoff_note})),
        "pending_events": view.pending_events,
        "timers": view.timers.iter().map(|t| json!({
            "id": t.timer, "run": t.run, "target": parse(&t.target),
            "fire_at": millis_to_timestamp(t.fire_at).to_string(),
            "fire_at_ms": t.fire_at,
            "fired": t.fired_at.is_some(),
        })).collect::<Vec<_>>(),
        "outbox": view.outbox.iter().map(|o| json!({
            "key": o.idem_key, "kind": o.kind, "body": parse(&o.body), "state": o.state,
            "attempts": o.attempts, "message_id": o.provider_id, "delivery": o.delivery,
            "error": o.last_error,
        })).collect::<Vec<_>>(),
        "journal": view.journal.iter().map(|j| json!({
            "version": j.version, "kind": j.kind, "event": parse(&j.event),
            "effects": parse(&j.effects), "at_ms": j.at,
        })).collect::<Vec<_>>(),
        "results": view.results.iter().map(|(k, v)| json!({"key": k, "value": parse(v)})).collect::<Vec<_>>(),
        "labels": view.labels,
    }))
    .into_response()
}

async fn reset(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    admin!(app, headers);
    match enqueue(&app, vec![(id, Command::Reset)]).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({"queued": "reset"}))).into_response(),
        Err(response) => response,
    }
}

async fn handoffs(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    admin!(app, headers);
    match app.store.handoffs().await {
        Ok(list) => Json(json!({
            "handoffs": list.iter().map(|h| json!({
                "contact": h.contact, "queue": h.queue, "note": h.note,
                "since": millis_to_timestamp(h.since).to_string(),
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

#[derive(Deserialize)]
pub(crate) struct ReplyRequest {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    template: Option<TemplateReply>,
}

#[derive(Deserialize)]
struct TemplateReply {
    name: String,
    language: String,
    #[serde(default)]
    params: Vec<String>,
}

/// An agent's message to a contact they have (the admin API's and the console's):
/// free-form inside the 24-hour window (the dispatcher's own rule, `window::is_open`),
/// else an approved template from the registry with every parameter filled.
pub(crate) fn agent_message(
    app: &App,
    row: &journey_store::ContactRow,
    request: ReplyRequest,
) -> Result<Outbound, Response> {
    match (request.text, request.template) {
        (Some(text), None) if !text.trim().is_empty() => {
            let open = window::is_open(
                row.last_inbound_at.map(millis_to_timestamp),
                app.clock.timestamp(),
                app.settings.window_margin,
            );
            if !open {
                let last = row.last_inbound_at.map_or_else(
                    || "the contact has never written".to_owned(),
                    |t| {
                        format!(
                            "the contact last wrote at {}",
                            millis_to_timestamp(t).strftime("%Y-%m-%d %H:%M UTC")
                        )
                    },
                );
                return Err(error(
                    StatusCode::CONFLICT,
                    format!(
                        "the 24-hour window is closed ({last}): WhatsApp lets a business send \
                         only an approved template until the contact writes again; reply with \
                         a template from the registry"
                    ),
                ));
            }
            Ok(Outbound::Text { body: text })
        }
        (None, Some(template)) => {
            let deployed = app.deployed();
            let known = deployed.config.template(&template.name, &template.language);
            match known {
                Some(t) if t.status == journey_project::TemplateStatus::Approved => {
                    let wanted = t.parameter_names().len();
                    if template.params.len() != wanted
                        || template.params.iter().any(|p| p.trim().is_empty())
                    {
                        return Err(error(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            format!(
                                "template `{}` takes {wanted} parameter(s), each filled in; \
                                 {} given",
                                template.name,
                                template
                                    .params
                                    .iter()
                                    .filter(|p| !p.trim().is_empty())
                                    .count()
                            ),
                        ));
                    }
                }
                Some(_) => {
                    return Err(error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "template `{}` is not approved by WhatsApp, so it cannot be sent",
                            template.name
                        ),
                    ));
                }
                None => {
                    return Err(error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "no template `{}` in `{}` in journey.toml's registry",
                            template.name, template.language
                        ),
                    ));
                }
            }
            Ok(Outbound::Template {
                name: template.name,
                language: template.language,
                params: template.params,
                buttons: Vec::new(),
            })
        }
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "send `{\"text\": …}` or `{\"template\": {\"name\", \"language\", \"params\"}}`",
        )),
    }
}

/// An agent's message to a contact they have (see [`agent_message`]).
async fn reply(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ReplyRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    admin!(app, headers);
    let request = match body {
        Ok(Json(request)) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let row = match app.store.contact_row(&id).await {
        Ok(Some(row)) => row,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no contact `{id}`")),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    if row.handoff.is_none() {
        return error(StatusCode::CONFLICT, format!("`{id}` is not with an agent"));
    }
    let message = match agent_message(&app, &row, request) {
        Ok(message) => message,
        Err(response) => return response,
    };
    match enqueue(&app, vec![(id, Command::AgentReply { message, by: None })]).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({"queued": "reply"}))).into_response(),
        Err(response) => response,
    }
}

/// The agent hands the contact back to the bot (the handoff's `on_return:` card).
async fn give_back(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    admin!(app, headers);
    match app.store.contact_row(&id).await {
        Ok(Some(row)) if row.handoff.is_some() => {}
        Ok(_) => return error(StatusCode::CONFLICT, format!("`{id}` is not with an agent")),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
    match enqueue(&app, vec![(id, Command::Return)]).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({"queued": "return"}))).into_response(),
        Err(response) => response,
    }
}

async fn journeys(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    admin!(app, headers);
    Json(json!({ "versions": app.deployed().versions })).into_response()
}

/// Deploys a new version: the JSON bundle in the body, or with no body the project
/// as it is on disk now. Journeys with check errors are refused. Runs in flight stay on
/// their versions; new runs start on the new one. Deploys run one at a time, and their
/// reading, checking and compiling on the blocking pool, so webhooks never wait on them.
async fn deploy(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    admin!(app, headers);
    let _one_at_a_time = app.deploying.lock().await;
    let reload = app.reload.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let bundle = if body.iter().all(u8::is_ascii_whitespace) {
            match reload {
                Some(reload) => reload().map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?,
                None => {
                    return Err((
                        StatusCode::BAD_REQUEST,
                        "send the bundle as JSON".to_owned(),
                    ));
                }
            }
        } else {
            serde_json::from_slice::<Bundle>(&body).map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("the bundle is not valid: {e}"),
                )
            })?
        };
        bundle
            .compile()
            .map_err(|errors| (StatusCode::UNPROCESSABLE_ENTITY, errors))?;
        Ok(bundle)
    })
    .await;
    let bundle = match checked {
        Ok(Ok(bundle)) => bundle,
        Ok(Err((status, message))) => return error(status, message),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "the check failed"),
    };
    let bundle_json = serde_json::to_string(&bundle).unwrap_or_default();
    let deployment = match app
        .store
        .deploy(bundle.digest(), bundle_json, app.clock.now())
        .await
    {
        Ok(deployment) => deployment,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let deployments = match app.store.deployments().await {
        Ok(all) => all,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let secrets = app.settings.secrets.clone();
    let built = tokio::task::spawn_blocking(move || {
        crate::deployed::Deployed::build(&deployments, &secrets)
    })
    .await
    .unwrap_or_else(|_| Err("compiling the deployments failed".to_owned()));
    match built {
        Ok(deployed) => {
            let current: Vec<_> = deployed
                .versions
                .iter()
                .filter(|v| v.deployment == deployment.id)
                .cloned()
                .collect();
            app.set_deployed(deployed);
            Json(json!({"deployment": deployment.id, "digest": deployment.digest, "journeys": current})).into_response()
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}
