//! One session, two containers: every conversation of `examples/*.test`,
//! `playbooks/**/*.test` and `tests/conversations/` runs through `journey test`'s
//! simulator, then is replayed through `journey serve`'s planner over a real store
//! (journey-server's `replay`), which must do exactly what the simulator did: the same
//! actions after every input, the same messages queued, the same contact row.
//! `TMPDIR=/dev/shm` keeps the databases' fsyncs off the disk.

use std::path::{Path, PathBuf};

use journey_analysis::AnalysisHost;
use journey_runtime::Runtime;
use journey_tests::repo_root;

/// A project's sources as `journey test` reads them, and its `.test` files.
fn load(dir: &Path) -> (AnalysisHost, Vec<(String, String)>) {
    let mut host = AnalysisHost::new();
    let mut tests = Vec::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(dir)
            .expect("below the project")
            .to_string_lossy()
            .into_owned();
        let wanted = name == "journey.toml"
            || name.ends_with(".journey")
            || (name.starts_with("functions/") && name.ends_with(".rhai"));
        if name.ends_with(".test") {
            tests.push((name, std::fs::read_to_string(&path).expect("a test file")));
        } else if wanted {
            host.set_file_text(&name, std::fs::read_to_string(&path).expect("a source"));
        }
    }
    (host, tests)
}

fn projects() -> Vec<PathBuf> {
    let root = repo_root();
    let mut projects = vec![root.join("examples"), root.join("tests/conversations")];
    let mut playbooks: Vec<PathBuf> = std::fs::read_dir(root.join("playbooks"))
        .expect("playbooks/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("journey.toml").is_file())
        .collect();
    playbooks.sort();
    projects.extend(playbooks);
    projects
}

#[test]
fn the_server_does_what_the_simulator_does_in_every_conversation() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let (mut conversations, mut inputs, mut failures) = (0, 0, Vec::new());
    for dir in projects() {
        let (host, tests) = load(&dir);
        assert!(!tests.is_empty(), "{} has no .test files", dir.display());
        let project = host.into_project();
        let mut runtime = Runtime::new(&project.journeys, &project.config);
        if let Some(functions) = &project.functions {
            runtime = runtime.with_functions(functions);
        }
        for (name, text) in &tests {
            let (rt, recorded) = journey_testing::conversations(text, &runtime)
                .unwrap_or_else(|errors| panic!("{name}: {errors:?}"));
            for conversation in recorded {
                conversations += 1;
                inputs += conversation.record.len();
                if let Err(difference) = journey_server::replay(
                    &rt,
                    journey_testing::CONTACT_ID,
                    &conversation.record,
                    scratch.path(),
                ) {
                    failures.push(format!(
                        "{}/{name}:{} ({}): {difference}",
                        dir.display(),
                        conversation.line,
                        conversation.case
                    ));
                }
            }
        }
    }
    println!("{conversations} conversations, {inputs} inputs replayed through the server");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // 151 conversations and 475 inputs when this was written.
    assert!(conversations > 100 && inputs > 400, "too few to mean much");
}
