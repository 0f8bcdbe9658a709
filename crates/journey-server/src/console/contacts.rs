//! Contacts (issue 16, part 5): the JSON API of the console's Contacts view. Operators
//! and admins only (`Agent<Inbox>`: builders are refused as for the inbox); an import
//! and an export are written to the audit log.
//!
//! ```text
//!  GET  /console/api/contacts?q=&field=&value=&label=&opted=in|out&after=&limit=
//!                                        a page of contacts in number order, `next`, and
//!                                        the field names to search by
//!  GET  /console/api/contacts/{id}       profile: fields, labels, opt-out, open handoff,
//!                                        the latest history
//!  POST /console/api/contacts/import     a CSV body (contacts_csv.rs): all rows or none
//!  GET  /console/api/contacts/export     the contacts that match, as CSV, page by page
//! ```

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use journey_store::{ContactListing, ContactQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::contacts_csv::{self, Rejected};
use super::guard::{Agent, Inbox};
use super::inbox::{history, label_fault, unavailable, waiting};
use crate::App;
use crate::routes::error;

/// The largest CSV an import takes (about 100,000 short rows).
const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// Rejected cells an import's report lists; it says how many more there are.
const MAX_REPORTED: usize = 200;
/// Contacts a search page holds at most.
const MAX_PAGE: usize = 200;
/// Contacts an export reads from the store at a time (what it holds in memory).
const EXPORT_PAGE: usize = 500;
/// Journal entries a profile shows: the latest.
const PROFILE_ENTRIES: usize = 50;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/console/api/contacts", get(search))
        .route("/console/api/contacts/export", get(export))
        .route(
            "/console/api/contacts/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/console/api/contacts/{id}", get(profile))
}

#[derive(Deserialize)]
struct SearchParams {
    /// The start of the number (a `+` and spaces are let go).
    q: Option<String>,
    /// A field, and the value it holds (typed as the field's schema says).
    field: Option<String>,
    value: Option<String>,
    label: Option<String>,
    /// `in` (not opted out) or `out`.
    opted: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// The store's query for the parameters, or why they make none.
fn query(app: &App, params: SearchParams, limit: usize) -> Result<ContactQuery, Response> {
    let refuse = |why: String| error(StatusCode::UNPROCESSABLE_ENTITY, why);
    let prefix: Option<String> = params
        .q
        .map(|q| {
            q.trim_start_matches('+')
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
                .collect::<String>()
        })
        .filter(|q| !q.is_empty());
    let field = match (params.field.filter(|f| !f.is_empty()), params.value) {
        (None, _) => None,
        (Some(name), value) => {
            let Some(spec) = app.deployed().config.field(&name) else {
                return Err(refuse(format!(
                    "`{name}` is not a contact field of journey.toml"
                )));
            };
            let value = value.unwrap_or_default();
            let typed = contacts_csv::field_value(&spec, value.trim())
                .map_err(|why| refuse(format!("{name}: {why}")))?;
            Some((name, serde_json::to_string(&typed).unwrap_or_default()))
        }
    };
    let opted_out = match params.opted.as_deref() {
        None | Some("") | Some("any") => None,
        Some("in") => Some(false),
        Some("out") => Some(true),
        Some(other) => {
            return Err(refuse(format!(
                "`opted` is `in`, `out` or `any`, not `{other}`"
            )));
        }
    };
    Ok(ContactQuery {
        prefix,
        field,
        label: params.label.filter(|l| !l.trim().is_empty()),
        opted_out,
        after: params.after.filter(|a| !a.is_empty()),
        limit,
    })
}

fn params(params: Result<Query<SearchParams>, QueryRejection>) -> Result<SearchParams, Response> {
    params
        .map(|Query(p)| p)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.body_text()))
}

fn fields_json(fields: &str) -> serde_json::Map<String, Value> {
    crate::steps::fields(fields)
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect()
}

fn listing(contact: &ContactListing) -> Value {
    json!({
        "contact": contact.row.id,
        "fields": fields_json(&contact.row.fields),
        "labels": contact.labels,
        "opted_out": contact.row.opted_out,
        "handoff": contact.row.handoff,
    })
}

async fn search(
    State(app): State<Arc<App>>,
    _agent: Agent<Inbox>,
    found: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let found = match params(found) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let limit = found.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let query = match query(&app, found, limit) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let contacts = match app.store.search_contacts(query).await {
        Ok(contacts) => contacts,
        Err(e) => return unavailable(e),
    };
    let next = (contacts.len() == limit)
        .then(|| contacts.last().map(|c| c.row.id.clone()))
        .flatten();
    let fields: Vec<String> = app.deployed().config.all_fields().into_keys().collect();
    Json(json!({
        "contacts": contacts.iter().map(listing).collect::<Vec<_>>(),
        "next": next,
        "fields": fields,
    }))
    .into_response()
}

