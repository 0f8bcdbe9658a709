//! A deployment: the project's sources as text (`journey.toml`, journeys, helpers),
//! stored in the database so that runs pinned to an old version can finish on it after
//! restarts and new deployments. The CLI reads the files; this compiles them.

use journey_diagnostics::{Diagnostic, Severity, SourceMap};
use journey_expr::Functions;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
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
pub struct Compiled {
    pub config: ProjectConfig,
    pub functions: Option<Functions>,
    pub journeys: Vec<CompiledJourney>,
}

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
        let mut sources = SourceMap::new();
        let mut diagnostics: Vec<Diagnostic> = Vec::new();
        let config_id = sources.add("journey.toml", self.config.clone());
        let (config, found) = journey_project::parse_config(config_id, &self.config);
        diagnostics.extend(found);
        let functions = if self.functions.is_empty() {
            None
        } else {
            match Functions::load(&self.functions) {
                Ok(functions) => Some(functions),
                Err(errors) => {
                    let reasons: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}:{}: {}", e.file, e.line, e.message))
                        .collect();
                    return Err(format!(
                        "helper functions do not compile:\n{}",
                        reasons.join("\n")
                    ));
                }
            }
        };
        let mut parsed = Vec::new();
        for (name, text) in &self.files {
            let id = sources.add(name.clone(), text.clone());
            let result = if name.ends_with(".md") {
                journey_syntax::parse_notebook(id, text)
            } else {
                journey_syntax::parse_journey(id, text)
            };
            diagnostics.extend(result.diagnostics.iter().cloned());
            parsed.push((id, name, result));
        }
        let modules: Vec<SourceModule<'_>> = parsed
            .iter()
            .map(|(id, name, result)| SourceModule {
                file: *id,
                default_name: stem(name),
                module: &result.module,
                text: &sources.get(*id).text,
                has_syntax_errors: result
                    .diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error),
            })
            .collect();
        let mut index = ProjectIndex::default();
        for (name, arity) in functions.iter().flat_map(Functions::arities) {
            index.add_function(&name, arity);
        }
        let journeys = journey_model::compile(&modules, index);
        let mut errors = journey_check::apply_settings(diagnostics, &config);
        errors.extend(journey_check::check(&journeys, &config));
        errors.retain(|d| d.severity == Severity::Error);
        if !errors.is_empty() {
            journey_diagnostics::sort(&mut errors);
            return Err(journey_diagnostics::render_human(&errors, &sources, false));
        }
        if journeys.is_empty() {
            return Err("the project has no journeys".to_owned());
        }
        Ok(Compiled {
            config,
            functions,
            journeys,
        })
    }
}

fn stem(name: &str) -> String {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file.rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_owned()
}
