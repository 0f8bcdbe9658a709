//! `journey check`: a registry of rules over compiled journeys (ruff's shape: one file
//! per rule in `rules/`, a central code table in `registry.rs`, docs from the rules).

mod analysis;
pub mod docs;
mod limits;
mod optout;
pub mod registry;
mod rule;
mod rules;
mod templates;
mod variables;
mod visit;
mod window;

use journey_diagnostics::Diagnostic;
use journey_model::CompiledJourney;
use journey_project::ProjectConfig;

pub use registry::{RULES, rule};
pub use rule::{Context, Rule};

/// Runs every rule that the project's `[check]` settings enable on every journey of
/// the project, at the severity they set.
pub fn check(project: &[CompiledJourney], config: &ProjectConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let windows = std::cell::OnceCell::new();
    for journey in project {
        let ctx = Context::new(journey, project, config, &windows);
        for rule in RULES {
            let (Some(check), Some(severity)) = (
                rule.check,
                config.check.severity_for(rule.code, rule.default_severity),
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

/// Applies the `[check]` settings to diagnostics found outside the rules (parser, config).
pub fn apply_settings(diagnostics: Vec<Diagnostic>, config: &ProjectConfig) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter_map(|mut d| {
            d.severity = config.check.severity_for(d.code, d.severity)?;
            Some(d)
        })
        .collect()
}
