//! Broadcasts (issue 16, part 4; docs/broadcasts.md): an approved template sent to a
//! segment of contacts. Operators and admins (`Agent<Inbox>`: broadcasting is working
//! with contacts, as the inbox is); builders are refused. Every change carries the CSRF
//! token and is written to the audit log.
//!
//! ```text
//!  GET  /console/api/broadcasts              every broadcast with its figures; the approved templates; the tier
//!  POST /console/api/broadcasts              a draft: {template, language, params, segment, at?} ─► {id, count}
//!  POST /console/api/broadcasts/count        how many a request would reach, and who is left out and why
//!  GET  /console/api/broadcasts/{id}         the request, its count (a draft) or figures and failures
//!  POST /console/api/broadcasts/{id}/send    schedules it: one message per recipient, due at their moment
//!  POST /console/api/broadcasts/{id}/cancel  drops the messages not yet sent
//! ```
//!
//! The opt-in rule is the server's: a contact who opted out or stopped marketing
//! messages is never a recipient, whatever the segment says. Sent messages enter the
//! outbox a tier's worth at a time ([`run`]): the dispatcher sends them under its usual
//! rules (rate limits, the 24-hour tier), and the unique outbox key per broadcast and
//! contact means none is sent twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use journey_project::{ButtonKind, ProjectConfig, Template, TemplateStatus};
use journey_runtime::Outbound;
use journey_store::{AudienceMember, BroadcastMessage, BroadcastRow, BroadcastSend, Millis};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::guard::{Agent, Inbox};
use crate::App;
use crate::clock::millis_to_timestamp;
use crate::routes::error;

pub fn router() -> Router<Arc<App>> {
    let one = "/console/api/broadcasts/{id}";
    Router::new()
        .route("/console/api/broadcasts", get(list).post(create))
        .route("/console/api/broadcasts/count", post(count))
        .route(one, get(show))
        .route(&format!("{one}/send"), post(send))
        .route(&format!("{one}/cancel"), post(cancel))
}

const DAY: Millis = 24 * 3_600_000;
/// How often waiting messages are looked at, in real time.
const TICK: Duration = Duration::from_secs(1);
/// The contact field that holds a contact's time zone (an IANA name).
pub const TIMEZONE_FIELD: &str = "timezone";

/// What a broadcast asks for.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    template: String,
    language: String,
    /// The template's parameters in order; `@contact.FIELD` is replaced by the
    /// contact's field.
    #[serde(default)]
    params: Vec<String>,
    #[serde(default)]
    segment: Segment,
    /// `None`: now. Else a local time (`2026-12-08T09:00`) in each contact's time zone
    /// (their `timezone` field), or the project's for a contact without one.
    #[serde(default)]
    at: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Segment {
    /// Every condition must hold.
    #[serde(default)]
    fields: Vec<Condition>,
    /// Every label must be on the contact.
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Condition {
    field: String,
    op: Op,
    #[serde(default)]
    value: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Is,
    IsNot,
    Contains,
    Set,
    NotSet,
}

impl Condition {
    fn holds(&self, fields: &BTreeMap<String, journey_expr::Value>) -> bool {
        let value = fields
            .get(&self.field)
            .map(|v| v.to_text())
            .filter(|v| !v.is_empty());
        let same = |v: &str| v.trim().eq_ignore_ascii_case(self.value.trim());
        match self.op {
            Op::Is => value.as_deref().is_some_and(same),
            Op::IsNot => !value.as_deref().is_some_and(same),
            Op::Contains => {
                value.is_some_and(|v| v.to_lowercase().contains(&self.value.trim().to_lowercase()))
            }
            Op::Set => value.is_some(),
            Op::NotSet => value.is_none(),
        }
    }
}

/// Who a broadcast reaches, and who the rules leave out.
struct Plan {
    messages: Vec<BroadcastMessage>,
    /// Reason → contacts in the segment left out for it.
    excluded: BTreeMap<&'static str, usize>,
}

const OPTED_OUT: &str = "opted out";
const MARKETING_STOPPED: &str = "stopped marketing messages";
const EMPTY_PARAMETER: &str = "a parameter would be empty (a contact field not set)";

/// The approved template a spec names, with its parameters checked, and its moment
/// read; or what is wrong, said for people.
fn check<'a>(
    spec: &Spec,
    config: &'a ProjectConfig,
) -> Result<(&'a Template, Option<jiff::civil::DateTime>), String> {
    let template = config
        .template(&spec.template, &spec.language)
        .ok_or_else(|| {
            format!(
                "no template `{}` in `{}` in journey.toml's registry",
                spec.template, spec.language
            )
        })?;
    if template.status != TemplateStatus::Approved {
        return Err(format!(
            "template `{}` is not approved by WhatsApp, so it cannot be broadcast",
            template.name
        ));
    }
    let wanted = template.parameter_names().len();
    if spec.params.len() != wanted || spec.params.iter().any(|p| p.trim().is_empty()) {
        return Err(format!(
            "template `{}` takes {wanted} parameter(s), each filled in (a text or \
             `@contact.FIELD`)",
            template.name
        ));
    }
    let at = match spec.at.as_deref().map(str::trim) {
        None | Some("") | Some("now") => None,
        Some(text) => Some(text.parse::<jiff::civil::DateTime>().map_err(|_| {
            format!("`at` is `now` or a local time like 2026-12-08T09:00, not `{text}`")
        })?),
    };
    Ok((template, at))
}

