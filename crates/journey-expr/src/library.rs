//! The standard library's dispatch table, the argument helpers its functions share, and the
//! logic functions (`if`, `and`, `or`, `not`), which are part of the language itself.

use std::collections::HashMap;
use std::sync::LazyLock;

use journey_syntax::{Call, Expr};

use crate::eval::{EvalError, Evaluator};
use crate::value::{Value, whole};
use crate::{collections, data, dates, matching, numbers, text};

/// Why a function failed; `arg` (0-based) points the error at one argument instead of the call.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) message: String,
    pub(crate) arg: Option<usize>,
}

impl Fail {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Fail {
            message: message.into(),
            arg: None,
        }
    }

    pub(crate) fn arg(index: usize, message: impl Into<String>) -> Self {
        Fail {
            message: message.into(),
            arg: Some(index),
        }
    }
}

pub(crate) type Outcome = Result<Value, Fail>;

/// How a function gets its arguments.
#[derive(Clone, Copy)]
pub(crate) enum Imp {
    /// Evaluated first, left to right.
    Eager(fn(&mut Evaluator<'_>, &Args) -> Outcome),
    /// As expressions: lazy branches (`if`, `and`, `or`) and lambdas (`map`, `reduce`…).
    Lazy(fn(&mut Evaluator<'_>, &Call) -> Result<Value, EvalError>),
}

/// One family's functions, by name.
pub(crate) type Table = &'static [(&'static str, Imp)];

const TABLES: [Table; 7] = [
    LOGIC,
    text::FUNCTIONS,
    matching::FUNCTIONS,
    numbers::FUNCTIONS,
    dates::FUNCTIONS,
    collections::FUNCTIONS,
    data::FUNCTIONS,
];

/// The dispatch table: every function by name.
static FUNCTIONS: LazyLock<HashMap<&'static str, Imp>> =
    LazyLock::new(|| TABLES.into_iter().flatten().copied().collect());

pub(crate) fn lookup(name: &str) -> Option<Imp> {
    FUNCTIONS.get(name).copied()
}

/// Longest text an expression may build (1 MiB): doubling a text in a `reduce` must stop
/// long before memory does.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// A text result, refused when over [`MAX_TEXT`].
pub(crate) fn text(text: String) -> Outcome {
    if text.len() > MAX_TEXT {
        Err(Fail::new(format!(
            "text too long: {} bytes, the limit is {MAX_TEXT}",
            text.len()
        )))
    } else {
        Ok(Value::Text(text))
    }
}

/// Deepest nesting of lists and maps a value may have: below the 128 levels a JSON reader
/// accepts (so run state that holds it reads back), and shallow enough that the recursive
/// walks over values (clone, drop, `==`, JSON) never exhaust a thread's stack.
pub(crate) const MAX_NESTING: usize = 100;

/// A list result, refused when nested deeper than [`MAX_NESTING`]: every function that puts
/// values into a new list builds it here, so `reduce(…, &[&2])` cannot nest without end.
pub(crate) fn list(items: Vec<Value>) -> Outcome {
    if items.iter().any(|item| deeper_than(item, MAX_NESTING - 1)) {
        Err(Fail::new(format!(
            "lists and maps nested more than {MAX_NESTING} deep"
        )))
    } else {
        Ok(Value::List(items))
    }
}

/// Whether the value nests more than `levels` lists or maps; stops looking below that.
fn deeper_than(value: &Value, levels: usize) -> bool {
    match value {
        Value::List(items) => levels == 0 || items.iter().any(|v| deeper_than(v, levels - 1)),
        Value::Map(map) => levels == 0 || map.values().any(|v| deeper_than(v, levels - 1)),
        _ => false,
    }
}

/// The evaluated positional arguments of a call, with readers that coerce the way every
/// function does: text reads any value as its text (nil as ""), numbers accept numeric text.
pub(crate) struct Args(Vec<Value>);

impl Args {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Args(values)
    }

    pub(crate) fn into_values(self) -> Vec<Value> {
        self.0
    }

    pub(crate) fn all(&self) -> &[Value] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The argument, or nil when it was left out.
    pub(crate) fn get(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Nil)
    }

    pub(crate) fn opt(&self, i: usize) -> Option<&Value> {
        self.0.get(i)
    }

    pub(crate) fn text(&self, i: usize) -> String {
        self.get(i).to_text()
    }

    pub(crate) fn flag(&self, i: usize) -> bool {
        self.get(i).is_truthy()
    }

