//! The console's foundation (issue 16): people sign in with a name and password and get
//! a browser session; what they do is written to the audit log. The bearer-token admin
//! API (routes.rs) stays as it is for machines.
//!
//! ```text
//!  POST /console/login   {name, password} as JSON or a form ─► session cookie + CSRF token
//!  GET  /console/me      who is signed in, and the CSRF token again (after a reload)
//!  POST /console/logout  ends the session (CSRF token required)
//!  GET  /console/audit   the audit log, newest first (admins)
//!  /console/api/…        the inbox (inbox.rs: operators and admins)
//!  /console/api/broadcasts…  broadcasts (broadcasts.rs: operators and admins)
//!  /console/api/contacts…    search, profiles, CSV import and export (contacts.rs: the same)
//!  /console/api/reports/…     conversations, handoffs, messages, funnels, results CSV
//!                             (reports.rs: admins and builders)
//!  GET  /console/…        the console's web page and its files (page.rs)
//! ```
//!
//! assign.rs assigns handoffs by journey.toml's `[queues]` rules, as a task.

// Handlers return early with a ready response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub(crate) mod assign;
pub(crate) mod broadcasts;
mod contacts;
mod contacts_csv;
mod guard;
mod inbox;
mod page;
mod reports;
mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use journey_store::{AuditEntry, LoginFailure, Millis, SessionRow};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::clock::millis_to_timestamp;
use crate::people::{self, Role};
use crate::routes::error;
use guard::{Admins, Agent, COOKIE, csrf_token, hash_session_id, new_session_id};

/// A session lasts a working shift, then the person signs in again.
const SESSION_LIFETIME: Millis = 12 * 3_600_000;
/// Password hashes computed at once: each takes 19 MiB and a core for tens of
/// milliseconds, so a flood of sign-ins queues here instead of exhausting the machine.
pub const HASHING_SLOTS: usize = 4;
/// A sign-in waits this long for a slot, then is told to try again (a flood of
/// sign-ins must not hold connections open behind it).
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/console/login", post(login))
        .route("/console/logout", post(logout))
        .route("/console/me", get(me))
        .route("/console/audit", get(audit_log))
        .merge(inbox::router())
        .merge(broadcasts::router())
        .merge(contacts::router())
        .merge(reports::router())
        .route("/console", get(page::bare))
        .route("/console/", get(page::index))
        .route("/console/{*path}", get(page::below))
}

#[derive(Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