/// `@contact.FIELD` in a parameter, replaced by the field's text (empty when not set).
fn fill(param: &str, fields: &BTreeMap<String, journey_expr::Value>) -> String {
    let mut out = String::new();
    let mut rest = param;
    while let Some(start) = rest.find("@contact.") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "@contact.".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..end];
        out.push_str(&fields.get(name).map(|v| v.to_text()).unwrap_or_default());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The moment `at` (local) is for a contact: in their time zone field if it names one,
/// else the project's; never before `now`.
fn due(
    at: Option<jiff::civil::DateTime>,
    fields: &BTreeMap<String, journey_expr::Value>,
    project_zone: &str,
    now: Millis,
) -> Millis {
    let Some(at) = at else { return now };
    let zone = fields
        .get(TIMEZONE_FIELD)
        .and_then(|v| jiff::tz::TimeZone::get(&v.to_text()).ok())
        .or_else(|| jiff::tz::TimeZone::get(project_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(zone)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(now)
        .max(now)
}

fn plan(
    spec: &Spec,
    template: &Template,
    at: Option<jiff::civil::DateTime>,
    config: &ProjectConfig,
    audience: &[AudienceMember],
    now: Millis,
) -> Plan {
    let buttons: Vec<String> = template
        .buttons
        .iter()
        .filter(|b| b.kind == ButtonKind::QuickReply)
        .map(|b| b.payload.clone().unwrap_or_else(|| b.text.clone()))
        .collect();
    let mut plan = Plan {
        messages: Vec::new(),
        excluded: BTreeMap::new(),
    };
    for member in audience {
        let fields = crate::steps::fields(&member.row.fields);
        let in_segment = spec.segment.fields.iter().all(|c| c.holds(&fields))
            && spec
                .segment
                .labels
                .iter()
                .all(|l| member.labels.iter().any(|m| m.eq_ignore_ascii_case(l)));
        if !in_segment {
            continue;
        }
        let params: Vec<String> = spec.params.iter().map(|p| fill(p, &fields)).collect();
        let left_out = if member.row.opted_out {
            Some(OPTED_OUT)
        } else if member.row.marketing_opt_out {
            Some(MARKETING_STOPPED)
        } else if params.iter().any(|p| p.trim().is_empty()) {
            Some(EMPTY_PARAMETER)
        } else {
            None
        };
        if let Some(reason) = left_out {
            *plan.excluded.entry(reason).or_default() += 1;
            continue;
        }
        let message = Outbound::Template {
            name: template.name.clone(),
            language: template.language.clone(),
            params,
            buttons: buttons.clone(),
        };
        plan.messages.push(BroadcastMessage {
            contact: member.row.id.clone(),
            body: serde_json::to_string(&message).unwrap_or_default(),
            due: due(at, &fields, &config.project.timezone, now),
        });
    }
    plan
}

// ------------------------------------------------------------------ handlers

fn unavailable(e: impl std::fmt::Display) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Response> {
    body.map(|Json(value)| value)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.body_text()))
}

