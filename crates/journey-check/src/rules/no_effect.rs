use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J109",
    name: "no-effect",
    summary: "A line computes a value and does nothing with it.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a line in a card that is neither a step (`text(...)`, `ask(...)`) nor an
assignment: a bare name, a string, or a call to a function that only computes a value.

## Why is this bad?
Nothing happens when the card runs. Usually the parentheses of a call are missing
(`text "Hi"` is the name `text` followed by the text `"Hi"`), or an assignment lost its
`name =`.

## Example
```journey
card Welcome do
  text "Hi there!"
  upper(contact.name)
end
```

## How to fix
Call steps with parentheses: `text("Hi there!")`. Keep a computed value in a variable:
`shout = upper(contact.name)`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::NoEffect { span } = issue {
            out.push(
                RULE.diagnostic(ctx, *span, "this line does nothing")
                    .with_label("a value that is computed and dropped")
                    .with_help("call a step with parentheses (`text(\"…\")`), or keep the value: `name = …`"),
            );
        }
    }
}
