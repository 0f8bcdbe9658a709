use journey_diagnostics::{Diagnostic, Severity};

use crate::analysis::{self, Loop};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J202",
    name: "loop-without-wait",
    summary: "Cards loop forever without a question, so the run can never stop.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Finds cycles of steps that contain no question (no `ask`, `buttons`, `list`, template
with quick replies or handoff) and that no condition can leave.

## Why is this bad?
The run would send messages or call services in a tight loop. The interpreter stops it
at the step limit with an error, but the contact has already received a flood.

## Example
```journey
card A, then: B do
  text("Ping")
end

card B, then: A do
  text("Pong")
end
```

## How to fix
Put a question in the loop (`buttons(...)` to ask whether to go on), or leave it under a
condition: `then(Done when count >= 3)`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for cycle in analysis::loops_without_wait(ctx.journey) {
        if !cycle.can_exit {
            out.push(report(&RULE, ctx, &cycle, "loop forever"));
        }
    }
}

/// Shared with the guarded variant (J205): same shape, other words.
pub(crate) fn report(rule: &Rule, ctx: &Context<'_>, cycle: &Loop, verb: &str) -> Diagnostic {
    let journey = ctx.journey;
    let names: Vec<&str> = cycle
        .cards
        .iter()
        .map(|&c| journey.card(c).name.as_str())
        .collect();
    let path = names
        .iter()
        .chain(names.first())
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" → ");
    let first = journey.card(cycle.cards[0]);
    let mut diagnostic = rule
        .diagnostic(
            ctx,
            first.definitions[0].name_span,
            format!("these cards {verb} without waiting for the contact: {path}"),
        )
        .with_label("the loop starts here")
        .with_help("add a question inside the loop, or a condition that leaves it, e.g. `then(Done when tries >= 3)`");
    for &card in &cycle.cards[1..] {
        let definition = &journey.card(card).definitions[0];
        diagnostic =
            diagnostic.with_secondary(journey.file, definition.name_span, "part of the loop");
    }
    diagnostic
}
