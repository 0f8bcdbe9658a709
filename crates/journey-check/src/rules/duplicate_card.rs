use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J105",
    name: "duplicate-card",
    summary: "Two cards without a `when` guard share a name.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a second unguarded definition of a card name. Several definitions of one name
are how skip logic works, but only when all but one have a `when` guard: the unguarded
one is the "else". A second definition that is the first one's text byte for byte (a
copy left behind, common in exported notebooks) is only a warning: nothing is lost.

## Why is this bad?
The second definition can never run, so whatever it says is silently lost.

## Example
```journey
card Menu do
  text("Main menu")
end

card Menu do
  text("Other menu")
end
```

## How to fix
Rename one of the cards, or add a `when` guard to the first so that it runs only in
some cases: `card Menu when contact.language == "pt" do`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::DuplicateCard {
            name,
            span,
            first,
            identical,
        } = issue
        {
            if *identical {
                // A copy left behind: the run is the same whichever one is used.
                let mut diagnostic = RULE
                    .diagnostic(
                        ctx,
                        *span,
                        format!("card `{name}` is defined twice, identically"),
                    )
                    .with_label("the same text as the first definition")
                    .with_secondary(ctx.journey.file, *first, "first defined here")
                    .with_help("delete this copy: only the first definition is used");
                diagnostic.severity = Severity::Warning;
                out.push(diagnostic);
                continue;
            }
            out.push(
                RULE.diagnostic(
                    ctx,
                    *span,
                    format!("card `{name}` is defined twice without a guard"),
                )
                .with_label("never runs: every `then`, button and list option goes to the first, as in Turn")
                .with_secondary(ctx.journey.file, *first, "first defined here")
                .with_help("rename one of them, or add `when <condition>` to all but one"),
            );
        }
    }
}
