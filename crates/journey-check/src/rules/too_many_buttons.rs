use journey_diagnostics::{Diagnostic, Severity, Span};
use journey_model::{Issue, MenuKind};

use crate::limits;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA401",
    name: "too-many-buttons",
    summary: "A reply-buttons message has more than 3 options, or none.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Counts the options of each `buttons(...)` menu with a fixed set of options and reports
one with more than 3, or with none. Menus whose choices are computed at run time
(`buttons(Dest, choices)`) are not counted.

## Why is this bad?
WhatsApp sends 1 to 3 reply buttons in a message and rejects the message otherwise: the
contact gets nothing and the run waits for an answer that cannot come.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit", Tips: "Tips", Call: "Call us", Stop: "Stop") do
    text("What would you like?")
  end
end
```

## How to fix
Use a list, which takes up to 10 rows: `list("Choose", Visit: "Book a visit", …)`, or
drop options. A menu needs at least one option.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (span, menu) in limits::menus(ctx.journey) {
        if menu.kind != MenuKind::Buttons {
            continue;
        }
        for options in limits::option_sets(ctx.journey, menu) {
            // Options naming unknown cards were dropped by lowering and are reported
            // as J101: the menu is not empty as written.
            if options.is_empty() && !names_unknown_cards(ctx, span) {
                out.push(
                    RULE.diagnostic(ctx, span, "these buttons have no options")
                        .with_label("WhatsApp needs 1 to 3 reply buttons")
                        .with_help("add options: `buttons(Visit: \"Book a visit\") do … end`"),
                );
            } else if options.len() > 3 {
                out.push(
                    RULE.diagnostic(
                        ctx,
                        options[3].span,
                        format!(
                            "these buttons have {} options; WhatsApp allows 3",
                            options.len()
                        ),
                    )
                    .with_label("the fourth button")
                    .with_help(
                        "use `list(\"Choose\", …)` instead (up to 10 rows), or drop options",
                    ),
                );
            }
        }
    }
}

fn names_unknown_cards(ctx: &Context<'_>, menu: Span) -> bool {
    ctx.journey.issues.iter().any(|issue| {
        matches!(issue, Issue::UnknownCard { span, .. }
            if span.start >= menu.start && span.end <= menu.end)
    })
}