    pub(crate) fn number(&self, i: usize) -> Result<f64, Fail> {
        let value = self.get(i);
        value
            .as_number()
            .ok_or_else(|| Fail::arg(i, format!("expected a number, not {}", describe(value))))
    }

    pub(crate) fn whole(&self, i: usize) -> Result<i64, Fail> {
        let n = self.number(i)?;
        whole(n).ok_or_else(|| Fail::arg(i, format!("expected a whole number, not {n}")))
    }

    /// A count or position that must be at least `min`.
    pub(crate) fn count(&self, i: usize, min: i64) -> Result<usize, Fail> {
        let n = self.whole(i)?;
        if n < min {
            return Err(Fail::arg(i, format!("expected at least {min}, not {n}")));
        }
        usize::try_from(n).map_err(|_| Fail::arg(i, format!("{n} is too large")))
    }

    /// The items of a list; nil is an empty list and a map its `[key, value]` pairs.
    pub(crate) fn items(&self, i: usize) -> Result<Vec<Value>, Fail> {
        items(self.get(i)).map_err(|message| Fail::arg(i, message))
    }
}

/// See [`Args::items`].
pub(crate) fn items(value: &Value) -> Result<Vec<Value>, String> {
    match value {
        Value::List(items) => Ok(items.clone()),
        Value::Nil => Ok(Vec::new()),
        Value::Map(map) => Ok(map
            .iter()
            .map(|(k, v)| Value::List(vec![Value::Text(k.clone()), v.clone()]))
            .collect()),
        other => Err(format!("expected a list, not {}", describe(other))),
    }
}

/// A value as an error message names it: its type, and short values themselves.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Text(s) if s.chars().count() <= 40 => format!("text \"{s}\""),
        Value::Number(_) | Value::Bool(_) => format!("{} ({})", value.type_name(), value.to_text()),
        other => other.type_name().to_owned(),
    }
}

/// The `i`-th argument expression of a lazy call (positional; the arity is already checked).
pub(crate) fn arg_expr(call: &Call, i: usize) -> &Expr {
    &call.args[i].value
}

const LOGIC: Table = &[
    ("if", Imp::Lazy(if_)),
    ("and", Imp::Lazy(and)),
    ("or", Imp::Lazy(or)),
    ("not", Imp::Eager(not)),
];

/// `if(c, a, b)` or `if(c, do: a, else: b)`: only the chosen branch is evaluated; a missing
/// branch is nil.
fn if_(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    let mut test = None;
    let mut branches: [Option<&Expr>; 2] = [None, None];
    let mut next = 0;
    for arg in &call.args {
        match arg.name.as_ref().map(|n| n.name.as_str()) {
            Some("do") => branches[0] = Some(&arg.value),
            Some(_) => branches[1] = Some(&arg.value),
            None if test.is_none() => test = Some(&arg.value),
            None => {
                if let Some(slot) = branches.get_mut(next) {
                    *slot = Some(&arg.value);
                }
                next += 1;
            }
        }
    }
    let Some(test) = test else {
        return Err(EvalError::new("`if` needs a condition first", call.span));
    };
    let chosen = if ev.eval(test)?.is_truthy() {
        branches[0]
    } else {
        branches[1]
    };
    chosen.map_or(Ok(Value::Nil), |branch| ev.eval(branch))
}

/// `and(a, b, …)`: true when every argument is; stops at the first false one.
fn and(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    for arg in call.positional() {
        if !ev.eval(arg)?.is_truthy() {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// `or(a, b, …)`: true when any argument is; stops at the first true one.
fn or(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    for arg in call.positional() {
        if ev.eval(arg)?.is_truthy() {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn not(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Bool(!args.flag(0)))
}

#[cfg(test)]
mod tests {
    use journey_model::builtins::{BUILTINS, Kind};

    use super::*;

    #[test]
    fn every_expression_builtin_is_implemented_once() {
        let names: Vec<&str> = TABLES
            .iter()
            .flat_map(|t| t.iter().map(|(n, _)| *n))
            .collect();
        assert_eq!(names.len(), FUNCTIONS.len(), "a name is in two tables");
        for builtin in BUILTINS.iter().filter(|b| b.kind == Kind::Expression) {
            assert!(
                lookup(builtin.name).is_some(),
                "`{}` has no implementation",
                builtin.name
            );
        }
        for name in names {
            let known = journey_model::builtins::lookup(name);
            assert!(
                known.is_some_and(|b| b.kind == Kind::Expression || name == "delete"),
                "`{name}` is not an expression function of the catalogue"
            );
        }
    }
}
