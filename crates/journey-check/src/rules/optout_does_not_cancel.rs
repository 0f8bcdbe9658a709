use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{CompiledJourney, EffectStep, StepKind};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::optout::opt_out_interrupts;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA302",
    name: "optout-does-not-cancel",
    summary: "The opt-out path does not record the opt-out, or leaves follow-up timers pending.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Follows every path from the card an opt-out interrupt leads to, up to the end or the next
question, and reports the interrupt when some path does not set the contact's
`opted_in` field (`update_contact(opted_in: false)`) or, in a project that schedules
follow-ups, does not cancel them all (`cancel_scheduled()`).

## Why is this bad?
A contact who said STOP must get nothing more but the confirmation. A reminder that
still fires the next day breaks WhatsApp's policy and the contact's trust.

## Example
```journey
interrupt(keywords: ["stop"], then: OptOut)

card OptOut do
  text("You will not hear from us again.")
end
```

## How to fix
Record and cancel before confirming:
`update_contact(opted_in: false)`, `cancel_scheduled()`, then the confirmation and
`end_journey()`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    if journey.has_syntax_errors {
        return;
    }
    let schedules = ctx.project.iter().any(|j| {
        j.graph
            .node_weights()
            .any(|s| matches!(s.kind, StepKind::Schedule { .. }))
    });
    for interrupt in opt_out_interrupts(journey, &ctx.config.keywords.opt_out) {
        let Some(target) = &interrupt.target else {
            continue;
        };
        let entry = journey.card(target.card).entry;
        let mut missing = Vec::new();
        if avoidable(journey, entry, records_opt_out) {
            missing.push("set `opted_in` (`update_contact(opted_in: false)`)");
        }
        if schedules && avoidable(journey, entry, cancels_all) {
            missing.push("cancel pending timers (`cancel_scheduled()`)");
        }
        if missing.is_empty() {
            continue;
        }
        out.push(
            RULE.diagnostic(
                ctx,
                interrupt.span,
                format!("after this opt-out, some path does not {}", missing.join(" or ")),
            )
            .with_label("opt-out interrupt")
            .with_secondary(journey.file, target.span, "its path starts here")
            .with_help("begin the opt-out card with `update_contact(opted_in: false)` and `cancel_scheduled()`"),
        );
    }
}

fn records_opt_out(kind: &StepKind) -> bool {
    matches!(kind, StepKind::Effect(effect)
        if matches!(&**effect, EffectStep::UpdateContact(fields)
            if fields.iter().any(|(field, _)| field.name == "opted_in")))
}

fn cancels_all(kind: &StepKind) -> bool {
    matches!(kind, StepKind::Cancel { target: None })
}

/// Can the run get from `start` to an end or a question without passing a step that
/// does `wanted`?
fn avoidable(journey: &CompiledJourney, start: NodeIndex, wanted: fn(&StepKind) -> bool) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![start];
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        let kind = &journey.graph[node].kind;
        if wanted(kind) {
            continue;
        }
        if kind.waits() || matches!(kind, StepKind::End { .. }) {
            return true;
        }
        let mut leaves = journey.graph.edges(node).peekable();
        if leaves.peek().is_none() {
            return true;
        }
        stack.extend(leaves.map(|e| e.target()));
    }
    false
}
