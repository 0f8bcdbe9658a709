//! The built UI, embedded at build time (`build.rs`): a file by its path, `index.html`
//! for any other path (the UI routes in the browser), and a page saying the UI is not
//! built when `web/dist/` was empty.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>journey studio</title></head>\n<body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto\">\n<h1>journey studio</h1>\n<p>The studio's web interface is not built into this copy of <code>journey</code>.</p>\n<p>Build it with <code>npm ci &amp;&amp; npm run build</code> in <code>crates/journey-studio/web/</code>, then build <code>journey</code> again. The API under <code>/api/</code> works without it.</p>\n</body></html>\n";

fn find(path: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// The response for a path outside `/api/`.
pub(crate) fn serve(path: &str) -> Response {
    let path = path.trim_start_matches('/');
    if let Some(bytes) = find(path).filter(|_| !path.is_empty()) {
        return ([(header::CONTENT_TYPE, content_type(path))], bytes).into_response();
    }
    match find("index.html") {
        Some(index) => {
            ([(header::CONTENT_TYPE, content_type("index.html"))], index).into_response()
        }
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
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
