//! Position queries over cursor-marked fixtures: `//- path` starts a file, `$0` marks
//! the cursor (one per fixture). Results are rendered as text and snapshotted.

use journey_analysis::{AnalysisHost, TextEdit};

/// The host with the fixture's files, and the cursor: (path, offset).
fn fixture(text: &str) -> (AnalysisHost, String, usize) {
    let mut host = AnalysisHost::new();
    let mut cursor = None;
    for chunk in text.split("//- ").filter(|c| !c.trim().is_empty()) {
        let (path, body) = chunk.split_once('\n').expect("a path line");
        let body = match body.find("$0") {
            Some(at) => {
                cursor = Some((path.to_owned(), at));
                body.replacen("$0", "", 1)
            }
            None => body.to_owned(),
        };
        host.set_file_text(path, body);
    }
    let (path, offset) = cursor.expect("a $0 cursor");
    (host, path, offset)
}

/// `path:line:col text` for a span.
fn at(host: &AnalysisHost, path: &str, span: journey_diagnostics::Span) -> String {
    let analysis = host.analysis();
    let id = analysis.file_id(path).unwrap();
    let file = analysis.sources().get(id);
    let lc = file.line_col(span.start as usize);
    format!(
        "{path}:{}:{} `{}`",
        lc.line,
        lc.column,
        &file.text[span.range()]
    )
}

fn symbol(text: &str) -> String {
    let (host, path, offset) = fixture(text);
    let Some(symbol) = host.analysis().symbol_at(&path, offset) else {
        return "nothing".to_owned();
    };
    format!(
        "{:?} {} at {}\ndefinition: {}\ndetail: {}",
        symbol.kind,
        symbol.name,
        at(&host, &path, symbol.span),
        symbol
            .definition
            .map_or("none".to_owned(), |d| at(&host, &d.path, d.span)),
        symbol.detail.unwrap_or_default()
    )
}

fn references(text: &str) -> String {
    let (host, path, offset) = fixture(text);
    host.analysis()
        .references(&path, offset)
        .into_iter()
        .map(|l| at(&host, &l.path, l.span) + "\n")
        .collect()
}

/// The files an edit list changes, after the edits.
fn apply(host: &AnalysisHost, edits: &[TextEdit]) -> String {
    let mut paths: Vec<&str> = edits.iter().map(|e| e.path.as_str()).collect();
    paths.dedup();
    let mut out = String::new();
    for path in paths {
        let mut text = host.analysis().file_text(path).unwrap().to_owned();
        let mut mine: Vec<&TextEdit> = edits.iter().filter(|e| e.path == path).collect();
        mine.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for edit in mine {
            text.replace_range(edit.span.range(), &edit.new_text);
        }
        out.push_str(&format!("//- {path}\n{text}"));
    }
    out
}

fn rename(text: &str, new_name: &str) -> String {
    let (mut host, path, offset) = fixture(text);
    let edits = match host.analysis().rename(&path, offset, new_name) {
        Ok(edits) => edits,
        Err(e) => return format!("refused: {e}"),
    };
    let result = apply(&host, &edits);
    // Every name resolves in the fixture, and still does after the rename.
    let unresolved = |host: &AnalysisHost| -> Vec<&'static str> {
        let codes = host
            .analysis()
            .errors()
            .iter()
            .map(|d| d.code)
            .collect::<Vec<_>>();
        codes.into_iter().filter(|c| c.starts_with("J1")).collect()
    };
    assert_eq!(unresolved(&host), Vec::<&str>::new());
    for chunk in result.split("//- ").filter(|c| !c.is_empty()) {
        let (path, body) = chunk.split_once('\n').unwrap();
        host.set_file_text(path, body);
    }
    assert_eq!(unresolved(&host), Vec::<&str>::new(), "{result}");
    result
}

fn completions(text: &str) -> String {
    let (host, path, offset) = fixture(text);
    host.analysis()
        .completions(&path, offset)
        .into_iter()
        .map(|c| {
            format!(
                "{:?} {} — {}\n",
                c.kind,
                c.label,
                c.detail.unwrap_or_default()
            )
        })
        .collect()
}

fn actions(text: &str) -> String {
    let (host, path, offset) = fixture(text);
    host.analysis()
        .code_actions(&path, offset)
        .into_iter()
        .map(|a| format!("[{}] {}\n{}", a.code, a.title, apply(&host, &a.edits)))
        .collect()
}

const PROJECT: &str = r#"//- journey.toml
[project]
name = "clinic"
default_language = "en"
languages = ["pt"]

[fields.due_date]
type = "date"
description = "expected date of delivery"

[[templates]]
name = "reminder"
language = "en"
category = "utility"
status = "approved"
body = "Hi {{1}}, your visit is tomorrow."
"#;

