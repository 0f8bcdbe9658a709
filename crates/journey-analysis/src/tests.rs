use std::sync::Arc;

use super::*;

const HELLO: &str =
    "card Start do\n  text(\"Hello\")\n  then(Next)\nend\n\ncard Next do\n  text(\"Bye\")\nend\n";

fn codes(analysis: Analysis<'_>) -> Vec<&'static str> {
    analysis.diagnostics().iter().map(|d| d.code).collect()
}

#[test]
fn a_suppression_with_a_reason_hides_the_finding() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "hello.journey",
        "card Start do\n  text(\"Hello\")\n  then(Missing)\nend\n",
    );
    assert_eq!(codes(host.analysis()), ["J101"]);
    host.set_file_text(
        "hello.journey",
        "card Start do\n  text(\"Hello\")\n  # allow(J101): written by another team\n  then(Missing)\nend\n",
    );
    assert_eq!(codes(host.analysis()), Vec::<&str>::new());
    assert!(host.analysis().errors().is_empty());
}

#[test]
fn config_and_select_drive_the_rules() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", "card Start do\n  then(Missing)\nend\n");
    host.set_file_text("journey.toml", "[check]\nignore = [\"J101\"]\n");
    assert_eq!(codes(host.analysis()), Vec::<&str>::new());
    host.remove_file("journey.toml");
    assert_eq!(codes(host.analysis()), ["J101"]);
    host.set_select(Some(vec!["WA".to_owned()]));
    assert_eq!(codes(host.analysis()), Vec::<&str>::new());
}

#[test]
fn journeys_call_each_other_across_files_and_removal_is_seen() {
    let mut host = AnalysisHost::new();
    host.set_file_text("main.journey", "card Start do\n  run_stack(other)\nend\n");
    host.set_file_text("other.journey", HELLO);
    let names: Vec<&str> = host
        .analysis()
        .journeys()
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(names, ["main", "other"]);
    assert!(
        host.analysis().errors().is_empty(),
        "{:?}",
        host.analysis().errors()
    );
    assert!(host.remove_file("other.journey"));
    assert!(!host.remove_file("other.journey"));
    assert!(!host.analysis().errors().is_empty());
}

#[test]
fn an_edit_reparses_only_its_file() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", HELLO);
    host.set_file_text("b.journey", HELLO);
    let parse = |host: &AnalysisHost, path: &str| host.files[path].parsed.clone().unwrap();
    let (a, b) = (parse(&host, "a.journey"), parse(&host, "b.journey"));
    let id = host.analysis().file_id("b.journey");
    host.set_file_text("b.journey", HELLO.replace("Bye", "Goodbye"));
    assert!(Arc::ptr_eq(&a, &parse(&host, "a.journey")));
    assert!(!Arc::ptr_eq(&b, &parse(&host, "b.journey")));
    assert_eq!(host.analysis().file_id("b.journey"), id);
    assert_eq!(
        host.analysis().file_text("b.journey"),
        Some(HELLO.replace("Bye", "Goodbye").as_str())
    );
}

#[test]
fn a_helper_that_does_not_compile_is_j004_and_a_good_one_is_callable() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", "card Start do\n  text(\"@double(2)\")\nend\n");
    host.set_file_text("functions/math.rhai", "fn double(x) { x * 2 ");
    assert!(
        codes(host.analysis()).contains(&"J004"),
        "{:?}",
        codes(host.analysis())
    );
    host.set_file_text("functions/math.rhai", "fn double(x) { x * 2 }");
    assert!(
        host.analysis().errors().is_empty(),
        "{:?}",
        host.analysis().errors()
    );
    let project = host.into_project();
    assert!(project.functions.is_some());
    assert_eq!(project.journeys.len(), 1);
}

#[test]
fn tests_and_other_files_are_kept_but_not_analysed() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", HELLO);
    host.set_file_text("a.test", "## one\n> hi\n< Hello\n");
    host.set_file_text("notes.txt", "not a journey");
    assert_eq!(
        host.analysis().tests().collect::<Vec<_>>(),
        [("a.test", "## one\n> hi\n< Hello\n")]
    );
    assert_eq!(host.analysis().journeys().len(), 1);
    assert_eq!(FileKind::of("dir/journey.toml"), FileKind::Config);
    assert_eq!(FileKind::of("turn/flow.md"), FileKind::Notebook);
}

#[test]
fn edits_give_what_a_fresh_host_gives() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", HELLO);
    let edits = [
        HELLO.replace("then(Next)", "then(Nxt)"),
        HELLO.replace("Bye", "Goodbye"),
        HELLO.replace("text(\"Bye\")", "text(\"Bye\"\n"),
        HELLO.to_owned(),
    ];
    for text in edits {
        host.set_file_text("a.journey", text.clone());
        let mut fresh = AnalysisHost::new();
        fresh.set_file_text("a.journey", text);
        assert_eq!(
            host.analysis().diagnostics(),
            fresh.analysis().diagnostics()
        );
        assert_eq!(
            host.files["a.journey"].parsed.as_ref().unwrap().module,
            fresh.files["a.journey"].parsed.as_ref().unwrap().module
        );
    }
}

