//! The evaluator: walks an expression tree under a budget, resolving names through the
//! [`Scope`] and calls through the library's dispatch table, then the project's functions.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use journey_diagnostics::Span;
use journey_model::builtins::{self, Kind};
use journey_syntax::{BinaryOp, Call, Expr, ExprKind, UnaryOp};
use serde::{Deserialize, Serialize};

use crate::library::{self, Args, Fail, Imp, describe};
use crate::ops;
use crate::rhai::Functions;
use crate::value::Value;

/// What names resolve to: run variables first, then context roots (`contact`, `event`, `chat`,
/// `global`, `config`, `results`, `journey`, `secrets`…), provided by the interpreter.
pub trait Scope {
    fn get(&self, name: &str) -> Option<Value>;
}

impl Scope for BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Option<Value> {
        BTreeMap::get(self, name).cloned()
    }
}

impl Scope for HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<Value> {
        HashMap::get(self, name).cloned()
    }
}

/// Everything outside the expression that its value may depend on.
pub struct Env<'a> {
    pub scope: &'a dyn Scope,
    /// The injected clock: `now()`.
    pub now: jiff::Timestamp,
    /// The contact's: `today()`, calendar parts, `datevalue`, `local_time`, and date text
    /// written without an offset.
    pub time_zone: jiff::tz::TimeZone,
    pub functions: Option<&'a Functions>,
    /// `rand_between` draws from this, so a replayed step draws the same numbers.
    pub seed: u64,
}

/// Evaluation cost limit: every node costs 1 (and functions that build lists pay per item).
/// Running out is an error, so no expression can loop for long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub remaining: u64,
}

impl Budget {
    /// Per expression, unless the caller says otherwise.
    pub const DEFAULT: u64 = 10_000;

    pub fn new(units: u64) -> Self {
        Budget { remaining: units }
    }

