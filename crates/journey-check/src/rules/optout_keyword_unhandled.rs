use crate::optout::missing_opt_out;
use journey_diagnostics::{Diagnostic, Severity};
use journey_model::CompiledJourney;

use crate::rule::{Context, Rule, others_text};

pub(crate) static RULE: Rule = Rule {
    code: "WA301",
    name: "optout-keyword-unhandled",
    summary: "A journey that asks questions has no interrupt for the opt-out keywords.",
    default_severity: Severity::Error,
    doc: r#"## What it does
For every journey with a question, menu or template with quick replies, checks that its
interrupts catch every opt-out keyword of `[keywords] opt_out` in journey.toml (default
`stop`, `unsubscribe`). An interrupt works at every question of its journey. The finding
is made once per project, on the first journey that misses a keyword, naming the others.

## Why is this bad?
WhatsApp requires that people can opt out by saying so. A contact who types STOP at a
question and gets "Sorry, I didn't understand" instead is one report away from a block.

## Example
```journey
card Menu do
  buttons(Tips: "Tips", Visit: "Book a visit") do
    text("How can we help?")
  end
end
```

## How to fix
Add a journey-level interrupt and an opt-out card:
`interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    if journey.has_syntax_errors || !journey.graph.node_weights().any(|s| s.kind.waits()) {
        return;
    }
    let missing = missing_opt_out(journey, &ctx.config.keywords.opt_out);
    if missing.is_empty() {
        return;
    }
    let has = |j: &CompiledJourney| {
        !j.has_syntax_errors
            && j.graph.node_weights().any(|s| s.kind.waits())
            && !missing_opt_out(j, &ctx.config.keywords.opt_out).is_empty()
    };
    let Some(others) = ctx.once_per_project(has) else {
        return;
    };
    let Some(first) = journey.cards.first() else {
        return;
    };
    let list = missing
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ");
    out.push(
        RULE.diagnostic(
            ctx,
            first.definitions[0].name_span,
            match others_text(&others) {
                None => format!(
                    "journey `{}` asks questions but no interrupt catches {list}",
                    journey.name
                ),
                Some(others) => format!(
                    "journey `{}` and {others} ask questions but no interrupt catches {list}",
                    journey.name
                ),
            },
        )
        .with_label("the journey starts here")
        .with_help(format!(
            "add `interrupt(keywords: [{list}], then: OptOut)` and an `OptOut` card"
        )),
    );
}
