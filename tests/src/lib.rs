//! Helpers for the data-driven tests: run the real `journey` command in-process.

use std::path::{Path, PathBuf};

/// What one run of `journey` printed and returned.
pub struct Run {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr in one text, for snapshots.
    pub fn transcript(&self) -> String {
        let mut text = format!("exit: {}\n--- stdout\n{}", self.code, self.stdout);
        if !self.stderr.is_empty() {
            text.push_str(&format!("--- stderr\n{}", self.stderr));
        }
        text
    }
}

/// Runs `journey ARGS…` with stdout not a terminal (no colour).
pub fn journey(args: &[&str]) -> Run {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut io = journey_cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
        terminal: false,
    };
    let code = journey_cli::run(
        std::iter::once("journey").chain(args.iter().copied()),
        &mut io,
    );
    Run {
        code,
        stdout: String::from_utf8(stdout).expect("journey prints UTF-8"),
        stderr: String::from_utf8(stderr).expect("journey prints UTF-8"),
    }
}

/// The repository root (tests run from `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The files of a fixture directory (relative to `tests/`), sorted.
pub fn fixture_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|entry| {
            entry
                .expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        // Files, and projects (a directory with a journey.toml) for rules that need one.
        .filter(|name| {
            name.ends_with(".journey")
                || name.ends_with(".md")
                || Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(dir)
                    .join(name)
                    .join("journey.toml")
                    .is_file()
        })
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    files
}

/// The Turn corpus (`../shared/corpus/turn-contentrepo/`, kept outside the repository
/// for licence reasons), or `None` after saying the test is skipped. CI sets
/// `JOURNEY_REQUIRE_CORPUS`, so that a missing corpus fails there instead.
pub fn turn_corpus() -> Option<PathBuf> {
    shared_corpus("turn-contentrepo")
}

/// A folder of `../shared/corpus/` (`turn-platform-mnch`), or `None` after saying the
/// test is skipped; a failure instead when `JOURNEY_REQUIRE_CORPUS` is set.
pub fn shared_corpus(folder: &str) -> Option<PathBuf> {
    let corpus = repo_root().join("../shared/corpus").join(folder);
    if corpus.is_dir() {
        return Some(corpus);
    }
    let message = format!(
        "the Turn corpus is missing: expected it at {}; this test needs the shared/ folder beside the repository",
        corpus.display()
    );
    assert!(
        std::env::var_os("JOURNEY_REQUIRE_CORPUS").is_none(),
        "{message}"
    );
    eprintln!("SKIPPED: {message}");
    None
}

pub mod fake_graph;
pub mod load;
pub mod serve;