/// The canvas's view of a commented example: statements in plain words, exits, badges,
/// the window's worst case per card and the way to a person.
#[test]
fn the_outline_of_an_example_journey() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "timeout_and_followup.journey",
        include_str!("../../../examples/timeout_and_followup.journey"),
    );
    let view = host
        .analysis()
        .journey_view("timeout_and_followup.journey", None)
        .expect("the file has a journey");
    insta::assert_json_snapshot!(view);
}

/// A follow-up 26 hours after the last reply is outside the window; a card nothing
/// reaches is not reached; a handoff is a way to a person.
#[test]
fn the_outline_marks_the_window_and_the_way_to_a_person() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "late.journey",
        "card Ask do\n  day = ask(\"Which day?\", timeout: 20h, on_timeout: Nudge)\n  then(Nurse)\nend\n\n\
         card Nudge do\n  schedule(Reminder, in: 6h)\nend\n\n\
         card Reminder do\n  text(\"Pick a day!\")\nend\n\n\
         card Nurse do\n  handoff(queue: \"nurses\")\nend\n\n\
         card Lonely do\n  text(\"Nobody comes here.\")\nend\n",
    );
    let view = host.analysis().journey_view("late.journey", None).unwrap();
    let card = |name: &str| view.cards.iter().find(|c| c.name == name).unwrap();
    assert_eq!(card("Ask").window.worst_hours, Some(0.0));
    assert!(card("Ask").reaches_person);
    assert_eq!(card("Reminder").window.worst_hours, Some(26.0));
    assert!(card("Reminder").window.outside);
    assert!(!card("Reminder").reaches_person);
    assert!(!card("Lonely").window.reached);
    assert_eq!(card("Nurse").badges, ["handoff"]);
    let exits: Vec<(&str, &str)> = card("Ask")
        .exits
        .iter()
        .map(|e| (e.kind, e.target.as_str()))
        .collect();
    assert_eq!(exits, [("timeout", "Nudge"), ("default", "Nurse")]);
    // Each finding of the unreachable card is listed on it.
    let lonely = &card("Lonely").diagnostics;
    assert!(!lonely.is_empty());
    let diagnostics = host.analysis().diagnostics();
    assert!(
        lonely
            .iter()
            .all(|&i| diagnostics[i].span().start >= card("Lonely").span[0])
    );
}

#[test]
fn cards_changed_names_the_cards_whose_text_changed() {
    let before = "card A do\n  text(\"a\")\nend\n\ncard B do\n  text(\"b\")\nend\n";
    let after =
        "card A do\n  text(\"a\")\nend\n\ncard B do\n  text(\"b!\")\nend\n\ncard C do\nend\n";
    assert_eq!(
        outline::cards_changed("x.journey", Some(before), Some(after)),
        [
            ("x".to_owned(), "B".to_owned()),
            ("x".to_owned(), "C".to_owned())
        ]
    );
    assert_eq!(
        outline::cards_changed("x.journey", Some(before), None).len(),
        2
    );
}

