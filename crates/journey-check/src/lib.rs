//! `journey check`: a registry of rules over compiled journeys (ruff's shape: one file
//! per rule in `rules/`, a central code table in `registry.rs`, docs from the rules).

mod analysis;
pub mod docs;
pub mod registry;
mod rule;
mod rules;
mod variables;
mod visit;

use journey_diagnostics::{Diagnostic, Severity};
use journey_model::CompiledJourney;

pub use registry::{RULES, rule};
pub use rule::{Context, Rule};

/// Decides, per code, whether a rule runs and at which severity (`None`: disabled).
/// The project configuration implements it; `default_policy` runs every rule as is.
pub trait Policy {
    fn severity(&self, code: &str, default: Severity) -> Option<Severity>;
}

/// Every rule at its default severity.
pub struct DefaultPolicy;

impl Policy for DefaultPolicy {
    fn severity(&self, _code: &str, default: Severity) -> Option<Severity> {
        Some(default)
    }
}

/// Runs every enabled rule on every journey of the project.
pub fn check(project: &[CompiledJourney], policy: &dyn Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for journey in project {
        let ctx = Context::new(journey, project);
        for rule in RULES {
            let (Some(check), Some(severity)) = (
                rule.check,
                policy.severity(rule.code, rule.default_severity),
            ) else {
                continue;
            };
            let start = out.len();
            check(&ctx, &mut out);
            for diagnostic in &mut out[start..] {
                diagnostic.severity = severity;
            }
        }
    }
    out
}

/// Applies the policy to diagnostics produced outside the rules (parser, config).
pub fn apply_policy(diagnostics: Vec<Diagnostic>, policy: &dyn Policy) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter_map(|mut d| {
            d.severity = policy.severity(d.code, d.severity)?;
            Some(d)
        })
        .collect()
}
