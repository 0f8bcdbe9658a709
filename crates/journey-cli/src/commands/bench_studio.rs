//! `journey bench studio`: what the studio's server does for one canvas gesture. A
//! generated project of `--cards` cards in `--files` journeys is opened by a studio in
//! this process; then one card's message is changed again and again through the real
//! routes (in-process, no network): `POST /api/op` (the edit operation → the new text,
//! written to disk → the project's diagnostics, with the `Change`), then
//! `GET /api/journey` (the `JourneyView` the canvas redraws from). Reports the round
//! trip's latency (p50, p95, max) and the cold `GET /api/project`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::bench_edit::time_edits;
use crate::{Io, generate};

#[derive(clap::Args)]
pub struct StudioArgs {
    /// Cards in the project, spread evenly over the files.
    #[arg(long, default_value_t = 500)]
    cards: usize,
    /// Journey files the cards are spread over.
    #[arg(long, default_value_t = 10)]
    files: usize,
    /// Timed round trips (after ten untimed ones).
    #[arg(long, default_value_t = 200)]
    edits: usize,
}

/// The generated card whose message changes: `Card1`'s guarded definition sends a text.
const CARD: &str = "Card1";
const TEXTS: [&str; 2] = [
    "Adult advice for step 1, @contact.name.",
    "Adult advice for step 1 today, @contact.name.",
];

pub fn studio(args: StudioArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let files = args.files.clamp(1, args.cards.max(1));
    let per_file = args.cards / files;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
    let mut bytes = 0;
    for i in 0..files {
        let text = generate::journey(per_file);
        bytes += text.len();
        let path = dir.path().join(format!("journey{i}.journey"));
        std::fs::write(&path, text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let addr = "127.0.0.1:7878".parse().expect("a socket address");
    let cold = Instant::now();
    let studio = journey_studio::Studio::open(dir.path(), addr, Vec::new())?;
    let project = runtime.block_on(call(&studio, "GET", "/api/project", None))?;
    let cold = cold.elapsed();
    let findings = project["diagnostics"].as_array().map_or(0, Vec::len);
    let mut version = project["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["path"] == "journey0.journey"))
        .and_then(|f| f["version"].as_str())
        .ok_or("the generated project has no journey0.journey")?
        .to_owned();

    let mut views = Vec::with_capacity(args.edits + 10);
    let latency = time_edits(args.edits, findings, |n| {
        let op = json!({
            "op": "set_text",
            "file": "journey0.journey",
            "at": {"journey": "journey0", "card": CARD, "definition": 0, "statement": 0},
            "text": TEXTS[(n + 1) % 2],
        });
        let change = runtime.block_on(call(
            &studio,
            "POST",
            "/api/op",
            Some(json!({"op": op, "base_version": version})),
        ))?;
        version = change["files"][0]["version"]
            .as_str()
            .ok_or_else(|| format!("the operation changed no file: {change}"))?
            .to_owned();
        let started = Instant::now();
        let view = runtime.block_on(call(
            &studio,
            "GET",
            "/api/journey?file=journey0.journey",
            None,
        ))?;
        views.push(started.elapsed());
        if view["version"] != json!(version) {
            return Err("the journey view is not of the edited text".to_owned());
        }
        Ok(change["diagnostics"].as_array().map_or(0, Vec::len))
    })?;
    views.sort();
    let view_p95 = views[((views.len() as f64 * 0.95).ceil() as usize).clamp(1, views.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    io.print(&format!(
        "cards: {}  files: {files}  bytes: {bytes}  findings: {findings}\n\
         open (read the files, analyse, GET /api/project): {:.1} ms\n\
         edit round trip (POST /api/op → text on disk → diagnostics; GET /api/journey), {} edits: \
         p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms  (of which the journey view: p95 {:.1} ms)\n",
        per_file * files,
        ms(cold),
        args.edits,
        latency.ms(0.5),
        latency.ms(0.95),
        latency.ms(1.0),
        ms(view_p95),
    ))?;
    Ok(0)
}

/// One request through the studio's router, with its token and host; the JSON answer
/// of a success, else its error.
async fn call(
    studio: &Arc<journey_studio::Studio>,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:7878")
        .header("authorization", format!("Bearer {}", studio.token()))
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .map_err(|e| e.to_string())?;
    let response = studio
        .router()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{method} {uri} answered {status}: {value}"));
    }
    Ok(value)
}
