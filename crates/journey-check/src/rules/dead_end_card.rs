use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{StepKind, Transition};
use petgraph::visit::EdgeRef;

use crate::analysis;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA205",
    name: "dead-end-card",
    summary: "An unexpected reply to a question ends the conversation without a word.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Follows what happens when the contact answers a question, menu or template with
something it did not expect (free text instead of a button, a photo, a voice note):
after the re-prompts, the run takes the `on_invalid:` path, the card's `then:`, or
the rest of the card. The rule reports the question when that path can end the run
without sending anything.

A run that ends normally is not a dead end: the contact's next message goes to the
project's triggers.

## Why is this bad?
The contact typed an answer and got silence. They cannot tell whether anyone read it,
and WhatsApp's quality rating suffers when contacts block a number that ignores them.

## Example
```journey
card Remind do
  send_message_template("visit_reminder", "en", [], buttons: [Confirm, Cancel])
end
```

## How to fix
Say something on the unexpected path: after a template with quick replies, the rest of
the card runs on any other reply (`text("Please tap Confirm or Cancel.")`); a menu or
question takes `on_invalid: Card`.
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
        if !step.kind.waits() || matches!(step.kind, StepKind::Handoff { .. }) {
            continue;
        }
        let silent = journey
            .graph
            .edges(node)
            .filter(|e| *e.weight() == Transition::Invalid && e.target() != node)
            .any(|e| analysis::can_end_silently(journey, e.target()));
        if !silent {
            continue;
        }
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                "an unexpected reply here can end the conversation without an answer",
            )
            .with_label("a reply that matches nothing falls off here")
            .with_help(match step.kind {
                StepKind::Template(_) => "after the template, tell the contact what to tap: `text(\"Please tap one of the buttons.\")`",
                _ => "send something on the invalid path, or point `on_invalid:` at a card that does",
            }),
        );
    }
}
