//! Reading what the user pointed at: journey files, Turn notebooks, and the
//! `journey.toml` of the project each belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_diagnostics::{Diagnostic, FileId, Severity, SourceMap};
use journey_expr::Functions;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_syntax::Parsed;

/// The code of a helper file that does not compile (its rule lives in journey-check).
const INVALID_FUNCTIONS: &str = "J004";

/// Files are grouped by the nearest `journey.toml` above them, or else by their
/// directory: journeys refer to each other by name within a project.
pub struct Project {
    pub config: ProjectConfig,
    /// The project's helpers from `functions/*.rhai` (beside `journey.toml`).
    pub functions: Option<Functions>,
    pub files: Vec<(FileId, Parsed)>,
    /// Syntax and configuration diagnostics, found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

pub struct Workspace {
    pub sources: SourceMap,
    pub projects: Vec<Project>,
}

const CONFIG_FILE: &str = "journey.toml";
const FUNCTIONS_DIR: &str = "functions";

/// Loads every journey under `paths` (files or directories, recursively).
pub fn load(paths: &[PathBuf]) -> Result<Workspace, String> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();

    let mut workspace = Workspace {
        sources: SourceMap::new(),
        projects: Vec::new(),
    };
    let mut by_root: BTreeMap<ProjectRoot, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        by_root.entry(project_root(&file)).or_default().push(file);
    }
    for (root, files) in by_root {
        let mut diagnostics = Vec::new();
        let (config, functions) = match root {
            ProjectRoot::Config(dir) => (
                workspace.load_config(&dir.join(CONFIG_FILE), &mut diagnostics)?,
                workspace.load_functions(&dir.join(FUNCTIONS_DIR), &mut diagnostics)?,
            ),
            ProjectRoot::Directory(_) => (ProjectConfig::default(), None),
        };
        let mut project = Project {
            config,
            functions,
            files: Vec::new(),
            diagnostics,
        };
        for path in files {
            let text = read(&path)?;
            let id = workspace.sources.add(display(&path), text);
            let text = &workspace.sources.get(id).text;
            let parsed = if is_notebook(&path) {
                journey_syntax::parse_notebook(id, text)
            } else {
                journey_syntax::parse_journey(id, text)
            };
            project
                .diagnostics
                .extend(parsed.diagnostics.iter().cloned());
            project.files.push((id, parsed));
        }
        workspace.projects.push(project);
    }
    Ok(workspace)
}

impl Workspace {
    /// Compiles `functions/*.rhai`; a file that does not compile is a J004 error.
    fn load_functions(
        &mut self,
        dir: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Option<Functions>, String> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(None);
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for path in &paths {
            let name = display(path);
            let text = read(path)?;
            let id = self.sources.add(name.clone(), text.clone());
            files.push((id, name, text));
        }
        let sources: Vec<(String, String)> = files
            .iter()
            .map(|(_, name, text)| (name.clone(), text.clone()))
            .collect();
        match Functions::load(&sources) {
            Ok(functions) => Ok(Some(functions)),
            Err(errors) => {
                for error in errors {
                    let Some((id, _, _)) = files.iter().find(|(_, name, _)| *name == error.file)
                    else {
                        continue;
                    };
                    let file = self.sources.get(*id);
                    let start = file
                        .line_starts()
                        .get(error.line.saturating_sub(1))
                        .copied()
                        .unwrap_or(0);
                    let end = file.text[start..]
                        .find('\n')
                        .map_or(file.text.len(), |n| start + n);
                    diagnostics.push(
                        Diagnostic::new(
                            INVALID_FUNCTIONS,
                            Severity::Error,
                            *id,
                            journey_diagnostics::Span::new(start, end),
                            format!("this helper file does not compile: {}", error.message),
                        )
                        .with_label("here")
                        .with_help("helpers are rhai functions: `fn name(a, b) { … }`; see docs/expressions.md"),
                    );
                }
                Ok(None)
            }
        }
    }

