//! `tests/conversations/`: a project whose conversation tests cover every statement and
//! every kind of edge the examples do not, run through the real `journey test`.

use journey_tests::{journey, repo_root};

#[test]
fn the_conversation_tests_pass() {
    let dir = repo_root().join("tests/conversations");
    let run = journey(&["test", &dir.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(!run.stdout.contains("\n0 passed"), "{}", run.transcript());
}
