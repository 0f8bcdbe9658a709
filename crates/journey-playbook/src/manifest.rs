//! `playbook.toml`: what a playbook is, the parameters it takes, and what it needs from
//! the project it goes into (contact fields, templates, secrets). See docs/playbooks.md.

use std::collections::BTreeMap;

use journey_diagnostics::{Diagnostic, FileId};
use journey_project::{FIELD_KEYS, FieldSpec, Locations, Shape, TEMPLATE_KEYS, Template, TomlFile};
use serde::Deserialize;

use crate::params::{ParamType, ParamValue};

const PLAYBOOK_TOML: TomlFile = TomlFile {
    name: "playbook.toml",
    doc: "docs/playbooks.md",
};

/// Every key playbook.toml knows, for the unknown-key warnings.
const SHAPE: Shape = Shape::Table(&[
    (
        "playbook",
        Shape::Table(&[
            ("name", Shape::Value),
            ("summary", Shape::Value),
            ("version", Shape::Value),
            ("licence", Shape::Value),
            ("languages", Shape::Value),
        ]),
    ),
    (
        "parameters",
        Shape::Map(&Shape::Table(&[
            ("type", Shape::Value),
            ("default", Shape::Value),
            ("description", Shape::Value),
        ])),
    ),
    ("fields", Shape::Map(&FIELD_KEYS)),
    ("templates", Shape::Array(&TEMPLATE_KEYS)),
    (
        "secrets",
        Shape::Map(&Shape::Table(&[("description", Shape::Value)])),
    ),
]);

/// The file as serde reads it; [`Playbook`] is what callers get.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Manifest {
    playbook: About,
    parameters: BTreeMap<String, ParameterSpec>,
    fields: BTreeMap<String, FieldSpec>,
    templates: Vec<Template>,
    secrets: BTreeMap<String, SecretSpec>,
}

/// `[playbook]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct About {
    /// Lowercase words joined by `-`: how `journey playbook import NAME` finds it.
    pub name: String,
    /// One line: what the playbook does.
    pub summary: String,
    pub version: String,
    /// An SPDX identifier, e.g. `CC-BY-4.0` or `Apache-2.0`.
    pub licence: String,
    /// The languages its messages are written in (the first is the default).
    #[serde(default)]
    pub languages: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ParameterSpec {
    #[serde(rename = "type")]
    kind: ParamType,
    #[serde(default)]
    default: Option<toml::Value>,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Default, Deserialize)]
struct SecretSpec {
    #[serde(default)]
    description: String,
}

/// A value the operator fills in on import (`--set NAME=value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub kind: ParamType,
    /// `None`: the parameter is required.
    pub default: Option<ParamValue>,
    pub description: String,
}

/// A secret the journeys read with `secret("NAME")`; its value never goes in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub name: String,
    pub description: String,
}

/// A parsed playbook.toml.
#[derive(Clone, Debug, Default)]
pub struct Playbook {
    pub about: About,
    /// In the order they are written.
    pub parameters: Vec<Parameter>,
    /// Contact fields the journeys need, as journey.toml declares them.
    pub fields: BTreeMap<String, FieldSpec>,
    /// Templates the journeys send, as journey.toml registers them.
    pub templates: Vec<Template>,
    pub secrets: Vec<Secret>,
    /// Where each value was written, for errors and for copying blocks verbatim.
    pub locations: Locations,
    /// The file's text.
    pub text: String,
}

impl Playbook {
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// Reads a playbook.toml. Like journey.toml, a mistake costs only the value it is in:
/// every problem is a located J002 error or J003 warning, sorted.
pub fn parse_playbook(file: FileId, text: &str) -> (Playbook, Vec<Diagnostic>) {
    let document = journey_project::read_toml::<Manifest>(&PLAYBOOK_TOML, file, text, &SHAPE);
    let at = document.locations;
    let mut diagnostics = document.diagnostics;
    let manifest = document.value;
    diagnostics.extend(journey_project::validate_fields(&manifest.fields, &at));
    diagnostics.extend(journey_project::validate_templates(
        &manifest.templates,
        &at,
    ));
    if !at.is_empty() {
        validate_about(&manifest.playbook, &at, &mut diagnostics);
    }
    let parameters = parameters(manifest.parameters, &at, &mut diagnostics);
    validate_secrets(&manifest.secrets, &at, &mut diagnostics);
    let secrets = manifest
        .secrets
        .into_iter()
        .map(|(name, spec)| Secret {
            name,
            description: spec.description,
        })
        .collect();
    journey_diagnostics::sort(&mut diagnostics);
    let playbook = Playbook {
        about: manifest.playbook,
        parameters,
        fields: manifest.fields,
        templates: manifest.templates,
        secrets,
        locations: at,
        text: text.to_owned(),
    };
    (playbook, diagnostics)
}

fn validate_about(about: &About, at: &Locations, found: &mut Vec<Diagnostic>) {
    if at.span("playbook").is_none() {
        found.push(
            at.invalid("", "playbook.toml has no `[playbook]` section")
                .with_help("start the file with `[playbook]` and its `name`, `summary`, `version` and `licence`"),
        );
        return;
    }
    let is_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !about.name.is_empty() && !is_name(&about.name) {
        found.push(
            at.invalid(
                "playbook.name",
                format!("`{}` is not a playbook name", about.name),
            )
            .with_help("use lowercase letters, digits and `-`, e.g. `appointment-reminders`"),
        );
    }
}

/// The parameters in file order, each default checked against its type.
fn parameters(
    specs: BTreeMap<String, ParameterSpec>,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) -> Vec<Parameter> {
    let mut parameters: Vec<Parameter> = specs
        .into_iter()
        .filter_map(|(name, spec)| {
            let path = format!("parameters.{name}");
            if !crate::params::is_parameter_name(&name) {
                found.push(
                    at.invalid(&path, format!("`{name}` cannot be a parameter name"))
                        .with_help("use lowercase letters, digits and `_`, starting with a letter"),
                );
                return None;
            }
            let default = match spec.default {
                None => None,
                Some(value) => match ParamValue::from_toml(spec.kind, &value) {
                    Ok(value) => Some(value),
                    Err(why) => {
                        found.push(
                            at.invalid(
                                &format!("{path}.default"),
                                format!("the default of parameter `{name}` {why}"),
                            )
                            .with_label(format!("expected {}", spec.kind.described())),
                        );
                        None
                    }
                },
            };
            Some(Parameter {
                name,
                kind: spec.kind,
                default,
                description: spec.description,
            })
        })
        .collect();
    parameters.sort_by_key(|p| at.span(&format!("parameters.{}", p.name)).map(|s| s.start));
    parameters
}

fn validate_secrets(
    secrets: &BTreeMap<String, SecretSpec>,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    let is_env_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    for name in secrets.keys().filter(|name| !is_env_name(name)) {
        found.push(
            at.invalid(
                &format!("secrets.{name}"),
                format!("secret name `{name}` cannot be an environment variable"),
            )
            .with_help("use capital letters, digits and `_`, e.g. `CONTENT_API_TOKEN`"),
        );
    }
}
