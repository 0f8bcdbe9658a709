use journey_diagnostics::{Diagnostic, Severity};
use journey_model::suggest;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J302",
    name: "unknown-variable",
    summary: "A name is read that nothing in the journey assigns.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports a bare name that is neither a variable assigned somewhere in the journey nor a
context root (`contact`, `event`, `global`, `config`, `chat`, `block`, `results`,
`journey`), with the closest variable name.

## Why is this bad?
It is usually a typo: the value is always empty.

## Example
```journey
card Start do
  name = ask("What is your name?")
  text("Thanks, @nmae!")
end
```

## How to fix
Use the suggested name (`@name`), or assign the variable before it is read.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.journey.has_syntax_errors {
        return;
    }
    let facts = ctx.variables();
    for read in &facts.reads {
        if facts.assigned.contains(&read.name) {
            continue;
        }
        let diagnostic = RULE
            .diagnostic(
                ctx,
                read.span,
                format!("`{}` is never assigned in this journey", read.name),
            )
            .with_label("unknown name");
        out.push(
            match suggest(&read.name, facts.assigned.iter().map(String::as_str)) {
                Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                None => diagnostic.with_help(format!(
                    "assign it first (`{} = ...`), or read a contact field: `contact.{}`",
                    read.name, read.name
                )),
            },
        );
    }
}
