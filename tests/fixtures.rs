//! Every file under `fixtures/invalid/` must fail `journey check` with the findings in
//! its snapshot; every file under `fixtures/valid/` must pass with none; every project
//! under `fixtures/projects/` (a directory with a `journey.toml`) matches its snapshot.

use journey_tests::{fixture_files, journey};

#[test]
fn invalid_fixtures_report_their_findings() {
    let files = fixture_files("fixtures/invalid");
    assert!(
        files.len() >= 40,
        "expected at least 40 invalid fixtures, found {}",
        files.len()
    );
    for file in files {
        let run = journey(&["check", "--fail-on", "info", &file]);
        assert_eq!(
            run.code,
            1,
            "{file} should have findings:\n{}",
            run.transcript()
        );
        let name = file
            .trim_start_matches("fixtures/invalid/")
            .replace('.', "_");
        insta::with_settings!({snapshot_path => "snapshots/invalid", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, run.transcript());
        });
    }
}

#[test]
fn valid_fixtures_are_clean() {
    let files = fixture_files("fixtures/valid");
    assert!(
        files.len() >= 20,
        "expected at least 20 valid fixtures, found {}",
        files.len()
    );
    for file in files {
        let run = journey(&["check", "--fail-on", "info", &file]);
        assert_eq!(run.code, 0, "{file} should be clean:\n{}", run.transcript());
        assert_eq!(run.stdout, "No problems found in 1 file.\n", "{file}");
    }
}

#[test]
fn projects_report_their_findings() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects");
    let mut projects: Vec<String> = std::fs::read_dir(root)
        .expect("fixtures/projects exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    projects.sort();
    assert!(!projects.is_empty());
    for project in projects {
        let run = journey(&["check", &format!("fixtures/projects/{project}")]);
        insta::with_settings!({snapshot_path => "snapshots/projects", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(project, run.transcript());
        });
    }
}
