use journey_diagnostics::{Diagnostic, Severity};

use crate::analysis;
use crate::rule::{Context, Rule};
use crate::rules::loop_without_wait::report;

pub(crate) static RULE: Rule = Rule {
    code: "J205",
    name: "guarded-loop-without-wait",
    summary: "Cards loop without a question; only a condition stops them.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Finds cycles of steps without a question that a condition or an error can leave, such
as a counter loop.

## Why is this bad?
If the condition never becomes true (a field never set, a counter never increased), the
run loops until the interpreter's step limit stops it with an error.

## Example
```journey
card Retry, then: Retry do
  page = get("https://example.org/next")
  then(Done when page.status == 200)
end

card Done do
  text("Done")
end
```

## How to fix
Make sure the condition is bound to change, e.g. count the tries and leave after three:
`then(GiveUp when tries >= 3)`. Bounded loops can silence this rule with a reason.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for cycle in analysis::loops_without_wait(ctx.journey) {
        if cycle.can_exit {
            out.push(report(&RULE, ctx, &cycle, "may loop"));
        }
    }
}
