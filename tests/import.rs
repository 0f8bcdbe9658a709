//! `journey import turn`: our own small notebooks (`fixtures/import/`, one Turn feature
//! each) convert as their snapshots say, every notebook of the Turn corpus converts into
//! a journey that parses, lowers, prints back to itself and passes the corpus's own
//! conversation tests, and the command keeps its contract (reports, exit codes, no
//! silent overwrite).

use std::path::{Path, PathBuf};

use journey_diagnostics::{FileId, Severity};
use journey_import::{ImportError, Imported, Notebook, UuidMap};
use journey_model::{ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_runtime::Runtime;
use journey_tests::{fixture_files, journey, repo_root, turn_corpus};

fn fixture_map() -> UuidMap {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/import/uuids.toml"))
        .expect("the fixture map");
    UuidMap::parse(&text).expect("a valid map")
}

fn import(path: &str, text: &str, map: &UuidMap) -> Imported {
    match journey_import::import_notebook(Notebook { path, text }, map) {
        Ok(imported) => imported,
        Err(ImportError::Syntax(diagnostics)) => panic!("{path}: syntax errors {diagnostics:?}"),
        Err(ImportError::NoJourney) => panic!("{path}: no journey"),
    }
}

/// The tree without its spans, to compare two parses of one journey.
fn without_spans(module: &journey_syntax::Module) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|key, _| key != "span" && key != "header_span");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(module).expect("the AST serialises");
    strip(&mut value);
    value
}

/// The imported text parses without any diagnostic, and printing it and parsing again
/// gives the same tree. Returns the parsed module.
fn assert_parses_and_round_trips(name: &str, text: &str) -> journey_syntax::Module {
    let parsed = journey_syntax::parse_journey(FileId(0), text);
    assert!(
        parsed.diagnostics.is_empty(),
        "{name}: the import does not parse cleanly: {:#?}\n{text}",
        parsed.diagnostics
    );
    let printed = journey_syntax::print::module(&parsed.module);
    let reparsed = journey_syntax::parse_journey(FileId(0), &printed);
    assert!(
        reparsed.diagnostics.is_empty(),
        "{name}: {:?}",
        reparsed.diagnostics
    );
    assert_eq!(
        without_spans(&parsed.module),
        without_spans(&reparsed.module),
        "{name}: printing the import and parsing it again changes the tree"
    );
    parsed.module
}

fn compile(
    name: &str,
    module: &journey_syntax::Module,
    text: &str,
) -> Vec<journey_model::CompiledJourney> {
    let source = SourceModule {
        file: FileId(0),
        default_name: name.to_owned(),
        module,
        text,
        has_syntax_errors: false,
    };
    journey_model::compile(&[source], ProjectIndex::default())
}

#[test]
fn fixture_notebooks_import_as_their_snapshots_say() {
    let map = fixture_map();
    let files = fixture_files("fixtures/import");
    let notebooks: Vec<&String> = files.iter().filter(|f| !f.ends_with("broken.md")).collect();
    assert_eq!(notebooks.len(), 6, "{files:?}");
    for path in notebooks {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let imported = import(path, &text, &map);
        let module = assert_parses_and_round_trips(path, &imported.text);
        let compiled = compile(&imported.name, &module, &imported.text);
        assert_eq!(compiled.len(), 1, "{path}");
        let stem = imported.name.clone();
        insta::assert_snapshot!(format!("import_{stem}_journey"), imported.text);
        insta::assert_json_snapshot!(format!("import_{stem}_report"), imported.report);
    }
}

#[test]
fn config_table_becomes_config_and_secrets_stay_out() {
    let path = "fixtures/import/clinic_config.md";
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let imported = import(path, &text, &UuidMap::default());
    assert!(
        !imported
            .text
            .contains("3f9c1e7ab2d04c6f8e15b7a9d2c4e6f8a1b3c5d7"),
        "the token was written out:\n{}",
        imported.text
    );
    assert_eq!(imported.report.secrets, ["CMS_API_TOKEN"]);
    let module = assert_parses_and_round_trips(path, &imported.text);
    let compiled = compile(&imported.name, &module, &imported.text);
    let config = &compiled[0].config;
    assert_eq!(config.get("region").map(String::as_str), Some("gauteng"));
    assert_eq!(config.get("page_size").map(String::as_str), Some("5"));
    assert!(!config.contains_key("cms_api_token"));
    let left_out: Vec<&str> = imported
        .report
        .not_converted
        .iter()
        .map(|n| n.kind)
        .collect();
    assert_eq!(left_out, ["config"], "`opening hours` is not a name");
}

