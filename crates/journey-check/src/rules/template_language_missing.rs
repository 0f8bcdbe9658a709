use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};
use crate::templates;

pub(crate) static RULE: Rule = Rule {
    code: "WA503",
    name: "template-language-missing",
    summary: "A template sent in the contact's language is not registered in every project language.",
    default_severity: Severity::Error,
    doc: r#"## What it does
For `send_message_template(name, contact.language, …)` (a language computed at run time),
checks that the registry has the template in every language of `[project] languages`.

## Why is this bad?
A contact whose language has no approved translation gets nothing (132001).

## Example
```journey
card Remind do
  send_message_template("visit_reminder", contact.language, [contact.name])
end
```
…in a project with `languages = ["en", "pt"]` whose registry has only the English one.

## How to fix
Register (and get approved) the template in every project language, or send a literal
language: `send_message_template("visit_reminder", "en", …)`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.config.templates.is_empty() {
        return;
    }
    let languages = ctx.config.languages();
    for send in templates::sends(ctx.journey) {
        if send.language.is_some() {
            continue;
        }
        let missing: Vec<&str> = languages
            .iter()
            .copied()
            .filter(|lang| ctx.config.template(&send.name, lang).is_none())
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(
            RULE.diagnostic(
                ctx,
                send.template.language.span,
                format!(
                    "template `{}` is not registered in {}",
                    send.name,
                    missing
                        .iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_label("the contact's language, chosen at run time")
            .with_help("register the template in every language of `[project] languages`"),
        );
    }
}
