use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{CompiledJourney, Message, MessageKind, StepKind};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J304",
    name: "missing-translation",
    summary: "A message lacks a variant for one of the project's languages, or has an empty one.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
When `journey.toml` lists several languages (`[project] languages = ["en", "pt"]`), checks
that every text, question and menu body has a variant for each of them (`pt: "…"`), and
that no variant is empty (the fix in an editor or the studio adds `pt: ""` for each
missing language, to be filled in). Media without a caption need none.

## Why is this bad?
A contact whose `contact.language` is missing gets the default language instead, in the
middle of a conversation in their own. WhatsApp refuses a message with an empty text.

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
    for (message, gaps) in untranslated(ctx.journey, &languages[1..]) {
        let list = |languages: &[&str]| {
            languages
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !gaps.missing.is_empty() {
            out.push(
                RULE.diagnostic(
                    ctx,
                    message.span,
                    format!("this message has no {} variant", list(&gaps.missing)),
                )
                .with_label(format!("the project speaks {}", languages.join(", ")))
                .with_help(format!("add `{}: \"…\"` to the call", gaps.missing[0])),
            );
        }
        if !gaps.empty.is_empty() {
            out.push(
                RULE.diagnostic(
                    ctx,
                    message.span,
                    format!("the {} variant of this message is empty", list(&gaps.empty)),
                )
                .with_label("WhatsApp sends no empty message")
                .with_help("write the message in that language"),
            );
        }
    }
}

/// The languages a message lacks a variant for, and those whose variant is empty.
pub struct Gaps<'l> {
    pub missing: Vec<&'l str>,
    pub empty: Vec<&'l str>,
}

/// The messages of a journey (texts, questions, menu bodies) that lack a variant for
/// one of `others` (the project's languages but the first) or have an empty one.
pub fn untranslated<'j, 'l>(
    journey: &'j CompiledJourney,
    others: &[&'l str],
) -> Vec<(&'j Message, Gaps<'l>)> {
    let mut found = Vec::new();
    if others.is_empty() {
        return found;
    }
    for step in journey.graph.node_weights() {
        let messages: Vec<&Message> = match &step.kind {
            StepKind::Send(message) => vec![message],
            StepKind::Ask { prompt, .. } => vec![prompt],
            StepKind::Menu(menu) => menu.body.iter().collect(),
            _ => Vec::new(),
        };
        for message in messages {
            if !matches!(message.kind, MessageKind::Text | MessageKind::Footer) {
                continue;
            }
            let variant = |lang: &str| message.translations.iter().find(|(l, _)| l == lang);
            let gaps = Gaps {
                missing: others
                    .iter()
                    .copied()
                    .filter(|l| variant(l).is_none())
                    .collect(),
                empty: others
                    .iter()
                    .copied()
                    .filter(|l| {
                        variant(l)
                            .and_then(|(_, text)| text.literal_text())
                            .is_some_and(|text| text.trim().is_empty())
                    })
                    .collect(),
            };
            if !(gaps.missing.is_empty() && gaps.empty.is_empty()) {
                found.push((message, gaps));
            }
        }
    }
    found
}
