use journey_diagnostics::{Diagnostic, Severity};
use journey_project::{ButtonKind, Template};

use crate::rule::{Context, Rule};
use crate::templates;

pub(crate) static RULE: Rule = Rule {
    code: "WA305",
    name: "template-button-payload-unhandled",
    summary: "A quick reply of a sent template leads nowhere in the journey.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Compares each `send_message_template(...)` with its `[[templates]]` entry in
`journey.toml`: every quick-reply button of the template needs a card in the send's
`buttons: [...]` list, in the same order. It reports the quick replies that have none.

## Why is this bad?
The contact taps "Stop reminders" and nothing happens: the tap arrives as a message
the journey does not handle. For an opt-out quick reply that is also a policy breach.

## Example
```toml
[[templates]]
name = "visit_reminder"
language = "en"
category = "utility"
status = "approved"
body = "Your visit is tomorrow."
buttons = [
  { type = "quick_reply", text = "See you then" },
  { type = "quick_reply", text = "Stop reminders" },
]
```
```journey
card Remind do
  send_message_template("visit_reminder", "en", [], buttons: [Confirmed])
end
```

## How to fix
Give every quick reply its card, in the template's order:
`buttons: [Confirmed, StopReminders]`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for send in templates::sends(ctx.journey) {
        let registered = ctx.config.templates.iter().filter(|t| {
            t.name == send.name && send.language.as_ref().is_none_or(|l| *l == t.language)
        });
        // With a computed language, the entry with the most quick replies decides.
        let Some(quick_replies) = registered.map(quick_replies).max_by_key(Vec::len) else {
            continue;
        };
        let handled = send.template.buttons.len();
        let unhandled = &quick_replies[handled.min(quick_replies.len())..];
        if unhandled.is_empty() {
            continue;
        }
        let titles = unhandled
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            RULE.diagnostic(
                ctx,
                send.span,
                format!(
                    "template `{}` has quick replies that lead nowhere: {titles}",
                    send.name
                ),
            )
            .with_label(format!(
                "{handled} of {} quick replies handled",
                quick_replies.len()
            ))
            .with_help(format!(
                "list a card for every quick reply, in order: `buttons: [{}]`",
                send.template
                    .buttons
                    .iter()
                    .map(|&card| ctx.journey.card(card).name.clone())
                    .chain(unhandled.iter().map(|t| card_name(t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
}

fn quick_replies(template: &Template) -> Vec<&str> {
    template
        .buttons
        .iter()
        .filter(|b| b.kind == ButtonKind::QuickReply)
        .map(|b| b.text.as_str())
        .collect()
}

/// A card name suggested for a quick reply: "Stop reminders" → `StopReminders`.
fn card_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
