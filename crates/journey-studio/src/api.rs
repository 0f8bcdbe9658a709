//! The routes of API.md. Each handler takes the workspace lock for the time of one
//! query or one write; answers are computed by the analysis host.

// Handlers return early with a ready response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use journey_analysis::{CompletionKind, EditOp, FileKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::layout::{Layout, Position};
use crate::playbooks::{self, Refusal};
use crate::sim::{self, Refused};
use crate::workspace::{BadPath, CONFIG_FILE, LAYOUT_FILE, Revision, Stale, Workspace, WriteError};
use crate::{Studio, assets, error, guard, settings, shapes};

type Answer = Result<Response, Response>;

pub(crate) fn router(studio: Arc<Studio>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/project", get(project))
        .route("/api/file", get(read_file).put(write_file))
        .route("/api/op", post(operation))
        .route("/api/edits", post(edits))
        .route("/api/undo", post(undo))
        .route("/api/redo", post(redo))
        .route("/api/journey", get(journey))
        .route("/api/layout", get(read_layout).put(write_layout))
        .route("/api/events", get(events))
        .route("/api/rules/{code}", get(rule))
        .route("/api/sim/start", post(sim_start))
        .route("/api/sim/{id}/send", post(sim_send))
        .route("/api/sim/{id}/advance", post(sim_advance))
        .route("/api/sim/{id}/save-test", post(sim_save))
        .route("/api/playbooks", get(playbook_list))
        .route("/api/playbooks/import", post(playbook_import))
        .route("/api/completions", get(completions))
        .route("/api/personalisations", get(personalisations))
        .route("/api/settings", get(read_settings).put(write_settings))
        .route("/api/person-path", get(person_path))
        .fallback(fallback)
        .with_state(studio)
}

fn ok(value: Value) -> Answer {
    Ok(axum::Json(value).into_response())
}

/// A request body as JSON, or 400 in plain words.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the studio did not understand this request: {e}"),
        )
    })
}

fn bad_path(BadPath(message): BadPath) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

fn stale(stale: Stale) -> Response {
    (
        StatusCode::CONFLICT,
        axum::Json(json!({
            "error": stale.message,
            "path": stale.path,
            "version": stale.version,
        })),
    )
        .into_response()
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::Stale(s) => stale(s),
        WriteError::Io(message) => error(StatusCode::INTERNAL_SERVER_ERROR, message),
    }
}

fn refused(Refused(message): Refused) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

impl Studio {
    /// Applies writes, tells the other listeners, and answers with the `Change`.
    fn commit(
        &self,
        workspace: &mut Workspace,
        writes: Vec<(String, Option<String>, Option<String>)>,
    ) -> Result<Value, Response> {
        for (path, _, _) in &writes {
            workspace.resolve(path).map_err(bad_path)?;
            workspace.trackable(path).map_err(bad_path)?;
        }
        let revision = workspace.apply(writes).map_err(write_error)?;
        Ok(self.changed(workspace, &revision))
    }

    fn changed(&self, workspace: &Workspace, revision: &Revision) -> Value {
        let paths: Vec<String> = revision.files.iter().map(|f| f.path.clone()).collect();
        self.announce(workspace, &paths);
        shapes::change(workspace, revision)
    }
}

#[derive(Deserialize)]
struct Entry {
    token: Option<String>,
}

async fn index(State(studio): State<Arc<Studio>>, Query(entry): Query<Entry>) -> Response {
    match entry.token {
        Some(token) => guard::enter(&studio, &token),
        None => assets::serve("/"),
    }
}

async fn fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return error(StatusCode::NOT_FOUND, "the studio has no such request");
    }
    assets::serve(uri.path())
}

fn kind_name(path: &str) -> &'static str {
    match FileKind::of(path) {
        FileKind::Journey => "journey",
        FileKind::Notebook => "notebook",
        FileKind::Config => "config",
        FileKind::Test => "test",
        FileKind::Helpers => "functions",
        FileKind::Other => "other",
    }
}

async fn project(State(studio): State<Arc<Studio>>) -> Answer {
    let workspace = studio.workspace();
    let analysis = workspace.host().analysis();
    let root = workspace.root();
    let files: Vec<Value> = workspace
        .files()
        .map(|(path, version)| json!({"path": path, "kind": kind_name(path), "version": version}))
        .collect();
    let journeys: Vec<Value> = analysis
        .journeys()
        .iter()
        .map(|j| json!({"name": j.name, "file": analysis.sources().get(j.file).name}))
        .collect();
    ok(json!({
        "name": root.file_name().map(|n| n.to_string_lossy()),
        "root": root.to_string_lossy(),
        "languages": analysis.config().project.languages,
        "files": files,
        "journeys": journeys,
        "diagnostics": shapes::diagnostics(analysis),
    }))
}

