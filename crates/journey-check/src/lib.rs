//! `journey check`: a registry of rules over compiled journeys (ruff's shape: one file
//! per rule in `rules/`, a central code table in `registry.rs`, docs from the rules).

mod analysis;
pub mod docs;
mod escalation;
mod limits;
mod optout;
pub mod policy;
mod reengagement;
pub mod registry;
mod rule;
mod rules;
mod suppression;
mod templates;
mod variables;
mod visit;
mod window;

use journey_diagnostics::Diagnostic;
use journey_model::CompiledJourney;
use journey_project::ProjectConfig;

pub use registry::{RULES, rule};
pub use rule::{Context, Rule};
pub use rules::template_unknown_or_unapproved::awaits_approval;
pub use suppression::suppress;

/// Runs every rule that the project's `[check]` settings enable on every journey of
/// the project, at the severity they set.
pub fn check(project: &[CompiledJourney], config: &ProjectConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let shared = rule::Shared::default();
    for journey in project {
        let ctx = Context::new(journey, project, config, &shared);
        for rule in RULES {
            let (Some(check), Some(_)) = (
                rule.check,
                config.check.severity_for(rule.code, rule.default_severity),
            ) else {
                continue;
            };
            let start = out.len();
            check(&ctx, &mut out);
            // A rule may raise one finding above its default (WA304 on marketing);
            // `[check] severity` still has the last word.
            for diagnostic in &mut out[start..] {
                if let Some(severity) = config.check.severity_for(rule.code, diagnostic.severity) {
                    diagnostic.severity = severity;
                }
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
