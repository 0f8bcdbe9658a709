use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: crate::suppression::UNUSED_SUPPRESSION,
    name: "unused-suppression",
    summary: "An `# allow(...)` comment allows a code that has no finding on its line, or is not a rule.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports each code of an `# allow(...)` comment that allowed no finding: the journey was
fixed since, the comment is on the wrong line, or the code is misspelt. Codes of rules
turned off in `[check]` are not reported.

## Why is this bad?
A stale suppression will silently hide the next, real finding on that line.

## Example
```journey
card Welcome do
  text("Hi!") # allow(WA430): a long welcome
end
```

## How to fix
Delete the suppression, move it to the line of the finding, or correct the code.
"#,
    check: None,
};