/// Signs a person in. Refused, in this order: a sign-in from another site (its
/// `Origin`), an address with too many failed sign-ins, a locked person; then the
/// password is checked (for a name nobody has, against a stand-in hash, so the answer
/// takes as long).
async fn login(State(app): State<Arc<App>>, request: Request) -> Response {
    let headers = request.headers().clone();
    let address = guard::client_address(
        &app,
        &headers,
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
    );
    if let Err(response) = same_origin(&app, &headers) {
        return response;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let credentials = if form {
        Form::<Credentials>::from_request(request, &())
            .await
            .map(|Form(c)| c)
            .map_err(|e| e.body_text())
    } else {
        Json::<Credentials>::from_request(request, &())
            .await
            .map(|Json(c)| c)
            .map_err(|e| e.body_text())
    };
    let Credentials { name, password } = match credentials {
        Ok(credentials) => credentials,
        Err(why) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("send `name` and `password` as JSON or a form: {why}"),
            );
        }
    };
    if people::check_name(&name).is_err() || password.len() > people::MAX_PASSWORD_BYTES {
        return error(StatusCode::UNAUTHORIZED, WRONG);
    }
    let now = app.clock.real_now();
    let attempt = |action: &str, detail: String| AuditEntry {
        actor: name.clone(),
        action: action.to_owned(),
        subject: Some(name.clone()),
        address: Some(address.clone()),
        detail,
    };
    let failures = app
        .store
        .login_failures_from(&address, now - throttle::ADDRESS_WINDOW)
        .await;
    let (count, oldest) = match failures {
        Ok(found) => found,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    if let Some(until) = throttle::address_blocked(count, oldest, now) {
        let refused = attempt(
            "login_refused",
            "too many failed sign-ins from the address".into(),
        );
        return refuse(
            &app,
            refused,
            until,
            now,
            format!(
                "too many failed sign-ins from your address: try again after {}",
                when(until, now)
            ),
        )
        .await;
    }
    let person = match app.store.person(&name).await {
        Ok(person) => person,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    if let Some(until) = person
        .as_ref()
        .and_then(|p| p.locked_until)
        .filter(|until| *until > now)
    {
        let refused = attempt("login_refused", "the account is locked".into());
        return refuse(&app, refused, until, now, locked_message(&name, until, now)).await;
    }
    let hash = person.as_ref().map(|p| p.password_hash.clone());
    let right = match check(&app, password, hash).await {
        Ok(right) => right,
        Err(response) => return response,
    };
    let person = match person {
        Some(person) if right => person,
        _ => {
            let failure = LoginFailure {
                name: name.clone(),
                tries: throttle::PERSON_TRIES,
                lock_for: throttle::PERSON_LOCK,
                audit: attempt("login_failed", "wrong name or password".into()),
                lockout: attempt(
                    "lockout",
                    format!(
                        "{} wrong passwords in a row: sign-in locked for {} minutes",
                        throttle::PERSON_TRIES,
                        throttle::PERSON_LOCK / 60_000
                    ),
                ),
            };
            let recorded = app.store.login_failed(failure, now).await;
            if recorded.is_ok() {
                app.metrics.count(&app.metrics.console_logins_wrong);
            }
            return match recorded {
                Ok(Some(until)) => {
                    app.metrics.count(&app.metrics.console_lockouts);
                    tracing::warn!(person = %name, %address, "sign-in locked after wrong passwords");
                    too_many(until, now, locked_message(&name, until, now))
                }
                Ok(None) => error(StatusCode::UNAUTHORIZED, WRONG),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            };
        }
    };
    let role = match Role::parse(&person.role) {
        Ok(role) => role,
        Err(e) => return error(StatusCode::FORBIDDEN, e),
    };
    let session_id = match new_session_id() {
        Ok(id) => id,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let session = SessionRow {
        id_hash: hash_session_id(&session_id),
        person: person.name.clone(),
        created_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    let signed_in = attempt("login", format!("signed in as {}", role.as_str()));
    if let Err(e) = app
        .store
        .open_session(session.clone(), signed_in, now)
        .await
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    app.metrics.count(&app.metrics.console_logins_ok);
    let cookie = format!(
        "{COOKIE}={session_id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_LIFETIME / 1000,
        if secure(&app, &headers) {
            "; Secure"
        } else {
            ""
        }
    );
    let mut response = Json(whoami(&person.name, role, &session, &session_id)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// What a wrong name and a wrong password both get: which one was wrong is not said.
const WRONG: &str = "wrong name or password";

/// A browser sends `Origin` with a POST: a sign-in form on another site (login CSRF)
/// is refused. Clients that send none (scripts) are let through. Behind a proxy the
/// host the browser asked for is `X-Forwarded-Host` when the proxy sets it.
fn same_origin(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let forwarded = app
        .settings
        .behind_proxy
        .then(|| headers.get("x-forwarded-host"))
        .flatten();
    let host = forwarded
        .or(headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Every `Origin` given must be ours (a browser sends one).
    let foreign = headers.get_all(header::ORIGIN).iter().any(|origin| {
        let origin = origin.to_str().unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        host.is_empty() || origin_host != host
    });
    if foreign {
        Err(error(
            StatusCode::FORBIDDEN,
            "sign in from the console's own page (the request came from another site)",
        ))
    } else {
        Ok(())
    }
}

/// The session cookie is `Secure` (sent over https only) when the server is behind a
/// TLS-terminating proxy (`--behind-proxy`), unless the proxy says the request came
/// over plain http (`X-Forwarded-Proto: http`). Without a proxy the console is plain
/// http on the listening address, and a Secure cookie would never come back.
fn secure(app: &App, headers: &HeaderMap) -> bool {
    app.settings.behind_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|proto| !proto.eq_ignore_ascii_case("http"))
}

/// Checks the password on the blocking pool, a few at a time; with no person, against
/// a stand-in hash so that the answer takes as long as for a real one.
async fn check(app: &App, password: String, hash: Option<String>) -> Result<bool, Response> {
    let busy = || {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many sign-ins at once: try again in a few seconds",
        )
    };
    let _slot = tokio::time::timeout(HASHING_WAIT, app.hashing.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let known = hash.is_some();
    let checked = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => people::verify_password(&password, &hash),
        None => {
            people::verify_password(&password, stand_in_hash());
            false
        }
    })
    .await;
    checked.map(|right| right && known).map_err(|_| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the password check failed",
        )
    })
}

/// A hash of no one's password, made once.
fn stand_in_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| people::hash_password("no one has this password").unwrap_or_default())
}

