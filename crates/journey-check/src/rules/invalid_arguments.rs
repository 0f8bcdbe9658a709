use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J108",
    name: "invalid-arguments",
    summary: "A step's arguments do not have the shape it needs.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Checks the shape of step arguments that the arity check cannot: menu options that are
not cards, `on_timeout:` without `timeout:`, a schedule with both or neither of `in:` and
`at:`, statements other than messages inside a `buttons`/`list` body, an interrupt
without keywords.

## Why is this bad?
The step would not do what it says when it runs.

## Example
```journey
card Menu do
  buttons(Tips: "Tips", on_timeout: Nudge) do
    text("Pick one")
  end
end
```

## How to fix
Follow the message: here, add `timeout: 4h` so that the question can time out.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::BadArguments {
            function,
            span,
            message,
        } = issue
        {
            out.push(
                RULE.diagnostic(ctx, *span, message.clone())
                    .with_label(format!("in this `{function}`")),
            );
        }
    }
}
