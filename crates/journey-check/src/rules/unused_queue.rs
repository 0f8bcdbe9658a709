use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{CompiledJourney, StepKind, suggest};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA206",
    name: "unused-queue",
    summary: "journey.toml sets assignment rules for a queue that no journey hands off to.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports a `[queues.NAME]` of `journey.toml` when no `handoff(...)` of the project names
that queue. A handoff without `queue:` goes to the queue `default`. Nothing is reported
when some handoff names its queue with an expression, which is only known as it runs.

## Why is this bad?
The queue's team, hours and messages never apply: usually the queue is misspelt in
journey.toml or in the journey, and the handoffs it was meant for wait unassigned,
without the busy or out-of-hours message.

## Example
```toml
[queues.nurse]
team = "nurses"
```

…in a project whose journeys say `handoff(queue: "nurses")`.

## How to fix
Name the queue as the journeys do (`[queues.nurses]`), or remove the section.
"#,
    check: Some(check),
};

/// Said once per project, with the first journey: the finding is journey.toml's.
fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.config.queues.is_empty() || ctx.journey_index() != 0 {
        return;
    }
    let mut named = Vec::new();
    for journey in ctx.project {
        if !handoff_queues(journey, &mut named) {
            return;
        }
    }
    let at = &ctx.config.locations;
    for queue in ctx.config.queues.keys() {
        if named.contains(queue) {
            continue;
        }
        let span = at.span(&format!("queues.{queue}")).unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            RULE.default_severity,
            at.file(),
            span,
            format!("no journey hands off to queue `{queue}`: its rules never apply"),
        )
        .with_label("unused queue");
        diagnostic = match suggest(queue, named.iter().map(String::as_str)) {
            Some(better) => diagnostic.with_help(format!("did you mean `{better}`?")),
            None => {
                diagnostic.with_help("name the queue as a `handoff(queue: …)` does, or remove it")
            }
        };
        out.push(diagnostic);
    }
}

/// Adds the queues the journey's handoffs name; `false` when one is computed.
fn handoff_queues(journey: &CompiledJourney, named: &mut Vec<String>) -> bool {
    for step in journey.graph.node_weights() {
        let StepKind::Handoff(handoff) = &step.kind else {
            continue;
        };
        let queue = match &handoff.queue {
            None => Some("default".to_owned()),
            Some(expr) => expr.literal_text(),
        };
        match queue {
            Some(queue) => named.push(queue),
            None => return false,
        }
    }
    true
}
