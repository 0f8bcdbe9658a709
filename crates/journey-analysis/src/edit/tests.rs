//! Each operation on a commented example, as the diff it makes (insta), and the
//! refusals in the words a builder reads.

use super::*;
use crate::AnalysisHost;

const FOLLOWUP: &str = include_str!("../../../../examples/timeout_and_followup.journey");
const BUTTONS: &str = include_str!("../../../../examples/buttons_menu.journey");
const FOLLOWUP_PATH: &str = "timeout_and_followup.journey";
const BUTTONS_PATH: &str = "buttons_menu.journey";

fn host() -> AnalysisHost {
    let mut host = AnalysisHost::new();
    host.set_file_text(FOLLOWUP_PATH, FOLLOWUP);
    host.set_file_text(BUTTONS_PATH, BUTTONS);
    host
}

fn op(json: serde_json::Value) -> EditOp {
    serde_json::from_value(json).expect("a valid operation")
}

/// The file after the operation.
fn edited(host: &AnalysisHost, op: &EditOp) -> Result<String, EditError> {
    let analysis = host.analysis();
    let change = analysis.edit(op)?;
    let text = analysis.file_text(op.file()).expect("the file is there");
    Ok(change.apply(op.file(), text))
}

/// The diff an operation makes, with one line of context.
fn diff(json: serde_json::Value) -> String {
    let host = host();
    let op = op(json);
    let before = host
        .analysis()
        .file_text(op.file())
        .expect("there")
        .to_owned();
    let after = edited(&host, &op).unwrap_or_else(|e| panic!("{op:?} failed: {e}"));
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(1)
        .to_string()
}

fn refusal(json: serde_json::Value) -> String {
    let op = op(json);
    match edited(&host(), &op) {
        Ok(text) => panic!("{op:?} was applied:\n{text}"),
        Err(error) => error.to_string(),
    }
}

fn at(card: &str, statement: usize) -> serde_json::Value {
    serde_json::json!({"journey": "BabyWeight", "card": card, "statement": statement})
}

fn menu() -> serde_json::Value {
    serde_json::json!({"journey": "ClinicMenu", "card": "Menu", "statement": 0})
}

#[test]
fn add_card_after_a_card_and_at_the_end() {
    insta::assert_snapshot!(diff(serde_json::json!({
        "op": "add_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "name": "Tips",
        "after": "Nudge", "body": "text(\"Weigh baby on the same scale each time.\")\nthen(Thanks)",
    })));
    insta::assert_snapshot!(diff(serde_json::json!({
        "op": "add_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "name": "Empty",
    })));
}

#[test]
fn rename_card_follows_every_reference() {
    insta::assert_snapshot!(diff(serde_json::json!({
        "op": "rename_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight",
        "card": "Nurse", "new_name": "NurseChat",
    })));
}

#[test]
fn duplicate_card_copies_every_definition() {
    insta::assert_snapshot!(diff(serde_json::json!({
        "op": "duplicate_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight",
        "card": "LastReminder", "new_name": "FinalReminder",
    })));
}

#[test]
fn delete_card_takes_its_comment_and_refuses_while_it_is_used() {
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "delete_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "card": "Nurse",
    })), @"The card Nurse is still used by AskWeight, Nudge, Reminder, LastReminder, SendWeight and the journey's interrupts; point those at another card first.");
    let mut host = host();
    // Nothing leads to CallUs once the handoff has no timeout exit.
    let unhooked = edited(
        &host,
        &op(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "timeout", "at": at("Nurse", 1)}, "target": null,
        })),
    )
    .expect("disconnects");
    host.set_file_text(FOLLOWUP_PATH, unhooked.clone());
    let deleted = edited(
        &host,
        &op(serde_json::json!({
            "op": "delete_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "card": "CallUs",
        })),
    )
    .expect("deletes");
    insta::assert_snapshot!(
        similar::TextDiff::from_lines(&unhooked, &deleted)
            .unified_diff()
            .context_radius(1)
            .to_string()
    );
}

