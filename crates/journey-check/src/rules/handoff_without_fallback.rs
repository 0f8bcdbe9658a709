use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{StepKind, Transition};
use petgraph::visit::EdgeRef;

use crate::analysis;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA204",
    name: "handoff-without-fallback",
    summary: "A handoff has no fallback for when no agent answers, or its fallback says nothing.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports a `handoff(...)` without a `timeout:`, which waits for an agent for ever, and
one whose `on_timeout:` path ends without a message to the contact.

## Why is this bad?
Out of hours, or when every agent is busy, the contact is left talking to nobody. A
fallback that says when someone will answer, or gives a phone number, a clinic address
or a form, keeps the promise of a way to a human.

## Example
```journey
card Nurse do
  handoff(queue: "nurses")
end
```

## How to fix
Give the handoff a timeout and a card that offers another way:
`handoff(queue: "nurses", timeout: 2h, on_timeout: CallUs)` and
`card CallUs, escalation: "phone" do text("No nurse is free now. Call 0800 123 456, 8am–8pm.") end`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    if journey.has_syntax_errors {
        return;
    }
    for node in journey.graph.node_indices() {
        let step = &journey.graph[node];
        if !matches!(step.kind, StepKind::Handoff { .. }) {
            continue;
        }
        let fallback = journey
            .graph
            .edges(node)
            .find(|e| *e.weight() == Transition::Timeout)
            .map(|e| e.target());
        let (message, label) = match fallback {
            None => (
                "this handoff waits for an agent for ever: nothing happens if none answers",
                "no `timeout:`",
            ),
            Some(target) if analysis::can_end_silently(journey, target) => (
                "when no agent answers this handoff, the run can end without a word to the contact",
                "the timeout path says nothing",
            ),
            Some(_) => continue,
        };
        out.push(
            RULE.diagnostic(ctx, step.span, message)
                .with_label(label)
                .with_help("add `timeout: 2h, on_timeout: CallUs` with a card that gives a phone number, hours or a form"),
        );
    }
}
