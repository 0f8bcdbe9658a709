use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: "J003",
    name: "unknown-config-key",
    summary: "`journey.toml` has a key that means nothing to `journey`.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports keys in `journey.toml` that no section defines, with the closest known key.

## Why is this bad?
A misspelt key is silently ignored: `[keywords] opt_uot = [...]` leaves the default
opt-out keywords in force.

## Example
```toml
[project]
default_langauge = "pt"
```

## How to fix
Use the suggested key: `default_language = "pt"`.
"#,
    check: None,
};
