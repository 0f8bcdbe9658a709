use std::collections::BTreeSet;

use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Transition;
use petgraph::visit::{EdgeRef, NodeIndexable};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA430",
    name: "burst-send",
    summary: "More than 5 messages go out in a row without waiting for the contact.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Counts, along every path, the messages sent one after another with no question, menu,
handoff or timer in between, and reports the sixth message of such a run (once per
card). Messages of a sub-journey (`run_stack`) are not counted.

## Why is this bad?
WhatsApp limits how fast one business number may write to one contact (about one
message every six seconds, error 131056); a burst is throttled or dropped. A wall of
messages is also hard to read on a phone.

## Example
```journey
card Facts do
  text("1. Drink water.")
  text("2. Rest.")
  text("3. Eat well.")
  text("4. Sleep.")
  text("5. Walk.")
  text("6. Call us.")
end
```

## How to fix
Join the texts into one message, or ask between them
(`buttons(More: "More tips") do text("…") end`).
"#,
    check: Some(check),
};

/// The most messages in a row that do not count as a burst.
const BURST: u8 = 5;

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    let graph = &journey.graph;
    let Some(entry) = journey.entry else { return };
    if journey.has_syntax_errors {
        return;
    }
    // Most messages in a row up to and including each step; capped past the limit,
    // which also makes the fixed point over loops terminate.
    let mut in_a_row = vec![None::<u8>; graph.node_bound()];
    let mut sixth = fixedbitset::FixedBitSet::with_capacity(graph.node_bound());
    let mut work = vec![(entry, 0u8)];
    while let Some((node, before)) = work.pop() {
        let here = (before + u8::from(graph[node].kind.sends())).min(BURST + 1);
        if before == BURST && here > BURST {
            sixth.insert(node.index());
        }
        if in_a_row[node.index()].is_some_and(|old| old >= here) {
            continue;
        }
        in_a_row[node.index()] = Some(here);
        let waits = graph[node].kind.waits();
        for edge in graph.edges(node) {
            let next = if waits || *edge.weight() == Transition::Timer {
                0
            } else {
                here
            };
            work.push((edge.target(), next));
        }
    }
    let mut reported = BTreeSet::new();
    let mut bursts: Vec<_> = graph
        .node_indices()
        .filter(|n| sixth.contains(n.index()))
        .collect();
    bursts.sort_by_key(|n| graph[*n].span.start);
    for node in bursts {
        let step = &graph[node];
        if !reported.insert(step.card) {
            continue;
        }
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                format!(
                    "this can be message {} in a row without waiting for the contact",
                    BURST + 1
                ),
            )
            .with_label("burst of messages")
            .with_help("join the texts into one message, or ask the contact between them"),
        );
    }
}
