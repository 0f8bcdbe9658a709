//! Who is asking: the session cookie, its CSRF token, the person's role. A console
//! handler names the role it needs in its signature, `Agent<Admins>`, and is only called
//! for a signed-in person with that role; a request that changes state (anything but
//! GET and HEAD) must also carry the session's CSRF token. Later routes add a `Need`
//! (operators for the inbox, builders for deploys) beside [`Admins`].

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use journey_store::{AuditEntry, SessionRow};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::App;
use crate::people::Role;
use crate::routes::error;

/// The session cookie's name.
pub const COOKIE: &str = "journey_session";
/// The header a state-changing request carries the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Which roles may call a route.
pub trait Need: Send + Sync + 'static {
    /// Said to a person refused, e.g. "the admin role".
    const WHO: &'static str;
    fn allows(role: Role) -> bool;
}

/// Any signed-in person.
pub struct Anyone;

impl Need for Anyone {
    const WHO: &'static str = "a signed-in person";
    fn allows(_: Role) -> bool {
        true
    }
}

/// Admins only: people and the audit log.
pub struct Admins;

impl Need for Admins {
    const WHO: &'static str = "the admin role";
    fn allows(role: Role) -> bool {
        role == Role::Admin
    }
}

/// The inbox: operators, and admins (who run the service and may stand in). Builders
/// are refused: conversations hold contacts' health questions, which building
/// journeys does not need.
pub struct Inbox;

impl Need for Inbox {
    const WHO: &'static str = "the operator or admin role";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Operator | Role::Admin)
    }
}

/// The reports: admins, and builders (who judge how their journeys do). Operators are
/// refused: the reports are about the service, not a queue's work.
pub struct Reports;

impl Need for Reports {
    const WHO: &'static str = "the admin or builder role";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Builder)
    }
}

/// A signed-in person allowed by `N`.
pub struct Agent<N: Need = Anyone> {
    pub name: String,
    pub role: Role,
    pub session: SessionRow,
    /// The session id as the cookie holds it (the CSRF token is derived from it).
    pub session_id: String,
    pub address: String,
    need: PhantomData<N>,
}

impl<N: Need> Agent<N> {
    /// An audit row of this person's doing.
    pub fn audit(&self, action: &str, subject: Option<String>, detail: String) -> AuditEntry {
        AuditEntry {
            actor: self.name.clone(),
            action: action.to_owned(),
            subject,
            address: Some(self.address.clone()),
            detail,
        }
    }
}

impl<N: Need> FromRequestParts<Arc<App>> for Agent<N> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let signed_out = || {
            error(
                StatusCode::UNAUTHORIZED,
                "you are not signed in, or your session has ended: sign in at POST /console/login",
            )
        };
        let Some(session_id) = cookie(&parts.headers, COOKIE).filter(|id| is_session_id(id)) else {
            return Err(signed_out());
        };
        let now = app.clock.real_now();
        let (session, person) = match app.store.session(&hash_session_id(session_id), now).await {
            Ok(Some(found)) => found,
            Ok(None) => return Err(signed_out()),
            Err(e) => return Err(error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
        };
        let role = Role::parse(&person.role).map_err(|e| error(StatusCode::FORBIDDEN, e))?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            let expected = csrf_token(session_id);
            if !bool::from(given.ct_eq(expected.as_bytes())) {
                return Err(error(
                    StatusCode::FORBIDDEN,
                    "this request must carry the session's CSRF token in the X-CSRF-Token \
                     header (sign-in and GET /console/me give it)",
                ));
            }
        }
        let agent = Agent {
            name: person.name,
            role,
            session,
            session_id: session_id.to_owned(),
            address: client_address(app, &parts.headers, parts.extensions.get()),
            need: PhantomData,
        };
        if !N::allows(role) {
            let route = parts
                .extensions
                .get::<MatchedPath>()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
            let denied = agent.audit(
                "denied",
                Some(route),
                format!("needs {}; has the {} role", N::WHO, role.as_str()),
            );
            if let Err(e) = app.store.audit(denied, now).await {
                tracing::warn!("cannot write the audit log: {e}");
            }
            return Err(error(
                StatusCode::FORBIDDEN,
                format!(
                    "this needs {}; you are signed in as {} with the {} role",
                    N::WHO,
                    agent.name,
                    role.as_str()
                ),
            ));
        }
        Ok(agent)
    }
}

/// A cookie's value from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// A new session id: 256 random bits, hex.
pub fn new_session_id() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a session: {e}"))?;
    Ok(hex(&bytes))
}

fn is_session_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the database keeps of a session id: its SHA-256 (the id is 256 random bits,
/// so a fast hash is enough), so that a copy of the database signs no one in.
pub fn hash_session_id(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// The session's CSRF token: derived from the session id, which a page on another
/// site cannot read (the cookie is HttpOnly), and kept nowhere.
pub fn csrf_token(session_id: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"journey console csrf\0");
    digest.update(session_id.as_bytes());
    hex(&digest.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a request comes from: the connection's address, or behind a reverse proxy
/// (`--behind-proxy`) the address the proxy saw, the last of `X-Forwarded-For`.
pub fn client_address(
    app: &App,
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
) -> String {
    let peer = peer.map(|ConnectInfo(address)| address.ip().to_string());
    let forwarded = app
        .settings
        .behind_proxy
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|a| !a.is_empty())
                .map(str::to_owned)
        })
        .flatten();
    forwarded.or(peer).unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_hex_kept_hashed_with_a_derived_csrf_token() {
        let a = new_session_id().unwrap();
        let b = new_session_id().unwrap();
        assert!(is_session_id(&a) && is_session_id(&b));
        assert_ne!(a, b);
        assert_ne!(hash_session_id(&a), a);
        assert_eq!(hash_session_id(&a), hash_session_id(&a));
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert_ne!(
            csrf_token(&a),
            hash_session_id(&a),
            "the stored hash is not the token"
        );
        assert!(!is_session_id("../etc"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", "a=1; journey_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
