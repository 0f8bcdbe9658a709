//! A journey project's `journey.toml`: project settings, the WhatsApp channel, keywords,
//! the contact field schema, the template registry, `[check]` settings, secret names and
//! the console's teams and queues; and the files `journey new` writes. See docs/project.md for the file format.
//!
//! This crate does no I/O: callers read files and pass their text. Parsing never
//! panics; every problem is a diagnostic, and whatever could be read is kept.

mod assignment;
mod check;
mod config;
mod document;
mod duration;
mod fields;
mod load;
mod locations;
mod scaffold;
mod schema;
mod settings;
mod templates;
mod toml_errors;
mod tree;

use journey_diagnostics::{Diagnostic, FileId};

pub use assignment::{Hours, HoursSpec, Queue, Strategy, Team};
pub use check::CheckConfig;
pub use config::ProjectConfig;
pub use document::{TomlDocument, TomlFile, read_toml};
pub use duration::{Duration, DurationError};
pub use fields::{BUILTIN_FIELDS, FieldSpec, FieldType};
pub use locations::Locations;
pub use scaffold::scaffold;
pub use schema::Shape;
pub use settings::{ChannelSettings, Keywords, ProjectSettings, Secrets};
pub use templates::{
    ButtonKind, HeaderKind, Template, TemplateButton, TemplateCategory, TemplateHeader,
    TemplateStatus,
};

/// `invalid-config` (error): journey.toml is not valid TOML, a value has the wrong
/// type, a required key is missing, or a value cannot work (see docs/project.md).
pub const INVALID_CONFIG: &str = "J002";
/// `unknown-config-key` (warning): a key journey.toml does not know, or one that has
/// no effect where it is written.
pub const UNKNOWN_CONFIG_KEY: &str = "J003";
/// `template-shape` (error): a `[[templates]]` entry breaks WhatsApp's template limits
/// (body, header, footer, buttons).
pub const TEMPLATE_SHAPE: &str = "WA504";

/// Reads a journey.toml; diagnostics come sorted. A file that is not valid TOML gives
/// its first syntax error and the default config. Otherwise each bad value is reported
/// and left at its default, and a table left without a required key (a template,
/// a header, a button) is dropped.
pub fn parse_config(file: FileId, text: &str) -> (ProjectConfig, Vec<Diagnostic>) {
    let document = read_toml::<ProjectConfig>(&document::JOURNEY_TOML, file, text, &config::SHAPE);
    let mut config = document.value;
    let mut diagnostics = document.diagnostics;
    config.locations = document.locations;
    diagnostics.extend(config.validate());
    journey_diagnostics::sort(&mut diagnostics);
    (config, diagnostics)
}

/// The keys of a `[fields.NAME]` table, for files that declare fields as journey.toml does.
pub const FIELD_KEYS: Shape = fields::SHAPE;
/// The keys of a `[[templates]]` entry, for files that declare templates as journey.toml does.
pub const TEMPLATE_KEYS: Shape = templates::SHAPE;

/// What types alone cannot say about fields written as `[fields.NAME]`: the J002 and
/// J003 findings `journey.toml` gets for them, at `at`'s places.
pub fn validate_fields(
    fields: &std::collections::BTreeMap<String, FieldSpec>,
    at: &Locations,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    fields::validate(fields, at, &mut found);
    found
}

/// What types alone cannot say about templates written as `[[templates]]` entries.
pub fn validate_templates(templates: &[Template], at: &Locations) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    templates::validate(templates, at, &mut found);
    found
}

#[cfg(test)]
mod tests;
