use std::collections::BTreeSet;

use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Trigger;
use journey_syntax::{Expr, ExprKind};

use crate::rule::{Context, Rule};
use crate::visit;

pub(crate) static RULE: Rule = Rule {
    code: "J112",
    name: "ambiguous-trigger",
    summary: "Two journeys start on the same keyword; only the first deployed ever runs for it.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Collects the keywords each journey's message triggers start on (`keywords: [...]`, and
`has_any_phrase(event.message.text.body, [...])` or `has_phrase(…, "…")` in a trigger's
`when`), compared as triggers compare them (ignoring case and punctuation), and reports
a keyword that starts a journey when another journey deployed before it starts on it
too, at the same `priority:`.

## Why is this bad?
When several triggers match, the journey deployed first wins (docs/triggers.md): the
other journey never starts on that keyword, silently. It happens most when a playbook is
imported into a project that already has a menu.

## Example
```journey
stack Welcome do
  trigger(on: "MESSAGE RECEIVED", keywords: ["hi", "menu"])
  card Start do
    text("Welcome!")
  end
end

stack MainMenu do
  trigger(on: "MESSAGE RECEIVED", keywords: ["menu"])
  card Menu do
    text("The menu")
  end
end
```

## How to fix
Keep the keyword in one journey, give the triggers different `priority:` values to say
which wins, or rename the keyword of one of them.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(at) = ctx
        .project
        .iter()
        .position(|j| std::ptr::eq(j, ctx.journey))
    else {
        return;
    };
    for trigger in &ctx.journey.triggers {
        let rank = priority(trigger);
        let mut left = keywords(trigger);
        for other in &ctx.project[..at] {
            for earlier in other.triggers.iter().filter(|t| priority(t) == rank) {
                let shared: Vec<String> = keywords(earlier).intersection(&left).cloned().collect();
                if shared.is_empty() {
                    continue;
                }
                left.retain(|k| !shared.contains(k));
                let words = shared
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let (verb, them) = if shared.len() == 1 {
                    ("starts", "it")
                } else {
                    ("start", "them")
                };
                out.push(
                    RULE.diagnostic(
                        ctx,
                        trigger.span,
                        format!(
                            "{words} {verb} both `{}` and `{}`; `{}` is deployed first and always wins",
                            other.name, ctx.journey.name, other.name
                        ),
                    )
                    .with_label(format!("`{}` never starts on {them}", ctx.journey.name))
                    .with_secondary(
                        other.file,
                        earlier.span,
                        format!("`{}` starts on {words} here", other.name),
                    )
                    .with_help(
                        "keep each keyword in one journey, or give the triggers different `priority:` values",
                    ),
                );
            }
        }
    }
}

/// `priority:` as written (0 when absent or not a number).
fn priority(trigger: &Trigger) -> i64 {
    match trigger.call.named("priority").map(|a| &a.value.kind) {
        Some(ExprKind::Int(n)) => *n,
        Some(ExprKind::Unary { operand, .. }) => match operand.kind {
            ExprKind::Int(n) => -n,
            _ => 0,
        },
        _ => 0,
    }
}

/// The keywords a message trigger starts on exactly, folded as triggers compare them.
fn keywords(trigger: &Trigger) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let on = trigger
        .call
        .named("on")
        .and_then(|a| literal(&a.value))
        .unwrap_or_default();
    let exact = trigger
        .call
        .named("match")
        .and_then(|a| literal(&a.value))
        .is_none_or(|m| m == "exactly" || m == "any_of");
    if on.eq_ignore_ascii_case("MESSAGE RECEIVED") && exact {
        if let Some(list) = trigger.call.named("keywords") {
            strings(&list.value, &mut found);
        }
        if let Some(guard) = &trigger.guard {
            visit::walk(guard, &mut |expr: &Expr| {
                if let ExprKind::Call(call) = &expr.kind
                    && matches!(call.callee.name.as_str(), "has_any_phrase" | "has_phrase")
                    && let Some(phrases) = call.positional().nth(1)
                {
                    strings(phrases, &mut found);
                }
            });
        }
    }
    found
}

fn strings(expr: &Expr, out: &mut BTreeSet<String>) {
    let items = match &expr.kind {
        ExprKind::List(items) => items.iter().collect(),
        _ => vec![expr],
    };
    for item in items {
        if let Some(text) = literal(item) {
            let folded = fold(&text);
            if !folded.is_empty() {
                out.insert(folded);
            }
        }
    }
}

fn literal(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(template) => template.as_literal(),
        _ => None,
    }
}

/// Words in lower case, punctuation dropped: `"Menu!"` and `" menu "` are one keyword.
fn fold(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}
