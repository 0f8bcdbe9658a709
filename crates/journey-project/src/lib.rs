//! A journey project's `journey.toml`: project settings, the WhatsApp channel, keywords,
//! the contact field schema, the template registry, `[check]` settings and secret names;
//! and the files `journey new` writes. See docs/project.md for the file format.
//!
//! This crate does no I/O: callers read files and pass their text. Parsing never
//! panics; every problem is a diagnostic, and whatever could be read is kept.

mod check;
mod config;
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
use toml::de::DeTable;

pub use check::CheckConfig;
pub use config::ProjectConfig;
pub use duration::{Duration, DurationError};
pub use fields::{BUILTIN_FIELDS, FieldSpec, FieldType};
pub use locations::Locations;
pub use scaffold::scaffold;
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
    let (mut root, errors) = DeTable::parse_recoverable(text);
    if let Some(error) = toml_errors::syntax_error(file, text, &errors) {
        // Recovery guesses at the broken structure; checking its guesses adds only noise.
        return (ProjectConfig::default(), vec![error]);
    }
    let mut diagnostics = schema::unknown_keys(file, root.get_ref(), &config::SHAPE);
    let mut config = load::deserialize(file, &mut root, &mut diagnostics);
    config.locations = Locations::new(file, root.get_ref());
    diagnostics.extend(config.validate());
    journey_diagnostics::sort(&mut diagnostics);
    (config, diagnostics)
}

#[cfg(test)]
mod tests;
