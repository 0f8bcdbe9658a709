use journey_diagnostics::{Diagnostic, Severity};

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J301",
    name: "possibly-unassigned-variable",
    summary: "A variable is read where some path has not assigned it yet.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Follows every path from the first card and reports a variable read at a step that some
path reaches without assigning the variable first (once per variable and card): a question that timed out, a branch
that skipped the assignment, a menu answer that was invalid.

## Why is this bad?
The variable is empty there. In a message the contact sees the fallback text (or, in
Turn, the raw `@name`); in a condition the wrong branch is taken.

## Example
```journey
card Start do
  day = ask("Which day?", timeout: 2h, on_timeout: Confirm)
  then(Confirm)
end

card Confirm do
  text("See you on @day")
end
```

## How to fix
Assign the variable on every path (e.g. `day = "soon"` in the timeout card), or guard the
read: `card Confirm when day != nil do`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.journey.has_syntax_errors {
        return;
    }
    let facts = ctx.variables();
    // One finding per variable and card: the first read says it all.
    let mut reported = std::collections::HashSet::new();
    for read in &facts.reads {
        if read.maybe_unassigned
            && facts.assigned.contains(&read.name)
            && reported.insert((read.name.as_str(), read.card))
        {
            out.push(
                RULE.diagnostic(ctx, read.span, format!("`{}` may not be assigned here", read.name))
                    .with_label("some path reaches this without assigning it")
                    .with_help(format!(
                        "assign `{}` on every path that leads here, or check it first: `when {} != nil`",
                        read.name, read.name
                    )),
            );
        }
    }
}
