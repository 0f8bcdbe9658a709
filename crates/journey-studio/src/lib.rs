//! `journey studio`: the no-code builder's server, a front end like the CLI and
//! `journey lsp`. It reads and writes one project's files (and nothing outside it),
//! keeps them in one analysis host, and answers the web UI (`API.md` is the contract):
//! files with versions, edit operations, the journey as the canvas draws it, the
//! simulator on the real interpreter, playbooks, undo. It computes nothing about
//! journeys itself: the host does.
//!
//! Safe on a shared machine: a session token, `Host`/`Origin` checks (`guard.rs`), paths
//! confined to the project with symbolic links resolved (`workspace.rs`).

mod api;
pub mod assets;
mod guard;
mod layout;
mod playbooks;
mod settings;
mod shapes;
mod sim;
mod workspace;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::broadcast;

pub use assets::ui_built;
pub use playbooks::LibraryPlaybook;

/// How often the project is read again for changes made outside the studio.
pub const POLL: Duration = Duration::from_millis(300);

/// One studio session: a project, its token and the addresses it answers to.
pub struct Studio {
    token: String,
    hosts: Vec<String>,
    workspace: Mutex<workspace::Workspace>,
    sims: Mutex<sim::Sessions>,
    playbooks: Vec<LibraryPlaybook>,
    /// `change` events for `/api/events`, as JSON.
    events: broadcast::Sender<String>,
}

impl Studio {
    /// A session on the project at `root`, answering on `addr`, with this playbook
    /// library for the gallery.
    pub fn open(
        root: &Path,
        addr: SocketAddr,
        playbooks: Vec<LibraryPlaybook>,
    ) -> Result<Arc<Studio>, String> {
        let workspace = workspace::Workspace::open(root)?;
        let (events, _) = broadcast::channel(64);
        Ok(Arc::new(Studio {
            token: guard::new_token()?,
            hosts: guard::allowed_hosts(addr),
            workspace: Mutex::new(workspace),
            sims: Mutex::new(sim::Sessions::default()),
            playbooks,
            events,
        }))
    }

    /// The session token (the printed URL carries it).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The project's directory, resolved.
    pub fn root(&self) -> std::path::PathBuf {
        self.workspace().root().to_path_buf()
    }

    /// The routes, with the guard in front of every one.
    pub fn router(self: &Arc<Studio>) -> axum::Router {
        api::router(self.clone()).layer(axum::middleware::from_fn_with_state(
            self.clone(),
            guard::check,
        ))
    }

    fn workspace(&self) -> MutexGuard<'_, workspace::Workspace> {
        // A handler that panicked left the workspace as consistent as each write is.
        self.workspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sims(&self) -> MutexGuard<'_, sim::Sessions> {
        self.sims.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the project again; tells `/api/events` listeners what changed on disk.
    pub fn refresh(&self) {
        let mut workspace = self.workspace();
        let changed = workspace.refresh();
        if !changed.is_empty() {
            self.announce(&workspace, &changed);
        }
    }

    /// A `change` event for these files.
    fn announce(&self, workspace: &workspace::Workspace, paths: &[String]) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let files: Vec<_> = paths
            .iter()
            .map(|p| json!({"path": p, "version": workspace.version_of(p)}))
            .collect();
        let event = json!({
            "files": files,
            "diagnostics": shapes::diagnostics(workspace.host().analysis()),
        });
        let _ = self.events.send(event.to_string());
    }
}

/// Serves the studio on `listener` until `shutdown` completes, reading the project for
/// changes every [`POLL`].
pub async fn serve(
    studio: Arc<Studio>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let watcher = {
        let studio = studio.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let studio = studio.clone();
                if tokio::task::spawn_blocking(move || studio.refresh())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        })
    };
    // Not a graceful shutdown: `/api/events` streams never end by themselves.
    let result = tokio::select! {
        served = axum::serve(listener, studio.router()).into_future() => {
            served.map_err(|e| format!("the studio's server stopped: {e}"))
        }
        () = shutdown => Ok(()),
    };
    watcher.abort();
    result
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}