fn locked_message(name: &str, until: Millis, now: Millis) -> String {
    format!(
        "too many wrong passwords: sign-in for `{name}` is locked; try again after {}, \
         or ask an admin to reset the password",
        when(until, now)
    )
}

/// "14:05 UTC (in 15 minutes)".
fn when(until: Millis, now: Millis) -> String {
    let minutes = (until - now + 59_999) / 60_000;
    let at = millis_to_timestamp(until).strftime("%H:%M UTC");
    match minutes {
        ..=1 => format!("{at} (in a minute)"),
        n => format!("{at} (in {n} minutes)"),
    }
}

/// A refused sign-in: written to the audit log (it counts towards the address's
/// limit), answered 429.
async fn refuse(
    app: &App,
    entry: AuditEntry,
    until: Millis,
    now: Millis,
    message: String,
) -> Response {
    if let Err(e) = app.store.audit(entry, now).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    app.metrics.count(&app.metrics.console_logins_refused);
    too_many(until, now, message)
}

fn too_many(until: Millis, now: Millis, message: String) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, message);
    let seconds = ((until - now).max(0) + 999) / 1000;
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn whoami(name: &str, role: Role, session: &SessionRow, session_id: &str) -> serde_json::Value {
    json!({
        "name": name,
        "role": role.as_str(),
        "csrf_token": csrf_token(session_id),
        "expires_at": millis_to_timestamp(session.expires_at).to_string(),
    })
}

async fn me(agent: Agent) -> Response {
    Json(whoami(
        &agent.name,
        agent.role,
        &agent.session,
        &agent.session_id,
    ))
    .into_response()
}

async fn logout(State(app): State<Arc<App>>, agent: Agent) -> Response {
    let entry = agent.audit("logout", Some(agent.name.clone()), String::new());
    if let Err(e) = app
        .store
        .close_session(&agent.session.id_hash, entry, app.clock.real_now())
        .await
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    let mut response = Json(json!({"signed_out": agent.name})).into_response();
    let expired = format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct AuditQuery {
    /// Rows older than this id (the `next` of the page before).
    before: Option<i64>,
    limit: Option<usize>,
}

/// Rows a page of the audit log holds at most.
const AUDIT_PAGE: usize = 500;

async fn audit_log(
    State(app): State<Arc<App>>,
    _admin: Agent<Admins>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "`before` is a row id and `limit` a number of rows",
        );
    };
    let limit = query.limit.unwrap_or(100).clamp(1, AUDIT_PAGE);
    let rows = match app.store.audit_log(query.before, limit).await {
        Ok(rows) => rows,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Json(json!({
        "entries": rows.iter().map(|r| json!({
            "id": r.id,
            "at": millis_to_timestamp(r.at).to_string(),
            "who": r.entry.actor,
            "action": r.entry.action,
            "subject": r.entry.subject,
            "from": r.entry.address,
            "detail": r.entry.detail,
        })).collect::<Vec<_>>(),
        "next": next,
    }))
    .into_response()
}
