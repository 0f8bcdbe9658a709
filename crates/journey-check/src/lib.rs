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

use std::sync::atomic::{AtomicUsize, Ordering};

use journey_diagnostics::Diagnostic;
use journey_model::CompiledJourney;
use journey_project::ProjectConfig;

pub use optout::missing_opt_out;
pub use registry::{RULES, rule};
pub use rule::{CheckFn, Context, Rule};
pub use rules::missing_translation::{Gaps, untranslated};
pub use rules::template_unknown_or_unapproved::awaits_approval;
pub use suppression::suppress;

/// Runs every rule that the project's `[check]` settings enable on every journey of
/// the project, at the severity they set. A large project's rules run on every core;
/// the findings come out in the same order either way (journey, then rule).
pub fn check(project: &[CompiledJourney], config: &ProjectConfig) -> Vec<Diagnostic> {
    let enabled: Vec<(&Rule, CheckFn)> = RULES
        .iter()
        .filter(|rule| {
            config
                .check
                .severity_for(rule.code, rule.default_severity)
                .is_some()
        })
        .filter_map(|&rule| Some((rule, rule.check?)))
        .collect();
    let shared = rule::Shared::default();
    let threads = if project_size(project) >= PARALLEL_MIN_STEPS {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    } else {
        1
    };
    let mut out = Vec::new();
    for journey in project {
        let ctx = Context::new(journey, project, config, &shared);
        for (rule, mut found) in run_rules(&ctx, &enabled, threads) {
            // A rule may raise one finding above its default (WA304 on marketing);
            // `[check] severity` still has the last word.
            for diagnostic in &mut found {
                if let Some(severity) = config.check.severity_for(rule.code, diagnostic.severity) {
                    diagnostic.severity = severity;
                }
            }
            out.append(&mut found);
        }
    }
    out
}

/// Projects with fewer steps than this are checked on one thread: starting threads
/// would cost more than they save (a 500-card journey has about 4,000 steps).
const PARALLEL_MIN_STEPS: usize = 20_000;

fn project_size(project: &[CompiledJourney]) -> usize {
    project.iter().map(|j| j.graph.node_count()).sum()
}

/// Each rule's findings on one journey, in the order of `rules`. With several threads
/// each takes the next rule not yet taken; the project-wide analyses are started first,
/// one per thread, since most of the time goes there.
fn run_rules<'r>(
    ctx: &Context<'_>,
    rules: &[(&'r Rule, CheckFn)],
    threads: usize,
) -> Vec<(&'r Rule, Vec<Diagnostic>)> {
    let run = |&(rule, check): &(&'r Rule, CheckFn)| {
        let mut found = Vec::new();
        check(ctx, &mut found);
        (rule, found)
    };
    if threads < 2 {
        return rules.iter().map(run).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = |warm: fn(&Context<'_>)| {
        warm(ctx);
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(rule) = rules.get(index) else {
                break done;
            };
            done.push((index, run(rule)));
        }
    };
    let warmers: [fn(&Context<'_>); 2] = [
        |ctx| {
            ctx.windows();
        },
        |ctx| {
            ctx.reengagement();
        },
    ];
    let mut done: Vec<(usize, (&'r Rule, Vec<Diagnostic>))> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|i| {
                let warm: fn(&Context<'_>) = warmers.get(i).copied().unwrap_or(|_| {});
                scope.spawn(move || worker(warm))
            })
            .collect();
        let mut done = worker(warmers[0]);
        for helper in helpers {
            match helper.join() {
                Ok(found) => done.extend(found),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, found)| found).collect()
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

#[cfg(test)]
mod tests {
    use journey_diagnostics::FileId;
    use journey_model::{ProjectIndex, SourceModule};

    use super::*;

    /// The rules on several threads find exactly what they find on one, in the same
    /// order, on every fixture that has findings (as one project, so that the
    /// project-wide analyses see every journey).
    #[test]
    fn rules_on_every_core_find_what_one_thread_finds() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/invalid");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("the fixtures are there")
            .map(|entry| entry.expect("a readable directory").path())
            .filter(|path| path.extension().is_some_and(|e| e == "journey"))
            .collect();
        paths.sort();
        let texts: Vec<String> = paths
            .iter()
            .map(|path| std::fs::read_to_string(path).expect("a readable fixture"))
            .collect();
        let parsed: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| journey_syntax::parse_journey(FileId(i as u32), text))
            .collect();
        let modules: Vec<_> = parsed
            .iter()
            .zip(&texts)
            .enumerate()
            .map(|(i, (parsed, text))| SourceModule {
                file: FileId(i as u32),
                default_name: format!("fixture{i}"),
                module: &parsed.module,
                text,
                has_syntax_errors: !parsed.diagnostics.is_empty(),
            })
            .collect();
        let project = journey_model::compile(&modules, ProjectIndex::default());
        let config = ProjectConfig::default();
        let enabled: Vec<(&Rule, CheckFn)> = RULES
            .iter()
            .filter_map(|&rule| Some((rule, rule.check?)))
            .collect();
        let findings = |threads: usize| {
            let shared = rule::Shared::default();
            project
                .iter()
                .flat_map(|journey| {
                    let ctx = Context::new(journey, &project, &config, &shared);
                    run_rules(&ctx, &enabled, threads)
                        .into_iter()
                        .map(|(rule, found)| (rule.code, found))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        let one = findings(1);
        assert!(
            one.iter().filter(|(_, found)| !found.is_empty()).count() > 50,
            "the fixtures have findings of many rules"
        );
        assert_eq!(findings(3), one);
    }
}
