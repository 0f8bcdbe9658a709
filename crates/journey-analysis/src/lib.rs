//! The analysis host: one project's sources in memory and every question the front ends
//! (`journey check`, `test`, `run`, the server's deploy, later the editor and the studio)
//! ask of them. rust-analyzer's `AnalysisHost`/`Analysis` is the model: the host takes
//! changes (`set_file_text`, `remove_file`); `analysis()` answers queries, computing what
//! a change made stale on first use.
//!
//! This is the only place that assembles a project's diagnostics (syntax, `journey.toml`,
//! helpers, rules, `[check]` settings, `# allow(…)` suppressions), so the front ends
//! cannot disagree about them. It is pure: the caller reads the files.
//!
//! Position queries (`symbol_at`, `references`, `rename`, `completions`,
//! `code_actions`: `ide.rs`, `complete.rs`) are for the editor and the studio.
//!
//! Incremental: a journey file is parsed when its text is set and its parse is kept until
//! it changes; an edit inside one card of a `.journey` file re-parses that card only
//! (`journey_syntax::reparse_journey`), any other edit that file. Lowering and the rules
//! run over the whole project on the next query (they are project-wide: names, the
//! window dataflow).

mod complete;
pub mod edit;
mod ide;
pub mod outline;

pub use complete::{Completion, CompletionKind};
pub use edit::{EditError, EditOp, SourceChange};
pub use ide::{CodeAction, Location, Symbol, SymbolKind, TextEdit};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use journey_diagnostics::{Diagnostic, FileId, Severity, SourceMap, Span};
use journey_expr::Functions;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_syntax::Parsed;

/// The code of a helper file that does not compile (its rule lives in journey-check).
const INVALID_FUNCTIONS: &str = "J004";

/// What a file is to the project, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `journey.toml`.
    Config,
    /// A `.journey` file.
    Journey,
    /// A Turn `.md` notebook: its stack cells are journeys.
    Notebook,
    /// `functions/*.rhai`.
    Helpers,
    /// A `.test` conversation test.
    Test,
    /// Anything else: kept (its text is there to render), not analysed.
    Other,
}

impl FileKind {
    pub fn of(path: &str) -> FileKind {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        match name.rsplit_once('.').map(|(_, ext)| ext) {
            _ if name == "journey.toml" => FileKind::Config,
            Some("journey") => FileKind::Journey,
            Some("md") => FileKind::Notebook,
            Some("rhai") => FileKind::Helpers,
            Some("test") => FileKind::Test,
            _ => FileKind::Other,
        }
    }
}

struct File {
    id: FileId,
    kind: FileKind,
    /// Journeys and notebooks: their parse, kept until their text changes.
    parsed: Option<Arc<Parsed>>,
}

/// A project compiled: what a runtime needs.
pub struct Project {
    pub config: ProjectConfig,
    pub functions: Option<Functions>,
    pub journeys: Vec<CompiledJourney>,
}

/// `functions/*.rhai` compiled, with J004 for each file that does not compile.
struct Helpers {
    functions: Option<Functions>,
    diagnostics: Vec<Diagnostic>,
}

/// What the queries compute from the sources; dropped on every change.
struct Derived {
    journeys: Vec<CompiledJourney>,
    diagnostics: Vec<Diagnostic>,
}

/// One project's sources, and the caches of what was computed from them.
#[derive(Default)]
pub struct AnalysisHost {
    /// Every file ever set; a removed file keeps its id (empty) so ids stay stable.
    sources: SourceMap,
    files: BTreeMap<String, File>,
    /// `journey.toml` parsed (the defaults without one) and its findings.
    config: (ProjectConfig, Vec<Diagnostic>),
    /// Rules to run instead of `[check] select` (`journey check --select`).
    select: Option<Vec<String>>,
    /// Per-field detail of project-level findings (`journey check --show-all`).
    show_all: bool,
    helpers: OnceLock<Helpers>,
    derived: OnceLock<Derived>,
}

impl AnalysisHost {
    pub fn new() -> AnalysisHost {
        AnalysisHost::default()
    }

