//! Lists and maps. Collection arguments treat nil as empty, so a missing field is an empty
//! list rather than a failed run; iterating a map gives its `[key, value]` pairs.

use std::borrow::Cow;
use std::collections::BTreeSet;

use journey_syntax::{Call, Expr, ExprKind};

use crate::eval::{EvalError, Evaluator};
use crate::library::{self, Args, Fail, Imp, Outcome, Table, arg_expr, describe, items};
use crate::ops::equals;
use crate::value::Value;

pub(crate) const FUNCTIONS: Table = &[
    ("map", Imp::Lazy(map)),
    ("filter", Imp::Lazy(filter)),
    ("find", Imp::Lazy(find)),
    ("reduce", Imp::Lazy(reduce)),
    ("append", Imp::Eager(append)),
    ("count", Imp::Eager(count)),
    ("uniq", Imp::Eager(uniq)),
    ("chunk_every", Imp::Eager(chunk_every)),
    ("with_index", Imp::Eager(with_index)),
    ("keys", Imp::Eager(keys)),
    ("values", Imp::Eager(values)),
    ("has_member", Imp::Eager(has_member)),
    ("has_all_members", Imp::Eager(has_all_members)),
    ("is_nil_or_empty", Imp::Eager(is_nil_or_empty)),
    ("delete", Imp::Eager(delete)),
];

/// Items of a list or map, characters of text, 0 for nil; `None` for anything else.
pub(crate) fn size(value: &Value) -> Option<usize> {
    match value {
        Value::Nil => Some(0),
        Value::List(items) => Some(items.len()),
        Value::Map(map) => Some(map.len()),
        Value::Text(text) => Some(text.chars().count()),
        _ => None,
    }
}

// ------------------------------------------------------------------ with functions

/// The body of the lambda passed as argument `i`.
///
/// Turn's `& &1 == "B"` means `&(&1 == "B")`, but the grammar's `&` takes one term, so it
/// arrives as `(& &1) == "B"`: a lambda at the left end of an operator chain. That shape is
/// read as Turn means it, by moving the operators inside the lambda.
fn lambda<'c>(call: &'c Call, i: usize) -> Result<Cow<'c, Expr>, EvalError> {
    fn body(expr: &Expr) -> Option<Cow<'_, Expr>> {
        match &expr.kind {
            ExprKind::Lambda(body) => Some(Cow::Borrowed(body)),
            ExprKind::Binary { op, lhs, rhs } => body(lhs).map(|lhs| {
                Cow::Owned(Expr {
                    kind: ExprKind::Binary {
                        op: *op,
                        lhs: Box::new(lhs.into_owned()),
                        rhs: rhs.clone(),
                    },
                    span: expr.span,
                })
            }),
            _ => None,
        }
    }
    body(arg_expr(call, i)).ok_or_else(|| {
        EvalError::new(
            format!(
                "`{}` needs a function here, written `&(…)` with `&1` for the item",
                call.callee.name
            ),
            call.args[i].span,
        )
    })
}

/// The items of argument `i`, evaluated.
fn list_arg(ev: &mut Evaluator<'_>, call: &Call, i: usize) -> Result<Vec<Value>, EvalError> {
    let value = ev.eval(arg_expr(call, i))?;
    items(&value).map_err(|message| EvalError::new(message, call.args[i].span))
}

/// `map(list, &(…))`: the function applied to each item (`&1`).
fn map(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    let list = list_arg(ev, call, 0)?;
    let body = lambda(call, 1)?;
    let mapped = list
        .into_iter()
        .map(|item| ev.apply(&body, vec![item]))
        .collect::<Result<_, _>>()?;
    library::list(mapped).map_err(|fail| EvalError::new(fail.message, call.span))
}

/// `filter(list, &(…))`: the items for which the function is truthy.
fn filter(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    let list = list_arg(ev, call, 0)?;
    let body = lambda(call, 1)?;
    let mut kept = Vec::new();
    for item in list {
        if ev.apply(&body, vec![item.clone()])?.is_truthy() {
            kept.push(item);
        }
    }
    library::list(kept).map_err(|fail| EvalError::new(fail.message, call.span))
}

