use std::collections::HashSet;

use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{CompiledJourney, StepKind, Transition};
use journey_project::TemplateCategory;
use journey_syntax::{Expr, ExprKind};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::rule::{Context, Rule};
use crate::visit::walk;
use crate::window::DAY;

pub(crate) static RULE: Rule = Rule {
    code: "WA304",
    name: "template-without-optin-guard",
    summary: "A template that opens a conversation is sent without checking the contact's opt-in.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Finds every template sent where the 24-hour window may be closed (a time-based
trigger, a follow-up timer, a long timeout) and follows every path back to where the
run started, through the journeys that start or schedule this one. It reports the
template when some path has no condition on `opted_in` (a card's `when`, a
`then(X when …)`, an `if`, or the trigger's `when:`). Marketing templates are an error,
others a warning.

## Why is this bad?
WhatsApp requires a contact's opt-in before a business starts a conversation. A
reminder scheduled last week still fires after the contact said STOP if nothing checks
at send time; contacts who did not opt in report the number, and its quality rating and
messaging limit fall.

## Example
```journey
trigger(interval: "+1d", relative_to: "contact.visit_date")

card Remind do
  send_message_template("visit_reminder", "en", [@contact.name])
end
```

## How to fix
Check the opt-in on the way: `card Remind when contact.opted_in do … end` with a
fallback `card Remind do end_journey() end`, or `trigger(…) when contact.opted_in`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let journey = ctx.journey;
    if journey.has_syntax_errors {
        return;
    }
    let windows = ctx.windows();
    let j = ctx.journey_index();
    for node in journey.graph.node_indices() {
        let step = &journey.graph[node];
        let StepKind::Template(template) = &step.kind else {
            continue;
        };
        let Some(&(age, _)) = windows.age(j, node) else {
            continue;
        };
        let opens_conversation =
            age.is_none_or(|age| age >= DAY) || windows.started_by_business(j, node);
        if !opens_conversation || guarded(ctx.project, j, node) {
            continue;
        }
        let marketing = template.name.literal_text().is_some_and(|name| {
            ctx.config
                .templates
                .iter()
                .any(|t| t.name == name && t.category == TemplateCategory::Marketing)
        });
        let mut diagnostic = RULE
            .diagnostic(
                ctx,
                step.span,
                "this template can open a conversation with a contact whose opt-in nothing checked",
            )
            .with_label("no check on `opted_in` before this")
            .with_help("guard the card: `card Remind when contact.opted_in do … end`, or the trigger: `trigger(…) when contact.opted_in`");
        if marketing {
            diagnostic.severity = Severity::Error;
            diagnostic = diagnostic.with_note("a marketing template needs the contact's opt-in");
        }
        out.push(diagnostic);
    }
}

/// Does every path from a start of the run to this template pass a condition on
/// `opted_in`? Walks backwards, into the journeys that start this one.
fn guarded(project: &[CompiledJourney], journey: usize, template: NodeIndex) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![(journey, template)];
    while let Some((j, node)) = stack.pop() {
        if !seen.insert((j, node)) {
            continue;
        }
        if project[j].entry == Some(node) && !start_is_guarded(project, j, &mut stack) {
            return false;
        }
        for edge in project[j].graph.edges_directed(node, Direction::Incoming) {
            if !checks_opt_in(&project[j], edge.source()) {
                stack.push((j, edge.source()));
            }
        }
    }
    true
}

/// At a journey's first step: its triggers must check the opt-in; a journey that
/// others start continues at their start sites (pushed on `stack`).
fn start_is_guarded(
    project: &[CompiledJourney],
    j: usize,
    stack: &mut Vec<(usize, NodeIndex)>,
) -> bool {
    let journey = &project[j];
    let mut started = false;
    for (caller, other) in project.iter().enumerate() {
        for node in other.graph.node_indices() {
            let Some(callee) = other.graph[node].kind.started_journey() else {
                continue;
            };
            if callee.name == journey.name {
                started = true;
                stack.push((caller, node));
            }
        }
    }
    if journey.triggers.is_empty() {
        return started;
    }
    journey
        .triggers
        .iter()
        .all(|t| t.guard.as_ref().is_some_and(mentions_opt_in))
}

/// Does this step branch on the opt-in (any of its guards reads `opted_in`)?
fn checks_opt_in(journey: &CompiledJourney, node: NodeIndex) -> bool {
    journey.graph.edges(node).any(|e| match e.weight() {
        Transition::Guard { expr, .. } => mentions_opt_in(expr),
        _ => false,
    })
}

fn mentions_opt_in(expr: &Expr) -> bool {
    let mut found = false;
    walk(expr, &mut |e| {
        found |= match &e.kind {
            ExprKind::Member { field, .. } => field.name == "opted_in",
            ExprKind::Name(name) => name == "opted_in",
            _ => false,
        };
    });
    found
}
