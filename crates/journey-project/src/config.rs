//! The whole of journey.toml, and lookups across its sections.

use std::collections::BTreeMap;

use journey_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::assignment::{self, Queue, Team};
use crate::check::{self, CheckConfig};
use crate::fields::{self, FieldSpec};
use crate::locations::Locations;
use crate::schema::Shape;
use crate::settings::{self, ChannelSettings, Keywords, ProjectSettings, Secrets};
use crate::templates::{self, Template};

/// A project's settings. `ProjectConfig::default()` is what a project without a
/// journey.toml gets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectConfig {
    pub project: ProjectSettings,
    pub channel: ChannelSettings,
    pub keywords: Keywords,
    /// Contact fields the project declares, by name; see [`ProjectConfig::field`] for
    /// the built-in ones.
    pub fields: BTreeMap<String, FieldSpec>,
    /// The template registry: a snapshot of the WhatsApp templates of the account.
    pub templates: Vec<Template>,
    pub check: CheckConfig,
    pub secrets: Secrets,
    /// The console's teams, by name.
    pub teams: BTreeMap<String, Team>,
    /// Handoff queues with assignment rules, by the name journeys hand off to.
    pub queues: BTreeMap<String, Queue>,
    /// Where each value was written; empty when there was no file.
    #[serde(skip)]
    pub locations: Locations,
}

/// Every key journey.toml knows, for the unknown-key warnings.
pub(crate) const SHAPE: Shape = Shape::Table(&[
    ("project", settings::PROJECT_SHAPE),
    ("channel", settings::CHANNEL_SHAPE),
    ("keywords", settings::KEYWORDS_SHAPE),
    ("fields", Shape::Map(&fields::SHAPE)),
    ("templates", Shape::Array(&templates::SHAPE)),
    ("check", check::SHAPE),
    ("secrets", settings::SECRETS_SHAPE),
    ("teams", Shape::Map(&assignment::TEAM_SHAPE)),
    ("queues", Shape::Map(&assignment::QUEUE_SHAPE)),
]);

impl ProjectConfig {
    /// The project's languages, the default first, each once.
    pub fn languages(&self) -> Vec<&str> {
        let mut all = vec![self.project.default_language.as_str()];
        for language in &self.project.languages {
            if !all.contains(&language.as_str()) {
                all.push(language);
            }
        }
        all
    }

    /// The registered template with this name and language.
    pub fn template(&self, name: &str, language: &str) -> Option<&Template> {
        self.templates
            .iter()
            .find(|t| t.name == name && t.language == language)
    }

    /// A contact field, declared or built in (a declaration refines a built-in).
    pub fn field(&self, name: &str) -> Option<FieldSpec> {
        self.fields
            .get(name)
            .cloned()
            .or_else(|| fields::builtin(name, &self.languages()))
    }

    /// Every contact field, built-in ones included, by name.
    pub fn all_fields(&self) -> BTreeMap<String, FieldSpec> {
        let mut all: BTreeMap<String, FieldSpec> = fields::BUILTIN_FIELDS
            .iter()
            .filter_map(|name| {
                Some((
                    (*name).to_owned(),
                    fields::builtin(name, &self.languages())?,
                ))
            })
            .collect();
        all.extend(self.fields.clone());
        all
    }

    /// What types alone cannot say: values that cannot work (J002) and keys that
    /// have no effect where they are written (J003).
    pub(crate) fn validate(&self) -> Vec<Diagnostic> {
        let at = &self.locations;
        let mut found = Vec::new();
        settings::validate_channel(&self.channel, at, &mut found);
        settings::validate_secrets(&self.secrets, at, &mut found);
        fields::validate(&self.fields, at, &mut found);
        templates::validate(&self.templates, at, &mut found);
        check::validate(&self.check, at, &mut found);
        let zone = &self.project.timezone;
        assignment::validate(&self.teams, &self.queues, zone, at, &mut found);
        found
    }
}