/// The count of a spec as it stands: recipients, those left out and why, and how many
/// the tier lets go now.
async fn counted(app: &App, spec: &Spec) -> Result<(Plan, Value), Response> {
    let deployed = app.deployed();
    let (template, at) =
        check(spec, &deployed.config).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let audience = app.store.audience().await.map_err(unavailable)?;
    let now = app.clock.now();
    let plan = plan(spec, template, at, &deployed.config, &audience, now);
    let reached = app
        .store
        .reach_since(now - DAY)
        .await
        .map_err(unavailable)?
        .len() as u64;
    let room = app.settings.rates.tier.saturating_sub(reached);
    let recipients = plan.messages.len() as u64;
    let count = json!({
        "recipients": recipients,
        "excluded": plan.excluded.values().sum::<usize>(),
        "excluded_by_reason": plan.excluded,
        "tier": app.settings.rates.tier,
        "tier_room_now": room,
        "later_by_tier": recipients.saturating_sub(room),
    });
    Ok((plan, count))
}

async fn count(
    State(app): State<Arc<App>>,
    _agent: Agent<Inbox>,
    request: Result<Json<Spec>, JsonRejection>,
) -> Response {
    let spec = match body(request) {
        Ok(spec) => spec,
        Err(response) => return response,
    };
    match counted(&app, &spec).await {
        Ok((_, count)) => Json(count).into_response(),
        Err(response) => response,
    }
}

async fn create(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    request: Result<Json<Spec>, JsonRejection>,
) -> Response {
    let spec = match body(request) {
        Ok(spec) => spec,
        Err(response) => return response,
    };
    let count = match counted(&app, &spec).await {
        Ok((_, count)) => count,
        Err(response) => return response,
    };
    let text = serde_json::to_string(&spec).unwrap_or_default();
    let audit = agent.audit(
        "broadcast_create",
        None,
        format!("template {} ({})", spec.template, spec.language),
    );
    match app
        .store
        .create_broadcast(agent.name.clone(), text, audit, app.clock.real_now())
        .await
    {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id, "count": count}))).into_response(),
        Err(e) => unavailable(e),
    }
}

async fn find(app: &App, id: i64) -> Result<(BroadcastRow, Spec), Response> {
    let row = app
        .store
        .broadcasts(Some(id))
        .await
        .map_err(unavailable)?
        .into_iter()
        .next()
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no broadcast {id}")))?;
    let spec = serde_json::from_str(&row.spec).map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("broadcast {id} is unreadable: {e}"),
        )
    })?;
    Ok((row, spec))
}

/// Progress and delivery figures from the recipients' rows, and the failures with
/// WhatsApp's reason.
fn report(sends: &[BroadcastSend]) -> Value {
    let count = |f: &dyn Fn(&BroadcastSend) -> bool| sends.iter().filter(|s| f(s)).count();
    let delivery =
        |s: &BroadcastSend, of: &[&str]| s.delivery.as_deref().is_some_and(|d| of.contains(&d));
    let failed = |s: &BroadcastSend| s.state == "dead" || delivery(s, &["failed"]);
    let failures: Vec<Value> = sends
        .iter()
        .filter(|s| failed(s))
        .map(|s| json!({"contact": s.contact, "reason": s.error.clone().unwrap_or_else(|| "no reason given".to_owned())}))
        .collect();
    json!({
        "recipients": sends.len(),
        "waiting": count(&|s| s.state == "waiting"),
        "queued": count(&|s| matches!(s.state.as_str(), "queued" | "sending")),
        "sent": count(&|s| s.state == "sent"),
        "delivered": count(&|s| delivery(s, &["delivered", "read"])),
        "read": count(&|s| delivery(s, &["read"])),
        "failed": failures.len(),
        "failures": failures,
    })
}

