use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{CardInfo, CompiledJourney, StepKind};

use crate::analysis;
use crate::escalation::replies_to_escalation;
use crate::rule::{Context, Rule, others_text};

pub(crate) static RULE: Rule = Rule {
    code: "WA201",
    name: "no-escalation-path",
    summary: "A card of a conversation has no way to reach a person.",
    default_severity: Severity::Error,
    doc: r#"## What it does
In every journey that asks the contact something, checks that from each question, menu
or template with quick replies the contact can reach a human escalation: a `handoff(...)` step, a card declared as a non-chat
escalation (`card CallUs, escalation: "phone" do … end`), or a sub-journey that has one.
Global interrupts count: `interrupt(keywords: ["help", "agent"], then: Agent)` reaches a
handoff from every question. A `run_stack` counts when the journey it runs reaches a
person, itself or through the journeys it runs in turn. The finding is made once per
project, on the first journey that has it, naming the others.

## Why is this bad?
WhatsApp's Business Policy requires a prompt, clear way to reach a human when the
automation cannot help. A contact stuck with a bot is a contact who blocks the number.

## Example
```journey
card Menu do
  buttons(Tips: "Tips", Visit: "Book a visit") do
    text("How can we help?")
  end
end
```

## How to fix
Add a help interrupt that hands over, which covers every question at once:
`interrupt(keywords: ["help", "agent", "nurse"], then: Agent)` and
`card Agent do handoff(queue: "nurses") end`.
"#,
    check: Some(check),
};

/// Cards listed in one finding, at most.
const SHOWN: usize = 5;

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    let stuck = stuck_cards(ctx.project, journey);
    // The cause is the project's (no handoff anywhere it can reach): said once.
    let Some(others) = ctx.once_per_project(|j| !stuck_cards(ctx.project, j).is_empty()) else {
        return;
    };
    let Some(first) = stuck.first() else { return };
    let names = stuck
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let more = stuck.len().saturating_sub(SHOWN);
    let mut diagnostic = RULE
        .diagnostic(
            ctx,
            first.definitions[0].name_span,
            format!(
                "no person can be reached from the questions of {names}{}{}",
                if more > 0 { format!(" and {more} more cards") } else { String::new() },
                others_text(&others).map_or_else(String::new, |o| format!(", nor from {o}"))
            ),
        )
        .with_label("a question here has no way on to a person")
        .with_help("add `interrupt(keywords: [\"help\", \"agent\"], then: Agent)` and `card Agent do handoff(queue: \"agents\") end`");
    for card in stuck.iter().skip(1).take(SHOWN - 1) {
        diagnostic = diagnostic.with_secondary(
            journey.file,
            card.definitions[0].name_span,
            "no escalation from here either",
        );
    }
    out.push(diagnostic);
}

/// The cards where the contact waits on the bot with no way on to a person; a card that
/// only says goodbye ends the conversation, and the next message starts afresh.
fn stuck_cards<'j>(project: &[CompiledJourney], journey: &'j CompiledJourney) -> Vec<&'j CardInfo> {
    let asks = journey.graph.node_weights().any(|s| s.kind.waits());
    if journey.has_syntax_errors || !asks {
        return Vec::new();
    }
    let escalating = replies_to_escalation(project, journey);
    let reachable = analysis::reachable(journey);
    let mut stuck: Vec<&CardInfo> = Vec::new();
    for node in journey.graph.node_indices() {
        let step = &journey.graph[node];
        let waits_on_bot = step.kind.waits() && !matches!(step.kind, StepKind::Handoff { .. });
        if waits_on_bot && reachable.contains(node.index()) && !escalating.contains_key(&node) {
            let card = journey.card(step.card);
            if !stuck.iter().any(|c| c.name == card.name) {
                stuck.push(card);
            }
        }
    }
    stuck
}
