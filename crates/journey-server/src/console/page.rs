//! The console's web page: `console.html` of the UI bundle the studio embeds
//! (`journey_studio::assets`), at `/console/` and every path below it that is not a
//! route of its own (the page routes in the browser), with the files it loads under
//! `/console/assets/`. The page signs in through `/console/login` like any client.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Redirect, Response};

use crate::routes::error;

/// `/console`: to `/console/`, so that the page's relative `./assets/…` resolve below it.
pub async fn bare() -> Redirect {
    Redirect::permanent("/console/")
}

pub async fn index() -> Response {
    page()
}

/// A file of the bundle, an unknown API route, or the page.
pub async fn below(Path(path): Path<String>) -> Response {
    if path.starts_with("api/") {
        return error(
            StatusCode::NOT_FOUND,
            "the console's API has no such request",
        );
    }
    if path.starts_with("assets/") {
        return journey_studio::assets::file(&path)
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, "no such file in the console's page"));
    }
    page()
}

fn page() -> Response {
    let mut page = journey_studio::assets::page("console.html", "journey console");
    // The page is never shown in another site's frame (a click on it there would act
    // as the signed-in operator).
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    page
}
