//! The playbook gallery: the library the CLI hands over, and an import planned by
//! journey-playbook (the same plan `journey playbook import` writes), written through
//! the studio's versioned, undoable writes.

use std::collections::BTreeSet;

use journey_playbook::{ImportError, Options};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::workspace::{CONFIG_FILE, Workspace};

/// A playbook of the gallery.
pub type LibraryPlaybook = journey_playbook::Entry;

#[derive(Deserialize)]
pub(crate) struct Import {
    name: String,
    #[serde(default)]
    values: Map<String, Value>,
    prefix: Option<String>,
}

/// `GET /api/playbooks`: those whose manifest has no error.
pub(crate) fn list(library: &[LibraryPlaybook]) -> Value {
    library
        .iter()
        .filter(|entry| !entry.has_errors())
        .map(|entry| {
            let parameters: Vec<Value> = entry
                .playbook
                .parameters
                .iter()
                .map(|p| {
                    let mut out = json!({
                        "name": p.name,
                        "type": p.kind.as_str(),
                        "help": p.description,
                    });
                    if let Some(default) = &p.default {
                        out["default"] = json!(default.to_string());
                    }
                    out
                })
                .collect();
            json!({
                "name": entry.name,
                "summary": entry.playbook.about.summary,
                "parameters": parameters,
            })
        })
        .collect()
}

/// Why an import did not happen.
pub(crate) enum Refusal {
    /// 400: an unknown playbook, a missing or bad value.
    Usage(String, Vec<String>),
    /// 409: the import would overwrite what the project has.
    Conflicts(Vec<String>),
}

/// The files an import writes: (path, base version, text), and what is left to do.
pub(crate) type Writes = (Vec<(String, Option<String>, Option<String>)>, Vec<String>);

pub(crate) fn plan(
    library: &[LibraryPlaybook],
    workspace: &Workspace,
    import: Import,
) -> Result<Writes, Refusal> {
    let Some(entry) = library.iter().find(|e| e.name == import.name) else {
        return Err(Refusal::Usage(
            format!("there is no playbook called `{}`", import.name),
            Vec::new(),
        ));
    };
    if entry.has_errors() {
        return Err(Refusal::Usage(
            format!(
                "the playbook `{}` has mistakes in its playbook.toml",
                entry.name
            ),
            Vec::new(),
        ));
    }
    let Some(config_text) = workspace.text(CONFIG_FILE) else {
        return Err(Refusal::Usage(
            "this project has no journey.toml, which an import adds to".to_owned(),
            Vec::new(),
        ));
    };
    let analysis = workspace.host().analysis();
    let project = journey_playbook::Project {
        config_text: config_text.to_owned(),
        files: every_file(workspace),
        journeys: journey_playbook::project_journeys(
            analysis
                .journey_files()
                .into_iter()
                .map(|(_, path, parsed)| (path, &parsed.module)),
        ),
    };
    let sets = import
        .values
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) => format!("{name}={text}"),
            other => format!("{name}={other}"),
        })
        .collect();
    let options = Options {
        prefix: import.prefix.filter(|p| !p.is_empty()),
        sets,
    };
    let plan = journey_playbook::plan(&entry.playbook, &entry.files, &project, &options).map_err(
        |error| match error {
            ImportError::Usage(lines) => Refusal::Usage(
                format!(
                    "the playbook `{}` cannot be imported with these values",
                    entry.name
                ),
                lines,
            ),
            ImportError::Playbook(lines) => Refusal::Usage(
                format!("the playbook `{}` cannot be imported", entry.name),
                lines,
            ),
            ImportError::Conflicts(lines) => Refusal::Conflicts(lines),
        },
    )?;
    let mut writes: Vec<_> = plan
        .files
        .into_iter()
        .map(|file| (file.path, None, Some(file.text)))
        .collect();
    if plan.config_text != config_text {
        writes.push((
            CONFIG_FILE.to_owned(),
            workspace.version_of(CONFIG_FILE).map(str::to_owned),
            Some(plan.config_text),
        ));
    }
    Ok((writes, plan.todo))
}

/// Every file below the project (not only those the studio tracks): an import never
/// overwrites one.
fn every_file(workspace: &Workspace) -> BTreeSet<String> {
    let root = workspace.root();
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let relative = e.path().strip_prefix(root).ok()?;
            Some(relative.to_string_lossy().replace('\\', "/"))
        })
        .collect()
}
