//! The playbook library and `journey playbook`: every playbook imports into a fresh
//! project where `journey check` and `journey test` pass; imports never overwrite; bad
//! values and broken playbook.toml files are reported with their place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_tests::{Run, journey, repo_root};

/// A directory under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("journey-playbooks-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    fn path(&self, relative: &str) -> String {
        self.0.join(relative).to_string_lossy().into_owned()
    }

    /// A fresh `journey new` project in this directory.
    fn project(&self, name: &str) -> String {
        let path = self.path(name);
        let created = journey(&["new", &path]);
        assert_eq!(created.code, 0, "{}", created.transcript());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn library() -> PathBuf {
    repo_root().join("playbooks")
}

/// The library's playbooks, by directory name.
fn playbooks() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(library())
        .expect("playbooks/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("playbook.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file of a directory, by relative path, to compare before and after.
fn contents(dir: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir)
        .expect("a directory")
        .filter_map(Result::ok)
    {
        if entry.path().is_file() {
            files.insert(
                entry.file_name().to_string_lossy().into_owned(),
                read(&entry.path()),
            );
        }
    }
    files
}

/// Other values than the defaults for the text and address parameters, so that the
/// imported journeys and tests must follow them: every text in capitals, every
/// address on another domain.
fn changed_values(playbook: &str) -> Vec<String> {
    let text = read(&library().join(playbook).join("playbook.toml"));
    let (manifest, diagnostics) =
        journey_playbook::parse_playbook(journey_diagnostics::FileId::default(), &text);
    assert!(diagnostics.is_empty(), "{playbook}: {diagnostics:#?}");
    manifest
        .parameters
        .iter()
        .filter_map(|p| match p.default.as_ref()? {
            journey_playbook::ParamValue::Text(text) => {
                Some(format!("{}={}", p.name, text.to_uppercase()))
            }
            journey_playbook::ParamValue::Url(url) => Some(format!(
                "{}={}",
                p.name,
                url.replace("example.org", "example.net")
            )),
            _ => None,
        })
        .collect()
}

/// Marks the project's pending templates approved, as the operator does once Meta
/// has approved them.
fn approve_templates(project: &str) {
    let path = Path::new(project).join("journey.toml");
    let text = read(&path).replace("status = \"pending\"", "status = \"approved\"");
    std::fs::write(&path, text).expect("write journey.toml");
}

fn assert_contains(run: &Run, expected: &str) {
    assert!(
        run.stdout.contains(expected) || run.stderr.contains(expected),
        "missing {expected:?} in:\n{}",
        run.transcript()
    );
}

#[test]
fn the_library_has_the_promised_playbooks() {
    let names = playbooks();
    for expected in [
        "appointment-reminders",
        "faq-browser",
        "helpdesk-triage",
        "main-menu",
        "onboarding-consent",
        "vaccines-bilingual",
        "visit-survey",
        "weekly-messages",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}

#[test]
fn every_playbook_imports_into_a_new_project_and_passes_there() {
    let scratch = Scratch::new("every");
    for playbook in playbooks() {
        let project = scratch.project(&playbook);
        let mut args = vec![
            "playbook", "import", &playbook, "--into", &project, "--prefix", "Pb",
        ];
        let dir = library().to_string_lossy().into_owned();
        args.extend(["--dir", &dir]);
        let sets = changed_values(&playbook);
        for set in &sets {
            args.extend(["--set", set]);
        }
        let import = journey(&args);
        let manifest = read(&library().join(&playbook).join("playbook.toml"));
        if manifest.contains("[[templates]]") {
            // Templates go in as pending: the checks say so until Meta approves them.
            assert_eq!(import.code, 1, "{playbook}: {}", import.transcript());
            assert_contains(&import, "is pending, not approved");
            assert_contains(&import, "submit it in WhatsApp Manager");
            approve_templates(&project);
        } else {
            assert_eq!(import.code, 0, "{playbook}: {}", import.transcript());
        }
        let check = journey(&["check", &project]);
        assert_eq!(check.code, 0, "{playbook}: {}", check.transcript());
        if playbook == "main-menu" {
            // The new project's starter journey starts on "hi" and "menu" too: the
            // check says which journey wins (issue 15).
            assert!(
                check
                    .stdout
                    .contains("warning[J112]: `hi`, `menu` start both `MainMenu` and `PbMainMenu`"),
                "{}",
                check.stdout
            );
            let test = journey(&["test", &project]);
            assert!(test.stdout.contains("warning[J112]"), "{}", test.stdout);
        } else {
            assert!(
                check.stdout.starts_with("No problems found"),
                "{playbook}: {}",
                check.stdout
            );
        }
        let test = journey(&["test", &project]);
        assert_eq!(test.code, 0, "{playbook}: {}", test.transcript());
        assert!(test.stdout.contains(" passed, 0 failed"), "{}", test.stdout);
        assert!(
            !test.stdout.contains("\n0 passed"),
            "{playbook}: no test ran"
        );
    }
}

#[test]
fn the_library_checks_and_tests_clean_in_place() {
    let library = library().to_string_lossy().into_owned();
    let check = journey(&["check", "--fail-on", "warning", &library]);
    assert_eq!(check.code, 0, "{}", check.transcript());
    let test = journey(&["test", &library]);
    assert_eq!(test.code, 0, "{}", test.transcript());
}

/// playbook.toml and the playbook's own journey.toml declare the same fields and
/// templates (only a template's status may differ: pending in one, approved in the
/// other), so that what is checked in place is what an import adds.
#[test]
fn each_playbook_declares_what_its_journey_toml_has() {
    for playbook in playbooks() {
        let dir = library().join(&playbook);
        let (manifest, _) = journey_playbook::parse_playbook(
            journey_diagnostics::FileId::default(),
            &read(&dir.join("playbook.toml")),
        );
        let (config, diagnostics) = journey_project::parse_config(
            journey_diagnostics::FileId::default(),
            &read(&dir.join("journey.toml")),
        );
        assert!(diagnostics.is_empty(), "{playbook}: {diagnostics:#?}");
        assert_eq!(manifest.fields, config.fields, "{playbook}: fields");
        let strip = |t: &journey_project::Template| {
            let mut t = t.clone();
            t.status = journey_project::TemplateStatus::Approved;
            t
        };
        let wanted: Vec<_> = manifest.templates.iter().map(strip).collect();
        let declared: Vec<_> = config.templates.iter().map(strip).collect();
        assert_eq!(wanted, declared, "{playbook}: templates");
        let secrets: Vec<&str> = manifest.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(secrets, config.secrets.names, "{playbook}: secrets");
    }
}

#[test]
fn import_output() {
    let scratch = Scratch::new("snapshot");
    let project = scratch.project("clinic");
    let library = library().to_string_lossy().into_owned();
    let import = journey(&[
        "playbook",
        "import",
        "faq-browser",
        "--into",
        &project,
        "--prefix",
        "Clinic",
        "--set",
        "helpline_phone=0860 100 200",
        "--dir",
        &library,
    ]);
    assert_eq!(import.code, 0, "{}", import.transcript());
    insta::assert_snapshot!(import.transcript().replace(&project, "[project]"));
    let journey_toml = read(&Path::new(&project).join("journey.toml"));
    assert!(
        journey_toml.contains("names = [\"CONTENT_API_TOKEN\"]"),
        "{journey_toml}"
    );
    let imported = read(&Path::new(&project).join("clinic_faq.journey"));
    assert!(imported.contains("stack ClinicFaqBrowser do"));
    assert!(imported.contains("call 0860 100 200 (free)"));
    assert!(imported.contains("get(\n      \"https://content.example.org/api/v1/topics\","));
    // The author's comments come along.
    assert!(imported.contains("# Every request has an `on_error:` card"));
}

#[test]
fn list_and_show() {
    let library = library().to_string_lossy().into_owned();
    let list = journey(&["playbook", "list", "--dir", &library]);
    assert_eq!(list.code, 0, "{}", list.transcript());
    insta::assert_snapshot!("list", list.stdout);
    let show = journey(&[
        "playbook",
        "show",
        "appointment-reminders",
        "--dir",
        &library,
    ]);
    assert_eq!(show.code, 0, "{}", show.transcript());
    insta::assert_snapshot!("show", show.stdout);
    let missing = journey(&["playbook", "show", "faq-browsr", "--dir", &library]);
    assert_eq!(missing.code, 2);
    assert_contains(&missing, "no playbook `faq-browsr`");
    assert_contains(&missing, "did you mean `faq-browser`?");
}

#[test]
fn importing_twice_reports_the_conflicts_and_writes_nothing() {
    let scratch = Scratch::new("twice");
    let project = scratch.project("clinic");
    let library = library().to_string_lossy().into_owned();
    let import = [
        "playbook",
        "import",
        "main-menu",
        "--into",
        &project,
        "--dir",
        &library,
    ];
    assert_eq!(journey(&import).code, 0);
    let before = contents(&project);
    let again = journey(&import);
    assert_eq!(again.code, 2, "{}", again.transcript());
    assert_contains(&again, "nothing was imported");
    assert_contains(&again, "`menu.journey` already exists in the project");
    assert_contains(&again, "`menu.test` already exists in the project");
    assert_contains(
        &again,
        "the project already has a journey `MainMenu` (in `menu.journey`)",
    );
    assert_contains(&again, "--prefix");
    assert_eq!(
        contents(&project),
        before,
        "a refused import changed the project"
    );
    // With a prefix the same playbook goes in beside the first.
    let mut prefixed = import.to_vec();
    prefixed.extend(["--prefix", "Second"]);
    let second = journey(&prefixed);
    assert_eq!(second.code, 0, "{}", second.transcript());
    assert_eq!(journey(&["test", &project]).code, 0);
}

#[test]
fn bad_set_values_are_usage_errors_that_name_the_parameter() {
    let scratch = Scratch::new("set");
    let project = scratch.project("clinic");
    let before = contents(&project);
    let library = library().to_string_lossy().into_owned();
    let run = |set: &str| {
        journey(&[
            "playbook",
            "import",
            "helpdesk-triage",
            "--into",
            &project,
            "--dir",
            &library,
            "--set",
            set,
        ])
    };
    let unknown = run("opening_hours=9");
    assert_eq!(unknown.code, 2, "{}", unknown.transcript());
    assert_contains(
        &unknown,
        "playbook `helpdesk-triage` has no parameter `opening_hours`; did you mean `opening_hour`?",
    );
    let wrong = run("opening_hour=nine");
    assert_eq!(wrong.code, 2, "{}", wrong.transcript());
    assert_contains(
        &wrong,
        "parameter `opening_hour` (number): `nine` is not a number",
    );
    let bare = run("opening_hour");
    assert_eq!(bare.code, 2);
    assert_contains(&bare, "needs a value");
    let prefix = journey(&[
        "playbook",
        "import",
        "helpdesk-triage",
        "--into",
        &project,
        "--dir",
        &library,
        "--prefix",
        "my-clinic",
    ]);
    assert_eq!(prefix.code, 2);
    assert_contains(&prefix, "`--prefix my-clinic` cannot start a journey name");
    assert_eq!(contents(&project), before);
    let not_a_project = journey(&[
        "playbook",
        "import",
        "main-menu",
        "--into",
        &scratch.path("nowhere"),
        "--dir",
        &library,
    ]);
    assert_eq!(not_a_project.code, 2);
    assert_contains(&not_a_project, "has no journey.toml");
}

/// A small playbook written here: one required parameter, and a broken variant.
fn write_playbook(dir: &Path, manifest: &str) {
    std::fs::create_dir_all(dir).expect("create the playbook");
    std::fs::write(dir.join("playbook.toml"), manifest).expect("write playbook.toml");
    std::fs::write(dir.join("journey.toml"), "[project]\nname = \"tip\"\n")
        .expect("write journey.toml");
    std::fs::write(
        dir.join("tip.journey"),
        "stack Tip do\n  trigger(on: \"MESSAGE RECEIVED\") when has_any_phrase(event.message.text.body, [\"tip\"])\n  interrupt(keywords: [\"help\", \"agent\", \"human\"], then: Nurse)\n  interrupt(keywords: [\"stop\", \"unsubscribe\"], then: OptOut)\n\n  card Tip, then: Nurse do\n    text(\"Today's tip from @global.playbook.clinic_name: drink clean water.\")\n  end\n\n  card Nurse do\n    handoff(queue: \"nurses\")\n  end\n\n  card OptOut do\n    update_contact(opted_in: false)\n    cancel_scheduled()\n    text(\"Bye.\")\n  end\nend\n",
    )
    .expect("write tip.journey");
    std::fs::write(
        dir.join("tip.test"),
        "journey: Tip\nglobal: playbook.clinic_name = \"Hill Clinic\"\n\n## the tip\n> tip\n< Today's tip from Hill Clinic: drink clean water.\n* handoff to nurses\n",
    )
    .expect("write tip.test");
}

const TIP_MANIFEST: &str = "[playbook]\nname = \"tip\"\nsummary = \"A tip.\"\nversion = \"0.1.0\"\nlicence = \"CC0-1.0\"\n\n[parameters.clinic_name]\ntype = \"text\"\ndescription = \"The clinic.\"\n";

#[test]
fn a_required_parameter_without_a_value_stays_a_global_and_is_listed() {
    let scratch = Scratch::new("required");
    let playbook = scratch.0.join("tip");
    write_playbook(&playbook, TIP_MANIFEST);
    let project = scratch.project("clinic");
    let import = journey(&[
        "playbook",
        "import",
        &playbook.to_string_lossy(),
        "--into",
        &project,
    ]);
    assert_eq!(import.code, 0, "{}", import.transcript());
    assert_contains(&import, "parameter `clinic_name` (text) has no value");
    assert_contains(&import, "--set clinic_name=");
    // The journey still reads the global, and the test still gives it.
    assert_eq!(journey(&["test", &project]).code, 0);

    let other = scratch.project("other");
    let filled = journey(&[
        "playbook",
        "import",
        &playbook.to_string_lossy(),
        "--into",
        &other,
        "--set",
        "clinic_name=Valley Clinic",
    ]);
    assert_eq!(filled.code, 0, "{}", filled.transcript());
    assert_contains(&filled, "Nothing left to configure.");
    let test = read(&Path::new(&other).join("tip.test"));
    assert!(
        test.contains("< Today's tip from Valley Clinic: drink clean water."),
        "{test}"
    );
    assert!(!test.contains("global:"), "{test}");
    assert_eq!(journey(&["test", &other]).code, 0);
}

#[test]
fn a_broken_playbook_toml_is_reported_at_its_place() {
    let scratch = Scratch::new("broken");
    let playbook = scratch.0.join("tip");
    let broken = TIP_MANIFEST.replace("type = \"text\"", "type = \"text\"\ndefault = 42");
    write_playbook(&playbook, &broken);
    let path = playbook.to_string_lossy().into_owned();
    let show = journey(&["playbook", "show", &path]);
    assert_eq!(show.code, 1, "{}", show.transcript());
    assert_contains(
        &show,
        "error[J002]: the default of parameter `clinic_name` is integer, not one line of text",
    );
    assert_contains(&show, "playbook.toml:9:1");
    let project = scratch.project("clinic");
    let before = contents(&project);
    let import = journey(&["playbook", "import", &path, "--into", &project]);
    assert_eq!(import.code, 1, "{}", import.transcript());
    assert_contains(&import, "not importing");
    assert_eq!(contents(&project), before);

    std::fs::write(
        playbook.join("playbook.toml"),
        "[playbook]\nname = \"tip\nsummary = 1\n",
    )
    .expect("write");
    let show = journey(&["playbook", "show", &path]);
    assert_eq!(show.code, 1);
    assert_contains(&show, "playbook.toml is not valid TOML");
    assert_contains(&show, "playbook.toml:2:");
}

#[test]
fn control_characters_from_a_playbook_are_escaped_not_sent_to_the_terminal() {
    let scratch = Scratch::new("escapes");
    let library = scratch.0.join("library");
    let playbook = library.join("tip");
    let manifest = TIP_MANIFEST.replace(
        "summary = \"A tip.\"",
        "summary = \"A tip.\\u001b[2J\\u001b]0;owned\\u0007\\r\"",
    );
    write_playbook(&playbook, &manifest);
    let path = playbook.to_string_lossy().into_owned();
    let show = journey(&["playbook", "show", &path]);
    let list = journey(&["playbook", "list", "--dir", &library.to_string_lossy()]);
    for run in [&show, &list] {
        assert_eq!(run.code, 0, "{}", run.transcript());
        let text = run.transcript();
        assert!(!text.contains(['\u{1b}', '\u{7}', '\r']), "{text:?}");
        assert_contains(run, "A tip.\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\r");
    }
}

#[test]
fn an_import_does_not_write_through_a_symbolic_link_in_the_project() {
    let scratch = Scratch::new("symlink");
    let playbook = scratch.0.join("tip");
    write_playbook(&playbook, TIP_MANIFEST);
    // The playbook's files in a directory, which the project has as a link elsewhere.
    std::fs::create_dir(playbook.join("flows")).expect("mkdir");
    for name in ["tip.journey", "tip.test"] {
        std::fs::rename(playbook.join(name), playbook.join("flows").join(name)).expect("move");
    }
    let project = scratch.project("clinic");
    let outside = scratch.0.join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::os::unix::fs::symlink(&outside, Path::new(&project).join("flows")).expect("symlink");
    let import = journey(&[
        "playbook",
        "import",
        &playbook.to_string_lossy(),
        "--into",
        &project,
        "--set",
        "clinic_name=Valley Clinic",
    ]);
    assert_eq!(import.code, 2, "{}", import.transcript());
    assert_contains(
        &import,
        "is a symbolic link, and an import writes only inside the project",
    );
    assert_eq!(std::fs::read_dir(&outside).expect("read").count(), 0);
}

#[test]
fn secrets_are_declared_shown_as_read_and_refused_when_undeclared() {
    let scratch = Scratch::new("secrets");
    let playbook = scratch.0.join("tip");
    write_playbook(&playbook, TIP_MANIFEST);
    let text = read(&playbook.join("tip.journey")).replace(
        "  card Nurse do\n",
        "  card Nurse do\n    log(\"@(secret('CLINIC_TOKEN'))\")\n",
    );
    std::fs::write(playbook.join("tip.journey"), text).expect("write");
    let path = playbook.to_string_lossy().into_owned();
    let show = journey(&["playbook", "show", &path]);
    assert_contains(
        &show,
        "  - CLINIC_TOKEN: read by the journeys but not declared in playbook.toml (an import refuses it)",
    );
    let project = scratch.project("clinic");
    let before = contents(&project);
    let import = journey(&["playbook", "import", &path, "--into", &project]);
    assert_eq!(import.code, 1, "{}", import.transcript());
    assert_contains(
        &import,
        "reads secret `CLINIC_TOKEN`, which playbook.toml does not declare",
    );
    assert_eq!(contents(&project), before);

    let declared = format!(
        "{TIP_MANIFEST}\n[secrets.CLINIC_TOKEN]\ndescription = \"The clinic API's token\"\n"
    );
    std::fs::write(playbook.join("playbook.toml"), declared).expect("write");
    let show = journey(&["playbook", "show", &path]);
    assert_contains(
        &show,
        "Secrets:\n  - CLINIC_TOKEN: The clinic API's token\n",
    );
}
