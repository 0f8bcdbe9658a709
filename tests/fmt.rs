//! `journey fmt` over every `.journey` file we have (`examples/`, `playbooks/`,
//! `tests/fixtures/valid/`), read at test time: formatting twice gives what formatting
//! once gives, the tree is unchanged and every comment's text survives. Turn notebooks
//! are not formatted (see docs/fmt.md), but the code of the corpus's stack cells, read as
//! journey code, is held to the same properties: real comments in real places.

use std::path::{Path, PathBuf};

use journey_diagnostics::FileId;
use journey_syntax::{FormatError, comment_texts, format_journey, parse_journey, print};
use journey_tests::{journey, repo_root, shared_corpus};

fn journey_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["examples", "playbooks", "tests/fixtures/valid"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.expect("readable directory");
            if entry.path().extension().is_some_and(|e| e == "journey") {
                files.push(entry.into_path());
            }
        }
    }
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("readable journey file")
}

/// The tree as the printer shows it without comments: spans and quote styles aside,
/// two files print the same exactly when their trees are the same.
fn tree(text: &str) -> String {
    print::module(&parse_journey(FileId(0), text).module)
}

#[test]
fn formatting_is_idempotent_and_keeps_the_tree_and_every_comment() {
    let files = journey_files();
    assert!(
        files.len() >= 50,
        "expected the repository's journey files, found {}",
        files.len()
    );
    let mut with_comments = 0;
    for path in &files {
        let text = read(path);
        assert_formats_faithfully(&path.display().to_string(), &text);
        with_comments += usize::from(!comment_texts(&text).is_empty());
    }
    assert!(
        with_comments >= 20,
        "expected commented files, found {with_comments}"
    );
}

/// Formats `text` twice and checks the three properties.
fn assert_formats_faithfully(name: &str, text: &str) -> String {
    let once = format_journey(text).unwrap_or_else(|e| panic!("{name} was not formatted: {e:?}"));
    let twice = format_journey(&once)
        .unwrap_or_else(|e| panic!("{name} formatted was not formatted: {e:?}"));
    assert_eq!(twice, once, "{name}: formatting again changes it");
    assert_eq!(tree(&once), tree(text), "{name}: the tree changed");
    assert_eq!(
        comment_texts(&once),
        comment_texts(text),
        "{name}: comments changed"
    );
    once
}

#[test]
fn the_corpus_stack_cells_format_faithfully_as_journey_code() {
    let mut cells = 0;
    let mut skipped = 0;
    let mut commented = 0;
    for folder in ["turn-contentrepo", "turn-platform-mnch"] {
        let Some(corpus) = shared_corpus(folder) else {
            return;
        };
        for entry in walkdir::WalkDir::new(corpus).sort_by_file_name() {
            let entry = entry.expect("readable corpus");
            if entry.path().extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = read(entry.path());
            for (i, span) in journey_syntax::notebook_outline(&text)
                .stack_cells
                .iter()
                .enumerate()
            {
                let code = &text[span.start as usize..span.end as usize];
                // A cell that does not parse on its own (a card split over cells) is
                // not journey code by itself.
                if matches!(format_journey(code), Err(FormatError::Syntax(_))) {
                    skipped += 1;
                    continue;
                }
                let name = format!("{} cell {i}", entry.path().display());
                assert_formats_faithfully(&name, code);
                cells += 1;
                commented += usize::from(!comment_texts(code).is_empty());
            }
        }
    }
    eprintln!("{cells} stack cells formatted, {skipped} not journey code on their own");
    assert!(
        cells >= 70,
        "expected the corpus's stack cells, found {cells}"
    );
    assert!(
        commented >= 10,
        "expected commented cells, found {commented}"
    );
}

#[test]
fn a_comment_inside_a_call_stays_inside_and_a_long_call_wraps() {
    let text = "card A do\n  handoff(queue: \"nurses\",\n    # the night queue\n    timeout: 30m) # why\n  \
                text(\"short\")\n  send_message(\"a fairly long first argument\", \"and a second one, also rather longer than that\", tag: \"x\")\nend\n";
    let formatted = format_journey(text).expect("formats");
    insta::assert_snapshot!(formatted, @r#"
    card A do
      handoff(
        queue: "nurses",
        # the night queue
        # why
        timeout: 30m,
      )
      text("short")
      send_message(
        "a fairly long first argument",
        "and a second one, also rather longer than that",
        tag: "x",
      )
    end
    "#);
}

#[test]
fn check_prints_a_diff_and_exits_1_and_fmt_rewrites_the_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("a.journey");
    std::fs::write(&file, "card A do\n    text(\"hi\")   # greet\nend\n").expect("written");
    let path = file.to_string_lossy().into_owned();

    let check = journey(&["fmt", "--check", &path]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    assert!(
        check.stdout.contains("-    text(\"hi\")   # greet\n"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("+  # greet\n+  text(\"hi\")\n"),
        "{}",
        check.stdout
    );

    let fmt = journey(&["fmt", &path]);
    assert_eq!(fmt.code, 0, "{}", fmt.transcript());
    assert_eq!(read(&file), "card A do\n  # greet\n  text(\"hi\")\nend\n");
    let again = journey(&["fmt", "--check", &path]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(again.stdout, "");
}

#[test]
fn a_file_with_syntax_errors_is_not_rewritten() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("broken.journey");
    let text = "card A do\n    text(\"hi\"\nend\n";
    std::fs::write(&file, text).expect("written");
    let path = file.to_string_lossy().into_owned();
    let run = journey(&["fmt", &path]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("has syntax errors"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.journey:"), "{}", run.stderr);
    assert_eq!(read(&file), text);
}
