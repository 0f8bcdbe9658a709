use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};
use crate::templates;

pub(crate) static RULE: Rule = Rule {
    code: "WA502",
    name: "template-param-mismatch",
    summary: "A template is sent with a different number of parameters than it has.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Compares the parameter list of `send_message_template(name, language, [params])` with
the parameters of the registered template (its `{{1}}`, `{{2}}` … or named
placeholders, or its `parameters` list).

## Why is this bad?
WhatsApp refuses a template whose parameters do not match (132000).

## Example
```journey
card Remind do
  send_message_template("visit_reminder", "en", [contact.name])
end
```
…where the registered body is "Hi {{1}}, your visit is on {{2}}."

## How to fix
Give one value per placeholder, in order: `[contact.name, day]`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for send in templates::sends(ctx.journey) {
        let Some(language) = &send.language else {
            continue;
        };
        let Some(template) = ctx.config.template(&send.name, language) else {
            continue;
        };
        let expected = template.parameter_names();
        let given = send.template.params.len();
        if given == expected.len() {
            continue;
        }
        let plural = |n: usize| if n == 1 { "parameter" } else { "parameters" };
        out.push(
            RULE.diagnostic(
                ctx,
                send.span,
                format!(
                    "template `{}` takes {} {}, but {given} {} given",
                    send.name,
                    expected.len(),
                    plural(expected.len()),
                    if given == 1 { "is" } else { "are" }
                ),
            )
            .with_label(format!("{given} {}", plural(given)))
            .with_help(format!(
                "its parameters, in order: {}",
                expected
                    .iter()
                    .map(|p| format!("{{{{{p}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
}
