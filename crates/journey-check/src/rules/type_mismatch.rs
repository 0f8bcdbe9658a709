use foldhash::HashMap;
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

/// What inference knows of one expression.
#[derive(Clone, Copy)]
struct Info {
    ty: Ty,
    /// Arithmetic somewhere in this chain has an operand that is not a number.
    mismatch: bool,
}

/// The types of the expressions of a step, each inferred once (keyed by address): asking
/// every node of a chain of n operators for its type would otherwise cost n² (and n³
/// with the mismatch search).
#[derive(Default)]
struct Types(HashMap<*const Expr, Info>);

impl Types {
    fn ty(&mut self, expr: &Expr) -> Ty {
        self.info(expr).ty
    }

    fn info(&mut self, expr: &Expr) -> Info {
        if let Some(known) = self.0.get(&(expr as *const Expr)) {
            return *known;
        }
        let plain = |ty| Info {
            ty,
            mismatch: false,
        };
        let info = match &expr.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Duration(_) => plain(Ty::Number),
            ExprKind::Str(_) => plain(Ty::Text),
            ExprKind::Bool(_) => plain(Ty::Bool),
            ExprKind::List(_) => plain(Ty::List),
            ExprKind::Unary {
                op: UnaryOp::Neg, ..
            } => plain(Ty::Number),
            ExprKind::Unary {
                op: UnaryOp::Not, ..
            } => plain(Ty::Bool),
            ExprKind::Binary { op, lhs, rhs } if is_arithmetic(*op) => {
                let (left, right) = (self.info(lhs), self.info(rhs));
                // A mismatch inside is reported there; its result is unknown, so that
                // `"a" + b + "c"` is reported once.
                let number_like = |t| matches!(t, Ty::Number | Ty::Unknown);
                Info {
                    ty: if number_like(left.ty) && number_like(right.ty) {
                        Ty::Number
                    } else {
                        Ty::Unknown
                    },
                    mismatch: not_a_number(left.ty)
                        || not_a_number(right.ty)
                        || left.mismatch
                        || right.mismatch,
                }
            }
            ExprKind::Binary { op, .. } => plain(match op {
                BinaryOp::Concat => Ty::Text,
                BinaryOp::Range => Ty::List,
                // `a or b` gives whichever value decided.
                BinaryOp::Or => Ty::Unknown,
                _ => Ty::Bool,
            }),
            _ => plain(Ty::Unknown),
        };
        self.0.insert(expr as *const Expr, info);
        info
    }
}

fn not_a_number(ty: Ty) -> bool {
    matches!(ty, Ty::Text | Ty::Bool | Ty::List)
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let step = &graph[node];
        let edges = graph.edges(node).map(|e| e.weight());
        let mut types = Types::default();
        visit::step_exprs(step, edges, &mut |top| {
            visit::walk(top, &mut |expr| check_operator(ctx, &mut types, expr, out))
        });
        for (what, expected, help, expr) in numeric_arguments(&step.kind) {
            let found = types.ty(expr);
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

fn check_operator(ctx: &Context<'_>, types: &mut Types, expr: &Expr, out: &mut Vec<Diagnostic>) {
    match &expr.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            let (left, right) = (types.info(lhs), types.info(rhs));
            let inner_reported = left.mismatch || right.mismatch;
            let (left, right) = (left.ty, right.ty);
            let arithmetic = is_arithmetic(*op);
            let ordering = matches!(
                op,
                BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte
            );
            // In `"a" + b + "c"` only the innermost mismatch is reported.
            if arithmetic && !inner_reported {
                if let Some(bad) = [left, right].into_iter().find(|t| not_a_number(*t)) {
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
        } if not_a_number(types.ty(operand)) => {
            out.push(mismatch(
                ctx,
                expr.span,
                format!("cannot negate {}", types.ty(operand).name()),
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

fn mismatch(ctx: &Context<'_>, span: Span, message: String, help: &str) -> Diagnostic {
    RULE.diagnostic(ctx, span, message)
        .with_label("type mismatch")
        .with_help(help)
}
