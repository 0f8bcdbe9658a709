//! `journey test [PATH…]`: runs the conversation tests (`*.test`) against the journeys of
//! the project each test file belongs to, and closes with `N passed, M failed`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_diagnostics::{Diagnostic, Severity, SourceMap};
use journey_expr::Functions;
use journey_model::CompiledJourney;
use journey_runtime::Runtime;

use crate::Io;
use crate::workspace;

/// The code of the rule for keywords that start two journeys (journey-check).
const AMBIGUOUS_TRIGGER: &str = "J112";

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// `PASS`/`FAIL` per case, diffs, then `N passed, M failed`.
    Human,
    /// A JUnit XML report (one `<testsuite>` per file), for CI systems.
    Junit,
}

#[derive(clap::Args)]
pub struct Args {
    /// `.test` files, or directories searched recursively for them.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Report only the cases whose name (or `file:line`) contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Rewrite the expected lines of failing cases with what the journeys did (review
    /// the change with `git diff`, as with a snapshot).
    #[arg(long)]
    update: bool,
    /// Run the tests even when the journeys have check errors (imported notebooks that
    /// are not clean yet); the errors are listed first.
    #[arg(long)]
    allow_errors: bool,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
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
            plural(notebook_tests)
        ))?;
    }
    if by_project.is_empty() {
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        return Err(format!(
            "found no `.test` files in {}; write one beside your journeys (docs/testing.md)",
            paths.join(", ")
        ));
    }
    let color = io.terminal && std::env::var_os("NO_COLOR").is_none();
    // The human report goes to stdout; with `--format junit` the XML does, and the
    // human words go to stderr.
    let junit = matches!(args.format, Format::Junit);
    let say = |io: &mut Io<'_>, text: &str| -> Result<(), String> {
        if junit {
            io.stderr
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write the output: {e}"))
        } else {
            io.print(text)
        }
    };
    let (mut passed, mut failed, mut filtered, mut code) = (0, 0, 0, 0);
    let mut reports = Vec::new();
    for (dir, tests) in &by_project {
        let project = Deployed::load(dir, std::slice::from_ref(dir))?;
        let (waiting, blocking): (Vec<_>, Vec<_>) = project
            .errors
            .iter()
            .cloned()
            .partition(journey_check::awaits_approval);
        if !project.ambiguous.is_empty() {
            say(
                io,
                &journey_diagnostics::render_human(&project.ambiguous, &project.sources, color),
            )?;
        }
        if !waiting.is_empty() {
            say(
                io,
                &format!(
                    "note: {} template send{} in `{}` wait{} for Meta's approval (WA501): the tests run \
                 as if approved; `journey check` keeps failing until journey.toml says `status = \"approved\"`\n",
                    waiting.len(),
                    plural(waiting.len()),
                    dir.display(),
                    if waiting.len() == 1 { "s" } else { "" },
                ),
            )?;
        }
        if !blocking.is_empty() {
            say(
                io,
                &journey_diagnostics::render_human(&blocking, &project.sources, color),
            )?;
            if !args.allow_errors {
                say(
                    io,
                    &format!(
                        "error: not running {} test file{} of `{}`: its journeys have check errors \
                     (fix them, or run anyway with `journey test --allow-errors`)\n",
                        tests.len(),
                        plural(tests.len()),
                        dir.display()
                    ),
                )?;
                code = 1;
                continue;
            }
            say(
                io,
                &format!(
                    "WARNING: running the tests of `{}` despite {} check error{} (--allow-errors): \
                 paths through the errors may fail or stop\n",
                    dir.display(),
                    blocking.len(),
                    plural(blocking.len())
                ),
            )?;
        }
        let rt = project.runtime();
        for test in tests {
            let text = std::fs::read_to_string(test)
                .map_err(|e| format!("cannot read `{}`: {e}", test.display()))?;
            let name = workspace::display(test);
            let mut report = journey_testing::run_file(&text, &name, &rt);
            if let Some(filter) = &args.filter {
                let before = report.cases.len();
                report.cases.retain(|case| {
                    case.name.contains(filter.as_str())
                        || format!("{name}:{}", case.line).contains(filter.as_str())
                });
                filtered += before - report.cases.len();
                if report.cases.is_empty() && report.errors.is_empty() {
                    continue;
                }
            }
            for error in &report.errors {
                say(io, &format!("error: {error}\n"))?;
                code = 2;
            }
            say(io, &report.render())?;
            if args.update && report.failed() > 0 {
                let updated = journey_testing::update(&text, &report);
                std::fs::write(test, updated)
                    .map_err(|e| format!("cannot write `{}`: {e}", test.display()))?;
                say(
                    io,
                    &format!(
                        "updated {name}: the expected lines of {} failing case{}\n",
                        report.failed(),
                        plural(report.failed())
                    ),
                )?;
            }
            passed += report.passed();
            failed += report.failed();
            reports.push(report);
        }
    }
    if args.filter.is_some() && passed + failed == 0 {
        say(io, "warning: no case matches `--filter`\n")?;
    }
    if failed > 0 && !args.update {
        code = code.max(1);
    }
    if junit {
        io.print(&junit_xml(&reports))?;
    }
    let mut summary = format!("\n{passed} passed, {failed} failed");
    if filtered > 0 {
        summary.push_str(&format!(" ({filtered} filtered out)"));
    }
    if args.update && failed > 0 {
        summary.push_str(" (updated: run again to see them pass)");
    }
    summary.push('\n');
    say(io, &summary)?;
    Ok(code)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One `<testsuite>` per test file, one `<testcase>` per case, a `<failure>` with the
