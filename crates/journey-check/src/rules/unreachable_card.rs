use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::analysis;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J201",
    name: "unreachable-card",
    summary: "No path from the journey's first card leads to this card.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Follows every transition from the first card (options, guards, `then:`, timeouts,
errors, interrupts, timers) and reports the cards it never reaches. It stays quiet while
the journey names an unknown card (J101): fix that first.

## Why is this bad?
Nobody will ever see the card. Usually a `then:` or a button meant to lead there points
somewhere else.

## Example
```journey
card Welcome do
  text("Hi!")
end

card Tips do
  text("Drink water.")
end
```

## How to fix
Link the card from where it belongs (`card Welcome, then: Tips do`), or delete it.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // A misspelt card name cuts off everything behind it; report the misspelling
    // (J101) alone rather than a cascade of unreachable cards.
    let has_unknown_cards = ctx
        .journey
        .issues
        .iter()
        .any(|i| matches!(i, Issue::UnknownCard { .. }));
    if ctx.journey.has_syntax_errors || has_unknown_cards {
        return;
    }
    let reachable = analysis::reachable(ctx.journey);
    for card in &ctx.journey.cards {
        if reachable.contains(card.entry.index()) || card.definitions.iter().any(|d| d.recovered) {
            continue;
        }
        let definition = &card.definitions[0];
        out.push(
            RULE.diagnostic(
                ctx,
                definition.name_span,
                format!("card `{}` is never reached", card.name),
            )
            .with_label("no transition leads here")
            .with_help(format!(
                "lead to it with `then: {0}`, a button option or `then({0})`, or delete it",
                card.name
            )),
        );
    }
}
