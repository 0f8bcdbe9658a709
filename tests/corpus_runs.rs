//! The Turn corpus runs end to end. Each `tests/corpus/<name>.test` names a notebook of
//! `../shared/corpus/turn-contentrepo/` in its header (`notebook: Quiz/quiz.md`); the
//! notebook is compiled alone, as Turn deploys it, and played through the test's cases,
//! its HTTP calls answered by the fixtures the test writes. The notebooks stay outside
//! the repository for licence reasons: the tests refer to them in place.

use std::path::{Path, PathBuf};

use journey_diagnostics::{FileId, Severity};
use journey_model::{ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_runtime::Runtime;
use journey_tests::{repo_root, turn_corpus};

#[test]
fn every_corpus_journey_runs_its_conversation_tests() {
    let Some(corpus) = turn_corpus() else {
        return;
    };
    let mut tested = Vec::new();
    let mut failures = String::new();
    for test in test_files(&repo_root().join("tests/corpus")) {
        let name = format!(
            "tests/corpus/{}",
            test.file_name().unwrap_or_default().to_string_lossy()
        );
        let text = std::fs::read_to_string(&test).expect("readable test file");
        let Some(notebook) = journey_testing::notebook(&text) else {
            // Without journeys, run_file still reports the lines it cannot read.
            let config = ProjectConfig::default();
            let report = journey_testing::run_file(&text, &name, &Runtime::new(&[], &config));
            failures.push_str(&format!(
                "{name}: names no notebook (`notebook: Quiz/quiz.md`)\n{}\n",
                report.errors.join("\n")
            ));
            continue;
        };
        let path = corpus.join(&notebook);
        match run(&path, &text, &name) {
            Ok(report) => print!("{report}"),
            Err(failure) => failures.push_str(&failure),
        }
        tested.push(canonical(&path));
    }
    for notebook in notebooks(&corpus) {
        if !tested.contains(&canonical(&notebook)) {
            let relative = notebook.strip_prefix(&corpus).unwrap_or(&notebook);
            failures.push_str(&format!(
                "`{}` has stack cells and no test in tests/corpus/\n",
                relative.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// Compiles the notebook and runs the test against it: the rendered report, or what
/// failed.
fn run(notebook: &Path, test: &str, name: &str) -> Result<String, String> {
    let source = std::fs::read_to_string(notebook)
        .map_err(|e| format!("{name}: cannot read `{}`: {e}\n", notebook.display()))?;
    let parsed = journey_syntax::parse_notebook(FileId(0), &source);
    if parsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        return Err(format!(
            "{name}: `{}` has syntax errors (see tests/corpus.rs)\n",
            notebook.display()
        ));
    }
    // The CLI names a notebook's journey by its file stem; so does this.
    let module = SourceModule {
        file: FileId(0),
        default_name: notebook
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        module: &parsed.module,
        text: &source,
        has_syntax_errors: false,
    };
    let journeys = journey_model::compile(&[module], ProjectIndex::default());
    let config = ProjectConfig::default();
    let report = journey_testing::run_file(test, name, &Runtime::new(&journeys, &config));
    let rendered = report.render();
    if !report.errors.is_empty() || report.failed() > 0 {
        let errors: String = report.errors.iter().map(|e| format!("{e}\n")).collect();
        return Err(format!("{errors}{rendered}"));
    }
    if report.cases.is_empty() {
        return Err(format!("{name}: has no cases\n"));
    }
    Ok(rendered)
}

/// The `.test` files of a directory, sorted.
fn test_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    files
}

/// The markdown files under `dir` that hold at least one stack cell.
fn notebooks(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable corpus") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            found.extend(notebooks(&path));
        } else if path.extension().is_some_and(|e| e == "md")
            && std::fs::read_to_string(&path).is_ok_and(|t| t.contains("```stack"))
        {
            found.push(path);
        }
    }
    found
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
