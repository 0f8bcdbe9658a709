//! `[check]`: which rules run and how severe their findings are, with ruff's
//! semantics: codes and code prefixes, the most specific match wins.

use std::collections::BTreeMap;

use journey_diagnostics::{Diagnostic, Severity};
use serde::{Deserialize, Deserializer, Serialize};

use crate::locations::Locations;
use crate::schema::Shape;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckConfig {
    /// Rule codes or prefixes (`WA1`) to run; empty runs every rule.
    pub select: Vec<String>,
    /// Rule codes or prefixes to skip.
    pub ignore: Vec<String>,
    /// `journey check` fails on findings of this severity or worse.
    #[serde(deserialize_with = "severity")]
    pub fail_on: Severity,
    /// Severity overrides by rule code or prefix.
    #[serde(deserialize_with = "severity_map")]
    pub severity: BTreeMap<String, Severity>,
    /// Every finding in detail, where some rules otherwise summarise a project-wide
    /// cause once (WA420 without a field schema); `journey check --show-all`.
    pub show_all: bool,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            select: Vec::new(),
            ignore: Vec::new(),
            fail_on: Severity::Error,
            severity: BTreeMap::new(),
            show_all: false,
        }
    }
}

impl CheckConfig {
    /// The severity of rule `code`, whose own severity is `default`; `None` when the
    /// rule is off. The longest matching prefix decides: `select = ["WA1"]` with
    /// `ignore = ["WA103"]` runs WA101 but not WA103, and `select = ["WA103"]` with
    /// `ignore = ["WA1"]` runs WA103 only. At equal length, ignore wins.
    pub fn severity_for(&self, code: &str, default: Severity) -> Option<Severity> {
        let selected = if self.select.is_empty() {
            Some(0)
        } else {
            longest_prefix(self.select.iter(), code)
        };
        let ignored = longest_prefix(self.ignore.iter(), code);
        match (selected, ignored) {
            (None, _) => None,
            (Some(selected), Some(ignored)) if ignored >= selected => None,
            _ => {
                let best = self
                    .severity
                    .iter()
                    .filter(|(prefix, _)| code.starts_with(prefix.as_str()))
                    .max_by_key(|(prefix, _)| prefix.len());
                Some(best.map_or(default, |(_, severity)| *severity))
            }
        }
    }
}

/// The length of the longest of `prefixes` that `code` starts with.
fn longest_prefix<'a>(prefixes: impl Iterator<Item = &'a String>, code: &str) -> Option<usize> {
    prefixes
        .filter(|prefix| code.starts_with(prefix.as_str()))
        .map(String::len)
        .max()
}

/// The severities as journey.toml spells them.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Error,
    Warning,
    Info,
}

impl From<Level> for Severity {
    fn from(level: Level) -> Self {
        match level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Info => Severity::Info,
        }
    }
}

fn severity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Severity, D::Error> {
    Level::deserialize(deserializer).map(Severity::from)
}

fn severity_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Severity>, D::Error> {
    let levels = BTreeMap::<String, Level>::deserialize(deserializer)?;
    Ok(levels
        .into_iter()
        .map(|(code, level)| (code, level.into()))
        .collect())
}

/// The keys of `[check]`.
pub(crate) const SHAPE: Shape = Shape::Table(&[
    ("select", Shape::Value),
    ("ignore", Shape::Value),
    ("fail_on", Shape::Value),
    ("severity", Shape::Map(&Shape::Value)),
    ("show_all", Shape::Value),
]);

/// Codes must look like codes, or a typo would silently select nothing.
pub(crate) fn validate(check: &CheckConfig, at: &Locations, found: &mut Vec<Diagnostic>) {
    let lists = [("select", &check.select), ("ignore", &check.ignore)];
    let listed = lists.into_iter().flat_map(|(key, codes)| {
        codes
            .iter()
            .enumerate()
            .map(move |(i, code)| (format!("check.{key}[{i}]"), code))
    });
    let overridden = check
        .severity
        .keys()
        .map(|code| (format!("check.severity.{code}"), code));
    for (path, code) in listed.chain(overridden) {
        if !is_code_prefix(code) {
            let mut diagnostic =
                at.invalid(&path, format!("`{code}` is not a rule code or prefix"));
            let upper = code.to_uppercase();
            diagnostic = if is_code_prefix(&upper) {
                diagnostic.with_help(format!("codes are upper case: `{upper}`"))
            } else {
                diagnostic
                    .with_help("write a code such as `WA101` or a prefix such as `WA1` or `J`")
            };
            found.push(diagnostic);
        }
    }
}

/// Capital letters then digits: `J`, `WA`, `WA1`, `WA101`.
fn is_code_prefix(code: &str) -> bool {
    let digits = code.trim_start_matches(|c: char| c.is_ascii_uppercase());
    digits.len() < code.len() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(select: &[&str], ignore: &[&str], severity: &[(&str, Severity)]) -> CheckConfig {
        let owned = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect();
        CheckConfig {
            select: owned(select),
            ignore: owned(ignore),
            severity: severity
                .iter()
                .map(|(c, s)| ((*c).to_owned(), *s))
                .collect(),
            ..CheckConfig::default()
        }
    }

    #[test]
    fn everything_runs_at_its_own_severity_by_default() {
        let check = CheckConfig::default();
        assert_eq!(
            check.severity_for("WA101", Severity::Error),
            Some(Severity::Error)
        );
        assert_eq!(
            check.severity_for("J003", Severity::Warning),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn the_most_specific_match_wins() {
        let check = config(&["WA1"], &["WA103"], &[]);
        assert_eq!(
            check.severity_for("WA101", Severity::Error),
            Some(Severity::Error)
        );
        assert_eq!(check.severity_for("WA103", Severity::Warning), None);
        assert_eq!(
            check.severity_for("WA201", Severity::Error),
            None,
            "not selected"
        );

        let check = config(&["WA103"], &["WA1"], &[]);
        assert_eq!(
            check.severity_for("WA103", Severity::Warning),
            Some(Severity::Warning)
        );
        assert_eq!(check.severity_for("WA101", Severity::Error), None);

        let check = config(&[], &["WA"], &[]);
        assert_eq!(check.severity_for("WA101", Severity::Error), None);
        assert_eq!(
            check.severity_for("J101", Severity::Error),
            Some(Severity::Error)
        );
    }

    #[test]
    fn ignore_beats_select_at_equal_specificity() {
        let check = config(&["WA1"], &["WA1"], &[]);
        assert_eq!(check.severity_for("WA101", Severity::Error), None);
    }

    #[test]
    fn the_longest_severity_override_applies() {
        let check = config(
            &[],
            &[],
            &[
                ("WA", Severity::Info),
                ("WA10", Severity::Error),
                ("WA103", Severity::Warning),
            ],
        );
        assert_eq!(
            check.severity_for("WA103", Severity::Info),
            Some(Severity::Warning)
        );
        assert_eq!(
            check.severity_for("WA107", Severity::Info),
            Some(Severity::Error)
        );
        assert_eq!(
            check.severity_for("WA201", Severity::Error),
            Some(Severity::Info)
        );
        assert_eq!(
            check.severity_for("J101", Severity::Error),
            Some(Severity::Error)
        );
    }

    #[test]
    fn a_code_prefix_is_capitals_then_digits() {
        for good in ["J", "WA", "WA1", "WA101", "J002"] {
            assert!(is_code_prefix(good), "{good}");
        }
        for bad in ["", "wa101", "101", "WA-101", "WA1A"] {
            assert!(!is_code_prefix(bad), "{bad}");
        }
    }
}
