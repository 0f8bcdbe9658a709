//! Turn's operator precedence, kept. Turn's expression language has three tiers, all
//! grouping to the left: `^`, then `*` `/`, then one shared tier for `+ - &` and the
//! comparisons (`turnhub/expression`; see the reference `turn-journeys.md` §1.9). Our
//! grammar puts comparisons below `&`, and `&` below `+ -`, and groups `^` to the right
//! (`grammar/expr.pest`). The notebook was parsed with our precedence, so each chain of
//! these operators is flattened back into its source order and regrouped with Turn's
//! tiers; the printer then writes the parentheses our precedence needs.

use journey_diagnostics::Span;
use journey_syntax::{BinaryOp, Expr, ExprKind};

use journey_syntax::comments::parens_balance;

/// Turn's tier of an operator, or `None` when Turn's grouping of it agrees with ours
/// (`and`, `or`, `..`), so it is left as parsed.
fn turn_tier(op: BinaryOp) -> Option<u8> {
    match op {
        BinaryOp::Pow => Some(3),
        BinaryOp::Mul | BinaryOp::Div => Some(2),
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Concat
        | BinaryOp::Eq
        | BinaryOp::Neq
        | BinaryOp::Lt
        | BinaryOp::Lte
        | BinaryOp::Gt
        | BinaryOp::Gte => Some(1),
        BinaryOp::Or | BinaryOp::And | BinaryOp::Range => None,
    }
}

/// Regroups `e` (when it heads a chain of Turn-tier operators) as Turn would have read
/// its source. Returns whether the grouping changed (spans aside: an interpolation's
/// `@(…)` span includes its parentheses, a regrouped chain's does not).
pub(crate) fn regroup(e: &mut Expr, source: &str) -> bool {
    if !heads_chain(e) {
        return false;
    }
    let original = e.clone();
    let mut operands = Vec::new();
    let mut ops = Vec::new();
    flatten(original.clone(), source, &mut operands, &mut ops);
    let mut operands = operands.into_iter();
    let mut ops = ops.into_iter().peekable();
    let first = operands.next().expect("a chain has a first operand");
    *e = climb(first, &mut operands, &mut ops, 0);
    journey_syntax::print::expr(e) != journey_syntax::print::expr(&original)
}

fn heads_chain(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Binary { op, .. } if turn_tier(*op).is_some())
}

/// The operands and operators of a chain, in source order. An operand the author
/// wrapped in parentheses stays whole.
fn flatten(e: Expr, source: &str, operands: &mut Vec<Expr>, ops: &mut Vec<BinaryOp>) {
    match e.kind {
        ExprKind::Binary { op, lhs, rhs } if turn_tier(op).is_some() => {
            for (i, side) in [*lhs, *rhs].into_iter().enumerate() {
                if i == 1 {
                    ops.push(op);
                }
                if heads_chain(&side) && !parenthesised(side.span, source) {
                    flatten(side, source, operands, ops);
                } else {
                    operands.push(side);
                }
            }
        }
        kind => operands.push(Expr { kind, span: e.span }),
    }
}

/// Whether the source wraps this span in a pair of parentheses: `(` right before it,
/// `)` right after it, and the parentheses inside it balanced (so the two are a pair).
fn parenthesised(span: Span, source: &str) -> bool {
    let (start, end) = (span.start as usize, span.end as usize);
    let (Some(before), Some(inside), Some(after)) = (
        source.get(..start),
        source.get(start..end),
        source.get(end..),
    ) else {
        return false;
    };
    before.trim_end().ends_with('(')
        && after.trim_start().starts_with(')')
        && parens_balance(inside)
}

/// Precedence climbing with Turn's tiers, every operator grouping to the left.
fn climb(
    mut lhs: Expr,
    operands: &mut impl Iterator<Item = Expr>,
    ops: &mut std::iter::Peekable<impl Iterator<Item = BinaryOp>>,
    min: u8,
) -> Expr {
    while let Some(&op) = ops.peek() {
        let tier = turn_tier(op).unwrap_or(0);
        if tier < min {
            break;
        }
        ops.next();
        let first = operands.next().expect("an operator has a right operand");
        let rhs = climb(first, operands, ops, tier + 1);
        let span = lhs.span.to(rhs.span);
        lhs = Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        };
    }
    lhs
}

#[cfg(test)]
mod tests {
    use journey_diagnostics::FileId;

    use super::*;

    /// Turn's reading of `text`, printed in our precedence.
    fn as_turn_reads(text: &str) -> (String, bool) {
        let mut e = journey_syntax::parse_expr(FileId(0), text).expect("parses");
        let changed = regroup(&mut e, text);
        (journey_syntax::print::expr(&e), changed)
    }

    #[test]
    fn keeps_turns_grouping() {
        let cases = [
            ("a < b + c", "(a < b) + c", true),
            ("a + b < c", "a + b < c", false),
            ("a & b + c", "(a & b) + c", true),
            ("x = y & \"z\"", "(x == y) & \"z\"", true),
            ("a < (b + c)", "a < b + c", false),
            ("2 ^ 3 ^ 2", "(2 ^ 3) ^ 2", true),
            ("a * b + c * d < e", "a * b + c * d < e", false),
            ("a >= 1 and a <= 2", "a >= 1 and a <= 2", false),
            ("a - b - c", "a - b - c", false),
        ];
        for (text, expected, changed) in cases {
            let (printed, did_change) = as_turn_reads(text);
            assert_eq!(
                (printed.as_str(), did_change),
                (expected, changed),
                "{text}"
            );
        }
    }

    #[test]
    fn an_operand_that_only_looks_parenthesised_is_not() {
        let text = "(a) < (b) + c";
        let (printed, changed) = as_turn_reads(text);
        assert_eq!((printed.as_str(), changed), ("(a < b) + c", true));
    }
}
