use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{Message, MessageKind, StepKind};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J304",
    name: "missing-translation",
    summary: "A message lacks a variant for one of the project's languages.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
When `journey.toml` lists several languages (`[project] languages = ["en", "pt"]`), checks
that every text, question and menu body has a variant for each of them (`pt: "…"`). Media
without a caption need none.

## Why is this bad?
A contact whose `contact.language` is missing gets the default language instead, in the
middle of a conversation in their own.

## Example
```journey
card Welcome do
  text("Welcome to the clinic line!")
end
```
…in a project with `languages = ["en", "pt"]`.

## How to fix
Add the variant: `text("Welcome to the clinic line!", pt: "Bem-vindo à linha da clínica!")`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let languages = ctx.config.languages();
    let others = &languages[1..];
    if others.is_empty() {
        return;
    }
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let messages: Vec<&Message> = match &graph[node].kind {
            StepKind::Send(message) => vec![message],
            StepKind::Ask { prompt, .. } => vec![prompt],
            StepKind::Menu(menu) => menu.body.iter().collect(),
            _ => Vec::new(),
        };
        for message in messages {
            let needs_text = matches!(message.kind, MessageKind::Text | MessageKind::Footer);
            if !needs_text {
                continue;
            }
            let missing: Vec<&str> = others
                .iter()
                .copied()
                .filter(|lang| !message.translations.iter().any(|(l, _)| l == lang))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let list = missing
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                RULE.diagnostic(
                    ctx,
                    message.span,
                    format!("this message has no {list} variant"),
                )
                .with_label(format!("the project speaks {}", languages.join(", ")))
                .with_help(format!("add `{}: \"…\"` to the call", missing[0])),
            );
        }
    }
}