/// `find(list, &(…))`: the first item for which the function is truthy, else nil.
fn find(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    let list = list_arg(ev, call, 0)?;
    let body = lambda(call, 1)?;
    for item in list {
        if ev.apply(&body, vec![item.clone()])?.is_truthy() {
            return Ok(item);
        }
    }
    Ok(Value::Nil)
}

/// `reduce(list, initial, &(…))`: folds the list; the function gets the item as `&1` and the
/// value so far as `&2` (Turn's order).
fn reduce(ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, EvalError> {
    let list = list_arg(ev, call, 0)?;
    let mut acc = ev.eval(arg_expr(call, 1))?;
    let body = lambda(call, 2)?;
    for item in list {
        acc = ev.apply(&body, vec![item, acc])?;
    }
    Ok(acc)
}

// ------------------------------------------------------------------ plain functions

/// `append(list, item)`: a new list with the item at the end; a list item adds all its items.
fn append(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let mut list = match args.get(0) {
        Value::List(items) => items.clone(),
        Value::Nil => Vec::new(),
        other => {
            return Err(Fail::arg(
                0,
                format!("expected a list, not {}", describe(other)),
            ));
        }
    };
    match args.get(1) {
        Value::List(more) => list.extend(more.iter().cloned()),
        item => list.push(item.clone()),
    }
    ev.charge(list.len())?;
    library::list(list)
}

/// Items of a list or map, characters of text, 0 for nil.
fn count(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let value = args.get(0);
    size(value)
        .map(|n| Value::Number(n as f64))
        .ok_or_else(|| Fail::arg(0, format!("cannot count {}", describe(value))))
}

/// The first of each repeated item, in order.
fn uniq(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let list = args.items(0)?;
    ev.charge(list.len())?;
    let mut seen = BTreeSet::new();
    library::list(
        list.into_iter()
            .filter(|item| seen.insert(item.to_json().to_string()))
            .collect(),
    )
}

/// `chunk_every(list, n)`: lists of n items, the last one shorter if need be.
fn chunk_every(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let list = args.items(0)?;
    let size = args.count(1, 1)?;
    ev.charge(list.len())?;
    library::list(
        list.chunks(size)
            .map(|chunk| Value::List(chunk.to_vec()))
            .collect(),
    )
}

/// `[item, index]` pairs, the index from 0.
fn with_index(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let list = args.items(0)?;
    ev.charge(list.len())?;
    library::list(
        list.into_iter()
            .enumerate()
            .map(|(i, item)| Value::List(vec![item, Value::Number(i as f64)]))
            .collect(),
    )
}

/// The map's entries (nil has none); keys come in sorted order.
fn entries(ev: &mut Evaluator<'_>, args: &Args) -> Result<Vec<(String, Value)>, Fail> {
    let entries: Vec<(String, Value)> = match args.get(0) {
        Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Nil => Vec::new(),
        other => {
            return Err(Fail::arg(
                0,
                format!("expected a map, not {}", describe(other)),
            ));
        }
    };
    ev.charge(entries.len())?;
    Ok(entries)
}

fn keys(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::List(
        entries(ev, args)?
            .into_iter()
            .map(|(k, _)| Value::Text(k))
            .collect(),
    ))
}

fn values(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::List(
        entries(ev, args)?.into_iter().map(|(_, v)| v).collect(),
    ))
}

/// Membership uses `==`, so `"3"` is a member of `[3]`.
fn has_member(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let list = args.items(0)?;
    let tz = &ev.env.time_zone;
    Ok(Value::Bool(list.iter().any(|x| equals(x, args.get(1), tz))))
}

fn has_all_members(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (list, wanted) = (args.items(0)?, args.items(1)?);
    let tz = &ev.env.time_zone;
    Ok(Value::Bool(
        wanted.iter().all(|w| list.iter().any(|x| equals(x, w, tz))),
    ))
}

/// Nil, empty text, an empty list or an empty map.
fn is_nil_or_empty(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Bool(match args.get(0) {
        Value::Nil => true,
        Value::Text(text) => text.is_empty(),
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        _ => false,
    }))
}

