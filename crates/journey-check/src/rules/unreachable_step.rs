use journey_diagnostics::{Diagnostic, Severity};
use journey_model::StepKind;
use petgraph::Direction;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J204",
    name: "unreachable-step",
    summary: "A statement comes after a step that never continues in its card.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports statements that follow, in the same card, a step after which the card never
goes on: a static `buttons`/`list` (each option leads to its card), `end_journey()`, or
an unconditional `then(Card)`.

## Why is this bad?
The statement never runs. Often it was meant to come before the menu.

## Example
```journey
card Menu do
  buttons(Tips: "Tips", Help: "Help") do
    text("Pick one")
  end
  write_result("menu_shown", "yes")
end
```

## How to fix
Move the statement before the step that leaves the card, or into the card it leads to.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.journey.has_syntax_errors {
        return;
    }
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let step = &graph[node];
        let orphan = graph
            .neighbors_directed(node, Direction::Incoming)
            .next()
            .is_none();
        // Implicit ends are bookkeeping nodes with no statement of their own.
        let is_statement = !matches!(
            step.kind,
            StepKind::CardEntry | StepKind::End { explicit: false }
        );
        if orphan && is_statement {
            out.push(
                RULE.diagnostic(ctx, step.span, "this step never runs")
                    .with_label("nothing in the card continues to here")
                    .with_help("move it before the menu, `then(...)` or `end_journey()` that leaves the card"),
            );
        }
    }
}
