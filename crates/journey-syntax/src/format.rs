//! `journey fmt` without the files: a `.journey` file's text in, its canonical layout
//! out, with every comment placed where its author put it (`comments`) and long calls
//! wrapped (`print`).

use journey_diagnostics::{Diagnostic, FileId, Severity};

use crate::{code, comments, parse_journey, print};

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file has syntax errors: it is left as it is.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not mean the same (a tree or a comment differs): a bug
    /// in the formatter, caught before anything is written.
    Changed(&'static str),
}

/// The canonical layout of a `.journey` file.
pub fn format_journey(text: &str) -> Result<String, FormatError> {
    let parsed = parse_journey(FileId(0), text);
    if parsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        return Err(FormatError::Syntax(parsed.diagnostics));
    }
    let placed = comments::place(&parsed.module, comments::code_groups(text, 0));
    let formatted = print::module_with_comments(&parsed.module, &placed);
    let reparsed = parse_journey(FileId(0), &formatted);
    if reparsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
        || print::module(&reparsed.module) != print::module(&parsed.module)
    {
        return Err(FormatError::Changed(
            "the formatted file would not parse to the same tree",
        ));
    }
    if comment_texts(&formatted) != comment_texts(text) {
        return Err(FormatError::Changed("a comment would be lost or changed"));
    }
    Ok(formatted)
}

/// The text of every `#` comment of some code, sorted (placement may reorder them).
pub fn comment_texts(text: &str) -> Vec<String> {
    let mut texts: Vec<String> = code::comments(text).into_iter().map(|(_, c)| c).collect();
    texts.sort();
    texts
}
