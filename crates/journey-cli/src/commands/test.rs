//! `journey test [PATH…]`: runs the conversation tests (`*.test`) against the journeys of
//! the project each test file belongs to, and closes with `N passed, M failed`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_diagnostics::{Diagnostic, SourceMap};
use journey_expr::Functions;
use journey_model::CompiledJourney;
use journey_runtime::Runtime;

use crate::Io;
use crate::workspace;

#[derive(clap::Args)]
pub struct Args {
    /// `.test` files, or directories searched recursively for them.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let mut by_project: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut notebook_tests = 0;
    for path in &args.paths {
        for test in find_tests(path)? {
            if tests_a_notebook(&test) {
                notebook_tests += 1;
                continue;
            }
            by_project.entry(project_dir(&test)).or_default().push(test);
        }
    }
    if notebook_tests > 0 {
        io.warn(&format!(
            "skipped {notebook_tests} test file{} of Turn notebooks kept outside the project (`notebook:`); \
             `cargo test --test corpus_runs` runs them",
            if notebook_tests == 1 { "" } else { "s" }
        ))?;
    }
    if by_project.is_empty() {
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        return Err(format!("found no `.test` files in {}", paths.join(", ")));
    }
    let color = io.terminal && std::env::var_os("NO_COLOR").is_none();
    let (mut passed, mut failed, mut code) = (0, 0, 0);
    for (dir, tests) in &by_project {
        let project = Deployed::load(dir, std::slice::from_ref(dir))?;
        if !project.errors.is_empty() {
            io.print(&journey_diagnostics::render_human(
                &project.errors,
                &project.sources,
                color,
            ))?;
            io.print(&format!(
                "error: not running {} test file{} of `{}`: its journeys have check errors\n",
                tests.len(),
                if tests.len() == 1 { "" } else { "s" },
                dir.display()
            ))?;
            code = 1;
            continue;
        }
        let rt = project.runtime();
        for test in tests {
            let text = std::fs::read_to_string(test)
                .map_err(|e| format!("cannot read `{}`: {e}", test.display()))?;
            let report = journey_testing::run_file(&text, &workspace::display(test), &rt);
            for error in &report.errors {
                io.print(&format!("error: {error}\n"))?;
                code = 2;
            }
            io.print(&report.render())?;
            passed += report.passed();
            failed += report.failed();
        }
    }
    if failed > 0 {
        code = code.max(1);
    }
    io.print(&format!("\n{passed} passed, {failed} failed\n"))?;
    Ok(code)
}

/// A project's journeys, compiled, with the errors `journey check` finds in them.
pub(crate) struct Deployed {
    pub(crate) journeys: Vec<CompiledJourney>,
    pub(crate) config: journey_project::ProjectConfig,
    pub(crate) functions: Option<Functions>,
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) sources: SourceMap,
}

impl Deployed {
    /// Loads the project whose root is `dir` (not the projects nested below it),
    /// reading `paths` (the whole `dir`, or a single loose file).
    pub(crate) fn load(dir: &Path, paths: &[PathBuf]) -> Result<Deployed, String> {
        let loaded = workspace::load(paths)?;
        let home = canonical(dir);
        let project = loaded
            .projects
            .into_iter()
            .find(|p| {
                p.host
                    .analysis()
                    .journey_files()
                    .first()
                    .is_some_and(|(_, path, _)| canonical(&project_dir(Path::new(path))) == home)
            })
            .ok_or_else(|| format!("found no journeys in `{}`", dir.display()))?;
        let analysis = project.host.analysis();
        let errors = analysis.errors();
        let sources = analysis.sources().clone();
        let compiled = project.host.into_project();
        Ok(Deployed {
            journeys: compiled.journeys,
            config: compiled.config,
            functions: compiled.functions,
            errors,
            sources,
        })
    }

    pub(crate) fn runtime(&self) -> Runtime<'_> {
        let runtime = Runtime::new(&self.journeys, &self.config);
        match &self.functions {
            Some(functions) => runtime.with_functions(functions),
            None => runtime,
        }
    }
}

