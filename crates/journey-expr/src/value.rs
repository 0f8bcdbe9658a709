//! The values of a run: what variables hold, what expressions produce.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A run value. Serialisable, because run state stores variables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Nil,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    DateTime(jiff::Timestamp),
}

impl Value {
    /// `nil`, `false`, `""`, `0`, `[]` and `{}` are false, and so is the text `"false"`
    /// (Turn reads stored text that spells a boolean as that boolean); everything else is
    /// true.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0,
            Value::Text(s) => !s.is_empty() && self.as_bool() != Some(false),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.is_empty(),
            Value::DateTime(_) => true,
        }
    }

    /// How the value appears in a message: nil as nothing, numbers without a trailing `.0`,
    /// date-times as ISO 8601 in UTC, lists joined by `", "`, maps as JSON.
    pub fn to_text(&self) -> String {
        match self {
            Value::Nil => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number_text(*n),
            Value::Text(s) => s.clone(),
            Value::List(items) => items
                .iter()
                .map(Value::to_text)
                .collect::<Vec<_>>()
                .join(", "),
            Value::Map(_) => self.to_json().to_string(),
            Value::DateTime(at) => at.to_string(),
        }
    }

    /// HTTP bodies and fixtures. Strings stay text: dates arrive as ISO text, which every date
    /// function reads.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Value::Nil, Value::Number),
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Whole numbers become JSON integers, date-times ISO 8601 strings.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => whole(*n).map_or_else(
                || serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, Into::into),
                Into::into,
            ),
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => items.iter().map(Value::to_json).collect(),
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::DateTime(at) => serde_json::Value::String(at.to_string()),
        }
    }

    /// Member access on maps.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// For error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Text(_) => "text",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
            Value::DateTime(_) => "a date-time",
        }
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A boolean, or text that spells one (`"true"`, `" FALSE "`), as Turn's expression
    /// library reads stored text.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value a typed contact field stores: numeric text in a number field becomes the
    /// number, `"true"`/`"false"` in a boolean field the boolean; anything else is kept.
    pub fn typed(self, number: bool, boolean: bool) -> Value {
        if number && let Some(n) = self.as_number() {
            return Value::Number(n);
        }
        if boolean && let Some(b) = self.as_bool() {
            return Value::Bool(b);
        }
        self
    }

    /// A number, or text that is one (contact fields and `"@x"` interpolations are text).
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(s) => parse_number(s),
            _ => None,
        }
    }
}

/// Shortest text that reads back as the same number; never `-0` or a trailing `.0`.
pub(crate) fn number_text(n: f64) -> String {
    if n == 0.0 {
        "0".to_owned()
    } else {
        n.to_string()
    }
}

/// The number as an `i64` when it is whole and exactly representable.
pub(crate) fn whole(n: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (n.fract() == 0.0 && n.abs() <= EXACT).then_some(n as i64)
}

/// Plain decimal notation only (`12`, `-3.5`, `.5`, `+4`), surrounding blanks allowed: no
/// exponents, `inf` or `NaN`, which Rust's parser would accept but nobody types as a number.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = !(int.is_empty() && frac.is_empty()) && all_digits(int) && all_digits(frac);
    if valid { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        assert_eq!(Value::Number(3.0).to_text(), "3");
        assert_eq!(Value::Number(-0.0).to_text(), "0");
        assert_eq!(Value::Number(2.5).to_text(), "2.5");
        assert_eq!(Value::Number(1e21).to_text(), "1000000000000000000000");
        assert_eq!(Value::Nil.to_text(), "");
        let list = Value::List(vec![Value::Text("a".into()), Value::Number(1.0)]);
        assert_eq!(list.to_text(), "a, 1");
        let map = Value::Map(BTreeMap::from([("k".into(), Value::Number(1.0))]));
        assert_eq!(map.to_text(), r#"{"k":1}"#);
        let at: jiff::Timestamp = "2026-01-15T10:00:00Z".parse().unwrap();
        assert_eq!(Value::DateTime(at).to_text(), "2026-01-15T10:00:00Z");
    }

    #[test]
    fn truthiness() {
        for falsy in [
            Value::Nil,
            Value::Bool(false),
            Value::Number(0.0),
            Value::Text(String::new()),
            Value::Text("false".into()),
            Value::List(vec![]),
            Value::Map(BTreeMap::new()),
        ] {
            assert!(!falsy.is_truthy(), "{falsy:?}");
        }
        assert!(!Value::Text("false".into()).is_truthy());
        assert!(!Value::Text(" False ".into()).is_truthy());
        assert!(Value::Text("falsehood".into()).is_truthy());
        assert!(Value::Number(-1.0).is_truthy());
    }

    #[test]
    fn json_round_trip() {
        let json = serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        let value = Value::from_json(&json);
        assert_eq!(value.to_json(), json);
        assert_eq!(
            value.get("b").and_then(|b| b.get("c")),
            Some(&Value::Number(-3.0))
        );
        assert_eq!(Value::Text("x".into()).get("a"), None);
    }

    #[test]
    fn serde_keeps_dates() {
        let at: jiff::Timestamp = "2026-01-15T10:00:00Z".parse().unwrap();
        let value = Value::List(vec![Value::DateTime(at), Value::Nil]);
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), value);
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(parse_number(" 42 "), Some(42.0));
        assert_eq!(parse_number("-3.5"), Some(-3.5));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("7."), Some(7.0));
        for bad in ["", ".", "-", "1e5", "inf", "NaN", "1,000", "12abc", "+-1"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
