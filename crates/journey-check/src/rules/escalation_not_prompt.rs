use journey_diagnostics::{Diagnostic, Severity};
use journey_model::StepKind;

use crate::analysis;
use crate::escalation::replies_to_escalation;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA202",
    name: "escalation-not-prompt",
    summary: "From some question, reaching a person takes more than two messages from the contact.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Counts, for every question, menu or template with quick replies, the fewest messages
the contact must send to reach a person (an answer, a tap or an interrupt keyword each
count one), and reports the journey when that is more than two somewhere. A help
interrupt that hands over makes it one from everywhere. Questions with no way to a
person at all are WA201's.

## Why is this bad?
WhatsApp's Business Policy asks for a prompt, clear and direct way to a human. A
contact who must go back to the main menu and through two sub-menus to find "Talk to
a nurse" gives up first.

## Example
```journey
card Menu do
  buttons(Health, Other) do
    text("What is it about?")
  end
end

card Health do
  buttons(Pregnancy, Baby) do
    text("Which topic?")
  end
end

card Pregnancy do
  buttons(Nurse: "Ask a nurse", Menu: "Back") do
    text("Pregnancy tips…")
  end
end

card Nurse do
  handoff(queue: "nurses")
end
```

## How to fix
Add a help interrupt, which reaches a person in one message from every question:
`interrupt(keywords: ["help", "agent", "nurse"], then: Nurse)`. Or offer the handoff
on the first menu.
"#,
    check: Some(check),
};

/// Messages a contact should need, at most, to reach a person.
const PROMPT: u32 = 2;

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    if journey.has_syntax_errors {
        return;
    }
    let replies = replies_to_escalation(ctx.project, journey);
    let reachable = analysis::reachable(journey);
    // The question that is furthest from a person (the first such, in source order).
    let worst = journey
        .graph
        .node_indices()
        .filter(|&n| reachable.contains(n.index()))
        .filter(|&n| {
            let kind = &journey.graph[n].kind;
            kind.waits() && !matches!(kind, StepKind::Handoff { .. })
        })
        .filter_map(|n| Some((n, *replies.get(&n)?)))
        .filter(|&(_, count)| count > PROMPT)
        .max_by_key(|&(n, count)| (count, std::cmp::Reverse(journey.graph[n].span.start)));
    let Some((node, count)) = worst else { return };
    let step = &journey.graph[node];
    out.push(
        RULE.diagnostic(
            ctx,
            step.span,
            format!(
                "from here, reaching a person takes {count} messages from the contact (card `{}`)",
                journey.card(step.card).name
            ),
        )
        .with_label("a person is far from here")
        .with_help("add `interrupt(keywords: [\"help\", \"agent\"], then: Agent)` where `Agent` hands over: one message from any question"),
    );
}
