use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: "J001",
    name: "syntax-error",
    summary: "The file is not valid journey syntax.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports text the parser cannot read: a card without its `end`, a string without its
closing quote, a missing comma between arguments, a word where a card should start.

## Why is this bad?
Nothing after the mistake in that card can run. The parser skips to the next card and
goes on, so you see every broken card at once.

## Example
```journey
card Welcome do
  text("Hi there)
end
```

## How to fix
Follow the message and the help line: they say what was expected and where. Close the
string: `text("Hi there")`.
"#,
    check: None,
};
