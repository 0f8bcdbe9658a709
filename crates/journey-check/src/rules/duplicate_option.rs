use journey_diagnostics::{Diagnostic, Severity};
use journey_model::MenuKind;

use crate::limits;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA404",
    name: "duplicate-option",
    summary: "Two options of one menu have the same title.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Compares the titles of the options of each `buttons`/`list` menu with a fixed set of
options (ignoring case). A title is the inline label (`Visit: "Book a visit"`), else the
card's display label, else the card's name; only literal titles are compared.

Two options that lead to the same card with different titles are fine (two ways of
saying the same thing): each gets its own reply id when sent.

## Why is this bad?
WhatsApp rejects reply buttons with the same title, and a contact who types the title
cannot be matched to one option.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit", Tips: "Tips", Booking: "Book a Visit") do
    text("What would you like?")
  end
end
```

## How to fix
Give every option its own title, or drop the duplicate.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (_, menu) in limits::menus(ctx.journey) {
        let what = match menu.kind {
            MenuKind::Buttons => "button",
            MenuKind::List => "row",
        };
        for titles in limits::option_sets(ctx.journey, menu) {
            for (i, title) in titles.iter().enumerate() {
                let earlier = &titles[..i];
                let key = title.literal.as_deref().map(str::to_lowercase);
                if let Some(key) = key
                    && let Some(first) = earlier.iter().find(|t| {
                        t.literal.as_deref().map(str::to_lowercase).as_ref() == Some(&key)
                    })
                {
                    out.push(
                        RULE.diagnostic(
                            ctx,
                            title.span,
                            format!(
                                "two {what}s of this menu have the title \"{}\"",
                                title.literal.as_deref().unwrap_or_default()
                            ),
                        )
                        .with_label("this title")
                        .with_secondary(ctx.journey.file, first.span, "is the same as this one")
                        .with_help("give each option a title of its own"),
                    );
                }
            }
        }
    }
}
