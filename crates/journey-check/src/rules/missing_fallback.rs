use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J203",
    name: "missing-fallback-card",
    summary: "Every definition of a card has a guard, so the run can stop silently.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports a card name whose definitions all carry a `when` guard. When none of the
guards holds, no definition runs and the journey ends without a word to the contact:
a dead end.

## Why is this bad?
The contact is left waiting for a message that never comes.

## Example
```journey
card Menu when contact.language == "en" do
  text("Menu")
end

card Menu when contact.language == "pt" do
  text("Menu (pt)")
end
```

## How to fix
Add an unguarded definition after the guarded ones; it runs when no guard holds:
`card Menu do … end`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for card in &ctx.journey.cards {
        let all_guarded = card
            .definitions
            .iter()
            .all(|d| d.guard.is_some() && !d.recovered);
        if !all_guarded {
            continue;
        }
        let last = card.definitions.last().expect("a card has a definition");
        out.push(
            RULE.diagnostic(
                ctx,
                last.header_span,
                format!(
                    "when no guard of `{}` holds, the journey ends silently",
                    card.name
                ),
            )
            .with_label("every definition of this card has a `when` guard")
            .with_help(format!(
                "add a last definition without a guard: `card {} do … end`",
                card.name
            )),
        );
    }
}
