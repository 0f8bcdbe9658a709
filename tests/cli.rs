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

/// A scratch directory, removed when dropped.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(tempfile::tempdir().expect("a temporary directory"))
    }

    fn path(&self, relative: &str) -> String {
        self.0.path().join(relative).to_string_lossy().into_owned()
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.0.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
        std::fs::write(path, text).expect("write a scratch file");
    }
}

/// A README argument as the test runs it: the README runs from the repository root and
/// makes `clinic-line` there; the test runs from `tests/` and makes it in a scratch dir.
fn readme_argument(argument: &str, scratch: &Scratch) -> String {
    let unquoted = argument.trim_matches('"');
    if unquoted.starts_with("examples") {
        format!("../{unquoted}")
    } else if unquoted.starts_with("clinic-line") {
        scratch.path(unquoted)
    } else if let Some((name, value)) = unquoted.split_once("=\"") {
        format!("{name}={}", value.trim_end_matches('"'))
    } else {
        unquoted.to_owned()
    }
}

/// Splits a shell line into words, keeping `"…"` together.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Every `journey` command of README.md's shell blocks runs as written (paths moved to
/// a scratch directory), in order, and the tour's journey checks clean. `journey run`
/// (it reads the terminal) and `journey serve` (tests/serve.rs) are left to their tests.
#[test]
fn the_readme_commands_work() {
    let readme =
        std::fs::read_to_string(journey_tests::repo_root().join("README.md")).expect("README.md");
    let scratch = Scratch::new();
    let mut block: Option<&str> = None;
    let mut snippet = String::new();
    let mut ran = Vec::new();
    for line in readme.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => Some(fence),
            };
            if block.is_none() && !snippet.is_empty() {
                // Step 2: the snippet replaces the starter journey, and checks clean.
                scratch.write("clinic-line/main.journey", &snippet);
                let check = journey(&["check", "--fail-on", "info", &scratch.path("clinic-line")]);
                assert_eq!(check.code, 0, "{}", check.transcript());
                assert!(
                    check.stdout.starts_with("No problems found"),
                    "{}",
                    check.stdout
                );
                snippet.clear();
            }
            continue;
        }
        match block {
            Some("journey") => {
                snippet.push_str(line);
                snippet.push('\n');
            }
            Some("sh") => {
                let line = line.split(" #").next().unwrap_or(line).trim();
                let line = line.split(" > ").next().unwrap_or(line);
                if line.starts_with("cargo install") {
                    assert!(
                        line.contains("--locked"),
                        "{line}: without --locked, cargo re-resolves the dependencies"
                    );
                    continue;
                }
                let args = match line.strip_prefix("cargo run --release -p journey-cli -- ") {
                    Some(rest) => words(rest),
                    None => match line.strip_prefix("journey ") {
                        Some(rest) => words(rest),
                        None => continue,
                    },
                };
                // Commands that wait for a person or serve until stopped; tests/serve.rs
                // and tests/studio.rs run those through the real binary.
                if matches!(args[0].as_str(), "run" | "serve" | "studio") {
                    continue;
                }
                let args: Vec<String> = args.iter().map(|a| readme_argument(a, &scratch)).collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let run = journey(&args);
                // An import that worked exits 1 while its templates wait for approval.
                let pending = args[..2] == ["playbook", "import"]
                    && run.code == 1
                    && run.stdout.contains("Imported ")
                    && run.stdout.contains("is pending, not approved");
                assert!(
                    run.code == 0 || pending,
                    "`journey {}`:\n{}",
                    args.join(" "),
                    run.transcript()
                );
                ran.push(args[..2].join(" "));
            }
            _ => {}
        }
    }
    for expected in [
        "check ../examples/",
        "new ",
        "playbook list",
        "playbook import",
    ] {
        assert!(
            ran.iter().any(|r| r.starts_with(expected.trim())),
            "README ran no `{expected}`: {ran:?}"
        );
    }
    // After the tour's import, the project's tests run and pass (templates pending).
    let test = journey(&["test", &scratch.path("clinic-line")]);
    assert_eq!(test.code, 1, "{}", test.transcript());
    assert!(
        test.stdout.contains("wait for Meta's approval (WA501)"),
        "{}",
        test.stdout
    );
    let updated = journey(&["test", "--update", &scratch.path("clinic-line")]);
    assert_eq!(updated.code, 0, "{}", updated.transcript());
    let again = journey(&["test", &scratch.path("clinic-line")]);
    assert_eq!(again.code, 0, "{}", again.transcript());
}

