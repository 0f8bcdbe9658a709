//! The command-line contract: exit codes, output formats, and the subcommands.

use journey_tests::journey;

#[test]
fn misspelt_card_fails_with_code_location_carets_and_suggestion() {
    let run = journey(&["check", "fixtures/cli/misspelt.journey"]);
    assert_eq!(run.code, 1);
    for expected in [
        "error[J101]",
        "fixtures/cli/misspelt.journey:2:21",
        "^^^^",
        "did you mean `Menu`?",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn clean_file_exits_zero() {
    let run = journey(&["check", "fixtures/cli/clean.journey"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "No problems found in 1 file.\n")
    );
}

#[test]
fn warnings_fail_only_at_the_chosen_severity() {
    assert_eq!(journey(&["check", "fixtures/cli/warning.journey"]).code, 0);
    assert_eq!(
        journey(&[
            "check",
            "--fail-on",
            "warning",
            "fixtures/cli/warning.journey"
        ])
        .code,
        1
    );
}

#[test]
fn usage_errors_exit_two() {
    let missing = journey(&["check", "fixtures/cli/no-such-file.journey"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read `fixtures/cli/no-such-file.journey`"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        journey(&["check", "--format", "yaml", "fixtures/cli/clean.journey"]).code,
        2
    );
    assert_eq!(journey(&["frobnicate"]).code, 2);
    assert_eq!(journey(&["rule", "J999"]).code, 2);
}

#[test]
fn json_output() {
    let run = journey(&["check", "--format", "json", "fixtures/cli/misspelt.journey"]);
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "J101");
    assert_eq!(first["severity"], "error");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(2), Some(21))
    );
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn github_output() {
    let run = journey(&[
        "check",
        "--format",
        "github",
        "fixtures/cli/misspelt.journey",
    ]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn sarif_output() {
    let run = journey(&[
        "check",
        "--format",
        "sarif",
        "fixtures/cli/misspelt.journey",
    ]);
    assert_eq!(run.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "J101");
    let rule_count = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map(Vec::len);
    assert_eq!(rule_count, Some(journey_check::RULES.len()));
}

#[test]
fn rule_prints_its_documentation() {
    let run = journey(&["rule", "J101"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# J101 `unknown-card`"),
        "{}",
        run.stdout
    );
    let by_name = journey(&["rule", "unknown-card"]);
    assert_eq!(by_name.stdout, run.stdout);
    let list = journey(&["rule"]);
    assert!(
        list.stdout
            .contains("| [J202](J202.md) | `loop-without-wait` |"),
        "{}",
        list.stdout
    );
}

#[test]
fn graph_draws_dot_and_mermaid() {
    let dot = journey(&["graph", "fixtures/cli/misspelt.journey"]);
    assert_eq!(dot.code, 0, "{}", dot.transcript());
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
    let mermaid = journey(&[
        "graph",
        "--format",
        "mermaid",
        "fixtures/cli/misspelt.journey",
    ]);
    assert_eq!(mermaid.code, 0);
    assert!(
        mermaid.stdout.starts_with("flowchart"),
        "{}",
        mermaid.stdout
    );
}

#[test]
fn new_project_passes_check() {
    let dir = std::env::temp_dir().join(format!("journey-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.to_string_lossy().into_owned();
    let created = journey(&["new", &path]);
    assert_eq!(created.code, 0, "{}", created.transcript());
    let check = journey(&["check", "--fail-on", "info", &path]);
    assert_eq!(check.code, 0, "{}", check.transcript());
    let again = journey(&["new", &path]);
    assert_eq!(again.code, 2, "journey new must not overwrite a project");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// The SARIF log of findings from every rule (secondary locations, notes, help)
/// validates against the official 2.1.0 schema (`tests/schemas/sarif-2.1.0.json`).
#[test]
fn sarif_output_matches_the_2_1_0_schema() {
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/sarif-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("the schema"))
            .expect("the schema is JSON");
    let validator = jsonschema::draft4::new(&schema).expect("a valid draft-4 schema");
    let run = journey(&["check", "--format", "sarif", "fixtures/invalid"]);
    assert_eq!(run.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let results = sarif["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert!(
        results > 100,
        "expected findings of every rule, got {results}"
    );
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not match the schema:\n{}",
        errors.join("\n")
    );
    // The check can fail: a log without its version is rejected.
    let mut broken = sarif.clone();
    broken.as_object_mut().expect("an object").remove("version");
    assert!(!validator.is_valid(&broken));
}