#[test]
fn unknown_uuids_stay_and_the_checker_says_j102() {
    let path = "fixtures/import/referrals.md";
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let imported = import(path, &text, &fixture_map());
    assert!(imported.text.contains("run_stack(registration)"));
    assert!(
        imported
            .text
            .contains("cancel_scheduled_stacks(registration_reminder)")
    );
    assert!(
        imported
            .text
            .contains("schedule_stack(\"99999999-8888-4777-8666-555555555555\"")
    );
    let module = assert_parses_and_round_trips(path, &imported.text);
    let compiled = compile(&imported.name, &module, &imported.text);
    let diagnostics = journey_check::check(&compiled, &ProjectConfig::default());
    let unknown: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.code == "J102")
        .map(|d| d.message.as_str())
        .collect();
    // The mapped names are other journeys of the project, absent here; the UUID is
    // reported as a UUID.
    assert_eq!(unknown.len(), 4, "{unknown:#?}");
    assert!(
        unknown
            .iter()
            .any(|m| m.contains("99999999-8888-4777-8666-555555555555")),
        "{unknown:#?}"
    );
}

/// Every corpus notebook imports; the journey parses, lowers, round-trips, and plays
/// the conversation tests written for the notebook (`tests/corpus/`) with the same
/// results, its secret config given as secrets.
#[test]
fn every_corpus_notebook_imports_and_runs_its_conversation_tests() {
    let Some(corpus) = turn_corpus() else {
        return;
    };
    let mut failures = String::new();
    let mut imported_count = 0;
    for test in corpus_tests() {
        let test_text = std::fs::read_to_string(&test).expect("readable test");
        let name = format!(
            "tests/corpus/{}",
            test.file_name().unwrap_or_default().to_string_lossy()
        );
        let notebook =
            journey_testing::notebook(&test_text).expect("corpus tests name their notebook");
        let path = corpus.join(&notebook);
        let text = std::fs::read_to_string(&path).expect("readable notebook");
        let imported = import(&notebook, &text, &UuidMap::default());
        let module = assert_parses_and_round_trips(&notebook, &imported.text);
        // The corpus tests name the journey as `journey check` names the notebook.
        let stem = Path::new(&notebook)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let journeys = compile(&stem, &module, &imported.text);
        assert!(
            !journeys.is_empty() && journeys.iter().all(|j| j.graph.node_count() > 0),
            "{notebook}: did not lower to a state machine"
        );
        let with_secrets = format!("{}{test_text}", secrets_header(&text, &imported));
        let config = ProjectConfig::default();
        let report =
            journey_testing::run_file(&with_secrets, &name, &Runtime::new(&journeys, &config));
        if !report.errors.is_empty() || report.failed() > 0 || report.cases.is_empty() {
            failures.push_str(&format!(
                "{notebook} imported:\n{}{}\n",
                report.errors.join("\n"),
                report.render()
            ));
        }
        imported_count += 1;
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(
        imported_count >= 9,
        "expected the 9 corpus notebooks, imported {imported_count}"
    );
}

/// `secret: NAME = "value"` lines giving each secret the value the notebook's config
/// held, so that the run sends what the notebook sent.
fn secrets_header(notebook: &str, imported: &Imported) -> String {
    let parsed = journey_syntax::parse_notebook(FileId(0), notebook);
    let mut header = String::new();
    for entry in &parsed.module.config {
        let name = journey_import::secret_name(&entry.key);
        if imported.report.secrets.contains(&name) {
            header.push_str(&format!("secret: {name} = \"{}\"\n", entry.value));
        }
    }
    header
}

fn corpus_tests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/corpus"))
        .expect("tests/corpus")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    files
}

#[test]
fn a_notebook_with_syntax_errors_is_refused_with_locations() {
    let path = "fixtures/import/broken.md";
    let text = std::fs::read_to_string(path).expect("readable fixture");
    match journey_import::import_notebook(Notebook { path, text: &text }, &UuidMap::default()) {
        Err(ImportError::Syntax(diagnostics)) => {
            assert!(
                diagnostics
                    .iter()
                    .all(|d| d.severity == Severity::Error && d.code == "J001")
            );
        }
        other => panic!("expected syntax errors, got {other:?}"),
    }
}