#[derive(Deserialize)]
struct FileQuery {
    path: String,
}

async fn read_file(State(studio): State<Arc<Studio>>, Query(q): Query<FileQuery>) -> Answer {
    let workspace = studio.workspace();
    workspace.resolve(&q.path).map_err(bad_path)?;
    workspace.trackable(&q.path).map_err(bad_path)?;
    match (workspace.text(&q.path), workspace.version_of(&q.path)) {
        (Some(text), Some(version)) => {
            ok(json!({"path": q.path, "text": text, "version": version}))
        }
        _ => Err(error(
            StatusCode::NOT_FOUND,
            format!("`{}` does not exist", q.path),
        )),
    }
}

#[derive(Deserialize)]
struct FileWrite {
    path: String,
    text: String,
    base_version: Option<String>,
}

async fn write_file(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let write: FileWrite = body(&bytes)?;
    let mut workspace = studio.workspace();
    ok(studio.commit(
        &mut workspace,
        vec![(write.path, write.base_version, Some(write.text))],
    )?)
}

/// `{op, base_version}`; the base version may also sit inside the op.
#[derive(Deserialize)]
struct Operation {
    op: Value,
    base_version: Option<String>,
}

async fn operation(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let Operation { op, base_version } = body(&bytes)?;
    let base = base_version.or_else(|| {
        op.get("base_version")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let op: EditOp = serde_json::from_value(op).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the studio did not understand this change: {e}"),
        )
    })?;
    let file = op.file().to_owned();
    let mut workspace = studio.workspace();
    workspace.resolve(&file).map_err(bad_path)?;
    let Some(base) = base else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("say which version of `{file}` this change is based on (`base_version`)"),
        ));
    };
    workspace.expect(&file, Some(&base)).map_err(stale)?;
    let change = workspace
        .host()
        .analysis()
        .edit(&op)
        .map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let writes = change
        .paths()
        .into_iter()
        .map(|path| {
            let text = workspace.text(path).unwrap_or_default();
            (
                path.to_owned(),
                workspace.version_of(path).map(str::to_owned),
                Some(change.apply(path, text)),
            )
        })
        .collect();
    let answer = studio.commit(&mut workspace, writes)?;
    // Positions follow a renamed card or journey.
    let renamed = match &op {
        EditOp::RenameCard {
            journey,
            card,
            new_name,
            ..
        } => Some((journey, Some(card), new_name)),
        EditOp::RenameJourney {
            journey, new_name, ..
        } => Some((journey, None, new_name)),
        _ => None,
    };
    if let Some((journey, card, new_name)) = renamed {
        let path = workspace.resolve(LAYOUT_FILE).map_err(bad_path)?;
        let mut layout = Layout::read(&path);
        let moved = match card {
            Some(card) => layout.rename(journey, card, new_name),
            None => layout.rename_journey(journey, new_name),
        };
        if moved {
            layout
                .write(&path)
                .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
        }
    }
    ok(answer)
}

#[derive(Deserialize)]
struct Edits {
    edits: Vec<RawEdit>,
    #[serde(default)]
    base_versions: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawEdit {
    path: String,
    start: usize,
    end: usize,
    text: String,
}

async fn edits(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let Edits {
        edits,
        base_versions,
    } = body(&bytes)?;
    let mut workspace = studio.workspace();
    let mut by_file: BTreeMap<String, Vec<RawEdit>> = BTreeMap::new();
    for edit in edits {
        by_file.entry(edit.path.clone()).or_default().push(edit);
    }
    let mut writes = Vec::new();
    for (path, mut edits) in by_file {
        workspace.resolve(&path).map_err(bad_path)?;
        let Some(base) = base_versions.get(&path) else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("say which version of `{path}` these edits are based on (`base_versions`)"),
            ));
        };
        workspace.expect(&path, Some(base)).map_err(stale)?;
        let mut text = workspace.text(&path).unwrap_or_default().to_owned();
        // Last first, so earlier offsets stay right.
        edits.sort_by_key(|e| std::cmp::Reverse(e.start));
        let mut limit = text.len();
        for edit in &edits {
            let fits = edit.start <= edit.end
                && edit.end <= limit
                && text.is_char_boundary(edit.start)
                && text.is_char_boundary(edit.end);
            if !fits {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("an edit of `{path}` is outside its text or overlaps another"),
                ));
            }
            text.replace_range(edit.start..edit.end, &edit.text);
            limit = edit.start;
        }
        writes.push((path, Some(base.clone()), Some(text)));
    }
    ok(studio.commit(&mut workspace, writes)?)
}

async fn undo(State(studio): State<Arc<Studio>>) -> Answer {
    let mut workspace = studio.workspace();
    let revision = workspace.undo().map_err(write_error)?;
    ok(studio.changed(&workspace, &revision))
}

