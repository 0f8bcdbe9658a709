//! What a rule is: metadata, documentation and a check over one compiled journey.

use journey_diagnostics::{Diagnostic, RuleMeta, Severity, Span};
use std::sync::OnceLock;

use journey_model::CompiledJourney;
use journey_project::ProjectConfig;

use crate::reengagement::{self, Reengagement};
use crate::variables::{self, Facts};
use crate::window::{self, Windows};

/// Everything a rule may look at.
pub struct Context<'a> {
    pub journey: &'a CompiledJourney,
    /// Every journey of the project, for rules that follow `run_stack`/`schedule`.
    pub project: &'a [CompiledJourney],
    /// The project's `journey.toml` (defaults when there is none).
    pub config: &'a ProjectConfig,
    variables: OnceLock<Facts>,
    /// Project-wide analyses: computed once, shared by every journey.
    shared: &'a Shared,
}

/// The analyses that look at the whole project, computed when a rule first asks.
#[derive(Default)]
pub(crate) struct Shared {
    windows: OnceLock<Windows>,
    reengagement: OnceLock<Vec<Reengagement>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        journey: &'a CompiledJourney,
        project: &'a [CompiledJourney],
        config: &'a ProjectConfig,
        shared: &'a Shared,
    ) -> Self {
        Context {
            journey,
            project,
            config,
            variables: OnceLock::new(),
            shared,
        }
    }

    /// The 24-hour window ages of the project's steps.
    pub(crate) fn windows(&self) -> &Windows {
        self.shared
            .windows
            .get_or_init(|| window::analyse(self.project))
    }

    /// The project's re-engagement loops.
    pub(crate) fn reengagement(&self) -> &[Reengagement] {
        self.shared
            .reengagement
            .get_or_init(|| reengagement::analyse(self.project))
    }

    /// This journey's index in the project.
    pub(crate) fn journey_index(&self) -> usize {
        self.project
            .iter()
            .position(|j| std::ptr::eq(j, self.journey))
            .unwrap_or_default()
    }

    /// For a finding whose cause is the project's, said once per project: `None` when an
    /// earlier journey of the project has it too (that one reports it), else the names
    /// of the later journeys that have it.
    pub(crate) fn once_per_project(
        &self,
        has: impl Fn(&CompiledJourney) -> bool,
    ) -> Option<Vec<&'a str>> {
        let here = self.journey_index();
        if self.project[..here].iter().any(&has) {
            return None;
        }
        Some(
            self.project[here + 1..]
                .iter()
                .filter(|j| has(j))
                .map(|j| j.name.as_str())
                .collect(),
        )
    }

    /// The variable dataflow, computed once for the rules that need it.
    pub(crate) fn variables(&self) -> &Facts {
        self.variables
            .get_or_init(|| variables::analyse(self.journey))
    }
}

pub type CheckFn = fn(&Context<'_>, &mut Vec<Diagnostic>);

pub struct Rule {
    pub code: &'static str,
    /// Kebab-case, naming the problem (`unknown-card`).
    pub name: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    /// Markdown with the sections What it does / Why is this bad / Example / How to fix.
    pub doc: &'static str,
    /// `None` for rules reported by an earlier phase (the parser, the config loader).
    pub check: Option<CheckFn>,
}

impl Rule {
    pub fn meta(&self) -> RuleMeta {
        RuleMeta {
            code: self.code,
            name: self.name,
            summary: self.summary,
            default_severity: self.default_severity,
            help_uri: None,
        }
    }

    /// A diagnostic of this rule at its default severity, in the journey's file.
    pub fn diagnostic(
        &self,
        ctx: &Context<'_>,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(
            self.code,
            self.default_severity,
            ctx.journey.file,
            span,
            message,
        )
    }
}

/// The other journeys of the project with the same finding: "journey `b`", "2 other
/// journeys of this project (`b`, `c`)"; `None` when there are none.
pub(crate) fn others_text(others: &[&str]) -> Option<String> {
    match others {
        [] => None,
        [one] => Some(format!("journey `{one}`")),
        many => Some(format!(
            "{} other journeys of this project ({})",
            many.len(),
            many.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
