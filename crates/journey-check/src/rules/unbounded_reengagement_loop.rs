use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA701",
    name: "unbounded-reengagement-loop",
    summary: "A timer or timeout drives a loop of messages that never needs a reply and never stops.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Finds cycles, within a journey or across the journeys that schedule each other, that
a follow-up timer or a question's timeout drives round and that send messages, where
no reply from the contact is needed to go round and no condition (a card's `when`, a
`then(X when …)`, an `if`) can leave the cycle. It reports the timer.

## Why is this bad?
A reminder that re-schedules itself, or a question that re-asks itself on every
timeout, writes to a contact who stopped answering for ever. Contacts block the number,
and WhatsApp lowers its quality rating and its messaging limit.

## Example
```journey
card Ask do
  answer = ask("How are you feeling today?", timeout: 1d, on_timeout: Ask)
end
```

## How to fix
Count the reminders and stop after a few:
`card Nudge when reminders < 3 do reminders = reminders + 1 … end` with a
`card Nudge do end_journey() end` for the rest. Or end the run on the timeout.
"#,
    check: Some(check),
};

/// Cards named in a message, at most.
const SHOWN: usize = 4;

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.project.iter().any(|j| j.has_syntax_errors) {
        return;
    }
    let here = ctx.journey_index();
    for found in ctx.reengagement().iter().filter(|r| r.journey == here) {
        let cards: Vec<String> = found
            .cards
            .iter()
            .take(SHOWN)
            .map(|&(j, card)| {
                let journey = &ctx.project[j];
                match j == here {
                    true => format!("`{}`", journey.card(card).name),
                    false => format!("`{}.{}`", journey.name, journey.card(card).name),
                }
            })
            .collect();
        let more = found.cards.len().saturating_sub(SHOWN);
        let step = &ctx.journey.graph[found.node];
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                "this timer drives a loop of messages that needs no reply and has no condition to stop",
            )
            .with_label("goes round for ever")
            .with_note(format!(
                "the loop passes {}{}",
                cards.join(", "),
                if more > 0 { format!(" and {more} more cards") } else { String::new() }
            ))
            .with_help("count the reminders and stop after a few (`card Nudge when reminders < 3 do …`), or end the run on the timeout"),
        );
    }
}
