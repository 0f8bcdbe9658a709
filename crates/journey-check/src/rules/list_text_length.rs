use journey_diagnostics::{Diagnostic, Severity};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA406",
    name: "list-text-length",
    summary: "A list row title is over 24 characters, or the list button text over 20 or empty.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Measures the texts of each `list(...)` menu: each row title (its inline label, else the
card's display label, else the card's name) against 24 characters, and the list's button
text (the first argument, `list("Choose a topic", …)`) against 20 characters; neither
may be empty. Only literal text is measured (strings with `@` interpolations are
WA420's), and characters are counted as Unicode scalar values.

## Why is this bad?
WhatsApp rejects the whole list message when one of these texts is too long or empty.

## Example
```journey
card Topics do
  list("Choose a health topic", Nutrition: "Eating well in pregnancy") do
    text("What would you like to learn about?")
  end
end
```

## How to fix
Shorten the texts (`list("Choose a topic", Nutrition: "Eating well")`) and move the
detail into the message body.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    limits::report_lengths(ctx, out, &RULE, &[Place::RowTitle, Place::ListButton]);
}
