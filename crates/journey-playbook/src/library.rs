//! A playbook library: each playbook's manifest parsed, with its journeys and tests.
//! The library at the repository's `playbooks/` is built in (`build.rs`), so that
//! `journey playbook` and the studio's gallery work from any directory.

use std::collections::{BTreeMap, BTreeSet};

use journey_diagnostics::{Diagnostic, Severity, SourceMap};
use journey_syntax::Module;

use crate::{Playbook, TextFile, parse_playbook};

// The library built into the crate (build.rs): `EMBEDDED`.
include!(concat!(env!("OUT_DIR"), "/playbooks.rs"));

pub const MANIFEST: &str = "playbook.toml";

/// One playbook of a library.
pub struct Entry {
    /// Its directory's name: what `journey playbook import NAME` takes.
    pub name: String,
    pub playbook: Playbook,
    /// The manifest's findings (errors stop an import).
    pub diagnostics: Vec<Diagnostic>,
    /// The manifest's text, under the name `manifest` was given, for rendering them.
    pub sources: SourceMap,
    /// Its `.journey` and `.test` files, relative to its directory.
    pub files: Vec<TextFile>,
}

impl Entry {
    /// A playbook from its manifest's text (shown as `manifest_name` in findings) and
    /// its files.
    pub fn parse(name: &str, manifest_name: &str, manifest: &str, files: Vec<TextFile>) -> Entry {
        let mut sources = SourceMap::new();
        let file = sources.add(manifest_name, manifest);
        let (playbook, diagnostics) = parse_playbook(file, manifest);
        Entry {
            name: name.to_owned(),
            playbook,
            diagnostics,
            sources,
            files,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// `onboarding 1.2.0`.
    pub fn title(&self) -> String {
        let about = &self.playbook.about;
        format!("{} {}", about.name, about.version)
    }
}

/// The built-in library (the repository's `playbooks/`), by name; findings are shown
/// under `{shown_dir}/NAME/playbook.toml`.
pub fn builtin(shown_dir: &str) -> Vec<Entry> {
    let names: BTreeSet<&str> = EMBEDDED
        .iter()
        .filter_map(|(path, _)| path.strip_suffix(&format!("/{MANIFEST}")))
        .filter(|name| !name.contains('/'))
        .collect();
    names
        .into_iter()
        .map(|name| {
            let prefix = format!("{name}/");
            let mut manifest = "";
            let mut files = Vec::new();
            for (path, text) in EMBEDDED {
                let Some(inner) = path.strip_prefix(&prefix) else {
                    continue;
                };
                if inner == MANIFEST {
                    manifest = text;
                } else if inner.ends_with(".journey") || inner.ends_with(".test") {
                    files.push(TextFile {
                        path: inner.to_owned(),
                        text: (*text).to_owned(),
                    });
                }
            }
            Entry::parse(
                name,
                &format!("{shown_dir}/{name}/{MANIFEST}"),
                manifest,
                files,
            )
        })
        .collect()
}

/// The journeys of a project's files (path relative to the root, parsed module): each
/// journey's name (a file's implicit journey is named by its stem) and its file, as
/// [`crate::Project::journeys`] wants them.
pub fn project_journeys<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a Module)>,
) -> BTreeMap<String, String> {
    let mut journeys = BTreeMap::new();
    for (path, module) in files {
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        for journey in &module.journeys {
            let journey_name = journey
                .name
                .as_ref()
                .map_or_else(|| stem.to_owned(), |i| i.name.clone());
            journeys.insert(journey_name, path.to_owned());
        }
    }
    journeys
}
