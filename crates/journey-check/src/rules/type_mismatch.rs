use journey_diagnostics::{Diagnostic, Severity, Span};
use journey_model::{InputRules, ScheduleTime, StepKind};
use journey_syntax::{BinaryOp, Expr, ExprKind, UnaryOp};

use crate::rule::{Context, Rule};
use crate::visit;

pub(crate) static RULE: Rule = Rule {
    code: "J303",
    name: "type-mismatch",
    summary: "An expression combines values whose types cannot work together.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Infers the type of literals and operators (number, text, true/false, list) and reports
operations that fail whatever the contact does: arithmetic on text or lists, ordering a
number against text, a negated text, a timeout or delay that is not a duration.

## Why is this bad?
The expression fails every time the step runs. Joining text with `+` instead of `&` is
the usual cause.

## Example
```journey
card Greet do
  text("Hello " + contact.name)
  day = ask("Which day?", timeout: "2 hours", on_timeout: Greet)
end
```

## How to fix
Join text with `&` (`"Hello " & contact.name`) or interpolate (`"Hello @contact.name"`);
write durations as `2h`, `30m` or `7d`.
"#,
    check: Some(check),
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Number,
    Text,
    Bool,
    List,
    Unknown,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Number => "a number",
            Ty::Text => "text",
            Ty::Bool => "true/false",
            Ty::List => "a list",
            Ty::Unknown => "a value",
        }
    }
}

fn ty(expr: &Expr) -> Ty {
    match &expr.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Duration(_) => Ty::Number,
        ExprKind::Str(_) => Ty::Text,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::List(_) => Ty::List,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => Ty::Number,
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => Ty::Bool,
        ExprKind::Binary { op, lhs, rhs } => match op {
            op if is_arithmetic(*op) => {
                // A mismatch inside is reported there; its result is unknown, so that
                // `"a" + b + "c"` is reported once.
                let number_like = |t| matches!(t, Ty::Number | Ty::Unknown);
                if number_like(ty(lhs)) && number_like(ty(rhs)) {
                    Ty::Number
                } else {
                    Ty::Unknown
                }
            }
            BinaryOp::Concat => Ty::Text,
            BinaryOp::Range => Ty::List,
            // `a or b` gives whichever value decided.
            BinaryOp::Or => Ty::Unknown,
            _ => Ty::Bool,
        },
        _ => Ty::Unknown,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let step = &graph[node];
        let edges = graph.edges(node).map(|e| e.weight());
        visit::step_exprs(step, edges, &mut |top| {
            visit::walk(top, &mut |expr| check_operator(ctx, expr, out))
        });
        for (what, expected, help, expr) in numeric_arguments(&step.kind) {
            let found = ty(expr);
            if !matches!(found, Ty::Number | Ty::Unknown) {
                out.push(mismatch(
                    ctx,
                    expr.span,
                    format!("{what} must be {expected}, not {}", found.name()),
                    help,
                ));
            }
        }
    }
}

const DURATION: (&str, &str) = ("a duration", "write a duration such as `2h`, `30m` or `7d`");
const COUNT: (&str, &str) = ("a number", "write a whole number, e.g. `retries: 2`");

/// The arguments that must be durations or counts: (what, expected, help, value).
fn numeric_arguments(kind: &StepKind) -> Vec<(&'static str, &'static str, &'static str, &Expr)> {
    let mut found = Vec::new();
    let input: Option<&InputRules> = match kind {
        StepKind::Ask { input, .. } => Some(input),
        StepKind::Menu(menu) => Some(&menu.input),
        StepKind::Schedule { when, .. } => {
            if let ScheduleTime::In { delay, .. } = &**when {
                found.push(("the delay `in:`", DURATION.0, DURATION.1, delay));
            }
            None
        }
        _ => None,
    };
    if let Some(input) = input {
        found.extend(
            input
                .timeout
                .iter()
                .map(|e| ("`timeout:`", DURATION.0, DURATION.1, e)),
        );
        found.extend(
            input
                .retries
                .iter()
                .map(|e| ("`retries:`", COUNT.0, COUNT.1, e)),
        );
    }
    found
}

fn check_operator(ctx: &Context<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
    match &expr.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            let (left, right) = (ty(lhs), ty(rhs));
            let arithmetic = is_arithmetic(*op);
            let ordering = matches!(
                op,
                BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte
            );
            // In `"a" + b + "c"` only the innermost mismatch is reported.
            let inner_reported = has_arithmetic_mismatch(lhs) || has_arithmetic_mismatch(rhs);
            if arithmetic && !inner_reported {
                if let Some(bad) = [left, right]
                    .into_iter()
                    .find(|t| matches!(t, Ty::Text | Ty::Bool | Ty::List))
                {
                    let help = if bad == Ty::Text && *op == BinaryOp::Add {
                        "join text with `&`, or write `\"…@(expr)…\"`"
                    } else {
                        "use numbers on both sides"
                    };
                    out.push(mismatch(
                        ctx,
                        expr.span,
                        format!("`{}` cannot be used with {}", op.symbol(), bad.name()),
                        help,
                    ));
                }
            } else if ordering && left != Ty::Unknown && right != Ty::Unknown && left != right {
                out.push(mismatch(
                    ctx,
                    expr.span,
                    format!("cannot order {} against {}", left.name(), right.name()),
                    "compare values of the same kind, e.g. `parse_float(answer) > 3`",
                ));
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } if matches!(ty(operand), Ty::Text | Ty::Bool | Ty::List) => {
            out.push(mismatch(
                ctx,
                expr.span,
                format!("cannot negate {}", ty(operand).name()),
                "only numbers can be negative",
            ));
        }
        _ => {}
    }
}

fn is_arithmetic(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow
    )
}

/// Arithmetic somewhere in this chain has an operand that is not a number.
fn has_arithmetic_mismatch(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Binary { op, lhs, rhs } if is_arithmetic(*op) => {
            [lhs, rhs]
                .iter()
                .any(|e| matches!(ty(e), Ty::Text | Ty::Bool | Ty::List))
                || has_arithmetic_mismatch(lhs)
                || has_arithmetic_mismatch(rhs)
        }
        _ => false,
    }
}

fn mismatch(ctx: &Context<'_>, span: Span, message: String, help: &str) -> Diagnostic {
    RULE.diagnostic(ctx, span, message)
        .with_label("type mismatch")
        .with_help(help)
}