/// Every string the outline gives as words (`args[].text`, translations included) is
/// what `set_text` needs to write back the very same bytes, personalisations and all;
/// on every example and playbook journey.
#[test]
fn message_words_round_trip_through_set_text() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["examples", "playbooks"] {
        for entry in walk(&root.join(dir)) {
            if entry.extension().is_some_and(|e| e == "journey") {
                files.push(entry);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    let (mut checked, mut personalised) = (0, 0);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut host = AnalysisHost::new();
        host.set_file_text("a.journey", text.clone());
        let analysis = host.analysis();
        let names: Vec<String> = analysis.journeys().iter().map(|j| j.name.clone()).collect();
        for name in names {
            let Some(view) = analysis.journey_view("a.journey", Some(&name)) else {
                continue;
            };
            for card in &view.cards {
                for (d, definition) in card.definitions.iter().enumerate() {
                    for statement in &definition.statements {
                        let mut at = vec![(statement, None)];
                        at.extend(statement.block.iter().flatten().map(|s| (s, Some(s.index))));
                        for (s, inner) in at {
                            let Some(words) = s
                                .args
                                .iter()
                                .find(|a| a.name.is_none())
                                .and_then(|a| a.text.clone())
                            else {
                                continue;
                            };
                            let op = EditOp::SetText {
                                file: "a.journey".to_owned(),
                                at: edit::StatementAt {
                                    journey: name.clone(),
                                    card: card.name.clone(),
                                    definition: d,
                                    statement: statement.index,
                                    inner,
                                },
                                text: words.clone(),
                            };
                            let change = match analysis.edit(&op) {
                                Ok(change) => change,
                                // Words that are not a message's (`write_result("k", "v")`).
                                Err(EditError::WrongStatement { .. }) => continue,
                                Err(e) => panic!("{}: {words:?}: {e}", file.display()),
                            };
                            assert_eq!(
                                change.apply("a.journey", &text),
                                text,
                                "{}: {words:?}",
                                file.display()
                            );
                            checked += 1;
                            personalised += usize::from(words.contains('@'));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 50 && personalised > 5,
        "{checked} checked, {personalised} personalised"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Personalised words are words; a literal `@` before a letter is written `@@`; a string
/// `set_text` would write differently (an escaped `\@`) stays code.
#[test]
fn personalised_messages_are_words_and_translations_sit_beside_them() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "journey.toml",
        "[project]\ndefault_language = \"en\"\nlanguages = [\"en\", \"pt\", \"zu\"]\n",
    );
    host.set_file_text(
        "a.journey",
        "card A do\n  text(\"Hi @contact.name, mail us at @@clinic or a@b.org: @(1 + 2)\", pt: \"Olá @contact.name\")\n  text(\"Write \\@name\", zu: answer)\n  x = 1\nend\n",
    );
    let view = host.analysis().journey_view("a.journey", None).unwrap();
    let statements = &view.cards[0].definitions[0].statements;
    let first = &statements[0];
    assert_eq!(
        first.args[0].text.as_deref(),
        Some("Hi @contact.name, mail us at @@clinic or a@b.org: @(1 + 2)")
    );
    assert_eq!(first.args[0].value, None);
    let translations = first.translations.as_ref().unwrap();
    assert_eq!(translations.len(), 2);
    assert_eq!(
        (
            translations[0].language.as_str(),
            translations[0].text.as_deref()
        ),
        ("pt", Some("Olá @contact.name"))
    );
    assert_eq!(
        (
            translations[1].language.as_str(),
            translations[1].text.as_deref()
        ),
        ("zu", None)
    );
    assert_eq!(translations[1].source, None);
    let second = &statements[1];
    assert_eq!(second.args[0].text, None);
    assert_eq!(second.args[0].value.as_deref(), Some("Write @name"));
    let zu = &second.translations.as_ref().unwrap()[1];
    assert_eq!(
        (zu.text.as_deref(), zu.source.as_deref()),
        (None, Some("answer"))
    );
    assert_eq!(statements[2].translations, None);
}

/// The picker offers the contact fields and the answers kept before the message.
#[test]
fn personalisations_are_fields_and_earlier_variables() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "journey.toml",
        "[fields.clinic]\ntype = \"text\"\nmax_length = 30\n",
    );
    let text =
        "card A do\n  day = ask(\"Which day?\")\n  text(\"See you on @day\")\n  later = 1\nend\n";
    host.set_file_text("a.journey", text);
    let offset = text.find("text(\"See").unwrap();
    let offered: Vec<(String, String)> = host
        .analysis()
        .personalisations("a.journey", offset)
        .into_iter()
        .map(|c| (c.label, c.insert))
        .collect();
    assert!(offered.contains(&("contact.clinic".to_owned(), "@contact.clinic".to_owned())));
    assert!(offered.contains(&("contact.name".to_owned(), "@contact.name".to_owned())));
    assert!(offered.contains(&("day".to_owned(), "@day".to_owned())));
    assert!(
        !offered.iter().any(|(label, _)| label == "later"),
        "{offered:?}"
    );
}

/// The way to a person from a card: the exits taken, as the canvas numbers them.
#[test]
fn the_way_to_a_person_is_the_shortest_one() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "a.journey",
        "card Menu do\n  buttons(Info: \"Info\", Help: \"Help\") do\n    text(\"Hi\")\n  end\nend\n\n\
         card Info, then: More do\n  text(\"Info\")\nend\n\n\
         card More do\n  x = ask(\"More?\")\n  then(Help)\nend\n\n\
         card Help do\n  handoff(queue: \"nurses\")\nend\n\n\
         card Alone do\n  text(\"Bye\")\nend\n",
    );
    let analysis = host.analysis();
    let path = analysis.path_to_person("a.journey", None, "Menu").unwrap();
    let view = analysis.journey_view("a.journey", None).unwrap();
    let menu = view.cards.iter().find(|c| c.name == "Menu").unwrap();
    assert_eq!(path.person.as_deref(), Some("Help"));
    assert_eq!(path.replies, 1);
    assert_eq!(path.steps.len(), 1);
    assert_eq!(path.steps[0].card, "Menu");
    assert_eq!(menu.exits[path.steps[0].exit].target, "Help");
    assert_eq!(menu.exits[path.steps[0].exit].kind, "option");
    let from_info = analysis.path_to_person("a.journey", None, "Info").unwrap();
    let cards: Vec<&str> = from_info.steps.iter().map(|s| s.target.as_str()).collect();
    assert_eq!((cards, from_info.replies), (vec!["More", "Help"], 1));
    let at_help = analysis.path_to_person("a.journey", None, "Help").unwrap();
    assert_eq!(
        (at_help.person.as_deref(), at_help.steps.len()),
        (Some("Help"), 0)
    );
    let alone = analysis.path_to_person("a.journey", None, "Alone").unwrap();
    assert_eq!((alone.person, alone.steps.len()), (None, 0));
    assert_eq!(analysis.path_to_person("a.journey", None, "Nowhere"), None);

    // On an example: a way is found exactly from the cards the canvas marks as reaching a
    // person, and each step is one of the exits the canvas draws.
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "timeout_and_followup.journey",
        include_str!("../../../examples/timeout_and_followup.journey"),
    );
    let analysis = host.analysis();
    let view = analysis
        .journey_view("timeout_and_followup.journey", None)
        .unwrap();
    for card in &view.cards {
        let path = analysis
            .path_to_person("timeout_and_followup.journey", None, &card.name)
            .unwrap();
        assert_eq!(path.person.is_some(), card.reaches_person, "{}", card.name);
        for step in &path.steps {
            let from = view.cards.iter().find(|c| c.name == step.card).unwrap();
            assert_eq!(from.exits[step.exit].target, step.target);
        }
    }
}

/// Applies text edits to one file's text (the edits do not overlap).
fn applied(text: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_owned();
    for edit in edits {
        out.replace_range(edit.span.range(), &edit.new_text);
    }
    out
}

#[test]
fn wa301s_fix_adds_an_opt_out_interrupt_and_its_card() {
    let named = "stack Clinic do\n  # Asks a question.\n  card Ask do\n    weeks = ask(\"How many weeks?\")\n  end\nend\n";
    let implicit = "card Ask do\n  weeks = ask(\"How many weeks?\")\nend\n";
    for text in [named, implicit] {
        let mut host = AnalysisHost::new();
        host.set_file_text("a.journey", text);
        assert!(
            codes(host.analysis()).contains(&"WA301"),
            "{:?}",
            codes(host.analysis())
        );
        let at = text.find("card Ask").unwrap() + "card ".len();
        let actions = host.analysis().code_actions("a.journey", at);
        let fix = actions
            .iter()
            .find(|a| a.code == "WA301")
            .expect("a fix for WA301");
        assert!(fix.title.contains("\"stop\""), "{}", fix.title);
        let fixed = applied(text, &fix.edits);
        host.set_file_text("a.journey", fixed.clone());
        let left = codes(host.analysis());
        assert!(
            !left
                .iter()
                .any(|c| c.starts_with("WA30") || c.starts_with("J0") || *c == "J101"),
            "{left:?} in\n{fixed}"
        );
        assert!(fixed.contains("interrupt(keywords: [\"stop\""), "{fixed}");
        assert!(
            fixed.contains("card OptOut do\n")
                && fixed.contains("# Asks a question.") == text.contains("# Asks")
        );
        // Once fixed, there is nothing left to offer.
        assert!(
            host.analysis()
                .code_actions("a.journey", at)
                .iter()
                .all(|a| a.code != "WA301")
        );
    }
}

#[test]
fn j304s_fix_adds_an_empty_variant_that_stays_a_finding_until_written() {
    let mut host = AnalysisHost::new();
    host.set_file_text(
        "journey.toml",
        "[project]\nlanguages = [\"en\", \"pt\", \"zu\"]\n",
    );
    let text = "card A do\n  text(\"Hi\", zu: \"Sawubona\")\n  text(\n    \"Bye\",\n  )\nend\n";
    host.set_file_text("a.journey", text);
    let mut fixed = text.to_owned();
    for (call, expected) in [
        ("text(\"Hi\"", "text(\"Hi\", zu: \"Sawubona\", pt: \"\")"),
        ("text(\n", "\"Bye\", pt: \"\", zu: \"\"\n  )"),
    ] {
        let at = fixed.find(call).unwrap();
        let actions = host.analysis().code_actions("a.journey", at);
        let fix = actions
            .iter()
            .find(|a| a.code == "J304")
            .expect("a fix for J304");
        fixed = applied(&fixed, &fix.edits);
        assert!(fixed.contains(expected), "{fixed}");
        host.set_file_text("a.journey", fixed.clone());
    }
    let messages: Vec<String> = host
        .analysis()
        .diagnostics()
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        messages,
        [
            "J304 the `pt` variant of this message is empty",
            "J304 the `pt`, `zu` variant of this message is empty"
        ]
    );
}
