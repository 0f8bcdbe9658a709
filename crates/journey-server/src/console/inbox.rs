//! The inbox (issue 16, part 2): the JSON API the console's UI works the queues with.
//! Operators and admins only (`Agent<Inbox>`); every change carries the CSRF token
//! (the extractor checks it) and is written to the audit log.
//!
//! ```text
//!  GET    /console/api/queues                          open handoffs by queue, longest waiting first
//!  GET    /console/api/conversations/{id}              messages both ways, steps, fields, labels, notes
//!  POST   /console/api/conversations/{id}/reply        {text} in the window, else {template}
//!  POST   /console/api/conversations/{id}/notes        {text}
//!  POST   /console/api/conversations/{id}/labels       {label}
//!  DELETE /console/api/conversations/{id}/labels/{l}
//!  POST   /console/api/conversations/{id}/assign       {person: "me" | name | null, queue?}
//!  POST   /console/api/conversations/{id}/return       {card}: back to the bot at that card
//!  POST   /console/api/conversations/{id}/close        back to the bot (the handoff's on_return)
//!  GET    /console/api/events                          server-sent events: what changed
//! ```
//!
//! Replies and returns are commands in the contact's inbox, stepped like the admin
//! API's: a reply becomes an outbox row that the dispatcher sends under its rules.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use journey_runtime::{Outbound, RunState};
use journey_store::{ContactRow, ContactView, InboxChange, InboxItem, Millis};
use journey_whatsapp::window;
use serde::Deserialize;
use serde_json::{Value, json};

use super::guard::{Agent, Inbox, Need, hash_session_id};
use crate::App;
use crate::clock::millis_to_timestamp;
use crate::people::Role;
use crate::routes::{ReplyRequest, agent_message, error};
use crate::steps::{COMMAND, Command, MESSAGE, StoredMessage, notify};

pub fn router() -> Router<Arc<App>> {
    let conversation = "/console/api/conversations/{id}";
    Router::new()
        .route("/console/api/queues", get(queues))
        .route("/console/api/events", get(events))
        .route(conversation, get(conversation_view))
        .route(&format!("{conversation}/reply"), post(reply))
        .route(&format!("{conversation}/notes"), post(note))
        .route(&format!("{conversation}/labels"), post(add_label))
        .route(
            &format!("{conversation}/labels/{{label}}"),
            delete(remove_label),
        )
        .route(&format!("{conversation}/assign"), post(assign))
        .route(&format!("{conversation}/return"), post(give_back))
        .route(&format!("{conversation}/close"), post(close))
}

/// Longest note or reply text taken (WhatsApp's own limit for a text message).
const MAX_TEXT: usize = 4096;
/// Longest label.
const MAX_LABEL: usize = 100;

pub(super) fn unavailable(e: impl std::fmt::Display) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Response> {
    body.map(|Json(value)| value)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.body_text()))
}

pub(super) fn waiting(item: &InboxItem, now: Millis) -> Value {
    json!({
        "contact": item.contact,
        "queue": item.queue,
        "note": item.note,
        "since": millis_to_timestamp(item.since).to_string(),
        "waiting_seconds": (now - item.since).max(0) / 1000,
        "assignee": item.assignee,
        "last_message_at": item.last_inbound_at.map(|t| millis_to_timestamp(t).to_string()),
    })
}

