use journey_diagnostics::{Diagnostic, Severity};
use journey_model::MenuKind;

use crate::limits;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA404",
    name: "duplicate-option",
    summary: "Two options of one menu have the same title or lead to the same card.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Compares the options of each `buttons`/`list` menu with a fixed set of options: two with
the same title (ignoring case), or two that lead to the same card. A title is the inline
label (`Visit: "Book a visit"`), else the card's display label, else the card's name;
only literal titles are compared.

## Why is this bad?
WhatsApp rejects reply buttons with the same title, and the option's id is the card, so
two options to one card cannot be told apart. A contact who types the title cannot be
matched to one option either.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit", Tips: "Tips", Booking: "Book a Visit") do
    text("What would you like?")
  end
end
```

## How to fix
Give every option its own title and its own card, or drop the duplicate.
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
                if let Some(card) = title.card
                    && let Some(first) = earlier.iter().find(|t| t.card == Some(card))
                {
                    let name = &ctx.journey.card(card).name;
                    out.push(
                        RULE.diagnostic(
                            ctx,
                            title.span,
                            format!("two {what}s of this menu lead to card `{name}`"),
                        )
                        .with_label("this option")
                        .with_secondary(ctx.journey.file, first.span, "repeats this one")
                        .with_help("give each option its own card, or drop the duplicate"),
                    );
                } else if let Some(key) = key
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
