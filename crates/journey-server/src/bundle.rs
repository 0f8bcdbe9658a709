//! A deployment: the project's sources as text (`journey.toml`, journeys, helpers),
//! stored in the database so that runs pinned to an old version can finish on it after
//! restarts and new deployments. The CLI reads the files; this compiles them.

use journey_analysis::AnalysisHost;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// `journey.toml` (empty: the defaults).
    #[serde(default)]
    pub config: String,
    /// Journey files (`.journey`, or Turn `.md` notebooks): (name, text).
    pub files: Vec<(String, String)>,
    /// `functions/*.rhai`: (name, text).
    #[serde(default)]
    pub functions: Vec<(String, String)>,
}

/// A bundle compiled.
pub type Compiled = journey_analysis::Project;

impl Bundle {
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&json)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Compiles and checks the bundle; `Err` holds the errors, rendered for people.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut host = AnalysisHost::new();
        host.set_file_text("journey.toml", self.config.clone());
        for (name, text) in self.files.iter().chain(&self.functions) {
            host.set_file_text(name, text.clone());
        }
        let analysis = host.analysis();
        let errors = analysis.errors();
        if !errors.is_empty() {
            return Err(journey_diagnostics::render_human(
                &errors,
                analysis.sources(),
                false,
            ));
        }
        let compiled = host.into_project();
        if compiled.journeys.is_empty() {
            return Err("the project has no journeys".to_owned());
        }
        Ok(compiled)
    }
}
