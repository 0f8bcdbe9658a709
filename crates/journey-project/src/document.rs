//! Reading one of our TOML files leniently against its shape: journey.toml, and the
//! playbook.toml of `journey-playbook`, which declares fields and templates in the same
//! shape as journey.toml and so gets the same errors at the same places.

use journey_diagnostics::{Diagnostic, FileId};
use serde::de::DeserializeOwned;
use toml::de::DeTable;

use crate::locations::Locations;
use crate::schema::{self, Shape};
use crate::{load, toml_errors};

/// Which file is read, for the words of its errors.
#[derive(Clone, Copy, Debug)]
pub struct TomlFile {
    /// `journey.toml`, `playbook.toml`.
    pub name: &'static str,
    /// The page that documents its layout.
    pub doc: &'static str,
}

pub(crate) const JOURNEY_TOML: TomlFile = TomlFile {
    name: "journey.toml",
    doc: "docs/project.md",
};

/// What [`read_toml`] made of a file.
#[derive(Debug)]
pub struct TomlDocument<T> {
    pub value: T,
    /// Where each value was written; empty when the file is not valid TOML.
    pub locations: Locations,
    /// J002 errors and J003 warnings, unsorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `text` as a `T`. A file that is not valid TOML gives its first syntax error
/// and `T::default()`. Otherwise every key `shape` does not know is a J003 warning,
/// each value of the wrong type a J002 error that costs only that value (its key keeps
/// its default), and a table left without a required key is dropped.
pub fn read_toml<T: DeserializeOwned + Default>(
    kind: &TomlFile,
    file: FileId,
    text: &str,
    shape: &Shape,
) -> TomlDocument<T> {
    let (mut root, errors) = DeTable::parse_recoverable(text);
    if let Some(error) = toml_errors::syntax_error(kind, file, text, &errors) {
        // Recovery guesses at the broken structure; checking its guesses adds only noise.
        return TomlDocument {
            value: T::default(),
            locations: Locations::default(),
            diagnostics: vec![error],
        };
    }
    let mut diagnostics = schema::unknown_keys(file, root.get_ref(), shape);
    let value = load::deserialize(file, &mut root, &mut diagnostics);
    TomlDocument {
        value,
        locations: Locations::new(file, root.get_ref()),
        diagnostics,
    }
}
