use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};
use crate::window::{self, DAY};

pub(crate) static RULE: Rule = Rule {
    code: "WA101",
    name: "freeform-outside-window",
    summary: "A free-form message can be sent 24 hours or more after the contact's last message.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Computes, for every step, the longest time that can have passed since the contact's last
message when a run gets there (replies reset it; timeouts, follow-up timers and journeys
started later add to it; loops are followed to a fixed point), and reports every text,
media, question or menu message where that time can reach 24 hours. The message names
the worst path and its delays. This rule also covers the reference's WA102
(timer-then-freeform) and WA105 (timeout-does-not-reset): they are the paths it names.

## Why is this bad?
WhatsApp refuses free-form messages outside the 24-hour customer-service window (error
131047): the contact never gets it, and the journey stalls.

## Example
```journey
card Ask do
  day = ask("Which day suits you?", timeout: 20h, on_timeout: Nudge)
end

card Nudge do
  schedule(Reminder, in: 6h)
end

card Reminder do
  text("Don't forget to pick a day!")
end
```

## How to fix
Send an approved template there (`send_message_template("visit_reminder", "en", [...],
buttons: [...])`): a tap on its quick reply reopens the window. Or shorten the delays so
the message goes out within 24 hours, e.g. a reminder at 23 hours.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for send in window::free_form_sends(ctx) {
        let late = send.age.is_none_or(|age| age >= DAY);
        if !late || send.business {
            continue;
        }
        let step = &ctx.journey.graph[send.node];
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                format!(
                    "this message can go out {} the contact's last message, outside WhatsApp's 24-hour window",
                    window::after(send.age)
                ),
            )
            .with_label("free-form message")
            .with_note(format!("worst path: {}", window::describe(ctx, send.node, send.age)))
            .with_help("send an approved template here (`send_message_template(...)` with a quick reply), or shorten the delays to stay under 24h"),
        );
    }
}
