//! Every file (or project directory) under `fixtures/invalid/` must fail `journey check` with the findings in
//! its snapshot; every file under `fixtures/valid/` must pass with none; every project
//! under `fixtures/projects/` (a directory with a `journey.toml`) matches its snapshot.
//!
//! As in ruff, a fixture is checked by the rules it is about only: `wa401_…` files by
//! WA401, the others by the language rules (J). A fixture about a missing `end` need not
//! also carry a STOP keyword to be quiet.

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
        let run = journey(&[
            "check",
            "--fail-on",
            "info",
            "--select",
            &family(&file),
            &file,
        ]);
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
        let run = journey(&[
            "check",
            "--fail-on",
            "info",
            "--select",
            &family(&file),
            &file,
        ]);
        assert_eq!(run.code, 0, "{file} should be clean:\n{}", run.transcript());
        assert!(
            run.stdout.starts_with("No problems found in "),
            "{file}: {}",
            run.stdout
        );
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

/// The rules a fixture is about, from its file name: `wa401_…` → `WA401`, else `J`.
fn family(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    match name.split_once('_') {
        Some((code, _)) if code.starts_with("wa") => code.to_uppercase(),
        _ => "J".to_owned(),
    }
}

/// ruff's bar: every WhatsApp rule has a fixture it fires on and one it is silent on,
/// and every rule of the registry shows up in some snapshot.
#[test]
fn every_rule_has_a_failing_and_a_passing_fixture() {
    let invalid = fixture_files("fixtures/invalid");
    let valid = fixture_files("fixtures/valid");
    let named = |files: &[String], code: &str| {
        let prefix = format!("{}_", code.to_lowercase());
        files
            .iter()
            .any(|f| f.rsplit('/').next().is_some_and(|n| n.starts_with(&prefix)))
    };
    let snapshots = snapshot_texts();
    for rule in journey_check::RULES {
        if rule.code.starts_with("WA") {
            assert!(
                named(&invalid, rule.code),
                "no fixtures/invalid/{}_… file",
                rule.code.to_lowercase()
            );
            assert!(
                named(&valid, rule.code),
                "no fixtures/valid/{}_… file",
                rule.code.to_lowercase()
            );
        }
        assert!(
            snapshots.contains(&format!("[{}]", rule.code)),
            "no snapshot shows {}",
            rule.code
        );
    }
}

fn snapshot_texts() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "snap"))
        .map(|e| std::fs::read_to_string(e.path()).expect("readable snapshot"))
        .collect()
}
