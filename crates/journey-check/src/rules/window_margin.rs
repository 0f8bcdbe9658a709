use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};
use crate::window::{self, DAY};

pub(crate) static RULE: Rule = Rule {
    code: "WA103",
    name: "window-margin",
    summary: "A free-form message can be sent less than the safety margin before the window closes.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports free-form messages whose worst time since the contact's last message is under 24
hours but within `[channel] window_margin` of it (default 1 hour; a send at exactly
23 hours is fine with the default).

## Why is this bad?
Delivery takes time: webhooks arrive late, queues fill up. A message scheduled at 23h50m
can reach WhatsApp after the window closed and be refused.

## Example
```journey
card Ask do
  day = ask("Which day suits you?", timeout: 23h30m, on_timeout: Nudge)
end

card Nudge do
  text("Still there?")
end
```

## How to fix
Leave the margin: `timeout: 23h`. Or send a template, which needs no window.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let margin = ctx.config.channel.window_margin.as_secs();
    for send in window::free_form_sends(ctx) {
        let Some(age) = send.age else { continue };
        if age >= DAY || age <= DAY.saturating_sub(margin) {
            continue;
        }
        let step = &ctx.journey.graph[send.node];
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                format!(
                    "this message can go out {} after the contact's last message, within {} of the window closing",
                    window::show(send.age),
                    window::show(Some(margin))
                ),
            )
            .with_label("close to the 24-hour limit")
            .with_note(format!("worst path: {}", window::describe(ctx, send.node, send.age)))
            .with_help("schedule it earlier (23h leaves an hour), or send a template"),
        );
    }
}
