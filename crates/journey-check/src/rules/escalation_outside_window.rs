use journey_diagnostics::{Diagnostic, Severity};
use journey_model::StepKind;

use crate::rule::{Context, Rule};
use crate::window::{self, DAY};

pub(crate) static RULE: Rule = Rule {
    code: "WA203",
    name: "escalation-outside-window",
    summary: "A handoff can happen 24 hours or more after the contact's last message, with no template for the agent.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports every `handoff(...)` that a run can reach 24 hours or more after the contact's
last message (the window dataflow of WA101: timeouts, timers and business-initiated
starts count) when it names no `template:` for the agent's first message.

## Why is this bad?
Outside the 24-hour window an agent cannot write free-form either: the contact waits
for a person who cannot answer them.

## Example
```journey
card Check do
  reply = ask("Did the medicine help?", timeout: 2d, on_timeout: Nurse)
end

card Nurse do
  handoff(queue: "nurses")
end
```

## How to fix
Name an approved template the agent's first message is sent as
(`handoff(queue: "nurses", template: "nurse_follow_up")`): `journey serve` sends it
when the window has closed. Or hand over sooner, while the contact is still there.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.journey.has_syntax_errors {
        return;
    }
    let windows = ctx.windows();
    let j = ctx.journey_index();
    for node in ctx.journey.graph.node_indices() {
        let step = &ctx.journey.graph[node];
        let StepKind::Handoff(handoff) = &step.kind else {
            continue;
        };
        let Some(&(age, _)) = windows.age(j, node) else {
            continue;
        };
        if handoff.template.is_some() || age.is_some_and(|age| age < DAY) {
            continue;
        }
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                format!(
                    "this handoff can happen {} the contact's last message, when the agent could not answer",
                    window::after(age)
                ),
            )
            .with_label("handoff outside the 24-hour window")
            .with_note(format!("worst path: {}", window::describe(ctx, node, age)))
            .with_help("name an approved template for the agent's first message: `handoff(queue: \"…\", template: \"…\")`"),
        );
    }
}