    /// Adds a file or replaces its text. Its id stays the same across changes.
    pub fn set_file_text(&mut self, path: &str, text: impl Into<String>) {
        let text = text.into();
        let kind = FileKind::of(path);
        let (id, before) = match self.files.get_mut(path) {
            Some(file) => {
                let old = self.sources.set_text(file.id, text);
                (file.id, file.parsed.take().map(|parsed| (parsed, old)))
            }
            None => (self.sources.add(path, text), None),
        };
        let text = &self.sources.get(id).text;
        let parsed = match kind {
            // An edit inside one card re-parses that card only.
            FileKind::Journey => Some(Arc::new(match before {
                Some((old, old_text)) => journey_syntax::reparse_journey(id, &old, &old_text, text),
                None => journey_syntax::parse_journey(id, text),
            })),
            FileKind::Notebook => Some(Arc::new(journey_syntax::parse_notebook(id, text))),
            _ => None,
        };
        self.files
            .insert(path.to_owned(), File { id, kind, parsed });
        self.changed(kind);
    }

    /// Forgets a file; `false` when the host did not hold it.
    pub fn remove_file(&mut self, path: &str) -> bool {
        let Some(file) = self.files.remove(path) else {
            return false;
        };
        self.sources.set_text(file.id, String::new());
        self.changed(file.kind);
        true
    }

    /// Runs these rules (codes or prefixes) instead of the project's `[check] select`;
    /// `None` goes back to the project's.
    pub fn set_select(&mut self, select: Option<Vec<String>>) {
        self.select = select;
        self.derived = OnceLock::new();
    }

    /// Reports every occurrence of findings said once per project
    /// (`journey check --show-all`), whatever `[check] show_all` says.
    pub fn set_show_all(&mut self, show_all: bool) {
        self.show_all = show_all;
        self.derived = OnceLock::new();
    }

    fn changed(&mut self, kind: FileKind) {
        match kind {
            FileKind::Config => {
                self.config = match self.file_of_kind(FileKind::Config) {
                    Some(id) => journey_project::parse_config(id, &self.sources.get(id).text),
                    None => Default::default(),
                };
            }
            FileKind::Helpers => self.helpers = OnceLock::new(),
            // Tests and other files feed no analysis.
            FileKind::Test | FileKind::Other => return,
            FileKind::Journey | FileKind::Notebook => {}
        }
        self.derived = OnceLock::new();
    }

    fn file_of_kind(&self, kind: FileKind) -> Option<FileId> {
        self.files
            .values()
            .filter(|f| f.kind == kind)
            .map(|f| f.id)
            .min()
    }

    pub fn analysis(&self) -> Analysis<'_> {
        Analysis { host: self }
    }

    /// The compiled project, the host given up (a deployment keeps only this).
    pub fn into_project(self) -> Project {
        self.analysis().derived();
        let journeys = self
            .derived
            .into_inner()
            .map(|d| d.journeys)
            .unwrap_or_default();
        Project {
            config: self.config.0,
            functions: self.helpers.into_inner().and_then(|h| h.functions),
            journeys,
        }
    }
}

/// Queries over the host's current sources.
#[derive(Clone, Copy)]
pub struct Analysis<'a> {
    host: &'a AnalysisHost,
}

