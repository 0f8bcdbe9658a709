//! Parameter types and values: a default from playbook.toml, a `--set NAME=value` from
//! the command line, and how a value is written into a journey.

use std::collections::BTreeMap;
use std::fmt;

use journey_project::Duration;
use journey_syntax::Quote;
use serde::Deserialize;

use crate::manifest::Playbook;

/// What a parameter holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// One line of text, e.g. a clinic's name or phone number.
    Text,
    /// A number, e.g. a score to pass a quiz.
    Number,
    /// `true` or `false`.
    #[serde(alias = "bool")]
    Boolean,
    /// A duration such as `2h` or `7d`, for `in:` and `timeout:`.
    Duration,
    /// An `http://` or `https://` address, e.g. a content API.
    Url,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Text => "text",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Duration => "duration",
            ParamType::Url => "url",
        }
    }

    /// The type with an example, for errors.
    pub fn described(self) -> &'static str {
        match self {
            ParamType::Text => "one line of text",
            ParamType::Number => "a number, e.g. `3` or `2.5`",
            ParamType::Boolean => "`true` or `false`",
            ParamType::Duration => "a duration, e.g. `30m`, `2h` or `7d`",
            ParamType::Url => "an address starting with `https://` or `http://`",
        }
    }
}

/// A parameter's value, checked against its type.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Text(String),
    /// As written (`3`, `2.5`), so that it goes into the journey unchanged.
    Number(String),
    Boolean(bool),
    Duration(Duration),
    Url(String),
}

impl ParamValue {
    /// Reads a value typed on the command line (`--set max_score=3`).
    pub fn parse(kind: ParamType, text: &str) -> Result<ParamValue, String> {
        let wrong = || format!("`{text}` is not {}", kind.described());
        match kind {
            ParamType::Text => one_line(text).map(|t| ParamValue::Text(t.to_owned())),
            ParamType::Number => {
                let number = text.trim();
                if !is_journey_number(number) {
                    return Err(wrong());
                }
                Ok(ParamValue::Number(number.to_owned()))
            }
            ParamType::Boolean => match text.trim() {
                "true" => Ok(ParamValue::Boolean(true)),
                "false" => Ok(ParamValue::Boolean(false)),
                _ => Err(wrong()),
            },
            ParamType::Duration => text
                .trim()
                .parse::<Duration>()
                .map(ParamValue::Duration)
                .map_err(|e| e.to_string()),
            ParamType::Url => {
                let url = one_line(text)?.trim();
                let rest = url
                    .strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"))
                    .ok_or_else(wrong)?;
                if rest.is_empty() || rest.contains(char::is_whitespace) {
                    return Err(wrong());
                }
                Ok(ParamValue::Url(url.to_owned()))
            }
        }
    }

    /// Reads a `default` from playbook.toml: text types take a string, the others
    /// their TOML type (a duration is a string, as in journey.toml).
    pub(crate) fn from_toml(kind: ParamType, value: &toml::Value) -> Result<ParamValue, String> {
        let text = match (kind, value) {
            (ParamType::Number, toml::Value::Integer(n)) => n.to_string(),
            (ParamType::Number, toml::Value::Float(n)) => n.to_string(),
            (ParamType::Boolean, toml::Value::Boolean(b)) => b.to_string(),
            (ParamType::Text | ParamType::Duration | ParamType::Url, toml::Value::String(s)) => {
                s.clone()
            }
            _ => return Err(format!("is {}, not {}", value.type_str(), kind.described())),
        };
        ParamValue::parse(kind, &text).map_err(|why| format!("is wrong: {why}"))
    }

    /// The value as a journey expression: `"Sunrise Clinic"`, `3`, `true`, `2h`.
    pub fn as_code(&self) -> String {
        match self {
            ParamValue::Text(text) | ParamValue::Url(text) => {
                format!("\"{}\"", escape(text, Quote::Double))
            }
            ParamValue::Number(n) => n.clone(),
            ParamValue::Boolean(b) => b.to_string(),
            ParamValue::Duration(d) => d.to_string(),
        }
    }

    /// The value as it reads inside a message: `Sunrise Clinic`, `3`.
    pub fn as_text(&self) -> String {
        match self {
            ParamValue::Text(text) | ParamValue::Url(text) | ParamValue::Number(text) => {
                text.clone()
            }
            ParamValue::Boolean(b) => b.to_string(),
            ParamValue::Duration(d) => d.to_string(),
        }
    }
}

/// As an operator reads it: text in double quotes, other values as written.
impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Text(text) | ParamValue::Url(text) => write!(f, "{text:?}"),
            _ => f.write_str(&self.as_text()),
        }
    }
}

/// A number as the journey grammar writes it (`3`, `-2.5`), so that it goes in as
/// written: not `.5`, `5.`, `+3`, `1e3` or `inf`.
fn is_journey_number(text: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

/// One line, and without `"""`, which no journey string can hold.
fn one_line(text: &str) -> Result<&str, String> {
    if text.contains(['\n', '\r']) {
        Err("a parameter is one line of text".to_owned())
    } else if text.contains("\"\"\"") {
        Err("a parameter cannot contain `\"\"\"`".to_owned())
    } else {
        Ok(text)
    }
}

/// `text` written inside a journey string of this quote: `@` doubled, and in quoted
/// strings the quote and `\` escaped.
pub(crate) fn escape(text: &str, quote: Quote) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match (c, quote) {
            ('@', _) => out.push_str("@@"),
            ('\\', Quote::Double | Quote::Single) => out.push_str("\\\\"),
            ('"', Quote::Double) | ('\'', Quote::Single) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn is_parameter_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The value of every parameter: `--set` values, then defaults. A parameter with
/// neither is left out (the journeys go on reading it as a global).
/// Errors name the parameter: an unknown one (with a suggestion), a value of the
/// wrong type, a `--set` without `=`, or one given twice.
pub fn fill(
    playbook: &Playbook,
    sets: &[String],
) -> Result<BTreeMap<String, ParamValue>, Vec<String>> {
    let mut given: BTreeMap<String, ParamValue> = BTreeMap::new();
    let mut errors = Vec::new();
    for set in sets {
        match one_set(playbook, set) {
            Ok((name, _)) if given.contains_key(&name) => {
                errors.push(format!("`--set {name}=…` is given twice"));
            }
            Ok((name, value)) => {
                given.insert(name, value);
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for parameter in &playbook.parameters {
        if let Some(default) = &parameter.default {
            given
                .entry(parameter.name.clone())
                .or_insert_with(|| default.clone());
        }
    }
    Ok(given)
}

fn one_set(playbook: &Playbook, set: &str) -> Result<(String, ParamValue), String> {
    let Some((name, text)) = set.split_once('=') else {
        return Err(format!(
            "`--set {set}` needs a value: write `--set {set}=VALUE`"
        ));
    };
    let name = name.trim();
    let Some(parameter) = playbook.parameter(name) else {
        let names = playbook.parameters.iter().map(|p| p.name.as_str());
        let hint = match journey_model::suggest(name, names.clone()) {
            Some(better) => format!("; did you mean `{better}`?"),
            None if playbook.parameters.is_empty() => "; it takes none".to_owned(),
            None => format!(
                "; its parameters are {}",
                names
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(format!(
            "playbook `{}` has no parameter `{name}`{hint}",
            playbook.about.name
        ));
    };
    let value = ParamValue::parse(parameter.kind, text)
        .map_err(|why| format!("parameter `{name}` ({}): {why}", parameter.kind.as_str()))?;
    Ok((name.to_owned(), value))
}
