use journey_diagnostics::{Diagnostic, Severity};
use journey_model::suggest;
use journey_project::TemplateStatus;

use crate::rule::{Context, Rule};
use crate::templates;

pub(crate) static RULE: Rule = Rule {
    code: "WA501",
    name: "template-unknown-or-unapproved",
    summary: "A template is not in the registry of journey.toml, or is not approved.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Checks every `send_message_template("name", "language", …)` whose name and language are
literal against the `[[templates]]` registry of `journey.toml`: the template must be there
in that language with `status = "approved"`. A project that registers no template at all
is not checked (a loose file has no registry).

## Why is this bad?
WhatsApp refuses an unknown template (132001) or one that is pending, paused, disabled or
rejected (132015, 132016): the contact gets nothing.

## Example
```journey
card Remind do
  send_message_template("visit_remindr", "en", [contact.name])
end
```

## How to fix
Use the registered name (the help suggests the closest), register the template in
`journey.toml`, or wait for Meta's approval and set `status = "approved"`.
"#,
    check: Some(check),
};

/// The label of a finding about a registered template that is not approved yet.
const NOT_APPROVED: &str = "not approved";

/// A finding that a registered template waits for Meta's approval: it changes what
/// `journey serve` may send, not how a conversation runs, so `journey test` runs anyway.
pub fn awaits_approval(diagnostic: &Diagnostic) -> bool {
    diagnostic.code == RULE.code && diagnostic.primary.message == NOT_APPROVED
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let registry = &ctx.config.templates;
    if registry.is_empty() {
        return;
    }
    for send in templates::sends(ctx.journey) {
        let Some(language) = &send.language else {
            continue;
        };
        match ctx.config.template(&send.name, language) {
            Some(template) if template.status == TemplateStatus::Approved => {}
            Some(template) => out.push(
                RULE.diagnostic(
                    ctx,
                    send.template.name.span,
                    format!(
                        "template `{}` ({language}) is {}, not approved",
                        send.name,
                        format!("{:?}", template.status).to_lowercase()
                    ),
                )
                .with_label(NOT_APPROVED)
                .with_help("send it once Meta approves it, and set `status = \"approved\"` in journey.toml"),
            ),
            None => {
                let names = registry.iter().map(|t| t.name.as_str());
                let diagnostic = RULE
                    .diagnostic(
                        ctx,
                        send.template.name.span,
                        format!("template `{}` is not registered in `{language}`", send.name),
                    )
                    .with_label("not in journey.toml");
                out.push(match suggest(&send.name, names) {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic.with_help(format!(
                        "add it to journey.toml as a `[[templates]]` entry with `language = \"{language}\"`"
                    )),
                });
            }
        }
    }
}
