use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J101",
    name: "unknown-card",
    summary: "A transition names a card that does not exist.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a card name in `then:`, `then(...)`, a button or list option, `on_timeout:`,
`on_invalid:`, `on_error:`, `on_return:`, an interrupt or a `schedule(...)` that no card
of the journey defines, and suggests the closest name.

## Why is this bad?
The contact reaching that transition would be stuck: there is nowhere to go.

## Example
```journey
card Welcome, then: Mneu do
  text("Hi!")
end

card Menu do
  text("Pick an option")
end
```

## How to fix
Use the name of an existing card (`then: Menu`), or add the missing card.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::UnknownCard {
            name,
            span,
            suggestion,
        } = issue
        {
            let mut diagnostic = RULE
                .diagnostic(ctx, *span, format!("unknown card `{name}`"))
                .with_label("no card has this name");
            diagnostic = match suggestion {
                Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                None => diagnostic.with_help(format!(
                    "add `card {name} do … end`, or name an existing card"
                )),
            };
            out.push(diagnostic);
        }
    }
}