    fn charge(&mut self, units: u64) -> Result<(), String> {
        match self.remaining.checked_sub(units) {
            Some(left) => {
                self.remaining = left;
                Ok(())
            }
            None => {
                self.remaining = 0;
                Err("too costly: the expression used up its evaluation budget \
                     (a loop over a very long list?)"
                    .to_owned())
            }
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(Budget::DEFAULT)
    }
}

/// Why an expression has no value, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> Self {
        EvalError {
            message: message.into(),
            span,
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// Evaluates an expression to a value.
pub fn eval(expr: &Expr, env: &Env<'_>, budget: &mut Budget) -> Result<Value, EvalError> {
    Evaluator::new(env, budget)
        .eval(expr)
        .map_err(|error| redact(error, env.scope))
}

/// Error messages quote values (`not a date: "…"`), and messages get logged; a secret's value
/// must never be, so each one is masked.
pub(crate) fn redact(mut error: EvalError, scope: &dyn Scope) -> EvalError {
    if let Some(Value::Map(secrets)) = scope.get("secrets") {
        for secret in secrets
            .values()
            .map(Value::to_text)
            .filter(|s| !s.is_empty())
        {
            error.message = error.message.replace(&secret, "[secret]");
        }
    }
    error
}

/// Evaluates an expression as a condition (guards): its truthiness. Errors propagate.
pub fn condition(expr: &Expr, env: &Env<'_>, budget: &mut Budget) -> Result<bool, EvalError> {
    eval(expr, env, budget).map(|value| value.is_truthy())
}

/// The parser refuses deeper expressions (`MAX_EXPR_DEPTH`); this guards hand-built trees,
/// and strings interpolated inside strings, against overflowing the stack.
const MAX_DEPTH: usize = journey_syntax::MAX_EXPR_DEPTH;

pub(crate) struct Evaluator<'a> {
    pub(crate) env: &'a Env<'a>,
    budget: &'a mut Budget,
    /// The arguments of the lambdas being applied, innermost last: what `&1`, `&2` read.
    frames: Vec<Vec<Value>>,
    /// `rand_between` calls so far, so that two calls draw different numbers.
    draws: u64,
    depth: usize,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(env: &'a Env<'a>, budget: &'a mut Budget) -> Self {
        Evaluator {
            env,
            budget,
            frames: Vec::new(),
            draws: 0,
            depth: 0,
        }
    }

    /// Pays for work proportional to `units` (items of a list being built).
    pub(crate) fn charge(&mut self, units: usize) -> Result<(), Fail> {
        self.budget
            .charge(u64::try_from(units).unwrap_or(u64::MAX))
            .map_err(Fail::new)
    }

    pub(crate) fn eval(&mut self, expr: &Expr) -> Result<Value, EvalError> {
        self.budget
            .charge(1)
            .map_err(|message| EvalError::new(message, expr.span))?;
        if self.depth >= MAX_DEPTH {
            return Err(EvalError::new(
                "the expression is nested too deeply",
                expr.span,
            ));
        }
        self.depth += 1;
        let value = self.eval_kind(expr);
        self.depth -= 1;
        value
    }

    fn eval_kind(&mut self, expr: &Expr) -> Result<Value, EvalError> {
        let at = |message: String| EvalError::new(message, expr.span);
        match &expr.kind {
            ExprKind::Nil => Ok(Value::Nil),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(n) => Ok(Value::Number(*n as f64)),
            ExprKind::Float(n) => Ok(Value::Number(*n)),
            ExprKind::Duration(seconds) => Ok(Value::Number(*seconds as f64)),
            ExprKind::Str(template) => self.render(template).map(Value::Text),
            ExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Result<_, _>>()?;
                library::list(items).map_err(|fail| at(fail.message))
            }
            ExprKind::Name(name) => Ok(self.env.scope.get(name).unwrap_or(Value::Nil)),
            ExprKind::Member { object, field } => {
                let object = self.eval(object)?;
                ops::member(&object, &field.name, &self.env.time_zone).map_err(at)
            }
            ExprKind::Index { object, index } => {
                let object = self.eval(object)?;
                let index = self.eval(index)?;
                ops::index(&object, &index).map_err(at)
            }
            ExprKind::Call(call) => self.call(call),
            ExprKind::Unary { op, operand } => {
                let operand = self.eval(operand)?;
                match op {
                    UnaryOp::Not => Ok(Value::Bool(!operand.is_truthy())),
                    UnaryOp::Neg => ops::negate(&operand).map_err(at),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, expr.span),
            ExprKind::Lambda(_) => Err(at(
                "a function `&(…)` can only be passed to map, filter, find or reduce".to_owned(),
            )),
            ExprKind::Placeholder(n) => self.placeholder(*n).map_err(at),
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
    ) -> Result<Value, EvalError> {
        let lhs = self.eval(lhs)?;
        // `and`/`or` short-circuit: the right side may be an error guarded by the left.
        // `or` gives the deciding value, as Turn does: `contact.name or "there"`.
        match op {
            BinaryOp::And if !lhs.is_truthy() => return Ok(Value::Bool(false)),
            BinaryOp::Or if lhs.is_truthy() => return Ok(lhs),
            _ => {}
        }
        let rhs = self.eval(rhs)?;
        let tz = &self.env.time_zone;
        let at = |message: String| EvalError::new(message, span);
        match op {
            BinaryOp::And => Ok(Value::Bool(rhs.is_truthy())),
            BinaryOp::Or => Ok(rhs),
            BinaryOp::Eq => Ok(Value::Bool(ops::equals(&lhs, &rhs, tz))),
            BinaryOp::Neq => Ok(Value::Bool(!ops::equals(&lhs, &rhs, tz))),
            BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte => {
                let order = ops::compare(&lhs, &rhs, tz).map_err(at)?;
                Ok(Value::Bool(order.is_some_and(|order| match op {
                    BinaryOp::Lt => order.is_lt(),
                    BinaryOp::Lte => order.is_le(),
                    BinaryOp::Gt => order.is_gt(),
                    _ => order.is_ge(),
                })))
            }
            BinaryOp::Range => self.range(&lhs, &rhs).map_err(|fail| at(fail.message)),
            BinaryOp::Concat => library::text(format!("{}{}", lhs.to_text(), rhs.to_text()))
                .map_err(|fail| at(fail.message)),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
                ops::arithmetic(op, &lhs, &rhs).map_err(at)
            }
        }
    }

    /// `a..b`: the whole numbers from a to b, both included, counting down when b < a.
    fn range(&mut self, from: &Value, to: &Value) -> Result<Value, Fail> {
        let bound = |value: &Value| {
            value
                .as_number()
                .and_then(crate::value::whole)
                .ok_or_else(|| {
                    Fail::new(format!("`..` needs whole numbers, not {}", describe(value)))
                })
        };
        let (from, to) = (bound(from)?, bound(to)?);
        self.charge(
            usize::try_from(from.abs_diff(to))
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        )?;
        let items: Vec<Value> = if from <= to {
            (from..=to).map(|n| Value::Number(n as f64)).collect()
        } else {
            (to..=from).rev().map(|n| Value::Number(n as f64)).collect()
        };
        Ok(Value::List(items))
    }

    fn placeholder(&self, n: u32) -> Result<Value, String> {
        let frame = self
            .frames
            .last()
            .ok_or_else(|| format!("`&{n}` is only meaningful inside a function `&(…)`"))?;
        let index = usize::try_from(n).unwrap_or(usize::MAX).wrapping_sub(1);
        frame.get(index).cloned().ok_or_else(|| {
            format!(
                "`&{n}` is not given here: this function receives {} argument{}",
                frame.len(),
                if frame.len() == 1 { "" } else { "s" }
            )
        })
    }

    /// Applies the body of a lambda to its arguments (`&1`, `&2`, …).
    pub(crate) fn apply(&mut self, body: &Expr, args: Vec<Value>) -> Result<Value, EvalError> {
        self.frames.push(args);
        let value = self.eval(body);
        self.frames.pop();
        value
    }

    /// A fresh 64-bit draw, determined by the seed and how many came before.
    pub(crate) fn draw(&mut self) -> u64 {
        self.draws += 1;
        splitmix64(self.env.seed ^ self.draws.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn call(&mut self, call: &Call) -> Result<Value, EvalError> {
        let name = call.callee.name.as_str();
        if let Some(imp) = library::lookup(name) {
            check_shape(call)?;
            return match imp {
                Imp::Lazy(function) => function(self, call),
                Imp::Eager(function) => {
                    let args = self.positional_values(call)?;
                    function(self, &args).map_err(|fail| {
                        let span = fail
                            .arg
                            .and_then(|i| call.args.get(i))
                            .map_or(call.span, |arg| arg.span);
                        EvalError::new(fail.message, span)
                    })
                }
            };
        }
        if let Some(functions) = self.env.functions.filter(|f| f.defines(name)) {
            reject_named(call)?;
            let args = self.positional_values(call)?;
            return functions
                .call(name, args.into_values())
                .map_err(|message| EvalError::new(message, call.span));
        }
        let message = match builtins::lookup(name) {
            Some(builtin) if builtin.kind != Kind::Expression => {
                format!(
                    "`{name}` is a step of a card, not a value: it cannot be used inside an expression"
                )
            }
            _ => format!("unknown function `{name}`"),
        };
        Err(EvalError::new(message, call.callee.span))
    }

    fn positional_values(&mut self, call: &Call) -> Result<Args, EvalError> {
        call.positional()
            .map(|arg| self.eval(arg))
            .collect::<Result<Vec<_>, _>>()
            .map(Args::new)
    }
}

/// Argument counts from the catalogue (the checker's source too); named arguments only where
/// the catalogue has them, which in expressions means `if(c, do: a, else: b)`.
fn check_shape(call: &Call) -> Result<(), EvalError> {
    let name = call.callee.name.as_str();
    let Some(builtin) = builtins::lookup(name) else {
        return reject_named(call);
    };
    let mut count = 0;
    for arg in &call.args {
        match &arg.name {
            Some(named)
                if builtin.kind != Kind::Expression
                    || builtin.named_param(&named.name).is_none() =>
            {
                return Err(EvalError::new(
                    format!("`{name}` takes no named argument `{}:`", named.name),
                    named.span,
                ));
            }
            _ => count += 1,
        }
    }
    let too_many = builtin.max.is_some_and(|max| count > max);
    if count < builtin.min || too_many {
        let expected = match builtin.max {
            Some(max) if max == builtin.min => max.to_string(),
            Some(max) => format!("{} to {max}", builtin.min),
            None => format!("at least {}", builtin.min),
        };
        return Err(EvalError::new(
            format!("`{name}` takes {expected} argument(s), not {count}"),
            call.span,
        ));
    }
    Ok(())
}

fn reject_named(call: &Call) -> Result<(), EvalError> {
    match call.args.iter().find_map(|arg| arg.name.as_ref()) {
        Some(named) => Err(EvalError::new(
            format!(
                "`{}` takes no named argument `{}:`",
                call.callee.name, named.name
            ),
            named.span,
        )),
        None => Ok(()),
    }
}

/// A small, well-mixed generator step: enough for picking quiz questions, and reproducible.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
pub(crate) mod tests {
    //! The fixture of the unit tests (the same as `docs/expressions.md` describes) and
    //! helpers that evaluate source text in it.

    use std::sync::LazyLock;

    use journey_diagnostics::FileId;

    use super::*;

    static SCOPE: LazyLock<BTreeMap<String, Value>> = LazyLock::new(|| {
        let json = serde_json::json!({
            "contact": {"name": "Thandi", "language": "en", "age": 27},
            "secrets": {"CLINIC_API_TOKEN": "[secret:CLINIC_API_TOKEN]"},
        });
        match Value::from_json(&json) {
            Value::Map(map) => map,
            _ => BTreeMap::new(),
        }
    });

    pub(crate) fn fixture_env_with_seed(seed: u64) -> Env<'static> {
        Env {
            scope: &*SCOPE,
            now: "2026-01-15T10:00:00Z".parse().expect("a timestamp"),
            time_zone: jiff::tz::TimeZone::get("Africa/Johannesburg").expect("bundled tz"),
            functions: None,
            seed,
        }
    }

    pub(crate) fn fixture_env() -> Env<'static> {
        fixture_env_with_seed(42)
    }

    pub(crate) fn run_with(src: &str, env: &Env<'_>) -> Result<Value, EvalError> {
        let expr = journey_syntax::parse_expr(FileId(0), src)
            .unwrap_or_else(|d| panic!("{src} does not parse: {}", d.message));
        eval(&expr, env, &mut Budget::default())
    }

    pub(crate) fn eval_in(src: &str, time_zone: &str) -> Result<Value, EvalError> {
        let env = Env {
            time_zone: jiff::tz::TimeZone::get(time_zone).expect("bundled tz"),
            ..fixture_env()
        };
        run_with(src, &env)
    }

    /// The expression evaluates to `true`.
    pub(crate) fn check(src: &str) {
        assert_eq!(
            run_with(src, &fixture_env()),
            Ok(Value::Bool(true)),
            "{src}"
        );
    }

    /// The expression fails with a message containing `needle`.
    pub(crate) fn fails(src: &str, needle: &str) {
        match run_with(src, &fixture_env()) {
            Err(e) => assert!(e.message.contains(needle), "{src}: {}", e.message),
            Ok(value) => panic!("{src} gave {value:?}, expected an error with {needle:?}"),
        }
    }

    #[test]
    fn literals_and_names() {
        check(r#"nil == nil and true and 2.5 == 5 / 2 and 30m == 1800 and 7d == 604800"#);
        check(r#"contact.name == "Thandi" and contact.missing == nil and contact.a.b.c == nil"#);
        check(r#"unknown_variable == nil and [1, "a"][1] == "a" and contact["age"] == 27"#);
        check(r#""Hi @contact.name, @@home @(1 + 1)" == "Hi Thandi, @@home 2""#);
        check(r#""[@contact.missing]" == "[]""#);
    }

    #[test]
    fn operators() {
        check("1 + 2 * 3 == 7 and (1 + 2) * 3 == 9 and 2 ^ 3 ^ 2 == 512 and -2 ^ 2 == 4");
        check(r#"1 + 1 = 2 and 1 <> 2 and "a" != "A" and "27" == 27 and contact.age > "9""#);
        check(r#""a" < "b" and "10" > "9" and not (nil > 1) and not (nil < 1)"#);
        check(r#""x" & 1 & nil & true == "x1true" and 1..3 == [1, 2, 3] and 3..1 == [3, 2, 1]"#);
        check(r#"now() + 1h == "2026-01-15T11:00:00Z" and now() - (now() - 90) == 90"#);
        check(r#"now() > "2026-01-01" and now() < date(2027, 1, 1)"#);
        check("false and 1 / 0 or true");
        check("not false and not nil and not 0 and not \"\" and not []");
        fails("1 / 0", "division by zero");
        fails(r#""a" + 1"#, "needs numbers");
        fails("contact.nickname + 1", "no value");
        check(r#"not ("a" < 1) and not ("a" >= 1)"#);
        fails("true < false", "cannot compare");
        fails("contact.name.first", "cannot read");
        fails(r#""abc"[0]"#, "cannot index");
        fails("1..1.5", "whole numbers");
    }

    #[test]
    fn calls() {
        check(r#"if(true, "yes", 1 / 0) == "yes" and if(false, 1 / 0, "no") == "no""#);
        check(
            r#"if(contact.age >= 18, do: "adult", else: "minor") == "adult" and if(false, 1) == nil"#,
        );
        check("and(true, 1, \"x\") and not and(true, nil) and or(false, 1) and not or(false, nil)");
        check("or(true, 1 / 0) and not and(false, 1 / 0) and not(false)");
        fails("upper()", "takes 1 argument");
        fails(r#"upper("a", "b")"#, "takes 1 argument");
        fails(r#"upper("a", lang: "en")"#, "no named argument");
        fails(r#"text("hi")"#, "step of a card");
        fails("frobnicate(1)", "unknown function");
    }

    #[test]
    fn errors_point_at_the_failing_node() {
        let src = r#"upper(contact.name) & left("abc", -1)"#;
        let error = run_with(src, &fixture_env()).unwrap_err();
        assert_eq!(&src[error.span.range()], "-1");
        let error = run_with("1 + (2 / 0)", &fixture_env()).unwrap_err();
        assert_eq!(error.span, Span::new(5, 10));
    }

    #[test]
    fn secrets_never_appear_in_errors() {
        let error =
            run_with(r#"datevalue(secret("CLINIC_API_TOKEN"))"#, &fixture_env()).unwrap_err();
        assert_eq!(error.message, r#"not a date: "[secret]""#);
    }

    #[test]
    fn budget_is_enforced() {
        let expr = journey_syntax::parse_expr(FileId(0), "1 + 2 + 3").unwrap();
        let env = fixture_env();
        let mut budget = Budget::new(5);
        assert_eq!(eval(&expr, &env, &mut budget), Ok(Value::Number(6.0)));
        assert_eq!(budget.remaining, 0);
        let error = eval(&expr, &env, &mut Budget::new(4)).unwrap_err();
        assert!(error.message.contains("too costly"));
    }

    #[test]
    fn conditions_and_templates() {
        let env = fixture_env();
        let guard = journey_syntax::parse_expr(FileId(0), "contact.age >= 18").unwrap();
        assert_eq!(condition(&guard, &env, &mut Budget::default()), Ok(true));
        let string =
            journey_syntax::parse_expr(FileId(0), r#""Hi @contact.name@contact.x!""#).unwrap();
        let ExprKind::Str(template) = &string.kind else {
            panic!("a string")
        };
        let text = crate::render(template, &env, &mut Budget::default());
        assert_eq!(text.as_deref(), Ok("Hi Thandi!"));
    }
}
