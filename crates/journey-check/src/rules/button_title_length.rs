use journey_diagnostics::{Diagnostic, Severity};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA402",
    name: "button-title-length",
    summary: "A reply-button title is over 20 characters, or empty.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Measures the title of each option of a `buttons(...)` menu: its inline label
(`Visit: "Book a visit"`), else the card's display label (`card Visit, "Book a visit"`),
else the card's name. Reports a title over 20 characters, or an empty one. Only literal
text is measured (strings with `@` interpolations are WA420's), and characters are
counted as Unicode scalar values (an emoji may count as 2 or more).

## Why is this bad?
WhatsApp rejects a reply button whose title is empty or longer than 20 characters: the
whole message fails to send.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit at the clinic", Tips: "Tips") do
    text("What would you like?")
  end
end
```

## How to fix
Shorten the title (`Visit: "Book a visit"`) and move the detail into the message body.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    limits::report_lengths(ctx, out, &RULE, &[Place::ButtonTitle]);
}
