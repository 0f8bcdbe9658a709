//! The keys journey.toml knows, and the J003 warnings for the ones it does not.
//!
//! serde would silently ignore an unknown key, and `deny_unknown_fields` would reject the
//! whole file for one typo; this walk warns about each one, says where it is and
//! suggests the key the author probably meant.

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::UNKNOWN_CONFIG_KEY;
use crate::tree::{Path, describe_table};

/// The expected layout of a part of the file.
pub enum Shape {
    /// A scalar or a list of scalars: deserialisation checks its type.
    Value,
    /// A table with a fixed set of keys.
    Table(&'static [(&'static str, Shape)]),
    /// A table whose keys the author chooses (field names, rule codes).
    Map(&'static Shape),
    /// An array of tables (`[[templates]]`, `buttons = [...]`).
    Array(&'static Shape),
}

/// Warns about every key that `shape` does not know.
pub(crate) fn unknown_keys(file: FileId, root: &DeTable<'_>, shape: &Shape) -> Vec<Diagnostic> {
    let Shape::Table(sections) = shape else {
        return Vec::new();
    };
    let mut walk = Walk {
        file,
        root,
        sections,
        found: Vec::new(),
    };
    walk.table(root, sections, &Path::default());
    walk.found
}

struct Walk<'t, 'i> {
    file: FileId,
    root: &'t DeTable<'i>,
    sections: &'static [(&'static str, Shape)],
    found: Vec<Diagnostic>,
}

impl Walk<'_, '_> {
    fn table(&mut self, table: &DeTable<'_>, keys: &'static [(&'static str, Shape)], path: &Path) {
        for (key, value) in table {
            match keys.iter().find(|(known, _)| *known == key.get_ref()) {
                Some((_, shape)) => self.value(value, shape, &path.key(key.get_ref())),
                None => self.unknown(key, value, keys, path),
            }
        }
    }

    fn value(&mut self, value: &Spanned<DeValue<'_>>, shape: &'static Shape, path: &Path) {
        match (shape, value.get_ref()) {
            (Shape::Table(keys), DeValue::Table(table)) => self.table(table, keys, path),
            (Shape::Map(inner), DeValue::Table(table)) => {
                for (key, value) in table {
                    self.value(value, inner, &path.key(key.get_ref()));
                }
            }
            (Shape::Array(inner), DeValue::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.value(item, inner, &path.index(i));
                }
            }
            // Anything else is a scalar, or a wrong type that deserialisation reports.
            _ => {}
        }
    }

    fn unknown(
        &mut self,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
        keys: &'static [(&'static str, Shape)],
        path: &Path,
    ) {
        let name = key.get_ref().as_ref();
        let message = if !path.0.is_empty() {
            format!(
                "unknown key `{name}` in {}",
                describe_table(self.root, path)
            )
        } else if value.get_ref().is_table() {
            format!("unknown section `[{name}]`")
        } else {
            format!("unknown key `{name}` at the top level")
        };
        let span = Span::new(key.span().start, key.span().end);
        let mut diagnostic = Diagnostic::new(
            UNKNOWN_CONFIG_KEY,
            Severity::Warning,
            self.file,
            span,
            message,
        )
        .with_label("journey ignores this key");
        let names = keys.iter().map(|(known, _)| *known);
        if let Some(better) = did_you_mean(name, names.clone()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{better}`?"));
        } else if let Some(section) = self.section_with(name).filter(|_| path.0.is_empty()) {
            diagnostic = diagnostic.with_help(format!("`{name}` belongs under `[{section}]`"));
        } else {
            let list: Vec<String> = names.map(|k| format!("`{k}`")).collect();
            diagnostic = diagnostic.with_note(format!("known keys here: {}", list.join(", ")));
        }
        self.found.push(diagnostic);
    }

    /// The section that has a key of this name, for a key written above every section.
    fn section_with(&self, key: &str) -> Option<&'static str> {
        self.sections
            .iter()
            .find_map(|(section, shape)| match shape {
                Shape::Table(keys) => keys.iter().any(|(k, _)| *k == key).then_some(*section),
                _ => None,
            })
    }
}

/// The candidate closest to `word`, if it is close enough to be a typo of it.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&word, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_only_close_names() {
        let keys = ["name", "language", "body", "buttons"];
        assert_eq!(did_you_mean("langauge", keys), Some("language"));
        assert_eq!(did_you_mean("bdy", keys), Some("body"));
        assert_eq!(did_you_mean("Name", keys), Some("name"));
        assert_eq!(did_you_mean("colour", keys), None);
    }
}
