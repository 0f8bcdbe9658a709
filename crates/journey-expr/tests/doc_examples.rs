//! `docs/expressions.md` is tested: every line of every ```` ```expr ```` block is an
//! expression that must evaluate to `true` in the fixture the page describes, and every
//! expression function of the catalogue must appear in at least one of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use journey_diagnostics::FileId;
use journey_expr::{Budget, Env, Value, eval};
use journey_model::builtins::{BUILTINS, Kind};
use journey_syntax::{Expr, ExprKind};

/// The `expr` examples of the page, with their line numbers.
fn examples() -> Vec<(usize, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/expressions.md");
    let page = std::fs::read_to_string(&path).expect("docs/expressions.md exists");
    let mut examples = Vec::new();
    let mut in_block = false;
    for (i, line) in page.lines().enumerate() {
        match line.trim_end() {
            "```expr" => in_block = true,
            "```" if in_block => in_block = false,
            text if in_block && !text.trim().is_empty() => examples.push((i + 1, text.to_owned())),
            _ => {}
        }
    }
    assert!(!in_block, "an ```expr block is not closed");
    examples
}

/// The fixture at the top of the page.
fn scope() -> BTreeMap<String, Value> {
    let json = serde_json::json!({
        "contact": {"name": "Thandi", "language": "en", "age": 27},
        "secrets": {"CLINIC_API_TOKEN": "[secret:CLINIC_API_TOKEN]"},
    });
    match Value::from_json(&json) {
        Value::Map(map) => map,
        _ => unreachable!("the fixture is a map"),
    }
}

#[test]
fn every_example_is_true() {
    let scope = scope();
    let env = Env {
        scope: &scope,
        now: "2026-01-15T10:00:00Z".parse().expect("timestamp"),
        time_zone: jiff::tz::TimeZone::get("Africa/Johannesburg").expect("bundled tz"),
        functions: None,
        seed: 42,
    };
    let examples = examples();
    assert!(
        examples.len() > 100,
        "only {} examples found",
        examples.len()
    );
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(line, source)| {
            let outcome = match journey_syntax::parse_expr(FileId(0), source) {
                Ok(expr) => match eval(&expr, &env, &mut Budget::default()) {
                    Ok(Value::Bool(true)) => return None,
                    Ok(other) => format!("gave {other:?}"),
                    Err(e) => format!("failed: {}", e.message),
                },
                Err(d) => format!("does not parse: {}", d.message),
            };
            Some(format!("docs/expressions.md:{line}: `{source}` {outcome}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn called(expr: &Expr, names: &mut BTreeSet<String>) {
    if let ExprKind::Call(call) = &expr.kind {
        names.insert(call.callee.name.clone());
    }
    expr.for_each_child(|child| called(child, names));
}

#[test]
fn every_function_has_an_example() {
    let mut names = BTreeSet::new();
    for (_, source) in examples() {
        if let Ok(expr) = journey_syntax::parse_expr(FileId(0), &source) {
            called(&expr, &mut names);
        }
    }
    let missing: Vec<&str> = BUILTINS
        .iter()
        .filter(|b| b.kind == Kind::Expression || b.name == "delete")
        .map(|b| b.name)
        .filter(|name| !names.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "no example calls: {}",
        missing.join(", ")
    );
}
