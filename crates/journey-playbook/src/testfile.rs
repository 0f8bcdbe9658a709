//! A playbook's `.test` files, adapted to the imported journeys: journey names with the
//! prefix, and the parameter values that were filled in.
//!
//! In the library a test gives each parameter as a global
//! (`global: playbook.clinic_name = "Sunrise Clinic"`), which is what the journeys read
//! there. After import the value is written into the journeys, so the line goes, and
//! where the test expected the old value (in a message, a web address) it now expects
//! the new one.

use std::collections::BTreeMap;

use crate::params::ParamValue;
use crate::rewrite::PARAMETER_ROOT;

/// Lines that name a journey, and where the name starts in them.
const JOURNEY_LINES: &[&str] = &[
    "journey:",
    "start:",
    "* start ",
    "* not starting ",
    "* timer fired:",
    "? timer ",
    "? no timer ",
];

pub(crate) fn adapt(
    text: &str,
    renames: &BTreeMap<String, String>,
    values: &BTreeMap<String, ParamValue>,
) -> String {
    let mut replacements: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for line in text.split_inclusive('\n') {
        match filled_global(line, values) {
            Some((old, new)) => {
                if !old.is_empty() && old != new {
                    replacements.push((old, new));
                }
            }
            None => kept.push(line),
        }
    }
    kept.iter()
        .map(|line| {
            let line = rename_in_line(line, renames);
            if line.trim_start().starts_with('#') {
                return line;
            }
            replacements
                .iter()
                .fold(line, |line, (old, new)| line.replace(old.as_str(), new))
        })
        .collect()
}

/// For `global: playbook.NAME = VALUE` of a filled parameter: the value's text as the
/// test gave it, and the filled value's.
fn filled_global(line: &str, values: &BTreeMap<String, ParamValue>) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix("global:")?;
    let (path, value) = rest.split_once('=')?;
    let key = path
        .trim()
        .strip_prefix(PARAMETER_ROOT)?
        .strip_prefix('.')?;
    let filled = values.get(key.trim())?;
    let old = match serde_json::from_str::<serde_json::Value>(value.trim()) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => value.trim().to_owned(),
    };
    Some((old, filled.as_text()))
}

/// The journey name of a `journey:`, `start:`, `* start`, `* not starting`,
/// `* timer fired:` or `? timer` line, renamed.
fn rename_in_line(line: &str, renames: &BTreeMap<String, String>) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = &line[indent..];
    let Some(prefix) = JOURNEY_LINES.iter().find(|p| body.starts_with(*p)) else {
        return line.to_owned();
    };
    let after = &body[prefix.len()..];
    let name_start = after.len() - after.trim_start().len();
    let name_part = &after[name_start..];
    let name_len = name_part
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(name_part.len());
    match renames.get(&name_part[..name_len]) {
        Some(new) => format!(
            "{}{prefix}{}{new}{}",
            &line[..indent],
            &after[..name_start],
            &name_part[name_len..]
        ),
        None => line.to_owned(),
    }
}
