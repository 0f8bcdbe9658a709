//! Re-parsing after an edit gives what a full parse gives: many edits (a character
//! inserted, deleted or replaced, a word typed) at many places of every clean
//! `.journey` file of the repository.

use std::path::{Path, PathBuf};

use journey_diagnostics::FileId;
use journey_syntax::{parse_journey, reparse_journey};

fn journey_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("playbooks"),
        root.join("tests/fixtures"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "journey") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Edits at `at`: insert, delete, replace a character, type a word, add a line.
fn edits(text: &str, at: usize) -> Vec<String> {
    let mut out = Vec::new();
    let next = text[at..].chars().next().map_or(0, char::len_utf8);
    for insert in ["x", " ", "\"", "(", "end", "\n  text(\"new\")\n", "é"] {
        out.push(format!("{}{insert}{}", &text[..at], &text[at..]));
    }
    if next > 0 {
        out.push(format!("{}{}", &text[..at], &text[at + next..]));
        out.push(format!("{}Z{}", &text[..at], &text[at + next..]));
    }
    out
}

#[test]
fn a_reparse_equals_a_full_parse() {
    let mut compared = 0;
    let mut incremental = 0;
    for path in journey_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let old = parse_journey(FileId(0), &text);
        if !old.diagnostics.is_empty() {
            continue;
        }
        // Every 101st character boundary: a spread of places in and between cards.
        let places: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(101).collect();
        for at in places {
            for new in edits(&text, at) {
                let full = parse_journey(FileId(0), &new);
                let re = reparse_journey(FileId(0), &old, &text, &new);
                assert_eq!(re.module, full.module, "{}: edit at {at}", path.display());
                assert_eq!(
                    re.diagnostics,
                    full.diagnostics,
                    "{}: edit at {at}",
                    path.display()
                );
                compared += 1;
                incremental += usize::from(full.diagnostics.is_empty());
            }
        }
    }
    assert!(compared > 1_000, "{compared} edits compared");
    assert!(incremental > 100, "{incremental} clean edits");
}
