//! Evaluation is total: random expression trees, and random source text that parses, give a
//! value or an `EvalError`, never a panic, whatever the budget.

use std::collections::BTreeMap;

use journey_diagnostics::{FileId, Span};
use journey_expr::{Budget, Env, Value, eval};
use journey_model::builtins::{BUILTINS, Kind};
use journey_syntax::{
    Arg, BinaryOp, Call, Expr, ExprKind, Ident, Quote, Template, TemplatePart, UnaryOp,
};
use proptest::prelude::*;
use proptest::sample::select;

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::new(0, 0),
    }
}

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_owned(),
        span: Span::new(0, 0),
    }
}

fn template(parts: Vec<TemplatePart>) -> ExprKind {
    ExprKind::Str(Template {
        parts,
        quote: Quote::Double,
    })
}

/// Every expression function with its argument counts (mostly right, sometimes one off), a
/// step, a setting, and a name nobody defined.
fn callees() -> Vec<(&'static str, usize, usize)> {
    let mut names: Vec<(&str, usize, usize)> = BUILTINS
        .iter()
        .filter(|b| b.kind == Kind::Expression)
        .map(|b| (b.name, b.min, b.max.unwrap_or(b.min + 2).min(b.min + 2)))
        .collect();
    names.extend([
        ("delete", 1, 3),
        ("text", 1, 1),
        ("trigger", 0, 1),
        ("no_such_function", 0, 2),
    ]);
    names
}

const BINARY: [BinaryOp; 15] = [
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Neq,
    BinaryOp::Lt,
    BinaryOp::Lte,
    BinaryOp::Gt,
    BinaryOp::Gte,
    BinaryOp::Range,
    BinaryOp::Concat,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Pow,
];

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(ExprKind::Nil),
        any::<bool>().prop_map(ExprKind::Bool),
        prop_oneof![any::<i64>(), -3i64..12].prop_map(ExprKind::Int),
        prop_oneof![any::<f64>(), -2.0f64..2.0].prop_map(ExprKind::Float),
        prop_oneof![any::<u64>(), 0u64..100_000].prop_map(ExprKind::Duration),
        prop_oneof![
            "[a-zA-Z0-9 @:/.,%+()-]{0,14}".prop_map(String::from),
            select(vec![
                "2026-01-15",
                "15/01/2026 10:00",
                "09:00",
                "9pm",
                "27",
                "-3.5",
                "a b c",
                "x@y.io",
                "+27 82 123 4567",
                "[1,[2]]",
                "{\"a\":1}",
                "%Y-%m-%d %A",
                "D",
                "M",
                "h",
                "^a+$",
                "(",
                "ZA",
            ])
            .prop_map(String::from),
        ]
        .prop_map(|value| template(vec![TemplatePart::Text {
            value,
            span: Span::new(0, 0),
        }])),
        select(vec!["contact", "secrets", "items", "nothing"])
            .prop_map(|n| ExprKind::Name(n.to_owned())),
        (0u32..4).prop_map(ExprKind::Placeholder),
    ]
    .prop_map(node)
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 64, 4, |inner| {
        let arg = (
            prop_oneof![4 => Just(None), 1 => select(vec!["do", "else", "x"]).prop_map(Some)],
            inner.clone(),
        )
            .prop_map(|(name, value)| Arg {
                name: name.map(ident),
                span: value.span,
                value,
            });
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(ExprKind::List),
            (inner.clone(), select(vec!["name", "age", "day", "x"])).prop_map(|(object, field)| {
                ExprKind::Member {
                    object: Box::new(object),
                    field: ident(field),
                }
            }),
            (inner.clone(), inner.clone()).prop_map(|(object, index)| ExprKind::Index {
                object: Box::new(object),
                index: Box::new(index),
            }),
            (select(vec![UnaryOp::Neg, UnaryOp::Not]), inner.clone()).prop_map(|(op, operand)| {
                ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                }
            }),
            (select(BINARY.to_vec()), inner.clone(), inner.clone()).prop_map(|(op, lhs, rhs)| {
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                }
            }),
            inner
                .clone()
                .prop_map(|body| ExprKind::Lambda(Box::new(body))),
            inner
                .clone()
                .prop_map(|e| template(vec![TemplatePart::Interp(e)])),
            select(callees())
                .prop_flat_map(move |(name, min, max)| {
                    (Just(name), prop::collection::vec(arg.clone(), min..=max))
                })
                .prop_map(|(name, args)| {
                    ExprKind::Call(Box::new(Call {
                        callee: ident(name),
                        args,
                        block: None,
                        span: Span::new(0, 0),
                    }))
                }),
        ]
        .prop_map(node)
    })
}

fn scope() -> BTreeMap<String, Value> {
    let json = serde_json::json!({
        "contact": {"name": "Thandi", "age": 27},
        "secrets": {"TOKEN": "t"},
        "items": [1, "2", [3], {"a": null}],
    });
    match Value::from_json(&json) {
        Value::Map(map) => map,
        _ => BTreeMap::new(),
    }
}

fn check(expr: &Expr, budget: u64) {
    let scope = scope();
    let env = Env {
        scope: &scope,
        now: "2026-01-15T10:00:00Z".parse().expect("timestamp"),
        time_zone: jiff::tz::TimeZone::get("Africa/Johannesburg").expect("bundled tz"),
        functions: None,
        seed: 42,
    };
    let mut budget = Budget::new(budget);
    let _ = eval(expr, &env, &mut budget);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_trees_never_panic(expr in expr(), budget in prop_oneof![0u64..50, Just(Budget::DEFAULT)]) {
        check(&expr, budget);
    }

    #[test]
    fn random_source_never_panics(tokens in prop::collection::vec(select(vec![
        "1", "0", "-", "2.5", "\"a b\"", "'x'", "nil", "true", "contact", ".name", ".age", "items",
        "[", "]", "(", ")", ",", "+", "*", "/", "^", "&", "..", "==", "<", ">=", "and", "or",
        "not", "&1", "&2", "&(", "map(", "reduce(", "filter(", "upper(", "if(", "do:", "else:",
        "left(", "datetime_add(", "now()", "\"D\"", "has_phrase(", "rept(", "1000000", "30m",
        "\"@contact.name @(1/0)\"", "parse_json(", "\"[1,{}]\"", "word_slice(", "-1", "split(",
    ]), 0..24)) {
        let source = tokens.join(" ");
        if let Ok(expr) = journey_syntax::parse_expr(FileId(0), &source) {
            check(&expr, Budget::DEFAULT);
        }
    }
}
