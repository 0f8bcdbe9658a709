use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{MenuKind, MenuOptions};

use crate::limits::{self, length};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA403",
    name: "button-id-length",
    summary: "A menu option's id (its card's name) is longer than WhatsApp accepts.",
    default_severity: Severity::Error,
    doc: r#"## What it does
A static menu sends each option's card name as its id, so that the contact's tap comes
back to the right card. WhatsApp accepts reply-button ids of up to 256 characters and
list-row ids of up to 200; the rule reports a card name over that.

## Why is this bad?
WhatsApp rejects the whole message (error 131009): the contact gets no menu at all.

## Example
```journey
card Menu do
  list("Topics", ThisCardNameGoesOnAndOn…) do
    text("Pick one")
  end
end
```

## How to fix
Rename the card to something short; keep the long wording as its label
(`card Short, "A longer title" do … end`).
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (_, menu) in limits::menus(ctx.journey) {
        let MenuOptions::Static(options) = &menu.options else {
            continue;
        };
        let (limit, what) = match menu.kind {
            MenuKind::Buttons => (256, "reply-button id"),
            MenuKind::List => (200, "list-row id"),
        };
        for option in options {
            let name = &ctx.journey.card(option.card).name;
            let n = length(name);
            if n <= limit {
                continue;
            }
            out.push(
                RULE.diagnostic(
                    ctx,
                    option.span,
                    format!("this option's id (the card name) has {n} characters; a {what} may have {limit}"),
                )
                .with_label(format!("{} characters too many", n - limit))
                .with_help("give the card a short name, and keep the wording as its label: `card Short, \"Long title\" do`"),
            );
        }
    }
}