// ---------------------------------------------------------------- the command

/// A fresh output directory for one test, and the text to show instead of its path.
fn out_dir(test: &str) -> (String, impl Fn(&str) -> String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("import-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    let shown = dir.to_string_lossy().into_owned();
    let hide = {
        let shown = shown.clone();
        move |text: &str| text.replace(&shown, "<out>")
    };
    (shown, hide)
}

#[test]
fn the_command_writes_journeys_and_reports() {
    let (out, hide) = out_dir("writes");
    let report = format!("{out}/report.json");
    let run = journey(&[
        "import",
        "turn",
        "fixtures/import/referrals.md",
        "fixtures/import/clinic_config.md",
        "--map",
        "fixtures/import/uuids.toml",
        "--out",
        &out,
        "--report",
        &report,
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(hide(&run.transcript()));
    for file in ["referrals.journey", "clinic_config.journey"] {
        let written = std::fs::read_to_string(Path::new(&out).join(file)).expect("written");
        assert_parses_and_round_trips(file, &written);
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(json[1]["secrets"], serde_json::json!(["CMS_API_TOKEN"]));
    assert_eq!(json[0]["not_converted"][0]["kind"], "unknown-journey-uuid");
    assert_eq!(json[0]["not_converted"][0]["line"], 20);
}

#[test]
fn the_command_never_overwrites_silently() {
    let (out, hide) = out_dir("overwrite");
    let args = [
        "import",
        "turn",
        "fixtures/import/scoring.md",
        "--out",
        &out,
    ];
    assert_eq!(journey(&args).code, 0);
    let path = Path::new(&out).join("scoring.journey");
    std::fs::write(&path, "# mine\n").expect("writable");
    let again = journey(&args);
    assert_eq!(again.code, 2, "{}", again.transcript());
    insta::assert_snapshot!(hide(&again.transcript()));
    assert_eq!(
        std::fs::read_to_string(&path).expect("readable"),
        "# mine\n"
    );
    let forced: Vec<&str> = args.iter().copied().chain(["--force"]).collect();
    assert_eq!(journey(&forced).code, 0);
    assert_ne!(
        std::fs::read_to_string(&path).expect("readable"),
        "# mine\n"
    );
}

#[test]
fn the_command_refuses_bad_input_with_locations() {
    let (out, hide) = out_dir("bad-input");
    let broken = journey(&["import", "turn", "fixtures/import/broken.md", "--out", &out]);
    assert_eq!(broken.code, 1);
    insta::assert_snapshot!("broken_notebook", hide(&broken.transcript()));
    assert!(!Path::new(&out).join("broken.journey").exists());

    let bad_map = Path::new(&out).join("bad.toml");
    std::fs::create_dir_all(&out).expect("creatable");
    std::fs::write(
        &bad_map,
        "\"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\" = \"two words\"\n",
    )
    .expect("writable");
    let map_run = journey(&[
        "import",
        "turn",
        "fixtures/import/referrals.md",
        "--map",
        &bad_map.to_string_lossy(),
        "--out",
        &out,
    ]);
    assert_eq!(map_run.code, 2);
    insta::assert_snapshot!("bad_map", hide(&map_run.transcript()));

    let missing = journey(&[
        "import",
        "turn",
        "fixtures/import/no-such.md",
        "--out",
        &out,
    ]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read `fixtures/import/no-such.md`"),
        "{}",
        missing.stderr
    );

    let usage = journey(&["import", "turn"]);
    assert_eq!(usage.code, 2);
}

#[test]
fn two_notebooks_that_make_one_file_are_refused() {
    let Some(corpus) = turn_corpus() else {
        return;
    };
    let (out, _) = out_dir("collide");
    let push = corpus.join("Push messaging/QA/flows/signup.md");
    let stage = corpus.join("Stage based messaging/QA/flows/signup.md");
    let run = journey(&[
        "import",
        "turn",
        &push.to_string_lossy(),
        &stage.to_string_lossy(),
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("would both become"), "{}", run.stderr);
    assert!(!Path::new(&out).join("signup.journey").exists());
}
