//! Reading what the user pointed at: journey files, Turn notebooks, and the
//! `journey.toml` of the project each belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_analysis::AnalysisHost;
use journey_diagnostics::{Diagnostic, FileId, SourceMap};

/// Files are grouped by the nearest `journey.toml` above them, or else by their
/// directory: journeys refer to each other by name within a project. Each project is an
/// analysis host holding its files' text; it answers every question about them.
pub struct Project {
    pub host: AnalysisHost,
}

pub struct Workspace {
    pub projects: Vec<Project>,
}

use journey_files::CONFIG_FILE;
const FUNCTIONS_DIR: &str = "functions";

/// Loads every journey under `paths` (files or directories, recursively).
pub fn load(paths: &[PathBuf]) -> Result<Workspace, String> {
    let files = journey_sources(paths)?;
    let mut by_root: BTreeMap<ProjectRoot, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        by_root.entry(project_root(&file)).or_default().push(file);
    }
    let mut projects = Vec::new();
    for (root, files) in by_root {
        let mut host = AnalysisHost::new();
        if let ProjectRoot::Config(dir) = root {
            let config = dir.join(CONFIG_FILE);
            host.set_file_text(&display(&config), read(&config)?);
            for helper in helpers(&dir.join(FUNCTIONS_DIR)) {
                host.set_file_text(&display(&helper), read(&helper)?);
            }
        }
        for path in files {
            host.set_file_text(&display(&path), read(&path)?);
        }
        projects.push(Project { host });
    }
    Ok(Workspace { projects })
}

/// `functions/*.rhai`, sorted.
pub(crate) fn helpers(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    paths.sort();
    paths
}

impl Workspace {
    /// Every project's diagnostics, with one source map for all of them: each host
    /// numbers its own files, so a project's ids move up by the files before it.
    pub fn diagnostics(&self) -> (SourceMap, Vec<Diagnostic>) {
        let mut sources = SourceMap::new();
        let mut diagnostics = Vec::new();
        for project in &self.projects {
            let analysis = project.host.analysis();
            let offset = sources.len() as u32;
            for (_, file) in analysis.sources().files() {
                sources.add(file.name.clone(), file.text.clone());
            }
            let moved = |file: &mut FileId| file.0 += offset;
            for diagnostic in analysis.diagnostics() {
                let mut diagnostic = diagnostic.clone();
                moved(&mut diagnostic.primary.file);
                diagnostic
                    .secondary
                    .iter_mut()
                    .for_each(|label| moved(&mut label.file));
                diagnostics.push(diagnostic);
            }
        }
        journey_diagnostics::sort(&mut diagnostics);
        (sources, diagnostics)
    }

    /// Journey files read, and notebooks that hold journey code (not plain Markdown).
    pub fn file_count(&self) -> usize {
        self.projects
            .iter()
            .flat_map(|p| p.host.analysis().journey_files())
            .filter(|(_, path, parsed)| {
                !parsed.module.journeys.is_empty() || is_journey(Path::new(path))
            })
            .count()
    }
}

/// The `.journey` files and `.md` notebooks given or under the directories given,
/// sorted, each once.
pub fn journey_sources(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {}", path.display(), e))?;
    if metadata.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in journey_files::walk(path, journey_files::Nested::Include) {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {}", path.display(), e))?;
        let file = entry.path();
        if entry.file_type().is_file() && (is_journey(file) || is_notebook(file)) {
            out.push(file.to_path_buf());
        }
    }
    Ok(())
}

fn is_journey(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "journey")
}

/// A Turn notebook: a `.md` file, but not a README (documentation, not a journey).
fn is_notebook(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md") && !is_readme(path)
}

pub(crate) fn is_readme(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("README.md"))
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