async fn redo(State(studio): State<Arc<Studio>>) -> Answer {
    let mut workspace = studio.workspace();
    let revision = workspace.redo().map_err(write_error)?;
    ok(studio.changed(&workspace, &revision))
}

#[derive(Deserialize)]
struct JourneyQuery {
    file: String,
    name: Option<String>,
}

async fn journey(State(studio): State<Arc<Studio>>, Query(q): Query<JourneyQuery>) -> Answer {
    let workspace = studio.workspace();
    workspace.resolve(&q.file).map_err(bad_path)?;
    let view = journey_view(&workspace, &q.file, q.name.as_deref())?;
    ok(view)
}

/// `JourneyView`: the host's outline, with the file's version and the sidecar's positions.
pub(crate) fn journey_view(
    workspace: &Workspace,
    file: &str,
    name: Option<&str>,
) -> Result<Value, Response> {
    let analysis = workspace.host().analysis();
    let Some(view) = analysis.journey_view(file, name) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            match name {
                Some(name) => format!("`{file}` has no journey called `{name}`"),
                None => format!("`{file}` has no journey"),
            },
        ));
    };
    let layout = workspace
        .resolve(LAYOUT_FILE)
        .map(|path| Layout::read(&path))
        .unwrap_or_default();
    let positions = layout.journeys.get(&view.name);
    let mut value = serde_json::to_value(&view).map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot show the journey: {e}"),
        )
    })?;
    value["version"] = json!(workspace.version_of(file));
    if let (Some(positions), Some(cards)) = (positions, value["cards"].as_array_mut()) {
        for card in cards {
            if let Some(position) = card["name"].as_str().and_then(|n| positions.get(n)) {
                card["position"] = json!(position);
            }
        }
    }
    Ok(value)
}

async fn read_layout(State(studio): State<Arc<Studio>>) -> Answer {
    let workspace = studio.workspace();
    let path = workspace.resolve(LAYOUT_FILE).map_err(bad_path)?;
    ok(json!(Layout::read(&path)))
}

#[derive(Deserialize)]
struct LayoutWrite {
    journey: String,
    positions: BTreeMap<String, Option<Position>>,
}

async fn write_layout(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let write: LayoutWrite = body(&bytes)?;
    let workspace = studio.workspace();
    let path = workspace.resolve(LAYOUT_FILE).map_err(bad_path)?;
    let mut layout = Layout::read(&path);
    layout.merge(&write.journey, write.positions);
    layout
        .write(&path)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn events(
    State(studio): State<Arc<Studio>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let receiver = studio.events.subscribe();
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(data) => {
                    return Some((Ok(Event::default().event("change").data(data)), receiver));
                }
                // A slow listener missed some: the next event says the state anyway.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
}

async fn rule(Path(code): Path<String>) -> Answer {
    let code = code.to_uppercase();
    match journey_check::rule(&code) {
        Some(rule) => ok(json!({
            "code": rule.code,
            "name": rule.name,
            "summary": rule.summary,
            "markdown": journey_check::docs::page(rule),
        })),
        None => Err(error(
            StatusCode::NOT_FOUND,
            format!("there is no rule `{code}`"),
        )),
    }
}

async fn sim_start(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let start: sim::Start = body(&bytes)?;
    let project = sim::snapshot(studio.workspace().host());
    let state = studio.sims().start(project, start).map_err(refused)?;
    ok(state)
}

async fn sim_send(
    State(studio): State<Arc<Studio>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let send: sim::Send = body(&bytes)?;
    ok(studio.sims().send(&id, send).map_err(refused)?)
}

#[derive(Deserialize)]
struct Advance {
    by: String,
}

async fn sim_advance(
    State(studio): State<Arc<Studio>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let advance: Advance = body(&bytes)?;
    ok(studio.sims().advance(&id, &advance.by).map_err(refused)?)
}

#[derive(Deserialize)]
struct SaveTest {
    path: String,
    name: String,
}

async fn sim_save(
    State(studio): State<Arc<Studio>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let save: SaveTest = body(&bytes)?;
    if FileKind::of(&save.path) != FileKind::Test {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "`{}` is not a test file: its name must end in .test",
                save.path
            ),
        ));
    }
    let (header, case) = studio.sims().test_case(&id, &save.name).map_err(refused)?;
    let mut workspace = studio.workspace();
    workspace.resolve(&save.path).map_err(bad_path)?;
    let base = workspace.version_of(&save.path).map(str::to_owned);
    let text = match workspace.text(&save.path) {
        None => format!("{header}\n{case}"),
        Some(existing) => {
            if test_header(existing) != test_header(&header) {
                return Err(stale(Stale {
                    path: save.path.clone(),
                    version: base,
                    message: format!(
                        "`{}` starts from another contact, clock or journey than this conversation: save it in a new file",
                        save.path
                    ),
                }));
            }
            let mut text = existing.trim_end().to_owned();
            text.push_str("\n\n");
            text.push_str(&case);
            text
        }
    };
    ok(studio.commit(&mut workspace, vec![(save.path, base, Some(text))])?)
}