#[test]
fn symbols() {
    let main = "//- main.journey\ncard Start do\n  answer = ask(\"Weeks?\")\n  text(\"You said @answer\")\n  then(Later when answer == \"no\")\n  then(Next)\nend\n\ncard Next do\n  run_stack(Other)\n  send_message_template(\"reminder\", \"en\", [contact.name])\nend\n\ncard Later do\n  text(\"@contact.due_date\")\nend\n//- other.journey\nstack Other do\n  card Hello do\n    text(\"hi\")\n  end\nend\n";
    let cases = [
        ("card use in then", main.replace("then(Ne", "then($0Ne")),
        ("card definition", main.replace("card La", "card $0La")),
        (
            "journey call",
            main.replace("run_stack(Ot", "run_stack(O$0t"),
        ),
        ("journey name", main.replace("stack Other", "stack Oth$0er")),
        (
            "built-in function",
            main.replace("  text(\"You", "  te$0xt(\"You"),
        ),
        ("variable use", main.replace("when answer", "when ans$0wer")),
        (
            "variable in a template",
            main.replace("@answer", "@an$0swer"),
        ),
        (
            "declared field",
            main.replace("contact.due_date", "contact.due_$0date"),
        ),
        (
            "built-in field",
            main.replace("contact.name]", "contact.na$0me]"),
        ),
        ("template", main.replace("(\"reminder", "(\"remi$0nder")),
        (
            "blank line",
            main.replace("end\n\ncard Next", "end\n$0\ncard Next"),
        ),
    ];
    let mut out = String::new();
    for (name, case) in cases {
        out.push_str(&format!(
            "## {name}\n{}\n\n",
            symbol(&format!("{PROJECT}{case}"))
        ));
    }
    insta::assert_snapshot!(out);
}

const MENU: &str = "//- menu.journey\ncard Menu do\n  buttons(Visit: \"Book\", Tips: \"Tips\", timeout: 4h, on_timeout: Nudge) do\n    text(\"Hi\")\n  end\nend\n\ncard Visit when contact.age > 18, then: Menu do\n  text(\"Adult\")\nend\n\ncard Visit, then: Menu do\n  text(\"Young\")\nend\n\ncard Tips, then: \"Visit\" do\n  schedule(Nudge, in: 1d)\nend\n\ncard Nudge do\n  run_stack(Survey)\nend\n//- survey.journey\nstack Survey do\n  card Ask do\n    text(\"How was it?\")\n  end\nend\n//- caller.journey\ncard Start do\n  run_stack(Survey)\n  schedule_stack(Survey, in: 2d)\nend\n";

#[test]
fn references_of_a_card_and_a_journey() {
    insta::assert_snapshot!(references(
        &MENU.replace("card Visit when", "card Vi$0sit when")
    ));
    insta::assert_snapshot!(references(&MENU.replace("stack Survey", "stack $0Survey")));
}

#[test]
fn rename_a_card_follows_every_reference() {
    insta::assert_snapshot!(rename(
        &MENU.replace("(Nudge, in", "(Nu$0dge, in"),
        "Reminder"
    ));
}

#[test]
fn rename_a_journey_follows_sub_journey_calls() {
    insta::assert_snapshot!(rename(
        &MENU.replace(
            "  run_stack(Survey)\nend\n//- survey",
            "  run_stack(Sur$0vey)\nend\n//- survey"
        ),
        "Feedback"
    ));
}

#[test]
fn rename_refuses_what_it_cannot_do() {
    let refusals = [
        rename(&MENU.replace("card Tips,", "card Ti$0ps,"), "Menu"),
        rename(&MENU.replace("card Tips,", "card Ti$0ps,"), "1st"),
        rename(&MENU.replace("  text(\"Hi\")", "  te$0xt(\"Hi\")"), "say"),
        rename(
            "//- a.journey\ncard Start do\n  run_stack(b$0)\nend\n//- b.journey\ncard B do\n  text(\"b\")\nend\n",
            "c",
        ),
    ];
    insta::assert_snapshot!(refusals.join("\n"));
}

#[test]
fn completion_contexts() {
    let body = "//- main.journey\ncard Start do\n  weeks = ask(\"Weeks?\")\n  CURSOR\nend\n\ncard Next do\n  text(\"x\")\nend\n//- other.journey\nstack Other do\n  card A do\n    text(\"a\")\n  end\nend\n";
    let cases = [
        ("statement start", "se$0"),
        ("an expression", "x = up$0"),
        ("variables", "text(we$0)"),
        ("contact fields", "text(contact.d$0)"),
        ("then", "then($0)"),
        ("card argument", "ask(\"x\", on_timeout: $0)"),
        ("journey call", "run_stack($0)"),
        ("template", "send_message_template(\"$0"),
        ("named arguments", "text(\"Hi\", a$0)"),
        ("languages", "text(\"Hi\", p$0)"),
    ];
    let mut out = String::new();
    for (name, cursor) in cases {
        let text = format!("{PROJECT}{}", body.replace("CURSOR", cursor));
        out.push_str(&format!("## {name}: {cursor}\n{}\n", completions(&text)));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn code_actions_for_unknown_names() {
    let cases = [
        "//- a.journey\ncard Start do\n  then(Nxt$0)\nend\n\ncard Next do\n  text(\"x\")\nend\n",
        "//- a.journey\nstack Main do\n  card Start do\n    then(Later$0)\n  end\nend\n",
        "//- a.journey\ncard Start do\n  run_stack(Survy$0)\nend\n//- b.journey\nstack Survey do\n  card A do\n    text(\"a\")\n  end\nend\n",
        "//- a.journey\ncard Start do\n  txt$0(\"hi\")\nend\n",
        "//- a.journey\ncard Start do\n  x = ask(\"hi\", timout$0: 1h)\nend\n",
    ];
    let out: Vec<String> = cases.iter().map(|c| actions(c)).collect();
    insta::assert_snapshot!(out.join("\n"));
}
