use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: "J002",
    name: "invalid-config",
    summary: "`journey.toml` cannot be read, or a value has the wrong type.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a `journey.toml` that is not valid TOML, or a setting whose value has the wrong
type (a number where a list of keywords is expected).

## Why is this bad?
The project's templates, contact fields and check settings come from this file; when it
cannot be read, every other check works from defaults and may miss real problems.

## Example
```toml
[keywords]
opt_out = "stop"
```

## How to fix
Give the value the documented type (see `docs/project.md`): `opt_out = ["stop"]`.
"#,
    check: None,
};
