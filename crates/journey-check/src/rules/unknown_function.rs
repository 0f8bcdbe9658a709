use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{Issue, Misplaced};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J103",
    name: "unknown-function",
    summary: "A call names a function that does not exist, or uses one where it cannot work.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports calls to functions that are neither built in nor defined in the project's
`functions/*.rhai`, with the closest name. It also reports a step function (`text`,
`ask`, `get`) used inside an expression, and a setting (`trigger`, `interrupt`) used
inside a card.

## Why is this bad?
The card would fail when it runs. Misspellings such as `test()` for `text()` are the most
common mistake in Turn journeys.

## Example
```journey
card Welcome do
  test("Hi!")
end
```

## How to fix
Use the suggested name (`text("Hi!")`), or define the helper in `functions/`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::UnknownFunction {
            name,
            span,
            suggestion,
            misplaced,
        } = issue
        {
            let diagnostic = match misplaced {
                Some(Misplaced::StepInExpression) => RULE
                    .diagnostic(ctx, *span, format!("`{name}` is a step, not a value"))
                    .with_label("cannot be used inside an expression")
                    .with_help(format!(
                        "write it on a line of its own, or assign its result first: `x = {name}(...)`"
                    )),
                Some(Misplaced::SettingInCard) => RULE
                    .diagnostic(ctx, *span, format!("`{name}` is a journey setting, not a step"))
                    .with_label("cannot be used inside a card")
                    .with_help(format!("move `{name}(...)` out of the card, to the top of the journey")),
                Some(Misplaced::StepAtJourneyLevel) => RULE
                    .diagnostic(ctx, *span, format!("`{name}` must be inside a card"))
                    .with_label("outside any card")
                    .with_help(format!("put `{name}(...)` in a `card Name do … end`")),
                None => {
                    let diagnostic = RULE
                        .diagnostic(ctx, *span, format!("unknown function `{name}`"))
                        .with_label("not a built-in or project function");
                    match suggestion {
                        Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                        None => diagnostic.with_help("`docs/functions.md` lists the functions there are"),
                    }
                }
            };
            out.push(diagnostic);
        }
    }
}
