use journey_diagnostics::{Diagnostic, Severity};
use journey_model::Issue;

use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "J102",
    name: "unknown-journey",
    summary: "`run_stack`, `schedule_stack` or `schedule` names a journey the project does not have.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Reports a journey reference that matches no journey in the checked files. Journeys are
named by `stack Name do … end` or, for a file without a wrapper, by the file name
(`onboarding.journey` is `onboarding`). A Turn UUID that no checked journey has is a
warning, not an error: it names a journey outside the checked folder, which Turn
resolves; `journey import turn --map` rewrites UUIDs to names.

## Why is this bad?
The contact would reach a step that starts nothing.

## Example
```journey
card Done do
  run_stack(Onbaording)
end
```

## How to fix
Use the journey's name (`run_stack(Onboarding)`), check the file is part of the checked
paths, or map the UUID to a name.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.journey.issues {
        if let Issue::UnknownJourney {
            name,
            span,
            suggestion,
            is_uuid,
        } = issue
        {
            let diagnostic = if *is_uuid {
                // A journey outside the checked folder, which Turn resolves by UUID:
                // nothing is wrong with the notebook, it only needs the map.
                let mut diagnostic = RULE
                    .diagnostic(
                        ctx,
                        *span,
                        format!("journey `{name}` is referenced by a Turn UUID that no checked journey has"),
                    )
                    .with_label("a journey outside the checked files")
                    .with_help("map the UUID to a journey name: `journey import turn --map uuids.toml` (a `UUID = \"Name\"` line per journey), or check its notebook with this one");
                diagnostic.severity = Severity::Warning;
                diagnostic
            } else {
                let diagnostic = RULE
                    .diagnostic(ctx, *span, format!("unknown journey `{name}`"))
                    .with_label("no journey has this name");
                match suggestion {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic
                        .with_help("check the name, and that its file is among the checked paths"),
                }
            };
            out.push(diagnostic);
        }
    }
}