/// A test file's settings above its first case, without comments and blank lines.
fn test_header(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("##"))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

async fn playbook_list(State(studio): State<Arc<Studio>>) -> Answer {
    ok(playbooks::list(&studio.playbooks))
}

async fn playbook_import(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let import: playbooks::Import = body(&bytes)?;
    let mut workspace = studio.workspace();
    let (writes, todo) = match playbooks::plan(&studio.playbooks, &workspace, import) {
        Ok(planned) => planned,
        Err(Refusal::Usage(message, problems)) => {
            return Err((
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": message, "problems": problems})),
            )
                .into_response());
        }
        Err(Refusal::Conflicts(conflicts)) => {
            return Err((
                StatusCode::CONFLICT,
                axum::Json(json!({
                    "error": "nothing was imported: the import would overwrite what the project has (give a prefix to name its journeys and files differently)",
                    "conflicts": conflicts,
                })),
            )
                .into_response());
        }
    };
    let mut change = studio.commit(&mut workspace, writes)?;
    change["todo"] = json!(todo);
    ok(change)
}

async fn read_settings(State(studio): State<Arc<Studio>>) -> Answer {
    let workspace = studio.workspace();
    let mut view = settings::view(workspace.host().analysis());
    view["path"] = json!(CONFIG_FILE);
    view["version"] = json!(workspace.version_of(CONFIG_FILE));
    ok(view)
}

#[derive(Deserialize)]
struct SettingsWrite {
    #[serde(flatten)]
    change: settings::SettingsChange,
    base_version: Option<String>,
}

async fn write_settings(State(studio): State<Arc<Studio>>, bytes: Bytes) -> Answer {
    let SettingsWrite {
        change,
        base_version,
    } = body(&bytes)?;
    let mut workspace = studio.workspace();
    workspace
        .expect(CONFIG_FILE, base_version.as_deref())
        .map_err(stale)?;
    let text = workspace.text(CONFIG_FILE).unwrap_or_default();
    let after = settings::apply(text, &change)
        .map_err(|message| error(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    ok(studio.commit(
        &mut workspace,
        vec![(CONFIG_FILE.to_owned(), base_version, Some(after))],
    )?)
}

#[derive(Deserialize)]
struct PersonPathQuery {
    file: String,
    journey: Option<String>,
    card: String,
}

async fn person_path(
    State(studio): State<Arc<Studio>>,
    Query(q): Query<PersonPathQuery>,
) -> Answer {
    let workspace = studio.workspace();
    workspace.resolve(&q.file).map_err(bad_path)?;
    match workspace
        .host()
        .analysis()
        .path_to_person(&q.file, q.journey.as_deref(), &q.card)
    {
        Some(path) => ok(json!(path)),
        None => Err(error(
            StatusCode::NOT_FOUND,
            format!("`{}` has no card called `{}`", q.file, q.card),
        )),
    }
}

#[derive(Deserialize)]
struct CompletionQuery {
    path: String,
    offset: usize,
}

async fn completions(
    State(studio): State<Arc<Studio>>,
    Query(q): Query<CompletionQuery>,
) -> Answer {
    let workspace = studio.workspace();
    workspace.resolve(&q.path).map_err(bad_path)?;
    let text = workspace.text(&q.path).unwrap_or_default();
    if q.offset > text.len() || !text.is_char_boundary(q.offset) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("{} is not a place in `{}`", q.offset, q.path),
        ));
    }
    ok(completion_list(
        workspace.host().analysis().completions(&q.path, q.offset),
    ))
}

/// What a message at `offset` can be personalised with: `GET /api/personalisations`.
async fn personalisations(
    State(studio): State<Arc<Studio>>,
    Query(q): Query<CompletionQuery>,
) -> Answer {
    let workspace = studio.workspace();
    workspace.resolve(&q.path).map_err(bad_path)?;
    ok(completion_list(
        workspace
            .host()
            .analysis()
            .personalisations(&q.path, q.offset),
    ))
}

fn completion_list(completions: Vec<journey_analysis::Completion>) -> Value {
    let items: Vec<Value> = completions
        .into_iter()
        .map(|c| {
            json!({
                "label": c.label,
                "insert": c.insert,
                "detail": c.detail,
                "kind": match c.kind {
                    CompletionKind::Card => "card",
                    CompletionKind::Journey => "journey",
                    CompletionKind::Field => "field",
                    CompletionKind::Template => "template",
                    CompletionKind::Language => "language",
                    CompletionKind::Argument => "argument",
                    CompletionKind::Variable => "variable",
                    CompletionKind::Function => "function",
                },
            })
        })
        .collect();
    json!(items)
}