#[test]
fn set_and_clear_arguments() {
    insta::assert_snapshot!(
        "replace a named argument",
        diff(serde_json::json!({
            "op": "set_argument", "file": FOLLOWUP_PATH, "at": at("AskWeight", 2),
            "arg": "timeout", "value": "3h",
        }))
    );
    insta::assert_snapshot!(
        "add a named argument",
        diff(serde_json::json!({
            "op": "set_argument", "file": FOLLOWUP_PATH, "at": at("Thanks", 2),
            "arg": "baby_weight_date", "value": "today()",
        }))
    );
    insta::assert_snapshot!(
        "add one to a call laid out one per line",
        diff(serde_json::json!({
            "op": "set_argument", "file": FOLLOWUP_PATH, "at": at("Nudge", 0),
            "arg": "timeout", "value": "4h",
        }))
    );
    insta::assert_snapshot!(
        "clear a named argument",
        diff(serde_json::json!({
            "op": "clear_argument", "file": FOLLOWUP_PATH, "at": at("AskWeight", 2), "arg": "error",
        }))
    );
    insta::assert_snapshot!(
        "clear the last one",
        diff(serde_json::json!({
            "op": "clear_argument", "file": FOLLOWUP_PATH, "at": at("AskWeight", 2), "arg": "on_invalid",
        }))
    );
    insta::assert_snapshot!(
        "positional",
        diff(serde_json::json!({
            "op": "set_argument", "file": FOLLOWUP_PATH, "at": at("AskWeight", 1), "arg": 0,
            "value": "LastReminder",
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "set_argument", "file": FOLLOWUP_PATH, "at": at("AskWeight", 1), "arg": "in",
        "value": "23h +",
    })), @r#""23h +" is not a value this step can use: expected an expression, `(` or an operator, found the end of the file"#);
}

#[test]
fn set_text_and_translations_escape_plain_text() {
    insta::assert_snapshot!(diff(serde_json::json!({
        "op": "set_text", "file": FOLLOWUP_PATH, "at": at("OptOut", 2),
        "text": "You said \"stop\": no more messages. Send HI to start again, @contact.name.",
    })));
    insta::assert_snapshot!(
        "add a translation",
        diff(serde_json::json!({
            "op": "set_translation", "file": FOLLOWUP_PATH, "at": at("OptOut", 2),
            "language": "pt", "text": "Você não receberá mais mensagens.\nEnvie OI para recomeçar.",
        }))
    );
    insta::assert_snapshot!(
        "a heredoc stays one",
        diff(serde_json::json!({
            "op": "set_text", "file": BUTTONS_PATH,
            "at": {"journey": "ClinicMenu", "card": "Pregnancy", "statement": 0},
            "text": "*Pregnancy care*\nGo to every antenatal visit.",
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "set_translation", "file": FOLLOWUP_PATH, "at": at("OptOut", 2),
        "language": "portuguese", "text": "Olá",
    })), @r#""portuguese" is not a language code (like pt or pt_BR)."#);
}

#[test]
fn connect_exits() {
    insta::assert_snapshot!(
        "on_timeout",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "timeout", "at": at("AskWeight", 2)}, "target": "Reminder",
        }))
    );
    insta::assert_snapshot!(
        "add then",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "next", "journey": "BabyWeight", "card": "CallUs"}, "target": "OptOut",
        }))
    );
    insta::assert_snapshot!(
        "remove then",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "next", "journey": "BabyWeight", "card": "LastReminder"}, "target": null,
        }))
    );
    insta::assert_snapshot!(
        "timer",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "timer", "at": at("Reminder", 0)}, "target": "Nudge",
        }))
    );
    insta::assert_snapshot!(
        "interrupt",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "interrupt", "journey": "BabyWeight", "index": 0}, "target": "CallUs",
        }))
    );
    insta::assert_snapshot!(
        "template button",
        diff(serde_json::json!({
            "op": "connect_exit", "file": FOLLOWUP_PATH,
            "exit": {"kind": "option", "at": at("LastReminder", 0), "index": 1}, "target": "CallUs",
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "connect_exit", "file": FOLLOWUP_PATH,
        "exit": {"kind": "timeout", "at": at("AskWeight", 2)}, "target": "Menu",
    })), @"There is no card called Menu in this journey.");
}

#[test]
fn guarded_definitions() {
    insta::assert_snapshot!(
        "add definition",
        diff(serde_json::json!({
            "op": "add_definition", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "card": "Thanks",
            "guard": "contact.language == \"pt\"", "body": "text(\"Obrigada!\")",
        }))
    );
    insta::assert_snapshot!(
        "remove definition",
        diff(serde_json::json!({
            "op": "remove_definition", "file": FOLLOWUP_PATH, "journey": "BabyWeight",
            "card": "LastReminder", "definition": 1,
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "remove_definition", "file": FOLLOWUP_PATH, "journey": "BabyWeight",
        "card": "Thanks", "definition": 0,
    })), @"This is the only version of the card Thanks; delete the card instead.");
}

