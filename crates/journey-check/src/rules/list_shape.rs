use journey_diagnostics::{Diagnostic, Severity};
use journey_model::MenuKind;

use crate::limits;
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA405",
    name: "list-shape",
    summary: "A list message has more than 10 rows.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Counts the rows of each `list(...)` menu with a fixed set of options and reports one
with more than 10. Lists whose choices are computed at run time are not counted.

## Why is this bad?
WhatsApp allows at most 10 rows in a list message, across all its sections, and rejects
the whole message otherwise.

## Example
```journey
card Topics do
  list("Choose a topic", [Nutrition, Exercise, Sleep, Stress, Vaccines, Visits,
                          Danger, Feeding, Growth, Family, Contact]) do
    text("What would you like to learn about?")
  end
end
```

## How to fix
Keep 10 rows or fewer: group topics under a first list that leads to smaller ones
(e.g. "Pregnancy" and "Baby"), or drop rows.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let lists = limits::menus(ctx.journey).filter(|(_, menu)| menu.kind == MenuKind::List);
    for (_, menu) in lists {
        for options in limits::option_sets(ctx.journey, menu) {
            if options.len() <= 10 {
                continue;
            }
            out.push(
                RULE.diagnostic(
                    ctx,
                    options[10].span,
                    format!("this list has {} rows; WhatsApp allows 10", options.len()),
                )
                .with_label("the eleventh row")
                .with_help(
                    "split the list into a first list that leads to smaller ones, or drop rows",
                ),
            );
        }
    }
}
