use journey_diagnostics::{Diagnostic, Severity};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA408",
    name: "header-footer-length",
    summary: "The footer of an interactive message is over 60 characters.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Measures the `footer(...)` inside a `buttons`/`list` block against 60 characters. Only
literal text is measured (strings with `@` interpolations are WA420's), and characters
are counted as Unicode scalar values. The `header:` and `footer:` arguments of a menu
call are not measured yet: the compiled journey does not keep them.

## Why is this bad?
WhatsApp rejects an interactive message whose header or footer text is over 60
characters.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit") do
    text("What would you like?")
    footer("Sunrise Clinic, 12 Main Road. Open Monday to Friday, 8am to 5pm.")
  end
end
```

## How to fix
Shorten the header or footer, and move the rest into the message body.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    limits::report_lengths(ctx, out, &RULE, &[Place::Footer]);
}