impl<'a> Analysis<'a> {
    /// Every file's text by id, for rendering diagnostics.
    pub fn sources(self) -> &'a SourceMap {
        &self.host.sources
    }

    pub fn file_id(self, path: &str) -> Option<FileId> {
        self.host.files.get(path).map(|f| f.id)
    }

    pub fn file_text(self, path: &str) -> Option<&'a str> {
        self.file_id(path)
            .map(|id| self.host.sources.get(id).text.as_str())
    }

    /// The project's settings (`journey.toml`, or the defaults).
    pub fn config(self) -> &'a ProjectConfig {
        &self.host.config.0
    }

    pub fn functions(self) -> Option<&'a Functions> {
        self.helpers().functions.as_ref()
    }

    /// Journey files and notebooks with their parses, in the order they were added.
    pub fn journey_files(self) -> Vec<(FileId, &'a str, &'a Parsed)> {
        let mut files: Vec<_> = self
            .host
            .files
            .iter()
            .filter_map(|(path, f)| Some((f.id, path.as_str(), f.parsed.as_deref()?)))
            .collect();
        files.sort_by_key(|(id, _, _)| *id);
        files
    }

    /// The `.test` files: (path, text), in path order.
    pub fn tests(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.host
            .files
            .iter()
            .filter(|(_, f)| f.kind == FileKind::Test)
            .map(|(path, f)| (path.as_str(), self.host.sources.get(f.id).text.as_str()))
    }

    /// The project's journeys, compiled.
    pub fn journeys(self) -> &'a [CompiledJourney] {
        &self.derived().journeys
    }

    /// Every finding, sorted: syntax, `journey.toml`, helpers and rules, with the
    /// `[check]` settings and the files' `# allow(…)` suppressions applied.
    pub fn diagnostics(self) -> &'a [Diagnostic] {
        &self.derived().diagnostics
    }

    /// The findings that stop a deployment or a test run.
    pub fn errors(self) -> Vec<Diagnostic> {
        self.diagnostics()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect()
    }

    /// Whether a journey file has syntax errors (its picture is partial).
    pub fn has_syntax_errors(self) -> bool {
        self.journey_files()
            .iter()
            .any(|(_, _, parsed)| has_errors(parsed))
    }

    fn helpers(self) -> &'a Helpers {
        self.host.helpers.get_or_init(|| self.load_helpers())
    }

    fn derived(self) -> &'a Derived {
        self.host.derived.get_or_init(|| self.derive())
    }

    fn load_helpers(self) -> Helpers {
        let files: Vec<(FileId, String, String)> = self
            .host
            .files
            .iter()
            .filter(|(_, f)| f.kind == FileKind::Helpers)
            .map(|(path, f)| {
                let text = self.host.sources.get(f.id).text.clone();
                (f.id, path.clone(), text)
            })
            .collect();
        if files.is_empty() {
            return Helpers {
                functions: None,
                diagnostics: Vec::new(),
            };
        }
        let named: Vec<(String, String)> = files
            .iter()
            .map(|(_, path, text)| (path.clone(), text.clone()))
            .collect();
        match Functions::load(&named) {
            Ok(functions) => Helpers {
                functions: Some(functions),
                diagnostics: Vec::new(),
            },
            Err(errors) => {
                let diagnostics = errors
                    .iter()
                    .filter_map(|error| {
                        let (id, _, _) = files.iter().find(|(_, path, _)| *path == error.file)?;
                        let file = self.host.sources.get(*id);
                        let start = file
                            .line_starts()
                            .get(error.line.saturating_sub(1))
                            .copied()
                            .unwrap_or(0);
                        let end = file.text[start..]
                            .find('\n')
                            .map_or(file.text.len(), |n| start + n);
                        Some(
                            Diagnostic::new(
                                INVALID_FUNCTIONS,
                                Severity::Error,
                                *id,
                                Span::new(start, end),
                                format!("this helper file does not compile: {}", error.message),
                            )
                            .with_label("here")
                            .with_help(
                                "helpers are rhai functions: `fn name(a, b) { … }`; see docs/expressions.md",
                            ),
                        )
                    })
                    .collect();
                Helpers {
                    functions: None,
                    diagnostics,
                }
            }
        }
    }

    fn derive(self) -> Derived {
        let host = self.host;
        let files = self.journey_files();
        let modules: Vec<SourceModule<'_>> = files
            .iter()
            .map(|(id, path, parsed)| SourceModule {
                file: *id,
                default_name: file_stem(path),
                module: &parsed.module,
                text: &host.sources.get(*id).text,
                has_syntax_errors: has_errors(parsed),
            })
            .collect();
        let helpers = self.helpers();
        let mut index = ProjectIndex::default();
        for (name, arity) in helpers.functions.iter().flat_map(Functions::arities) {
            index.add_function(&name, arity);
        }
        let journeys = journey_model::compile(&modules, index);

        let config = if host.select.is_some() || host.show_all {
            let mut config = host.config.0.clone();
            if let Some(select) = &host.select {
                config.check.select = select.clone();
            }
            config.check.show_all |= host.show_all;
            Cow::Owned(config)
        } else {
            Cow::Borrowed(&host.config.0)
        };
        let mut found: Vec<Diagnostic> = host.config.1.clone();
        found.extend(helpers.diagnostics.iter().cloned());
        for (_, _, parsed) in &files {
            found.extend(parsed.diagnostics.iter().cloned());
        }
        // Syntax and configuration findings obey the `[check]` settings too.
        let mut found = journey_check::apply_settings(found, &config);
        found.extend(journey_check::check(&journeys, &config));
        let ids: Vec<FileId> = files.iter().map(|(id, _, _)| *id).collect();
        let mut diagnostics = journey_check::suppress(found, &ids, &host.sources, &config);
        journey_diagnostics::sort(&mut diagnostics);
        Derived {
            journeys,
            diagnostics,
        }
    }
}

fn has_errors(parsed: &Parsed) -> bool {
    parsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
}

/// The name of a file's implicit journey: its stem.
fn file_stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_owned()
}

#[cfg(test)]
mod tests;
