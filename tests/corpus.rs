//! Real Turn journeys written by others (`../shared/corpus/turn-contentrepo/`, kept
//! outside the repository for licence reasons) must all parse.

use journey_tests::{journey, turn_corpus};

#[test]
fn every_turn_notebook_parses_without_syntax_errors() {
    let Some(corpus) = turn_corpus() else {
        return;
    };
    let path = corpus.to_string_lossy().into_owned();
    let run = journey(&["check", "--format", "json", &path]);
    assert_ne!(
        run.code,
        2,
        "journey check failed to run:\n{}",
        run.transcript()
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON output");
    let syntax_errors: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .filter(|d| d["code"] == "J001")
        .collect();
    assert!(
        syntax_errors.is_empty(),
        "syntax errors in the corpus: {syntax_errors:#?}"
    );
    let notebooks = walk_notebooks(&corpus);
    assert!(
        notebooks >= 9,
        "expected the 9 corpus notebooks with stack cells, found {notebooks}"
    );
}

/// Counts the markdown files that hold at least one stack cell.
fn walk_notebooks(dir: &std::path::Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("readable corpus") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            count += walk_notebooks(&path);
        } else if path.extension().is_some_and(|e| e == "md")
            && std::fs::read_to_string(&path).is_ok_and(|t| t.contains("```stack"))
        {
            count += 1;
        }
    }
    count
}
