//! Deserialising the parsed tree leniently: a value of the wrong type costs that value
//! (its key falls back to the default) and one J002, not the whole file.

use journey_diagnostics::Diagnostic;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeTable;

use crate::toml_errors::value_error;
use crate::tree::{self, Path};

/// Deserialises `root`, cutting out each value serde rejects and trying again.
/// `root` is left as the tree the returned config was read from.
pub(crate) fn deserialize<T: DeserializeOwned + Default>(
    file: journey_diagnostics::FileId,
    root: &mut Spanned<DeTable<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> T {
    // Errors are described by their place in the file as written: cutting an array
    // element shifts the indexes of the elements after it.
    let written = root.clone();
    let mut removed: Vec<Path> = Vec::new();
    loop {
        let error = match T::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(config) => return config,
            Err(error) => error,
        };
        let span = error.span().unwrap_or_default();
        let place = tree::find(written.get_ref(), &span).unwrap_or_default();
        // A table that lost a required key to an earlier error is already reported.
        if !removed.iter().any(|earlier| earlier.starts_with(&place)) {
            diagnostics.push(value_error(file, written.get_ref(), &place, &error));
        }
        let current = tree::find(root.get_ref(), &span).unwrap_or_default();
        if !tree::remove(root.get_mut(), &current) {
            // No value to blame (toml always gives one): keep the defaults.
            return T::default();
        }
        removed.push(place);
    }
}