async fn described(
    app: &App,
    row: &BroadcastRow,
    spec: &Spec,
    full: bool,
) -> Result<Value, Response> {
    let mut view = json!({
        "id": row.id,
        "author": row.author,
        "state": row.state,
        "template": spec.template,
        "language": spec.language,
        "created_at": millis_to_timestamp(row.created_at).to_string(),
        "sent_at": row.sent_at.map(|t| millis_to_timestamp(t).to_string()),
    });
    if full {
        view["request"] = serde_json::to_value(spec).unwrap_or_default();
        view["summary"] = serde_json::from_str(&row.summary).unwrap_or_default();
    }
    if row.state == "draft" {
        if full {
            view["count"] = counted(app, spec).await?.1;
        }
    } else {
        let sends = app
            .store
            .broadcast_sends(row.id)
            .await
            .map_err(unavailable)?;
        let mut figures = report(&sends);
        if !full && let Some(figures) = figures.as_object_mut() {
            figures.remove("failures");
        }
        view["figures"] = figures;
    }
    Ok(view)
}

async fn list(State(app): State<Arc<App>>, _agent: Agent<Inbox>) -> Response {
    let rows = match app.store.broadcasts(None).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(e),
    };
    let mut broadcasts = Vec::new();
    for row in &rows {
        let Ok(spec) = serde_json::from_str::<Spec>(&row.spec) else {
            continue;
        };
        match described(&app, row, &spec, false).await {
            Ok(view) => broadcasts.push(view),
            Err(response) => return response,
        }
    }
    let deployed = app.deployed();
    let templates: Vec<Value> = deployed
        .config
        .templates
        .iter()
        .filter(|t| t.status == TemplateStatus::Approved)
        .map(|t| {
            json!({"name": t.name, "language": t.language, "body": t.body,
                   "category": t.category, "parameters": t.parameter_names(),
                   "quick_replies": t.buttons.iter()
                        .filter(|b| b.kind == ButtonKind::QuickReply)
                        .map(|b| b.payload.clone().unwrap_or_else(|| b.text.clone()))
                        .collect::<Vec<_>>()})
        })
        .collect();
    Json(json!({
        "broadcasts": broadcasts,
        "templates": templates,
        "tier": app.settings.rates.tier,
        "project_timezone": deployed.config.project.timezone,
        "timezone_field": TIMEZONE_FIELD,
    }))
    .into_response()
}

