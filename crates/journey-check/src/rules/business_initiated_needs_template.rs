use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};
use crate::window;

pub(crate) static RULE: Rule = Rule {
    code: "WA104",
    name: "business-initiated-needs-template",
    summary: "A journey started without a message from the contact sends free-form before a template.",
    default_severity: Severity::Error,
    doc: r#"## What it does
For journeys started by a time-based trigger (`trigger(interval: …, relative_to: …)`),
reports a text, media, question or menu message that some path reaches before the
contact has replied to anything.

## Why is this bad?
A business-initiated conversation must open with an approved template; WhatsApp refuses
anything else (error 131047).

## Example
```journey
trigger(interval: "+7d", relative_to: "contact.last_visit")

card Checkup do
  text("How are you and the baby?")
end
```

## How to fix
Open with a template, and go on free-form once the contact taps a quick reply:
`send_message_template("postnatal_checkup", "en", [contact.name], buttons: [Fine, Nurse])`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for send in window::free_form_sends(ctx) {
        if !(send.business && send.age.is_none()) {
            continue;
        }
        let step = &ctx.journey.graph[send.node];
        out.push(
            RULE.diagnostic(
                ctx,
                step.span,
                "this journey starts without a message from the contact, and this free-form message can come before any reply",
            )
            .with_label("free-form before a template")
            .with_note("a time-based trigger (`trigger(interval: …)`) starts this journey, so WhatsApp's window is closed")
            .with_help("open with `send_message_template(...)` and continue once the contact replies"),
        );
    }
}
