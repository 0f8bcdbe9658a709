use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: "J004",
    name: "invalid-functions",
    summary: "A `functions/*.rhai` helper file does not compile.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a syntax error in the project's helper functions (`functions/*.rhai` beside
`journey.toml`), at the line rhai names.

## Why is this bad?
None of the project's helpers can be called until every file compiles: each call to
one is reported as an unknown function, and runs that reach one fail.

## Example
```rhai
fn initials(name) {
  name.split(" ").map(|w| w.sub_string(0, 1)
}
```

## How to fix
Close the brackets rhai points at. Helpers are plain rhai functions, `fn name(a, b) { … }`,
with no I/O (see docs/expressions.md).
"#,
    check: None,
};
