use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J106",
    name: "wrong-arity",
    summary: "A built-in function is called with too few or too many arguments.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Checks the number of positional arguments of every built-in call against the catalogue.

## Why is this bad?
The call would fail when the card runs, leaving the contact stuck.

## Example
```journey
card Result do
  write_result("score")
end
```

## How to fix
Give the arguments the function needs: `write_result("score", score)`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::WrongArity {
            function,
            span,
            expected,
            found,
        } = issue
        {
            let given = match found {
                0 => "none was given".to_owned(),
                1 => "1 was given".to_owned(),
                n => format!("{n} were given"),
            };
            out.push(
                RULE.diagnostic(
                    ctx,
                    *span,
                    format!("`{function}` takes {expected}, but {given}"),
                )
                .with_label(format!("expected {expected}"))
                .with_help(format!("`docs/functions.md` describes `{function}`")),
            );
        }
    }
}
