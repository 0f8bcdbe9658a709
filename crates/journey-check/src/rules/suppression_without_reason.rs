use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: crate::suppression::SUPPRESSION_WITHOUT_REASON,
    name: "suppression-without-reason",
    summary: "An `# allow(...)` comment does not say why the finding is acceptable.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Findings can be allowed where they are made, with a comment on the line of the finding
or alone on the line above it: `# allow(WA430): the tips are read as one message`. The
reason after the colon is required; a suppression without one suppresses nothing and
is reported.

## Why is this bad?
A suppression hides a policy finding from everyone who reads the check's output later,
including reviewers in CI. Without the reason, nobody can tell a considered exception
from a silenced warning.

## Example
```journey
card Tips do
  # allow(WA430)
  text("1. Drink water.")
end
```

## How to fix
Say why after a colon: `# allow(WA430): the six tips are one numbered list`. Or fix the
finding and delete the comment.
"#,
    check: None,
};
