use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J104",
    name: "unknown-argument",
    summary: "A named argument is not one the function accepts.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports `name: value` arguments that the function does not take, with the closest
accepted name. Message functions also accept language codes (`pt: "Olá"`) as
translations; `update_contact` accepts any field name.

## Why is this bad?
A misspelt setting is not applied: `timout: 2h` leaves the question waiting forever.

## Example
```journey
card Ask do
  day = ask("Which day suits you?", timout: 2h, on_timeout: Nudge)
end
```

## How to fix
Use the suggested name: `timeout: 2h`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::UnknownArgument {
            function,
            name,
            span,
            suggestion,
        } = issue
        {
            let diagnostic = RULE
                .diagnostic(ctx, *span, format!("`{function}` has no argument `{name}`"))
                .with_label("unknown argument");
            out.push(match suggestion {
                Some(s) => diagnostic.with_help(format!("did you mean `{s}:`?")),
                None => diagnostic.with_help(format!(
                    "remove it, or see `journey rule J104` and the docs of `{function}`"
                )),
            });
        }
    }
}
