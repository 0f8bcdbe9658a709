//! What the operators mean on each pair of values, and member and index access.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use journey_syntax::BinaryOp;

use crate::dates;
use crate::library::describe;
use crate::value::{Value, number_text, whole};

/// `=`/`==`. Numbers compare numerically, also with numeric text (`"27" == 27`, since contact
/// fields are text); text with text compares exactly, case included; a date-time equals text
/// that reads as the same instant. Nothing equals nil but nil. Never an error.
pub(crate) fn equals(a: &Value, b: &Value, tz: &TimeZone) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Number(x), Value::Text(_)) => b.as_number() == Some(*x),
        (Value::Text(_), Value::Number(y)) => a.as_number() == Some(*y),
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bool(x), Value::Text(_)) => b.as_bool() == Some(*x),
        (Value::Text(_), Value::Bool(y)) => a.as_bool() == Some(*y),
        (Value::DateTime(x), Value::DateTime(y)) => x == y,
        (Value::DateTime(at), Value::Text(text)) | (Value::Text(text), Value::DateTime(at)) => {
            dates::parse_instant(text, tz) == Some(*at)
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equals(a, b, tz))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && equals(va, vb, tz))
        }
        _ => false,
    }
}

/// `<`, `<=`, `>`, `>=`. `None` when either side is nil, or text that is no number meets a
/// number: the comparison is then false, so a missing field or a mistyped answer fails a
/// guard instead of the run. Numbers (and numeric text) compare
/// numerically, other text by code point, date-times in time (with date text too).
pub(crate) fn compare(a: &Value, b: &Value, tz: &TimeZone) -> Result<Option<Ordering>, String> {
    let date = |text: &str| {
        dates::parse_instant(text, tz)
            .ok_or_else(|| format!("cannot compare a date-time with text \"{text}\""))
    };
    Ok(match (a, b) {
        (Value::Nil, _) | (_, Value::Nil) => None,
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::Text(t)) => Some(x.cmp(&date(t)?)),
        (Value::Text(t), Value::DateTime(y)) => Some(date(t)?.cmp(y)),
        (Value::Text(x), Value::Text(y)) => match (a.as_number(), b.as_number()) {
            (Some(m), Some(n)) => m.partial_cmp(&n),
            _ => Some(x.cmp(y)),
        },
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            // Text that is no number against a number (a typed `"abc"` against a year):
            // Turn's guard is false and the run goes on, so the comparison is false.
            (None, Some(_)) if matches!(a, Value::Text(_)) => None,
            (Some(_), None) if matches!(b, Value::Text(_)) => None,
            _ => {
                return Err(format!(
                    "cannot compare {} with {}",
                    describe(a),
                    describe(b)
                ));
            }
        },
    })
}

/// `+ - * / ^` on numbers (numeric text included); a date-time plus or minus a number of
/// seconds is a date-time, and the difference of two date-times is a number of seconds.
pub(crate) fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (op, a, b) {
        (BinaryOp::Add, Value::DateTime(at), other)
        | (BinaryOp::Add, other, Value::DateTime(at)) => {
            return shift(*at, operand(op, other)?);
        }
        (BinaryOp::Sub, Value::DateTime(x), Value::DateTime(y)) => {
            return Ok(Value::Number(x.duration_since(*y).as_secs_f64()));
        }
        (BinaryOp::Sub, Value::DateTime(at), other) => return shift(*at, -operand(op, other)?),
        _ => {}
    }
    let (x, y) = (operand(op, a)?, operand(op, b)?);
    let result = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div if y == 0.0 => return Err("division by zero".to_owned()),
        BinaryOp::Div => x / y,
        BinaryOp::Pow => x.powf(y),
        other => return Err(format!("`{}` is not arithmetic", other.symbol())),
    };
    finite(result, op.symbol())
}

pub(crate) fn negate(value: &Value) -> Result<Value, String> {
    operand(BinaryOp::Sub, value).map(|n| Value::Number(-n))
}

/// Infinity and NaN are not values: `10 ^ 400` and `(-8) ^ 0.5` are errors.
pub(crate) fn finite(n: f64, what: &str) -> Result<Value, String> {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else {
        Err(format!("the result of `{what}` is not a finite number"))
    }
}

fn operand(op: BinaryOp, value: &Value) -> Result<f64, String> {
    value.as_number().ok_or_else(|| {
        let hint = match value {
            Value::Nil => " (a variable or field with no value?)",
            Value::Text(_) => " (use `&` to join text)",
            _ => "",
        };
        format!(
            "`{}` needs numbers, not {}{hint}",
            op.symbol(),
            describe(value)
        )
    })
}