/// `delete(map, key)`: the map without that key (the one-argument `delete` is the HTTP step).
fn delete(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    if args.len() != 2 {
        return Err(Fail::new(
            "in an expression, `delete` takes a map and a key: delete(map, key)",
        ));
    }
    match args.get(0) {
        Value::Map(map) => {
            let mut map = map.clone();
            map.remove(&args.text(1));
            Ok(Value::Map(map))
        }
        Value::Nil => Ok(Value::Nil),
        other => Err(Fail::arg(
            0,
            format!("expected a map, not {}", describe(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::eval::tests::{check, fails};

    #[test]
    fn with_functions() {
        check("map(1..3, &(&1 * &1)) == [1, 4, 9] and map([1, 2], & &1 + 1 == 2) == [true, false]");
        check(r#"filter(["A", "B", "C", "B"], & &1 == "B") == ["B", "B"]"#);
        check(
            r#"find([["Hello", "World"], ["Hi", "World"]], &(&1[0] == "Hi")) == ["Hi", "World"]"#,
        );
        check("find([1, 2], &(&1 > 5)) == nil");
        check("reduce(1..4, 0, &(&1 + &2)) == 10 and reduce([3, 9, 2], 0, &max(&1, &2)) == 9");
        check(r#"reduce(["a", "b"], "", &(&2 & &1)) == "ab""#);
        check("map(nil, &(&1)) == [] and count(filter(nil, &true)) == 0");
        check("map([[1, 2], [3, 4]], &reduce(&1, 0, &(&1 + &2))) == [3, 7]");
        check(r#"map(parse_json('{"a": 1}'), &(&1[0] & "=" & &1[1])) == ["a=1"]"#);
        fails("map([1], upper)", "needs a function");
        fails("map([1], &(&2))", "not given here");
        fails(r#"map("abc", &(&1))"#, "expected a list");
        fails("&(&1 + 1)", "can only be passed");
        fails("&1", "only meaningful inside");
    }

    #[test]
    fn plain_functions() {
        check(
            r#"append(["A"], "B") == ["A", "B"] and append(["A"], ["B", "C"]) == ["A", "B", "C"]"#,
        );
        check(
            r#"append(nil, 1) == [1] and count([1, 2]) == 2 and count("zoë") == 3 and count(nil) == 0"#,
        );
        check(r#"uniq([1, "1", 1, [2], [2]]) == [1, "1", [2]]"#);
        check("chunk_every(1..5, 2) == [[1, 2], [3, 4], [5]]");
        check(r#"with_index(["A", "B"]) == [["A", 0], ["B", 1]]"#);
        check(
            r#"keys(parse_json('{"b": 1, "a": 2}')) == ["a", "b"] and values(parse_json('{"b": 1, "a": 2}')) == [2, 1]"#,
        );
        check(r#"has_member(["A", 3], "3") and not has_member(nil, 1)"#);
        check(
            r#"has_all_members(["A", "B", "C"], ["C", "B"]) and not has_all_members(["A"], ["A", "Z"])"#,
        );
        check(
            r#"is_nil_or_empty(nil) and is_nil_or_empty("") and is_nil_or_empty([]) and not is_nil_or_empty(" ")"#,
        );
        check(r#"delete(parse_json('{"a": 1, "b": 2}'), "a") == parse_json('{"b": 2}')"#);
        fails("count(5)", "cannot count");
        fails("chunk_every([1], 0)", "at least 1");
        fails(r#"delete(parse_json('{"a": 1}'))"#, "takes a map and a key");
        fails("keys([1])", "expected a map");
    }

    #[test]
    fn budget_stops_long_loops() {
        fails("reduce(1..1000000, 0, &(&1 + &2))", "too costly");
        fails("reduce(1..5000, 0, &(&1 + &2))", "too costly");
        fails(r#"reduce(1..40, ["x"], &append(&2, &2))"#, "too costly");
        fails(r#"reduce(1..40, "xy", &(&2 & &2))"#, "text too long");
        fails("reduce(1..3000, [], &[&2])", "nested more than 100");
        fails(
            "reduce(1..3000, [1], &with_index(&2))",
            "nested more than 100",
        );
        fails(
            "reduce(1..3000, [1], &chunk_every(&2, 1))",
            "nested more than 100",
        );
        fails(
            "reduce(1..3000, [1], &append([], [&2]))",
            "nested more than 100",
        );
        check("count(reduce(1..99, [], &[&2])) == 1");
    }
}
