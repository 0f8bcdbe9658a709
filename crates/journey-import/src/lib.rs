//! `journey import turn`: a Turn notebook export (markdown with stack cells, config
//! dictionaries, tables and trigger cells) becomes `.journey` source, plus a report of
//! what was not converted and why.
//!
//! Pure, as every crate but the CLI: notebook text and a UUID map in, journey text and
//! a report out. The notebook is parsed by `journey-syntax` (the grammar is Turn's), the
//! tree is rewritten where journey's terms differ from Turn's, and printed by the
//! canonical printer with the author's comments and prose placed by span. See
//! `docs/import.md` for the conversion table.

mod comments;
mod convert;
mod data;
mod map;
mod precedence;
mod report;
mod walk;

use journey_diagnostics::{Diagnostic, FileId, Severity};

pub use data::secret_name;
pub use map::{MapError, UuidMap, looks_like_uuid};
pub use report::{Note, Report};

/// A notebook to import: its path as the user gave it (for the report and the output
/// name) and its text.
#[derive(Clone, Copy, Debug)]
pub struct Notebook<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// A converted notebook.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The journey's name: the notebook's `stack Name`, else its file name as a name.
    pub name: String,
    /// `<name>.journey`.
    pub file_name: String,
    /// The journey source.
    pub text: String,
    pub report: Report,
}

/// Why a notebook could not be imported at all.
#[derive(Debug)]
pub enum ImportError {
    /// The stack cells have syntax errors (spans into the notebook, file `FileId(0)`):
    /// a card that does not parse cannot be converted faithfully.
    Syntax(Vec<Diagnostic>),
    /// The notebook has no stack cell with a card or a trigger.
    NoJourney,
}

/// Converts one notebook. UUIDs of other journeys become the names `map` gives them.
pub fn import_notebook(notebook: Notebook<'_>, map: &UuidMap) -> Result<Imported, ImportError> {
    let parsed = journey_syntax::parse_notebook(FileId(0), notebook.text);
    let errors: Vec<Diagnostic> = parsed
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(ImportError::Syntax(errors));
    }
    let module = parsed.module;
    if module.journeys.iter().all(|j| j.items.is_empty()) {
        return Err(ImportError::NoJourney);
    }
    let name = journey_name(notebook.path, &module);
    let file_name = format!("{name}.journey");
    let (text, report) = convert::convert(notebook, module, map, &file_name);
    Ok(Imported {
        name,
        file_name,
        text,
        report,
    })
}

/// The notebook's one `stack Name`, else its file name made a journey name:
/// `Browsable FAQs.md` → `browsable_faqs`.
fn journey_name(path: &str, module: &journey_syntax::Module) -> String {
    if let [journey] = module.journeys.as_slice()
        && let Some(name) = &journey.name
    {
        return name.name.clone();
    }
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    map::identifier(file.strip_suffix(".md").unwrap_or(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_journeys_after_their_files() {
        let module = journey_syntax::Module::default();
        let cases = [
            ("Forms/QA/flows/DMA Form.md", "dma_form"),
            ("C:\\flows\\Browsable FAQs.md", "browsable_faqs"),
            ("send_next_message.md", "send_next_message"),
            ("2024 -- Quiz!.md", "journey_2024_quiz"),
            ("???.md", "imported"),
        ];
        for (path, expected) in cases {
            assert_eq!(journey_name(path, &module), expected, "{path}");
        }
    }
}