/// The directory of the nearest `journey.toml` above `path`, else its own directory:
/// the same grouping as `journey check`.
pub(crate) fn project_dir(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    parent
        .ancestors()
        .find(|dir| dir.join("journey.toml").is_file())
        .unwrap_or(parent)
        .to_path_buf()
}

/// Paths compare by where they lead, however they were written.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn find_tests(path: &Path) -> Result<Vec<PathBuf>, String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if metadata.is_file() {
        return if is_test(path) {
            Ok(vec![path.to_path_buf()])
        } else {
            Err(format!("`{}` is not a `.test` file", path.display()))
        };
    }
    let mut tests = Vec::new();
    let walker = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !workspace::is_skipped_dir(e));
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if entry.file_type().is_file() && is_test(entry.path()) {
            tests.push(entry.path().to_path_buf());
        }
    }
    Ok(tests)
}

/// A test whose header names a `notebook:`: it drives a Turn notebook that is not part of
/// any project (the corpus), so it has no project to load here.
fn tests_a_notebook(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .take_while(|line| !line.starts_with("## "))
            .any(|line| line.trim_start().starts_with("notebook:"))
    })
}

fn is_test(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "test")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::Io;

    /// Runs `journey ARGS…` in-process: (exit code, stdout).
    fn journey(args: &[&str]) -> (u8, String) {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut io = Io {
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: false,
        };
        let code = crate::run(
            std::iter::once("journey").chain(args.iter().copied()),
            &mut io,
        );
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (code, format!("{}{}", text(stdout), text(stderr)))
    }

    /// A scratch project with these files, removed when dropped.
    struct Project(PathBuf);

    impl Project {
        fn new(name: &str, files: &[(&str, &str)]) -> Project {
            let dir =
                std::env::temp_dir().join(format!("journey-test-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for (file, text) in files {
                std::fs::write(dir.join(file), text).unwrap();
            }
            Project(dir)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for Project {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const HELLO: &str =
        "stack Hello do\n  card Start do\n    text(\"Hello @contact.name\")\n  end\nend\n";

    #[test]
    fn the_examples_pass() {
        let (code, out) = journey(&["test", "../../examples"]);
        assert_eq!(code, 0, "{out}");
        let last = out.lines().last().unwrap();
        assert!(last.ends_with(" passed, 0 failed"), "{last}");
    }

    #[test]
    fn a_failing_case_exits_1_with_its_diff() {
        let test = "journey: Hello\ncontact: name = \"Thandi\"\n\n## greets\n> hi\n< Hello Thandi\n\n## wrong\n> hi\n< Hi Thandi\n";
        let project = Project::new("fails", &[("hello.journey", HELLO), ("hello.test", test)]);
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("PASS ") && out.contains("hello.test:4: greets\n"),
            "{out}"
        );
        assert!(
            out.contains("-< Hi Thandi\n") && out.contains("+< Hello Thandi\n"),
            "{out}"
        );
        assert!(out.ends_with("\n1 passed, 1 failed\n"), "{out}");
    }

    #[test]
    fn a_parse_error_exits_2_with_file_and_line() {
        let project = Project::new(
            "unreadable",
            &[
                ("hello.journey", HELLO),
                ("hello.test", "## one\n> hi\nhello\n"),
            ],
        );
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("hello.test:3: expected a step"), "{out}");
    }

    #[test]
    fn check_errors_stop_the_tests() {
        let broken =
            "stack Hello do\n  card Start do\n    text(\"hi\")\n    then(Missing)\n  end\nend\n";
        let project = Project::new(
            "broken",
            &[("hello.journey", broken), ("hello.test", "## one\n> hi\n")],
        );
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("J101") && out.contains("its journeys have check errors"),
            "{out}"
        );
        assert!(out.ends_with("\n0 passed, 0 failed\n"), "{out}");
    }

    #[test]
    fn no_test_files_is_a_usage_error() {
        let project = Project::new("empty", &[("hello.journey", HELLO)]);
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("found no `.test` files"), "{out}");
    }
}
