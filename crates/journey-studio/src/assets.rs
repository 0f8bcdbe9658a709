//! The built web UI, embedded at build time (`build.rs`): one bundle with two pages,
//! the studio's `index.html` and the operator console's `console.html` (which
//! `journey serve` shows at `/console/`), sharing `assets/`. A page that is not built
//! (an empty `web/dist/`) is replaced by one saying so.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

fn find(path: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// The built file at `path` below `web/dist/` (`assets/index-….js`), with its type.
pub fn file(path: &str) -> Option<Response> {
    let bytes = find(path).filter(|_| !path.is_empty())?;
    Some(([(header::CONTENT_TYPE, content_type(path))], bytes).into_response())
}

/// The page `name` (`index.html`, `console.html`), or a page saying that `what` (the
/// UI's name, "journey studio") is not built into this copy of `journey`.
pub fn page(name: &str, what: &str) -> Response {
    file(name).unwrap_or_else(|| {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{what}</title></head>\n\
             <body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto\">\n<h1>{what}</h1>\n\
             <p>The web interface is not built into this copy of <code>journey</code>.</p>\n\
             <p>Build it with <code>npm ci &amp;&amp; npm run build</code> in \
             <code>crates/journey-studio/web/</code>, then build <code>journey</code> again. \
             The API works without it.</p>\n</body></html>\n"
        );
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response()
    })
}

/// The studio's response for a path outside `/api/`: a file, else its page (the UI
/// routes in the browser).
pub(crate) fn serve(path: &str) -> Response {
    file(path.trim_start_matches('/')).unwrap_or_else(|| page("index.html", "journey studio"))
}

/// Whether the UI is built in (`journey studio` says so when it is not).
pub fn ui_built() -> bool {
    find("index.html").is_some()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
