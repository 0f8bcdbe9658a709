//! Who may use the API: the session token (in the printed URL, then a cookie), and the
//! `Host` and `Origin` headers, so that no web page the builder visits can drive the
//! studio (DNS rebinding, cross-site requests).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::{Studio, error};

pub(crate) const COOKIE: &str = "journey_studio";

/// A new session token: 16 random bytes in hex.
pub(crate) fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The `Host` values a request may carry: the address listened on, and for a loopback
/// address the usual names of the machine itself.
pub(crate) fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![addr.to_string()];
    if addr.ip().is_loopback() {
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            let host = format!("{name}:{port}");
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

/// Every request: `Host` must be ours, and a present `Origin` must be us. `/api/*` also
/// needs the token.
pub(crate) async fn check(
    State(studio): State<Arc<Studio>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !studio.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return error(
            StatusCode::FORBIDDEN,
            "this address is not the studio's: open the link `journey studio` printed",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ours = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
        if !ours {
            return error(
                StatusCode::FORBIDDEN,
                "another web page tried to use the studio: refused",
            );
        }
    }
    if request.uri().path().starts_with("/api/") && !has_token(headers, &studio.token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "open the studio with the link `journey studio` printed (it carries the session's key)",
        );
    }
    next.run(request).await
}

fn has_token(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='));
    bearer
        .into_iter()
        .chain(cookies)
        .any(|given| same(given, token))
}

pub(crate) fn same(given: &str, token: &str) -> bool {
    given.as_bytes().ct_eq(token.as_bytes()).into()
}

/// `GET /?token=T`: the token goes into a cookie and out of the address bar.
pub(crate) fn enter(studio: &Studio, given: &str) -> Response {
    if !same(given, &studio.token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "this link's key is not this session's: use the link `journey studio` printed last",
        );
    }
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
        studio.token
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/".to_owned()),
        ],
    )
        .into_response()
}
