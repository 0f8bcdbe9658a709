use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{MessageKind, StepKind};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA407",
    name: "body-length",
    summary: "A message body or caption is over WhatsApp's limit, or a menu has no body text.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Measures message texts against WhatsApp's limits: a `text(...)` or question over 4096
characters; the `text(...)` inside a `buttons`/`list` block (the interactive body) or a
media `caption:` over 1024. Each language variant is measured too. It also reports a
`buttons`/`list` menu with no `text(...)` in its block: WhatsApp requires a body on
interactive messages. Only literal text is measured (strings with `@` interpolations
are WA420's), and characters are counted as Unicode scalar values.

## Why is this bad?
WhatsApp rejects the message: the contact gets nothing.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit", Tips: "Tips") do
    footer("Sunrise Clinic")
  end
end
```

## How to fix
Give every menu a `text(...)` body. Shorten a long text, split it into several
`text(...)` messages, or send the long part as a `text(...)` before the menu.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    limits::report_lengths(
        ctx,
        out,
        &RULE,
        &[Place::TextBody, Place::InteractiveBody, Place::Caption],
    );
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let StepKind::Menu(menu) = &graph[node].kind else {
            continue;
        };
        if menu.body.iter().any(|m| m.kind == MessageKind::Text) {
            continue;
        }
        out.push(
            RULE.diagnostic(ctx, graph[node].span, "this menu has no body text")
                .with_label("WhatsApp requires a body on interactive messages")
                .with_help("add a `text(\"…\")` inside the menu's `do … end` block"),
        );
    }
}