    fn load_config(
        &mut self,
        path: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<ProjectConfig, String> {
        let text = read(path)?;
        let id = self.sources.add(display(path), text);
        let (config, mut found) = journey_project::parse_config(id, &self.sources.get(id).text);
        diagnostics.append(&mut found);
        Ok(config)
    }

    /// Journey files read, and notebooks that hold journey code (not plain Markdown).
    pub fn file_count(&self) -> usize {
        self.projects
            .iter()
            .flat_map(|p| &p.files)
            .filter(|(id, parsed)| {
                !parsed.module.journeys.is_empty()
                    || is_journey(Path::new(&self.sources.get(*id).name))
            })
            .count()
    }
}

impl Project {
    /// Compiles the project's journeys; the names of files name implicit journeys.
    pub fn compile(&self, sources: &SourceMap) -> Vec<CompiledJourney> {
        let modules: Vec<SourceModule<'_>> = self
            .files
            .iter()
            .map(|(id, parsed)| SourceModule {
                file: *id,
                default_name: file_stem(&sources.get(*id).name),
                module: &parsed.module,
                text: &sources.get(*id).text,
                has_syntax_errors: parsed
                    .diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error),
            })
            .collect();
        let mut index = ProjectIndex::default();
        for (name, arity) in self.functions.iter().flat_map(Functions::arities) {
            index.add_function(&name, arity);
        }
        journey_model::compile(&modules, index)
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {}", path.display(), e))?;
    if metadata.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let walker = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped_dir(e));
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {}", path.display(), e))?;
        let file = entry.path();
        if entry.file_type().is_file() && (is_journey(file) || is_notebook(file)) {
            out.push(file.to_path_buf());
        }
    }
    Ok(())
}

/// Hidden directories and build output hold no journeys worth checking.
pub(crate) fn is_skipped_dir(entry: &walkdir::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    entry.file_type().is_dir()
        && (name.starts_with('.') || name == "target" || name == "node_modules")
}

fn is_journey(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "journey")
}

fn is_notebook(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum ProjectRoot {
    /// A directory with a `journey.toml`.
    Config(PathBuf),
    /// A plain directory of journeys (Turn exports, loose files).
    Directory(PathBuf),
}

fn project_root(file: &Path) -> ProjectRoot {
    match config_dir(file) {
        Some(dir) => ProjectRoot::Config(dir),
        None => ProjectRoot::Directory(parent_dir(file)),
    }
}

/// The directory a file is in, `.` for a bare file name.
pub(crate) fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The directory of the nearest `journey.toml` above `file`, looking above the working
/// directory too (`cd sub && journey check a.journey` finds `../journey.toml`). It is
/// written as the user wrote the path, or relative to the working directory when above it.
pub(crate) fn config_dir(file: &Path) -> Option<PathBuf> {
    config_dir_in(file, &std::env::current_dir().ok()?)
}

/// [`config_dir`] with the working directory given.
fn config_dir_in(file: &Path, cwd: &Path) -> Option<PathBuf> {
    let start = parent_dir(file);
    if let Some(dir) = start
        .ancestors()
        .find(|d| cwd.join(d).join(CONFIG_FILE).is_file())
    {
        return Some(dir.to_path_buf());
    }
    let absolute = cwd.join(&start);
    let found = absolute
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())?;
    let up = cwd
        .strip_prefix(found)
        .ok()
        .map(|below| below.components().map(|_| "..").collect::<PathBuf>());
    Some(match up {
        Some(up) if !up.as_os_str().is_empty() => up,
        _ => found.to_path_buf(),
    })
}

pub(crate) fn read(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {}", path.display(), e))?;
    if bytes.len() > u32::MAX as usize {
        return Err(format!("`{}` is larger than 4 GiB", path.display()));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Paths as the user wrote them, with `/` separators (stable across systems).
pub(crate) fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

fn file_stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_found_above_the_working_directory() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("sub/deeper");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.path().join(CONFIG_FILE), "").unwrap();
        let found = |file: &str, cwd: &Path| config_dir_in(Path::new(file), cwd);
        // `cd sub/deeper && journey check a.journey`
        assert_eq!(found("a.journey", &sub), Some(PathBuf::from("../..")));
        // `cd sub && journey check deeper/a.journey`
        assert_eq!(
            found("deeper/a.journey", &root.path().join("sub")),
            Some(PathBuf::from(".."))
        );
        // From the root, as written.
        assert_eq!(
            found("sub/deeper/a.journey", root.path()),
            Some(PathBuf::from(""))
        );
        // An absolute path finds it however it is written.
        let absolute = sub.join("a.journey");
        assert_eq!(
            found(absolute.to_str().unwrap(), Path::new("/")),
            Some(root.path().to_path_buf())
        );
        // No journey.toml anywhere above: none.
        let loose = tempfile::tempdir().unwrap();
        assert_eq!(found("a.journey", loose.path()), None);
    }
}