#[test]
fn statements() {
    insta::assert_snapshot!(
        "add first statement",
        diff(serde_json::json!({
            "op": "add_statement", "file": FOLLOWUP_PATH, "at": at("Thanks", 0),
            "source": "log(\"weight saved\")",
        }))
    );
    insta::assert_snapshot!(
        "add last statement",
        diff(serde_json::json!({
            "op": "add_statement", "file": FOLLOWUP_PATH, "at": at("CallUs", 1),
            "source": "handoff(queue: \"nurses\", note: \"Called after hours\", timeout: 8h, on_timeout: OptOut, on_return: AskWeight)",
        }))
    );
    insta::assert_snapshot!(
        "remove statement",
        diff(serde_json::json!({
            "op": "remove_statement", "file": FOLLOWUP_PATH, "at": at("AskWeight", 1),
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "add_statement", "file": FOLLOWUP_PATH, "at": at("Thanks", 0),
        "source": "log(1)\nlog(2)",
    })), @r#"
    This cannot be added: this is 2 steps, not one.
    log(1)
    log(2)
    "#);
}

#[test]
fn menu_options() {
    insta::assert_snapshot!(
        "add option",
        diff(serde_json::json!({
            "op": "add_option", "file": BUTTONS_PATH, "at": menu(), "card": "AnythingElse",
            "label": "Something else", "index": 1,
        }))
    );
    insta::assert_snapshot!(
        "remove option",
        diff(serde_json::json!({
            "op": "remove_option", "file": BUTTONS_PATH, "at": menu(), "index": 2,
        }))
    );
    insta::assert_snapshot!(
        "option label",
        diff(serde_json::json!({
            "op": "set_option_label", "file": BUTTONS_PATH, "at": menu(), "index": 0,
            "label": "Pregnancy",
        }))
    );
    insta::assert_snapshot!(
        "move option",
        diff(serde_json::json!({
            "op": "move_option", "file": BUTTONS_PATH, "at": menu(), "from": 2, "to": 0,
        }))
    );
    insta::assert_snapshot!(
        "menu body text",
        diff(serde_json::json!({
            "op": "set_text", "file": BUTTONS_PATH,
            "at": {"journey": "ClinicMenu", "card": "Menu", "statement": 0, "inner": 0},
            "text": "Hi! What would you like help with?",
        }))
    );
    insta::assert_snapshot!(
        "template buttons",
        diff(serde_json::json!({
            "op": "add_option", "file": FOLLOWUP_PATH, "at": at("LastReminder", 0), "card": "OptOut",
        }))
    );
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "add_option", "file": BUTTONS_PATH, "at": menu(), "card": "Baby",
    })), @"This menu already has an option that goes to Baby.");
    insta::assert_snapshot!(refusal(serde_json::json!({
        "op": "set_option_label", "file": FOLLOWUP_PATH, "at": at("LastReminder", 0), "index": 0,
        "label": "Send",
    })), @"The options of this menu are shown by their cards' names; change the card's label instead.");
}

