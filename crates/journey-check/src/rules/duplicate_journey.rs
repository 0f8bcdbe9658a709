use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J107",
    name: "duplicate-journey",
    summary: "Two journeys of the project have the same name.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a journey whose name (from `stack Name do` or the file name) is already taken by
another journey of the checked paths.

## Why is this bad?
`run_stack(Name)` and `schedule(Name, ...)` could mean either one.

## Example
```journey
stack Onboarding do
  card Start do
    text("Welcome!")
  end
end
```
…in two files.

## How to fix
Rename one of the journeys.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::DuplicateJourney { name, span, first } = issue {
            out.push(
                RULE.diagnostic(ctx, *span, format!("journey `{name}` is defined twice"))
                    .with_label("second definition")
                    .with_secondary(first.0, first.1, "first defined here")
                    .with_help("rename one of the journeys"),
            );
        }
    }
}