/// diff for each failing case, and an `<error>` case for a file that could not be read.
fn junit_xml(reports: &[journey_testing::FileReport]) -> String {
    let cases: usize = reports
        .iter()
        .map(|r| r.cases.len().max(usize::from(!r.errors.is_empty())))
        .sum();
    let failures: usize = reports.iter().map(|r| r.failed()).sum();
    let errors = reports.iter().filter(|r| !r.errors.is_empty()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"journey test\" tests=\"{cases}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    );
    for report in reports {
        let file = xml(&report.file);
        out.push_str(&format!(
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
            report
                .cases
                .len()
                .max(usize::from(!report.errors.is_empty())),
            report.failed(),
            usize::from(!report.errors.is_empty())
        ));
        if !report.errors.is_empty() {
            out.push_str(&format!(
                "    <testcase name=\"{file}\" classname=\"{file}\">\n      <error message=\"the file could not be read\">{}</error>\n    </testcase>\n",
                xml(&report.errors.join("\n"))
            ));
        }
        for case in &report.cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{file}\" file=\"{file}\" line=\"{}\"",
                xml(&case.name),
                case.line
            ));
            match &case.failure {
                None => out.push_str("/>\n"),
                Some(failure) => out.push_str(&format!(
                    ">\n      <failure message=\"the conversation differs from the test\">{}</failure>\n    </testcase>\n",
                    xml(failure)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no form for other control characters.
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A project's journeys, compiled, with the errors `journey check` finds in them.
pub(crate) struct Deployed {
    pub(crate) journeys: Vec<CompiledJourney>,
    pub(crate) config: journey_project::ProjectConfig,
    pub(crate) functions: Option<Functions>,
    pub(crate) errors: Vec<Diagnostic>,
    /// Keywords that start two journeys (J112): only the first deployed ever runs.
    pub(crate) ambiguous: Vec<Diagnostic>,
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
        let ambiguous = analysis
            .diagnostics()
            .iter()
            .filter(|d| d.code == AMBIGUOUS_TRIGGER && d.severity < Severity::Error)
            .cloned()
            .collect();
        let sources = analysis.sources().clone();
        let compiled = project.host.into_project();
        Ok(Deployed {
            journeys: compiled.journeys,
            config: compiled.config,
            functions: compiled.functions,
            errors,
            ambiguous,
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
    workspace::config_dir(path).unwrap_or_else(|| workspace::parent_dir(path))
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
    for entry in journey_files::walk(path, journey_files::Nested::Include) {
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
            &[
                ("hello.journey", broken),
                ("hello.test", "journey: Hello\n\n## one\n> hi\n< hi\n"),
            ],
        );
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("J101") && out.contains("its journeys have check errors"),
            "{out}"
        );
        assert!(out.ends_with("\n0 passed, 0 failed\n"), "{out}");
        let (code, out) = journey(&["test", "--allow-errors", project.path()]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("WARNING: running the tests") && out.contains("--allow-errors"),
            "{out}"
        );
        assert!(out.ends_with("\n1 passed, 0 failed\n"), "{out}");
    }

    #[test]
    fn no_test_files_is_a_usage_error() {
        let project = Project::new("empty", &[("hello.journey", HELLO)]);
        let (code, out) = journey(&["test", project.path()]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("found no `.test` files"), "{out}");
    }
}