async fn show(State(app): State<Arc<App>>, _agent: Agent<Inbox>, Path(id): Path<i64>) -> Response {
    let (row, spec) = match find(&app, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match described(&app, &row, &spec, true).await {
        Ok(view) => Json(view).into_response(),
        Err(response) => response,
    }
}

async fn send(State(app): State<Arc<App>>, agent: Agent<Inbox>, Path(id): Path<i64>) -> Response {
    let (row, spec) = match find(&app, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if row.state != "draft" {
        return error(
            StatusCode::CONFLICT,
            format!(
                "broadcast {id} is {}, not a draft: it cannot be sent again",
                row.state
            ),
        );
    }
    let (plan, count) = match counted(&app, &spec).await {
        Ok(counted) => counted,
        Err(response) => return response,
    };
    let recipients = plan.messages.len();
    let audit = agent.audit(
        "broadcast_send",
        Some(format!("broadcast {id}")),
        format!(
            "{recipients} recipient(s), {} left out",
            plan.excluded.values().sum::<usize>()
        ),
    );
    let summary = count.to_string();
    match app
        .store
        .send_broadcast(id, summary, plan.messages, audit, app.clock.now())
        .await
    {
        Ok(true) => {
            app.wake_broadcasts.notify_one();
            (
                StatusCode::ACCEPTED,
                Json(json!({"sending": id, "count": count})),
            )
                .into_response()
        }
        Ok(false) => error(
            StatusCode::CONFLICT,
            format!("broadcast {id} was sent or cancelled meanwhile"),
        ),
        Err(e) => unavailable(e),
    }
}

async fn cancel(State(app): State<Arc<App>>, agent: Agent<Inbox>, Path(id): Path<i64>) -> Response {
    let audit = agent.audit(
        "broadcast_cancel",
        Some(format!("broadcast {id}")),
        String::new(),
    );
    match app.store.cancel_broadcast(id, audit, app.clock.now()).await {
        Ok(Some(dropped)) => Json(json!({"cancelled": id, "dropped": dropped})).into_response(),
        Ok(None) => error(
            StatusCode::CONFLICT,
            format!("broadcast {id} does not exist or is already cancelled"),
        ),
        Err(e) => unavailable(e),
    }
}

// ------------------------------------------------------------------ pacing

/// Moves due messages into the outbox as the messaging tier has room: the tier less the
/// contacts reached in the last 24 hours (the dispatcher's own accounting, `reach`).
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.wake_broadcasts.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let now = app.clock.now();
        match app.store.broadcasts_due(now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!("cannot read the waiting broadcast messages: {e}");
                continue;
            }
        }
        let reached = match app.store.reach_since(now - DAY).await {
            Ok(reach) => reach.len() as u64,
            Err(e) => {
                tracing::error!("cannot read the messaging tier's reach: {e}");
                continue;
            }
        };
        let room = app.settings.rates.tier.saturating_sub(reached);
        match app.store.release_broadcasts(now, room).await {
            Ok(0) => {}
            Ok(moved) => {
                tracing::info!(moved, "broadcast messages released to the outbox");
                app.wake_dispatch.notify_one();
            }
            Err(e) => tracing::error!("cannot release broadcast messages: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> BTreeMap<String, journey_expr::Value> {
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        match journey_expr::Value::from_json(&json) {
            journey_expr::Value::Map(map) => map,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn parameters_take_contact_fields() {
        let f = fields(r#"{"name": "Thandi", "clinic": "Hillbrow"}"#);
        assert_eq!(fill("@contact.name", &f), "Thandi");
        assert_eq!(
            fill("Dear @contact.name, at @contact.clinic.", &f),
            "Dear Thandi, at Hillbrow."
        );
        assert_eq!(fill("@contact.missing", &f), "");
    }

    #[test]
    fn a_local_time_is_each_contacts_own() {
        let at: jiff::civil::DateTime = "2026-12-08T09:00".parse().unwrap();
        let utc = due(Some(at), &fields("{}"), "UTC", 0);
        let joburg = due(
            Some(at),
            &fields(r#"{"timezone": "Africa/Johannesburg"}"#),
            "UTC",
            0,
        );
        assert_eq!(
            utc - joburg,
            2 * 3_600_000,
            "09:00 in Johannesburg is 07:00 UTC"
        );
        assert_eq!(
            due(Some(at), &fields("{}"), "UTC", utc + 5),
            utc + 5,
            "never in the past"
        );
        assert_eq!(due(None, &fields("{}"), "UTC", 42), 42);
    }

    #[test]
    fn conditions_read_fields_as_text() {
        let f = fields(r#"{"district": "Soweto", "age": 30}"#);
        let c = |op, value: &str| Condition {
            field: "district".into(),
            op,
            value: value.into(),
        };
        assert!(c(Op::Is, "soweto").holds(&f));
        assert!(!c(Op::IsNot, "Soweto").holds(&f));
        assert!(c(Op::Contains, "owe").holds(&f));
        assert!(c(Op::Set, "").holds(&f));
        assert!(!c(Op::NotSet, "").holds(&f));
        let age = Condition {
            field: "age".into(),
            op: Op::Is,
            value: "30".into(),
        };
        assert!(age.holds(&f));
    }
}