#[test]
fn refusals_name_what_is_missing() {
    let cases = [
        serde_json::json!({"op": "rename_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "card": "Menu", "new_name": "X"}),
        serde_json::json!({"op": "rename_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "card": "Nurse", "new_name": "Thanks"}),
        serde_json::json!({"op": "add_card", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "name": "2nd"}),
        serde_json::json!({"op": "add_card", "file": FOLLOWUP_PATH, "journey": "Other", "name": "A"}),
        serde_json::json!({"op": "add_card", "file": "missing.journey", "journey": "missing", "name": "A"}),
        serde_json::json!({"op": "remove_statement", "file": FOLLOWUP_PATH, "at": at("Thanks", 9)}),
        serde_json::json!({"op": "add_option", "file": FOLLOWUP_PATH, "at": at("Thanks", 0), "card": "Nurse"}),
        serde_json::json!({"op": "rename_journey", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "new_name": "end"}),
    ];
    let messages: Vec<String> = cases.into_iter().map(refusal).collect();
    insta::assert_snapshot!(messages.join("\n"), @r#"
    There is no card called Menu in this journey.
    A card called Thanks already exists.
    "2nd" cannot be used as a name: use letters, digits and _, starting with a letter.
    There is no journey called Other in this file.
    There is no file called missing.journey in this project.
    The card Thanks has no step number 10.
    Step 1 of the card Thanks is not a menu (buttons or list).
    "end" cannot be used as a name: use letters, digits and _, starting with a letter.
    "#);
}

#[test]
fn a_file_with_syntax_errors_is_not_edited() {
    let mut host = AnalysisHost::new();
    host.set_file_text("a.journey", "card A do\n  text(\"hi\"\nend\n");
    let error = host
        .analysis()
        .edit(&op(
            serde_json::json!({"op": "add_card", "file": "a.journey", "journey": "a", "name": "B"}),
        ))
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "a.journey has mistakes in its code; fix them in the code view first, then try again."
    );
    assert_eq!(
        serde_json::to_value(&error).expect("serialises"),
        serde_json::json!({"error": error.to_string()})
    );
}

#[test]
fn a_journey_rename_follows_calls_in_other_files() {
    let mut host = host();
    host.set_file_text(
        "main.journey",
        "card Start do\n  run_stack(BabyWeight)\nend\n",
    );
    let change = host
        .analysis()
        .edit(&op(serde_json::json!({"op": "rename_journey", "file": FOLLOWUP_PATH, "journey": "BabyWeight", "new_name": "Weight"})))
        .expect("renames");
    assert_eq!(change.paths(), ["main.journey", FOLLOWUP_PATH]);
    let main = host.analysis().file_text("main.journey").expect("there");
    assert_eq!(
        change.apply("main.journey", main),
        "card Start do\n  run_stack(Weight)\nend\n"
    );
}

#[test]
fn an_empty_file_gets_its_first_card_and_a_stack_its_first() {
    let mut host = AnalysisHost::new();
    host.set_file_text("new.journey", "");
    host.set_file_text("s.journey", "stack S do\nend\n");
    let add = |file: &str, journey: &str| {
        let op = op(
            serde_json::json!({"op": "add_card", "file": file, "journey": journey, "name": "Start", "body": "text(\"Hi\")"}),
        );
        edited(&host, &op).expect("adds")
    };
    assert_eq!(
        add("new.journey", "new"),
        "card Start do\n  text(\"Hi\")\nend\n"
    );
    assert_eq!(
        add("s.journey", "S"),
        "stack S do\n  card Start do\n    text(\"Hi\")\n  end\nend\n"
    );
}

#[test]
fn the_studio_may_send_its_base_version_along() {
    let op: EditOp = serde_json::from_value(serde_json::json!({
        "op": "set_text", "file": FOLLOWUP_PATH, "base_version": "3f2a",
        "at": {"journey": "BabyWeight", "card": "Thanks", "statement": 4}, "text": "Thanks!",
    }))
    .expect("the version is the server's: the operation ignores it");
    assert_eq!(op.file(), FOLLOWUP_PATH);
    let json = serde_json::to_value(&op).expect("serialises");
    assert_eq!(json["op"], "set_text");
    assert!(json.get("base_version").is_none());
}

/// Odd names, indexes and sources on every card and statement: refused or applied,
/// never a panic, and never a result that does not parse (`Unsafe`).
#[test]
fn odd_inputs_are_refused_in_words() {
    let host = host();
    let analysis = host.analysis();
    let names = ["", "é", "9", "Thanks", "X y", "card", "Fresh", "A\"b", "\n"];
    let sources = [
        "",
        ")",
        "end",
        "\"unclosed",
        "x =",
        "text(\"a\")\ntext(\"b\")",
        "1 +",
        "@",
        "ok",
    ];
    let mut ops = Vec::new();
    for card in ["AskWeight", "LastReminder", "Nurse", "Missing"] {
        for (i, &name) in names.iter().enumerate() {
            let source = sources[i % sources.len()];
            for statement in [0, 2, 7] {
                let at = serde_json::json!({"journey": "BabyWeight", "card": card, "definition": i % 3, "statement": statement, "inner": (i % 2 == 0).then_some(0)});
                for json in [
                    serde_json::json!({"op": "add_card", "journey": "BabyWeight", "name": name, "after": card, "body": source}),
                    serde_json::json!({"op": "rename_card", "journey": "BabyWeight", "card": card, "new_name": name}),
                    serde_json::json!({"op": "duplicate_card", "journey": "BabyWeight", "card": card, "new_name": name}),
                    serde_json::json!({"op": "add_definition", "journey": "BabyWeight", "card": card, "guard": source, "index": i}),
                    serde_json::json!({"op": "add_statement", "at": at, "source": source}),
                    serde_json::json!({"op": "set_argument", "at": at, "arg": name, "value": source}),
                    serde_json::json!({"op": "set_argument", "at": at, "arg": i, "value": source}),
                    serde_json::json!({"op": "clear_argument", "at": at, "arg": i}),
                    serde_json::json!({"op": "set_text", "at": at, "text": source}),
                    serde_json::json!({"op": "set_translation", "at": at, "language": name, "text": source}),
                    serde_json::json!({"op": "add_option", "at": at, "card": name, "label": source, "index": i}),
                    serde_json::json!({"op": "move_option", "at": at, "from": i, "to": 0}),
                    serde_json::json!({"op": "connect_exit", "exit": {"kind": "timeout", "at": at}, "target": name}),
                ] {
                    let mut json = json;
                    json["file"] = FOLLOWUP_PATH.into();
                    ops.push(op(json));
                }
            }
        }
    }
    for op in &ops {
        match analysis.edit(op) {
            Err(error @ EditError::Unsafe { .. }) => panic!("{op:?}: {error}"),
            Err(error) => assert!(!error.to_string().is_empty()),
            Ok(change) => {
                let text = change.apply(FOLLOWUP_PATH, FOLLOWUP);
                let parsed = journey_syntax::parse_journey(journey_diagnostics::FileId(0), &text);
                assert!(!crate::has_errors(&parsed), "{op:?} gives:\n{text}");
            }
        }
    }
}