#[test]
fn a_new_project_passes_its_own_tests() {
    let scratch = Scratch::new();
    let dir = scratch.path("clinic-line");
    assert_eq!(journey(&["new", &dir]).code, 0);
    let run = journey(&["test", &dir]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.ends_with("\n2 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
}

const MENU_TEST: &str = "journey: ClinicMenu\ncontact: name = \"Thandi\"\n\n## greets\n> hi\n< [buttons] Hi Thandi! ...\n\n## wrong greeting\n> hi\n< Hello\n";

#[test]
fn test_filters_cases_and_writes_junit() {
    let scratch = Scratch::new();
    scratch.write(
        "p/menu.journey",
        &std::fs::read_to_string("../examples/buttons_menu.journey").expect("the example"),
    );
    scratch.write("p/menu.test", MENU_TEST);
    let filtered = journey(&["test", "--filter", "greets", &scratch.path("p")]);
    assert_eq!(filtered.code, 0, "{}", filtered.transcript());
    assert!(
        filtered
            .stdout
            .ends_with("\n1 passed, 0 failed (1 filtered out)\n"),
        "{}",
        filtered.stdout
    );
    let junit = journey(&["test", "--format", "junit", &scratch.path("p")]);
    assert_eq!(junit.code, 1, "{}", junit.transcript());
    let xml = junit.stdout.replace(&scratch.path(""), "SCRATCH/");
    insta::assert_snapshot!(xml);
    assert!(
        junit.stderr.ends_with("\n1 passed, 1 failed\n"),
        "{}",
        junit.stderr
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = journey(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.transcript());
        assert!(run.stdout.contains("playbook"), "{shell}: {}", run.stdout);
    }
    assert_eq!(journey(&["completions", "tcsh"]).code, 2);
}

#[test]
fn the_playbook_library_is_built_in() {
    // Tests run from `tests/`, where there is no `playbooks/` directory.
    let list = journey(&["playbook", "list"]);
    assert_eq!(list.code, 0, "{}", list.transcript());
    assert_eq!(list.stdout.lines().count(), 8, "{}", list.stdout);
    let show = journey(&["playbook", "show", "main-menu"]);
    assert!(
        show.stdout.starts_with("main-menu 1.0.0"),
        "{}",
        show.transcript()
    );
    let missing = journey(&["playbook", "show", "main-mnu"]);
    assert!(
        missing.stderr.contains("did you mean `main-menu`?"),
        "{}",
        missing.stderr
    );
    let other = journey(&["playbook", "list", "--dir", "fixtures"]);
    assert_eq!(
        (other.code, other.stdout.as_str()),
        (0, "No playbooks in `fixtures`.\n")
    );
}

#[test]
fn graph_draws_every_journey_of_a_directory_and_svg_needs_no_graphviz() {
    let dot = journey(&["graph", "../examples"]);
    assert_eq!(dot.code, 0, "{}", dot.transcript());
    let journeys = dot
        .stdout
        .matches("style=bold; fontname=\"Helvetica-Bold\"")
        .count();
    assert_eq!(journeys, 7, "{}", dot.stdout);
    let svg = journey(&["graph", "--format", "svg", "../examples"]);
    assert_eq!(svg.code, 0, "{}", svg.transcript());
    assert!(svg.stdout.starts_with("<?xml"), "{}", &svg.stdout[..100]);
    for name in ["ClinicMenu", "Helpline"] {
        assert!(
            svg.stdout.contains(&format!(">{name}</text>")),
            "{name} is not drawn"
        );
    }
    let one = journey(&[
        "graph",
        "--format",
        "svg",
        "--journey",
        "ClinicMenu",
        "../examples",
    ]);
    assert!(one.stdout.contains("<svg") && one.stdout.matches("<svg").count() == 1);
}

/// A large journey gets a hint, and `--cards` draws one node per card.
#[test]
fn graph_cards_draws_an_overview_of_a_large_journey() {
    let scratch = Scratch::new();
    let cards: String = (1..=14)
        .map(|n| {
            format!(
                "card C{n}, then: C{} do\n  text(\"Step {n}\")\nend\n\n",
                n + 1
            )
        })
        .chain(["card C15 do\n  text(\"The end\")\nend\n".to_owned()])
        .collect();
    scratch.write("long.journey", &cards);
    let steps = journey(&["graph", &scratch.path("long.journey")]);
    assert_eq!(steps.code, 0, "{}", steps.transcript());
    assert!(
        steps
            .stderr
            .contains("has 15 cards; `--cards` draws one node per card"),
        "{}",
        steps.stderr
    );
    let overview = journey(&["graph", "--cards", &scratch.path("long.journey")]);
    assert_eq!((overview.code, overview.stderr.as_str()), (0, ""));
    assert!(!overview.stdout.contains("subgraph"), "{}", overview.stdout);
    assert_eq!(
        overview.stdout.matches("shape=ellipse").count(),
        15,
        "{}",
        overview.stdout
    );
    insta::assert_snapshot!(
        journey(&["graph", "--cards", "../examples/buttons_menu.journey"]).stdout
    );
}

#[test]
#[cfg_attr(
    no_graphviz,
    ignore = "Graphviz's `dot` is not on PATH (README: What the tests need)"
)]
fn graphviz_accepts_the_dot() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let source = journey(&["graph", "../examples"]).stdout;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dot runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(source.as_bytes())
        .expect("write to dot");
    let output = child.wait_with_output().expect("dot runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "dot rejected:\n{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
}

#[test]
fn buttons_naming_unknown_cards_are_not_called_empty() {
    let scratch = Scratch::new();
    scratch.write(
        "menu.journey",
        "card Menu do\n  buttons(Tips: \"Pregnancy tips\", Nurse: \"Talk to a nurse\") do\n    text(\"How can we help?\")\n  end\nend\n",
    );
    let run = journey(&["check", &scratch.path("menu.journey")]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout.matches("error[J101]").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("WA401"), "{}", run.stdout);
}

#[test]
fn stacks_config_yaml_is_a_uuid_map() {
    let scratch = Scratch::new();
    scratch.write(
        "stacks_config.yaml",
        "urls:\n  - name: contentrepo\n    qa_url: https://qa.example.org\nstack_uuids:\n- name: Browsable FAQs\n  qa_uuid: 8ab45813-2c9c-4ea6-bed1-10ad091d85e8\n  prod_uuid: todo\n",
    );
    scratch.write(
        "caller.md",
        "# Caller\n\n```stack\ncard Start do\n  run_stack(\"8ab45813-2c9c-4ea6-bed1-10ad091d85e8\")\nend\n```\n",
    );
    let run = journey(&[
        "import",
        "turn",
        &scratch.path("caller.md"),
        "--map",
        &scratch.path("stacks_config.yaml"),
        "--out",
        &scratch.path("out"),
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let imported = std::fs::read_to_string(scratch.path("out/caller.journey")).expect("written");
    assert!(imported.contains("run_stack(browsable_faqs)"), "{imported}");
    scratch.write("broken.yaml", "stack_uuids: [\n");
    let broken = journey(&[
        "import",
        "turn",
        &scratch.path("caller.md"),
        "--map",
        &scratch.path("broken.yaml"),
    ]);
    assert_eq!(broken.code, 2);
    assert!(broken.stderr.contains("broken.yaml:"), "{}", broken.stderr);
}

/// The corpus's own `stacks_config.yaml` files read as maps, when the corpus is there.
#[test]
fn the_corpus_stacks_configs_are_read() {
    let Some(corpus) = journey_tests::turn_corpus() else {
        return;
    };
    let yaml = corpus.join("Browsable FAQs/stacks_config.yaml");
    let text = std::fs::read_to_string(&yaml).expect("the corpus has a stacks_config.yaml");
    let map = journey_import::UuidMap::parse_stacks_config(&text).expect("it reads");
    assert!(
        map.name("8ab45813-2c9c-4ea6-bed1-10ad091d85e8").is_some(),
        "{}",
        yaml.display()
    );
}

#[test]
fn the_licence_and_links_are_true() {
    let root = journey_tests::repo_root();
    let licence = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE file");
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0"));
    let sarif = journey(&[
        "check",
        "--format",
        "sarif",
        "fixtures/cli/misspelt.journey",
    ]);
    assert!(
        !sarif.stdout.contains("example.invalid"),
        "{}",
        sarif.stdout
    );
    for entry in walkdir::WalkDir::new(&root)
        .into_iter()
        // node_modules: npm's packages of tests/textmate and the VS Code extension.
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some("target" | ".git" | "fuzz" | "node_modules")
            )
        })
    {
        let entry = entry.expect("a readable entry");
        let path = entry.path();
        if !path
            .extension()
            .is_some_and(|e| e == "md" || e == "toml" || e == "rs" || e == "json")
        {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for unreal in ["example.invalid", "whatsapp-platform.md"] {
            let mentioned = text.contains(unreal) && !path.ends_with("tests/cli.rs");
            assert!(!mentioned, "{} mentions {unreal}", path.display());
        }
    }
}
