//! Machine-readable JSON, described by `docs/diagnostics.schema.json`.

use serde::Serialize;

use super::{Location, Summary, pretty_json};
use crate::{Diagnostic, Severity, SourceMap};

/// Bumped when a field changes meaning or goes away; new fields do not bump it.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<Item<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(flatten)]
    location: Location<'a>,
    /// The text under the primary span, if any.
    label: Option<&'a str>,
    help: Option<&'a str>,
    notes: &'a [String],
    labels: Vec<SecondaryLabel<'a>>,
}

#[derive(Serialize)]
struct SecondaryLabel<'a> {
    #[serde(flatten)]
    location: Location<'a>,
    message: &'a str,
}

/// Renders `{"version": 1, "diagnostics": [...], "summary": {...}}`, pretty-printed with
/// a stable key order. Positions are 1-based, columns count characters and `end_line`/
/// `end_column` point just past the span.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let items = diagnostics
        .iter()
        .map(|diagnostic| Item {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: &diagnostic.message,
            location: Location::of(&diagnostic.primary, sources),
            label: Some(diagnostic.primary.message.as_str()).filter(|label| !label.is_empty()),
            help: diagnostic.help.as_deref(),
            notes: &diagnostic.notes,
            labels: diagnostic
                .secondary
                .iter()
                .map(|label| SecondaryLabel {
                    location: Location::of(label, sources),
                    message: &label.message,
                })
                .collect(),
        })
        .collect();
    pretty_json(&Output {
        version: FORMAT_VERSION,
        diagnostics: items,
        summary: Summary::of(diagnostics),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::render::fixture;

    const SCHEMA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/diagnostics.schema.json"
    ));

    #[test]
    fn json() {
        let (sources, diagnostics) = fixture();
        insta::assert_snapshot!(render_json(&diagnostics, &sources));
    }

    /// Without a validator crate: every object has the fields the schema requires and
    /// none it does not describe, all the way down.
    #[test]
    fn output_has_the_fields_of_the_schema() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let (sources, diagnostics) = fixture();
        let output: Value = serde_json::from_str(&render_json(&diagnostics, &sources)).unwrap();
        check(&schema, &schema, &output, "$");
        let empty: Value = serde_json::from_str(&render_json(&[], &sources)).unwrap();
        check(&schema, &schema, &empty, "$");
    }

    fn check(root: &Value, schema: &Value, value: &Value, path: &str) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.strip_prefix("#/$defs/").unwrap();
            return check(root, &root["$defs"][name], value, path);
        }
        if let Some(object) = value.as_object() {
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap();
                assert!(object.contains_key(key), "{path} lacks `{key}`");
            }
            for (key, field) in object {
                let property = &schema["properties"][key];
                assert!(!property.is_null(), "{path}.{key} is not in the schema");
                check(root, property, field, &format!("{path}.{key}"));
            }
        }
        if let Some(items) = value.as_array() {
            for (index, item) in items.iter().enumerate() {
                check(root, &schema["items"], item, &format!("{path}[{index}]"));
            }
        }
    }
}
