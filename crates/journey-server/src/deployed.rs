//! The journeys the server runs: every stored deployment compiled, so that a run
//! finishes on the version it started on (`RunState.version`), while new runs and
//! triggers use the latest deployment only.

use std::collections::BTreeMap;

use journey_expr::Functions;
use journey_model::CompiledJourney;
use journey_project::ProjectConfig;
use journey_runtime::Runtime;
use journey_store::Deployment;
use serde::Serialize;

use crate::bundle::Bundle;

pub struct Deployed {
    /// Every deployment's journeys, oldest first: the runtime takes the last of a
    /// name for new runs and finds older ones by content hash.
    journeys: Vec<CompiledJourney>,
    /// The latest deployment's journeys: only these start runs.
    latest: Vec<CompiledJourney>,
    pub config: ProjectConfig,
    functions: Option<Functions>,
    secrets: BTreeMap<String, String>,
    pub versions: Vec<Version>,
}

/// What `GET /admin/journeys` lists.
#[derive(Clone, Debug, Serialize)]
pub struct Version {
    pub deployment: i64,
    pub deployed_at: String,
    pub journey: String,
    /// The short content hash runs are pinned to.
    pub version: String,
}

impl Deployed {
    /// Compiles stored deployments, oldest first. One that no longer compiles (a newer
    /// `journey` changed the language) is skipped with a warning: its runs fail with a
    /// clear error rather than the whole server refusing to start.
    pub fn build(
        deployments: &[Deployment],
        secrets: &BTreeMap<String, String>,
    ) -> Result<Deployed, String> {
        let mut journeys = Vec::new();
        let mut versions = Vec::new();
        let mut latest = None;
        for deployment in deployments {
            let bundle: Bundle = match serde_json::from_str(&deployment.bundle) {
                Ok(bundle) => bundle,
                Err(e) => {
                    tracing::warn!(deployment = deployment.id, "unreadable deployment: {e}");
                    continue;
                }
            };
            let compiled = match bundle.compile() {
                Ok(compiled) => compiled,
                Err(e) => {
                    tracing::warn!(
                        deployment = deployment.id,
                        "deployment no longer compiles: {e}"
                    );
                    continue;
                }
            };
            for journey in &compiled.journeys {
                versions.push(Version {
                    deployment: deployment.id,
                    deployed_at: crate::clock::millis_to_timestamp(deployment.at).to_string(),
                    journey: journey.name.clone(),
                    version: journey.hash.chars().take(16).collect(),
                });
            }
            journeys.extend(compiled.journeys.iter().cloned());
            latest = Some(compiled);
        }
        let latest = latest.ok_or("no deployment compiles")?;
        let secrets = latest
            .config
            .secrets
            .names
            .iter()
            .filter_map(|name| Some((name.clone(), secrets.get(name)?.clone())))
            .collect();
        Ok(Deployed {
            journeys,
            latest: latest.journeys,
            config: latest.config,
            functions: latest.functions,
            secrets,
            versions,
        })
    }

    /// Runs every version.
    pub fn runtime(&self) -> Runtime<'_> {
        self.configure(Runtime::new(&self.journeys, &self.config))
    }

    /// Picks journeys for new runs: the latest deployment's triggers only.
    pub fn triggers(&self) -> Runtime<'_> {
        self.configure(Runtime::new(&self.latest, &self.config))
    }

    pub fn has_journey(&self, name: &str) -> bool {
        self.latest.iter().any(|j| j.name == name)
    }

    pub fn journey_names(&self) -> Vec<String> {
        self.latest.iter().map(|j| j.name.clone()).collect()
    }

    fn configure<'a>(&'a self, rt: Runtime<'a>) -> Runtime<'a> {
        let rt = rt.with_secrets(self.secrets.clone());
        match &self.functions {
            Some(functions) => rt.with_functions(functions),
            None => rt,
        }
    }
}