/// Every queue with its open handoffs, longest waiting first, and their counts.
async fn queues(State(app): State<Arc<App>>, agent: Agent<Inbox>) -> Response {
    let items = match app.store.inbox().await {
        Ok(items) => items,
        Err(e) => return unavailable(e),
    };
    let now = app.clock.now();
    let mut queues: BTreeMap<&str, Vec<&InboxItem>> = BTreeMap::new();
    for item in &items {
        queues.entry(&item.queue).or_default().push(item);
    }
    Json(json!({
        "queues": queues.iter().map(|(queue, items)| json!({
            "queue": queue,
            "open": items.len(),
            "unassigned": items.iter().filter(|i| i.assignee.is_none()).count(),
            "mine": items.iter().filter(|i| i.assignee.as_deref() == Some(&agent.name)).count(),
            "handoffs": items.iter().map(|i| waiting(i, now)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "open": items.len(),
    }))
    .into_response()
}

/// A contact with an agent, or the answer that says why not.
async fn open_handoff(app: &App, id: &str) -> Result<(ContactRow, InboxItem), Response> {
    let row = match app.store.contact_row(id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(error(StatusCode::NOT_FOUND, format!("no contact `{id}`"))),
        Err(e) => return Err(unavailable(e)),
    };
    match app.store.inbox_item(id).await {
        Ok(Some(item)) => Ok((row, item)),
        Ok(None) => Err(error(
            StatusCode::CONFLICT,
            format!("`{id}` is not with an agent (the bot has the conversation)"),
        )),
        Err(e) => Err(unavailable(e)),
    }
}

/// An operator speaks for a conversation that is unassigned or theirs; an admin for
/// any. Two people answering one contact at once would confuse them.
fn may_speak(agent: &Agent<Inbox>, item: &InboxItem) -> Result<(), Response> {
    match &item.assignee {
        Some(other) if *other != agent.name && agent.role != Role::Admin => Err(error(
            StatusCode::CONFLICT,
            format!(
                "`{}` is assigned to {other}: assign the conversation to yourself first",
                item.contact
            ),
        )),
        _ => Ok(()),
    }
}

/// A command for the contact's inbox, committed with its audit row; the contact's
/// worker is woken once it is.
async fn queue_command(
    app: &Arc<App>,
    agent: &Agent<Inbox>,
    contact: &str,
    command: Command,
    action: &str,
    detail: String,
) -> Result<(), Response> {
    let change = InboxChange::Event {
        kind: COMMAND.to_owned(),
        payload: serde_json::to_string(&command).unwrap_or_default(),
    };
    record(app, agent, contact, change, action, detail).await?;
    notify(app, contact);
    Ok(())
}

/// Writes the audit row of a change and feeds the live updates.
async fn record(
    app: &App,
    agent: &Agent<Inbox>,
    contact: &str,
    change: InboxChange,
    action: &str,
    detail: String,
) -> Result<bool, Response> {
    let entry = agent.audit(action, Some(contact.to_owned()), detail);
    app.store
        .change_inbox(contact, change, entry, app.clock.now())
        .await
        .map_err(unavailable)
}

fn accepted(what: &str) -> Response {
    (StatusCode::ACCEPTED, Json(json!({ "queued": what }))).into_response()
}

// ------------------------------------------------------------------ the conversation

/// What an outbound message says, for the conversation view.
fn summary(message: &Outbound) -> String {
    match message {
        Outbound::Text { body } => body.clone(),
        Outbound::Media { kind, url, caption } => match caption {
            Some(caption) => format!("[{kind}] {caption}"),
            None => format!("[{kind}] {url}"),
        },
        Outbound::Interactive { body, options, .. } => {
            let titles: Vec<&str> = options.iter().map(|(_, t)| t.as_str()).collect();
            format!("{body} [{}]", titles.join(" | "))
        }
        Outbound::Template { name, params, .. } => {
            format!("[template {name}] {}", params.join(" | "))
        }
    }
}

/// Journal entries a conversation shows: the latest, however long the contact's
/// history (the store reads only these).
pub(super) const CONVERSATION_ENTRIES: usize = 200;

/// The messages both ways and the steps of the journal entries `view` holds, oldest
/// first: what the conversation and the contact's profile show.
pub(super) fn history(id: &str, view: &ContactView) -> (Vec<Value>, Vec<Value>) {
    let outbox: BTreeMap<&str, _> = view
        .outbox
        .iter()
        .map(|o| (o.idem_key.as_str(), o))
        .collect();
    let mut messages = Vec::new();
    let mut steps = Vec::new();
    for entry in &view.journal {
        let at = millis_to_timestamp(entry.at).to_string();
        let event: Value = serde_json::from_str(&entry.event).unwrap_or(Value::Null);
        if entry.kind == MESSAGE
            && let Ok(message) = serde_json::from_str::<StoredMessage>(&entry.event)
        {
            messages.push(json!({
                "from": "contact", "at": millis_to_timestamp(message.at).to_string(),
                "kind": message.inbound.kind, "text": message.inbound.text,
            }));
        }
        let agent = (entry.kind == COMMAND && event["kind"] == "agent_reply")
            .then(|| event["by"].as_str().unwrap_or("admin API").to_owned());
        let effects: Value = serde_json::from_str(&entry.effects).unwrap_or(Value::Null);
        let actions = effects["actions"].as_array().cloned().unwrap_or_default();
        // Outbox rows are keyed contact:version:n, n counting sends and requests.
        let mut n = 0;
        let mut did = Vec::new();
        for action in &actions {
            let kind = action["do"].as_str().unwrap_or_default();
            did.push(kind.to_owned());
            if kind == "http" {
                n += 1;
            }
            if kind != "send" {
                continue;
            }
            let key = format!("{id}:{}:{n}", entry.version);
            n += 1;
            let Ok(message) = serde_json::from_value::<Outbound>(action["message"].clone()) else {
                continue;
            };
            let row = outbox.get(key.as_str());
            messages.push(json!({
                "from": if agent.is_some() { "agent" } else { "bot" },
                "agent": agent,
                "at": at,
                "text": summary(&message),
                "message": action["message"],
                "state": row.map(|o| o.state.as_str()),
                "delivery": row.and_then(|o| o.delivery.as_deref()),
                "error": row.and_then(|o| o.last_error.as_deref()),
            }));
        }
        steps.push(json!({"at": at, "event": entry.kind, "did": did}));
    }
    (messages, steps)
}

async fn conversation_view(
    State(app): State<Arc<App>>,
    _agent: Agent<Inbox>,
    Path(id): Path<String>,
) -> Response {
    let view = match app.store.recent_contact(&id, CONVERSATION_ENTRIES).await {
        Ok(Some(view)) => view,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no contact `{id}`")),
        Err(e) => return unavailable(e),
    };
    let (item, notes) = match (app.store.inbox_item(&id).await, app.store.notes(&id).await) {
        (Ok(item), Ok(notes)) => (item, notes),
        (Err(e), _) | (_, Err(e)) => return unavailable(e),
    };
    let (messages, steps) = history(&id, &view);
    let row = &view.row;
    let now = app.clock.now();
    let open = window::is_open(
        row.last_inbound_at.map(millis_to_timestamp),
        millis_to_timestamp(now),
        app.settings.window_margin,
    );
    let deployed = app.deployed();
    let run = row
        .state
        .as_deref()
        .and_then(|s| serde_json::from_str::<RunState>(s).ok());
    let runtime = deployed.runtime();
    let cards: Vec<&str> = run
        .as_ref()
        .and_then(|r| runtime.journey(&r.journey))
        .map(|j| j.cards.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    let templates: Vec<Value> = deployed
        .config
        .templates
        .iter()
        .filter(|t| t.status == journey_project::TemplateStatus::Approved)
        .map(|t| {
            json!({"name": t.name, "language": t.language, "body": t.body,
                   "parameters": t.parameter_names()})
        })
        .collect();
    Json(json!({
        "contact": row.id,
        "handoff": item.as_ref().map(|i| waiting(i, now)),
        "window": {
            "open": open,
            "closes_at": row.last_inbound_at.map(|t| millis_to_timestamp(t + 24 * 3_600_000).to_string()),
            "reply": if open { "text or template" } else { "template only" },
        },
        "messages": messages,
        "steps": steps,
        "journey": run.as_ref().map(|r| r.journey.clone()),
        "cards": cards,
        "fields": crate::steps::fields(&row.fields)
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect::<serde_json::Map<_, _>>(),
        "opted_out": row.opted_out,
        "labels": view.labels,
        "notes": notes.iter().map(|n| json!({
            "author": n.author, "text": n.text, "at": millis_to_timestamp(n.at).to_string(),
        })).collect::<Vec<_>>(),
        "templates": templates,
    }))
    .into_response()
}

// ------------------------------------------------------------------ actions

async fn reply(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
    request: Result<Json<ReplyRequest>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let (row, item) = match open_handoff(&app, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = may_speak(&agent, &item) {
        return response;
    }
    let message = match agent_message(&app, &row, request) {
        Ok(message) if summary(&message).len() <= MAX_TEXT => message,
        Ok(_) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("a reply is at most {MAX_TEXT} characters"),
            );
        }
        Err(response) => return response,
    };
    let detail = match &message {
        Outbound::Template { name, .. } => format!("replied with template {name}"),
        _ => "replied".to_owned(),
    };
    let command = Command::AgentReply {
        message,
        by: Some(agent.name.clone()),
    };
    match queue_command(&app, &agent, &id, command, "reply", detail).await {
        Ok(()) => accepted("reply"),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct NoteRequest {
    text: String,
}

async fn note(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
    request: Result<Json<NoteRequest>, JsonRejection>,
) -> Response {
    let text = match body(request) {
        Ok(NoteRequest { text }) => text,
        Err(response) => return response,
    };
    if text.trim().is_empty() || text.len() > MAX_TEXT {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("a note is some text, at most {MAX_TEXT} characters"),
        );
    }
    let change = InboxChange::Note {
        author: agent.name.clone(),
        text,
    };
    match record_known(&app, &agent, &id, change, "note", String::new()).await {
        Ok(_) => (StatusCode::CREATED, Json(json!({"noted": id}))).into_response(),
        Err(response) => response,
    }
}

/// [`record`] for a contact that must exist (404 otherwise).
async fn record_known(
    app: &App,
    agent: &Agent<Inbox>,
    id: &str,
    change: InboxChange,
    action: &str,
    detail: String,
) -> Result<bool, Response> {
    match app.store.contact_row(id).await {
        Ok(Some(_)) => record(app, agent, id, change, action, detail).await,
        Ok(None) => Err(error(StatusCode::NOT_FOUND, format!("no contact `{id}`"))),
        Err(e) => Err(unavailable(e)),
    }
}

#[derive(Deserialize)]
struct LabelRequest {
    label: String,
}

fn check_label(label: &str) -> Result<(), Response> {
    label_fault(label).map_or(Ok(()), |why| {
        Err(error(StatusCode::UNPROCESSABLE_ENTITY, why))
    })
}

/// Why a label cannot be one, if it cannot.
pub(super) fn label_fault(label: &str) -> Option<String> {
    (label.trim().is_empty() || label.len() > MAX_LABEL || label.chars().any(char::is_control))
        .then(|| format!("a label is a word or a few, at most {MAX_LABEL} characters"))
}

async fn add_label(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
    request: Result<Json<LabelRequest>, JsonRejection>,
) -> Response {
    let label = match body(request) {
        Ok(LabelRequest { label }) => label.trim().to_owned(),
        Err(response) => return response,
    };
    if let Err(response) = check_label(&label) {
        return response;
    }
    let detail = format!("added label {label}");
    let change = InboxChange::AddLabel(label);
    match record_known(&app, &agent, &id, change, "label", detail).await {
        Ok(_) => Json(json!({"labelled": id})).into_response(),
        Err(response) => response,
    }
}

async fn remove_label(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path((id, label)): Path<(String, String)>,
) -> Response {
    let detail = format!("removed label {label}");
    let change = InboxChange::RemoveLabel(label);
    match record_known(&app, &agent, &id, change, "unlabel", detail).await {
        Ok(_) => Json(json!({"unlabelled": id})).into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct AssignRequest {
    /// `me`, a person's name, or absent/null: unassigned.
    #[serde(default)]
    person: Option<String>,
    /// Another queue (a team); absent: the queue it is in.
    #[serde(default)]
    queue: Option<String>,
}

async fn assign(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
    request: Result<Json<AssignRequest>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let (_, item) = match open_handoff(&app, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let person = match request.person.as_deref() {
        None => None,
        Some("me") => Some(agent.name.clone()),
        Some(name) => match app.store.person(name).await {
            Ok(Some(p)) if Role::parse(&p.role).is_ok_and(Inbox::allows) => Some(p.name),
            Ok(Some(p)) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "{} has the {} role and cannot work the inbox",
                        p.name, p.role
                    ),
                );
            }
            Ok(None) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("nobody is called `{name}` (see `journey users list`)"),
                );
            }
            Err(e) => return unavailable(e),
        },
    };
    let queue = match request.queue {
        Some(queue) if queue.trim().is_empty() || queue.len() > MAX_LABEL => {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "name the queue");
        }
        Some(queue) => queue,
        None => item.queue.clone(),
    };
    let detail = match &person {
        Some(person) => format!("assigned to {person} in queue {queue}"),
        None => format!("unassigned, in queue {queue}"),
    };
    let change = InboxChange::Assign {
        since: item.since,
        queue: queue.clone(),
        assignee: person.clone(),
    };
    match record(&app, &agent, &id, change, "assign", detail).await {
        Ok(true) => {
            Json(json!({"contact": id, "queue": queue, "assignee": person})).into_response()
        }
        Ok(false) => error(
            StatusCode::CONFLICT,
            format!("`{id}`'s handoff ended or began again meanwhile: reload the conversation"),
        ),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct ReturnRequest {
    card: String,
}

/// Back to the bot at a card of the journey the contact is in.
async fn give_back(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
    request: Result<Json<ReturnRequest>, JsonRejection>,
) -> Response {
    let card = match body(request) {
        Ok(ReturnRequest { card }) => card,
        Err(response) => return response,
    };
    let (row, item) = match open_handoff(&app, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = may_speak(&agent, &item) {
        return response;
    }
    let run = row
        .state
        .as_deref()
        .and_then(|s| serde_json::from_str::<RunState>(s).ok());
    let Some(run) = run else {
        return error(
            StatusCode::CONFLICT,
            format!("`{id}` has no journey to return to"),
        );
    };
    let deployed = app.deployed();
    let runtime = deployed.runtime();
    let Some(journey) = runtime.journey(&run.journey) else {
        return error(
            StatusCode::CONFLICT,
            format!("the journey `{}` is no longer deployed", run.journey),
        );
    };
    if journey.card_by_name(&card).is_none() {
        let cards: Vec<&str> = journey.cards.iter().map(|c| c.name.as_str()).collect();
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the journey `{}` has no card `{card}`; its cards: {}",
                journey.name,
                cards.join(", ")
            ),
        );
    }
    let command = Command::ReturnTo {
        journey: journey.name.clone(),
        card: card.clone(),
    };
    let detail = format!("returned to the bot at {}: {card}", journey.name);
    match queue_command(&app, &agent, &id, command, "return", detail).await {
        Ok(()) => accepted("return"),
        Err(response) => response,
    }
}

/// Back to the bot as the journey says (the handoff's `on_return:` card, else the run
/// ends): the admin API's return.
async fn close(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
    Path(id): Path<String>,
) -> Response {
    let item = match open_handoff(&app, &id).await {
        Ok((_, item)) => item,
        Err(response) => return response,
    };
    if let Err(response) = may_speak(&agent, &item) {
        return response;
    }
    let detail = "closed: back to the bot".to_owned();
    match queue_command(&app, &agent, &id, Command::Return, "close", detail).await {
        Ok(()) => accepted("close"),
        Err(response) => response,
    }
}

// ------------------------------------------------------------------ live updates

/// How often the stream reads the feed of changes (one indexed query).
const POLL: Duration = Duration::from_secs(1);
/// On PostgreSQL a change's id is taken before it commits, so a lower id can appear
/// after a higher one: ids are read again for this long, and each sent once.
const LOOK_BACK: Duration = Duration::from_secs(10);
/// How often the stream checks that the session is still valid.
const SESSION_CHECK: Duration = Duration::from_secs(30);
/// Changes read per poll at most.
const BATCH: usize = 500;

struct Feed {
    app: Arc<App>,
    session_hash: String,
    /// Ids below or at this were all seen more than LOOK_BACK ago.
    floor: i64,
    /// Ids seen since, with when.
    seen: VecDeque<(i64, Instant)>,
    ids: HashSet<i64>,
    checked: Instant,
    first: bool,
}

impl Feed {
    /// The next batch of contacts that changed, or `None` when the session ended.
    async fn next(&mut self) -> Option<Vec<String>> {
        loop {
            if self.first {
                self.first = false;
                return Some(Vec::new());
            }
            tokio::time::sleep(POLL).await;
            if self.checked.elapsed() >= SESSION_CHECK {
                self.checked = Instant::now();
                let now = self.app.clock.real_now();
                // A database hiccup does not end the stream; a session that ended does.
                if let Ok(None) = self.app.store.session(&self.session_hash, now).await {
                    return None;
                }
            }
            while let Some(&(id, at)) = self.seen.front() {
                if at.elapsed() < LOOK_BACK {
                    break;
                }
                self.seen.pop_front();
                self.ids.remove(&id);
                self.floor = self.floor.max(id);
            }
            let Ok(changes) = self.app.store.inbox_changes(self.floor, BATCH).await else {
                continue;
            };
            let mut contacts = Vec::new();
            for (id, contact) in changes {
                if self.ids.insert(id) {
                    self.seen.push_back((id, Instant::now()));
                    if !contacts.contains(&contact) {
                        contacts.push(contact);
                    }
                }
            }
            if !contacts.is_empty() {
                return Some(contacts);
            }
        }
    }
}

/// `event: ready` once, then `event: change` with `{"contact": …}` for each contact
/// whose conversation or place in the queues changed (a new handoff, a message, an
/// assignment, a note, a return): the console reloads what it shows of them.
async fn events(
    State(app): State<Arc<App>>,
    agent: Agent<Inbox>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, Response> {
    let floor = app.store.last_inbox_change().await.map_err(unavailable)?;
    // The stream ends when the server stops (the browser reconnects to the next one):
    // an open console must not hold up shutdown.
    let mut stopping = app.stopping.clone();
    let stopped = async move {
        let _ = stopping.wait_for(Option::is_some).await;
    };
    let feed = Feed {
        app,
        session_hash: hash_session_id(&agent.session_id),
        floor,
        seen: VecDeque::new(),
        ids: HashSet::new(),
        checked: Instant::now(),
        first: true,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let contacts = feed.next().await?;
        let events: Vec<Result<Event, Infallible>> = if contacts.is_empty() {
            vec![Ok(Event::default().event("ready").data("{}"))]
        } else {
            contacts
                .iter()
                .map(|c| {
                    Ok(Event::default()
                        .event("change")
                        .data(json!({ "contact": c }).to_string()))
                })
                .collect()
        };
        Some((futures_util::stream::iter(events), feed))
    });
    use futures_util::StreamExt;
    Ok(Sse::new(stream.flatten().take_until(stopped))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
