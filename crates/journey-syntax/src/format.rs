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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_keep_their_places_and_a_trailing_one_goes_above_its_line() {
        let text = "# file\nstack S do\n  # above\n  card A do\n    text(\"hi\")   # greet\n    \
                    f(x,\n      # on y\n      y)\n    # last\n  end\nend\n# tail\n";
        let formatted = format_journey(text).expect("formats");
        assert_eq!(
            formatted,
            "# file\n\nstack S do\n  # above\n  card A do\n    # greet\n    text(\"hi\")\n    \
             f(\n      x,\n      # on y\n      y,\n    )\n    # last\n  end\nend\n\n# tail\n"
        );
        assert_eq!(format_journey(&formatted).expect("formats"), formatted);
    }

    #[test]
    fn a_comment_only_file_stays_as_it_is() {
        assert_eq!(format_journey("# only\n").expect("formats"), "# only\n");
        assert_eq!(format_journey("").expect("formats"), "");
    }

    #[test]
    fn syntax_errors_are_returned_not_formatted() {
        let error = format_journey("card A do\n  text(\"hi\"\nend\n").expect_err("fails");
        assert!(matches!(error, FormatError::Syntax(d) if !d.is_empty()));
    }
}
