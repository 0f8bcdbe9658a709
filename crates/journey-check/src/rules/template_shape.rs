use journey_diagnostics::Severity;

use crate::rule::Rule;

pub(crate) static RULE: Rule = Rule {
    code: journey_project::TEMPLATE_SHAPE,
    name: "template-shape",
    summary: "A template in journey.toml breaks WhatsApp's limits on its body, header, footer or buttons.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Checks each `[[templates]]` entry of `journey.toml` against WhatsApp's template limits:
a body of at most 1024 characters; a text header of at most 60 with at most one
parameter; a footer of at most 60; at most 10 buttons, each text at most 25
characters, at most 2 URL buttons and 1 phone button; quick replies grouped together
rather than mixed in among the link and phone buttons.

## Why is this bad?
Meta rejects such a template when it is submitted (or the registry copy is wrong, and
the journey is checked against a template that does not exist in that shape).

## Example
```toml
[[templates]]
name = "visit_reminder"
language = "en"
category = "utility"
status = "approved"
body = "Your visit is tomorrow."
footer = "Reply STOP at any time to stop all reminders from the clinic and its partners"
```

## How to fix
Shorten the part the message names; move detail into the body, or into a free-form
message sent once the contact replies.
"#,
    check: None,
};