async fn profile(
    State(app): State<Arc<App>>,
    _agent: Agent<Inbox>,
    Path(id): Path<String>,
) -> Response {
    let view = match app.store.recent_contact(&id, PROFILE_ENTRIES).await {
        Ok(Some(view)) => view,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no contact `{id}`")),
        Err(e) => return unavailable(e),
    };
    let item = match app.store.inbox_item(&id).await {
        Ok(item) => item,
        Err(e) => return unavailable(e),
    };
    let (messages, steps) = history(&id, &view);
    let now = app.clock.now();
    Json(json!({
        "contact": view.row.id,
        "fields": fields_json(&view.row.fields),
        "labels": view.labels,
        "opted_out": view.row.opted_out,
        "marketing_opted_out": view.row.marketing_opt_out,
        "handoff": item.as_ref().map(|i| waiting(i, now)),
        "messages": messages,
        "steps": steps,
        "history_limit": PROFILE_ENTRIES,
    }))
    .into_response()
}

async fn import(State(app): State<Arc<App>>, agent: Agent<Inbox>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return rejected(vec![Rejected {
            line: 1,
            column: None,
            why: "the file is not UTF-8 text: save it as \"CSV UTF-8\"".to_owned(),
        }]);
    };
    let fields = app.deployed().config.all_fields();
    let contacts = match contacts_csv::read_import(text, &fields, label_fault) {
        Ok(contacts) if contacts.is_empty() => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the file has no contacts: a header line, then one line a contact",
            );
        }
        Ok(contacts) => contacts,
        Err(bad) => return rejected(bad),
    };
    let rows = contacts.len();
    let entry = agent.audit(
        "contacts_imported",
        None,
        format!("imported {rows} contacts from a CSV"),
    );
    match app
        .store
        .import_contacts(contacts, entry, app.clock.now())
        .await
    {
        Ok(count) => Json(json!({
            "imported": rows,
            "created": count.created,
            "updated": count.updated,
        }))
        .into_response(),
        Err(e) => unavailable(e),
    }
}

/// An import refused: nothing was kept, and each bad row is named.
fn rejected(mut bad: Vec<Rejected>) -> Response {
    let mut lines: Vec<u64> = bad.iter().map(|r| r.line).collect();
    lines.dedup();
    let more = bad.len().saturating_sub(MAX_REPORTED);
    bad.truncate(MAX_REPORTED);
    // The file's own faults (an unknown or repeated column) are reported at line 1,
    // the header: no row is at fault then.
    let error = if lines == [1] {
        "the file's header cannot be imported, so nothing was imported: correct the \
         header and upload the file again"
            .to_owned()
    } else {
        let (rows, them) = if lines.len() == 1 {
            ("row", "it")
        } else {
            ("rows", "them")
        };
        format!(
            "{} {rows} cannot be imported, so nothing was imported: correct {them} and \
             upload the file again",
            lines.len(),
        )
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "error": error,
            "rejected": bad,
            "more_rejected": more,
        })),
    )
        .into_response()
}

/// The matching contacts as CSV, written a page at a time as the client reads.
async fn export(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    found: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let found = match params(found) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let query = match query(&app, found, EXPORT_PAGE) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let entry = agent.audit("contacts_exported", None, "exported contacts as CSV".into());
    if let Err(e) = app.store.audit(entry, app.clock.real_now()).await {
        return unavailable(e);
    }
    let header = contacts_csv::export_header(&app.deployed().config.all_fields());
    let pages = futures_util::stream::unfold(Some((app, query, true)), move |state| {
        let header = header.clone();
        async move {
            let (app, query, first) = state?;
            let contacts = match app.store.search_contacts(query.clone()).await {
                Ok(contacts) => contacts,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let bytes =
                contacts_csv::export_rows(&header, &contacts, first).map_err(std::io::Error::other);
            let next = (contacts.len() == query.limit)
                .then(|| contacts.last().map(|c| c.row.id.clone()))
                .flatten()
                .map(|after| {
                    let query = journey_store::ContactQuery {
                        after: Some(after),
                        ..query
                    };
                    (app, query, false)
                });
            Some((bytes, next))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.csv\"",
            ),
        ],
        Body::from_stream(pages),
    )
        .into_response()
}