fn shift(at: Timestamp, seconds: f64) -> Result<Value, String> {
    dates::shift(at, seconds)
        .map(Value::DateTime)
        .ok_or_else(|| "the date-time is out of range".to_owned())
}

/// `object.field`: a map's field (nil when missing), nothing of nil (so `contact.a.b` is nil
/// when `a` is missing), a date-time's calendar parts in the contact's time zone.
pub(crate) fn member(object: &Value, field: &str, tz: &TimeZone) -> Result<Value, String> {
    match object {
        Value::Map(map) => Ok(map.get(field).cloned().unwrap_or(Value::Nil)),
        Value::Nil => Ok(Value::Nil),
        Value::DateTime(at) => dates::part(*at, field, tz)
            .map(|n| Value::Number(f64::from(n)))
            .ok_or_else(|| format!("a date-time has no `.{field}`")),
        other => Err(format!("cannot read `.{field}` of {}", describe(other))),
    }
}

/// `list[i]` (from 0; negative counts from the end; out of range is nil) and `map[key]`.
pub(crate) fn index(object: &Value, index: &Value) -> Result<Value, String> {
    match (object, index) {
        (Value::Nil, _) => Ok(Value::Nil),
        (Value::List(items), _) => {
            let i = index.as_number().and_then(whole).ok_or_else(|| {
                format!(
                    "a list index must be a whole number, not {}",
                    describe(index)
                )
            })?;
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let position = if i < 0 { len + i } else { i };
            Ok(usize::try_from(position)
                .ok()
                .and_then(|p| items.get(p))
                .cloned()
                .unwrap_or(Value::Nil))
        }
        (Value::Map(map), Value::Text(key)) => Ok(map.get(key).cloned().unwrap_or(Value::Nil)),
        (Value::Map(map), Value::Number(n)) => {
            Ok(map.get(&number_text(*n)).cloned().unwrap_or(Value::Nil))
        }
        (Value::Map(_), other) => Err(format!("a map key must be text, not {}", describe(other))),
        (other, _) => Err(format!("cannot index {}", describe(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn equality_coerces_numbers_only_against_numbers() {
        let tz = TimeZone::UTC;
        assert!(equals(&text("27"), &Value::Number(27.0), &tz));
        assert!(!equals(&text("027"), &text("27"), &tz));
        assert!(!equals(&text("Yes"), &text("yes"), &tz));
        assert!(!equals(&Value::Nil, &text(""), &tz));
        assert!(equals(&Value::Nil, &Value::Nil, &tz));
        assert!(equals(&text("false"), &Value::Bool(false), &tz));
        assert!(equals(&Value::Bool(true), &text("TRUE"), &tz));
        assert!(!equals(&text("no"), &Value::Bool(false), &tz));
    }

    #[test]
    fn ordering() {
        let tz = TimeZone::UTC;
        let cmp = |a: &Value, b: &Value| compare(a, b, &tz).unwrap();
        assert_eq!(cmp(&text("10"), &text("9")), Some(Ordering::Greater));
        assert_eq!(cmp(&text("apple"), &text("banana")), Some(Ordering::Less));
        assert_eq!(cmp(&Value::Nil, &Value::Number(1.0)), None);
        assert_eq!(cmp(&text("abc"), &Value::Number(1.0)), None);
        assert_eq!(cmp(&Value::Number(1.0), &text("abc")), None);
        assert!(compare(&Value::List(vec![]), &Value::Number(1.0), &tz).is_err());
        assert!(compare(&Value::Bool(true), &Value::Bool(false), &tz).is_err());
    }

    #[test]
    fn arithmetic_errors() {
        let n = Value::Number;
        assert!(arithmetic(BinaryOp::Div, &n(1.0), &n(0.0)).is_err());
        assert!(arithmetic(BinaryOp::Pow, &n(10.0), &n(400.0)).is_err());
        assert!(arithmetic(BinaryOp::Add, &text("a"), &n(1.0)).is_err());
        assert!(arithmetic(BinaryOp::Add, &Value::Nil, &n(1.0)).is_err());
        assert_eq!(arithmetic(BinaryOp::Add, &text("2"), &n(1.0)), Ok(n(3.0)));
    }

    #[test]
    fn indexing() {
        let list = Value::List(vec![text("a"), text("b")]);
        assert_eq!(index(&list, &Value::Number(-1.0)), Ok(text("b")));
        assert_eq!(index(&list, &Value::Number(5.0)), Ok(Value::Nil));
        assert!(index(&list, &Value::Number(0.5)).is_err());
        assert!(index(&text("ab"), &Value::Number(0.0)).is_err());
        assert_eq!(index(&Value::Nil, &text("x")), Ok(Value::Nil));
    }
}
