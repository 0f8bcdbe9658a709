//! Walking the expressions of compiled steps.

use journey_model::builtins::is_card_argument;
use journey_model::{Step, Transition};
use journey_syntax::{Expr, ExprKind};

/// Calls `f` on each top-level expression a step evaluates (the typed step knows its
/// own: `StepKind::exprs`), and on the guards of its outgoing edges.
pub(crate) fn step_exprs<'a>(
    step: &'a Step,
    out_edges: impl Iterator<Item = &'a Transition>,
    f: &mut impl FnMut(&'a Expr),
) {
    step.kind.exprs(f);
    for transition in out_edges {
        if let Transition::Guard { expr, .. } = transition {
            f(expr);
        }
    }
}

/// Calls `f` on `expr` and every expression inside it, parents first. Arguments that
/// name cards (a step misplaced in an expression: `upper(ask("?", on_timeout: X))`)
/// are not expressions.
pub(crate) fn walk<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Call(call) => {
            for arg in &call.args {
                if !arg.name.as_ref().is_some_and(|n| is_card_argument(&n.name)) {
                    walk(&arg.value, f);
                }
            }
        }
        _ => expr.for_each_child(|child| walk(child, f)),
    }
}
