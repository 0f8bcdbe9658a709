//! SARIF 2.1.0, the format code-scanning services (GitHub code scanning among them) import.

use serde::Serialize;

use super::{Location, RuleMeta, full_message, pretty_json};
use crate::{Diagnostic, Label, Severity, SourceMap};

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    /// SARIF counts columns in UTF-16 units unless told otherwise; ours count characters.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    default_configuration: Configuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'static str>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    /// Absent when the caller passed no metadata for the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: [SarifLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    /// Numbers related locations: SARIF wants them unique, and two labels may share a
    /// place and a text.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// Renders one SARIF run. `rules` become `tool.driver.rules`, all of them and in the
/// given order, so that `ruleIndex` is stable between runs; `tool_version` is the
/// version of the journey binary. File names become relative URIs, so they should be
/// relative to the repository root.
pub fn render_sarif(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    rules: &[RuleMeta],
    tool_version: &str,
) -> String {
    let results = diagnostics
        .iter()
        .map(|diagnostic| SarifResult {
            rule_id: diagnostic.code,
            rule_index: rules.iter().position(|rule| rule.code == diagnostic.code),
            level: level(diagnostic.severity),
            message: Message {
                text: full_message(diagnostic),
            },
            locations: [location(&diagnostic.primary, sources)],
            related_locations: diagnostic
                .secondary
                .iter()
                .enumerate()
                .map(|(id, label)| SarifLocation {
                    id: Some(id),
                    message: Some(label.message.clone())
                        .filter(|text| !text.is_empty())
                        .map(|text| Message { text }),
                    ..location(label, sources)
                })
                .collect(),
        })
        .collect();
    let rules = rules
        .iter()
        .map(|rule| Rule {
            id: rule.code,
            name: rule.name,
            short_description: Message {
                text: rule.summary.to_owned(),
            },
            default_configuration: Configuration {
                level: level(rule.default_severity),
            },
            help_uri: rule.help_uri,
        })
        .collect();
    pretty_json(&Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "journey",
                    version: tool_version,
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A label as a SARIF location, without the id and text only related locations have.
fn location(label: &Label, sources: &SourceMap) -> SarifLocation {
    let at = Location::of(label, sources);
    SarifLocation {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_reference(at.file),
            },
            region: Region {
                start_line: at.line,
                start_column: at.column,
                end_line: at.end_line,
                end_column: at.end_column,
            },
        },
        message: None,
    }
}

/// A path as a relative URI reference: `/` separators, and everything but unreserved
/// characters percent-encoded (a space or `:` would make it a different URI).
fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'\\' => uri.push('/'),
            b'/' | b'-' | b'.' | b'_' | b'~' => uri.push(char::from(byte)),
            _ if byte.is_ascii_alphanumeric() => uri.push(char::from(byte)),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    fn rules() -> [RuleMeta; 3] {
        [
            RuleMeta {
                code: "J101",
                name: "unknown-card",
                summary: "A `then` names a card that does not exist.",
                default_severity: Severity::Error,
                help_uri: Some("docs/rules/J101.md"),
            },
            RuleMeta {
                code: "J202",
                name: "unassigned-variable",
                summary: "A variable is read but never assigned.",
                default_severity: Severity::Warning,
                help_uri: None,
            },
            // Not in the fixture's results: every given rule is still listed.
            RuleMeta {
                code: "J301",
                name: "unreachable-card",
                summary: "No path leads to this card.",
                default_severity: Severity::Warning,
                help_uri: None,
            },
        ]
    }

    /// J402 has no metadata, so its result has a `ruleId` but no `ruleIndex`.
    #[test]
    fn sarif() {
        let (sources, diagnostics) = fixture();
        insta::assert_snapshot!(render_sarif(&diagnostics, &sources, &rules(), "0.1.0"));
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri_reference("my flows\\C:é.journey"),
            "my%20flows/C%3A%C3%A9.journey"
        );
    }
}
