//! Human-readable text, rendered by codespan-reporting in the style of rustc.

use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as Report, Label as ReportLabel, Severity as ReportSeverity,
};
use codespan_reporting::files::{Error, Files};
use codespan_reporting::term::{self, Config, termcolor::Buffer};

use super::{Summary, clamp, trailers};
use crate::{Diagnostic, FileId, Label, Severity, SourceMap};

/// Renders diagnostics with source excerpts, followed by a summary line such as
/// `Found 1 error, 2 warnings.`; an empty list renders as nothing. `color` adds ANSI
/// escapes. Info diagnostics are headed `note[…]`, codespan's name for that level.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let config = Config::default();
    let files = SourceFiles(sources);
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    for diagnostic in diagnostics {
        // Labels are clamped to their file and the buffer is in memory, so emitting
        // has nothing left that can fail.
        term::emit_to_write_style(&mut buffer, &config, &files, &report(diagnostic, sources))
            .expect("codespan renders clamped labels into memory");
    }
    let mut text = String::from_utf8_lossy(buffer.as_slice()).into_owned();
    if !diagnostics.is_empty() {
        text.push_str(&summary_line(&Summary::of(diagnostics)));
    }
    text
}

fn report(diagnostic: &Diagnostic, sources: &SourceMap) -> Report<FileId> {
    let range = |label: &Label| clamp(sources.get(label.file), label.span);
    let primary = &diagnostic.primary;
    let labels = std::iter::once(
        ReportLabel::primary(primary.file, range(primary)).with_message(&primary.message),
    )
    .chain(diagnostic.secondary.iter().map(|secondary| {
        ReportLabel::secondary(secondary.file, range(secondary)).with_message(&secondary.message)
    }));
    let severity = match diagnostic.severity {
        Severity::Error => ReportSeverity::Error,
        Severity::Warning => ReportSeverity::Warning,
        Severity::Info => ReportSeverity::Note,
    };
    Report::new(severity)
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message)
        .with_labels_iter(labels)
        .with_notes_iter(trailers(diagnostic))
}

/// `Found 1 error, 2 warnings.`, leaving out severities that did not occur.
fn summary_line(summary: &Summary) -> String {
    let counts = [
        (summary.errors, "error", "errors"),
        (summary.warnings, "warning", "warnings"),
        (summary.infos, "info", "infos"),
    ];
    let parts: Vec<String> = counts
        .into_iter()
        .filter(|&(count, _, _)| count > 0)
        .map(|(count, one, many)| format!("{count} {}", if count == 1 { one } else { many }))
        .collect();
    format!("Found {}.\n", parts.join(", "))
}

/// The source map as codespan sees it. A private wrapper, so that the codespan trait
/// does not become part of this crate's API.
struct SourceFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for SourceFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, Error> {
        Ok(&self.0.get(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, Error> {
        Ok(&self.0.get(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, Error> {
        Ok(self.0.get(id).line_index(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, Error> {
        let file = self.0.get(id);
        let starts = file.line_starts();
        // The line after the last one starts at the end of the text, as in codespan's
        // own `SimpleFile`.
        let start = |index: usize| match starts.get(index) {
            Some(&start) => Ok(start),
            None if index == starts.len() => Ok(file.text.len()),
            None => Err(Error::LineTooLarge {
                given: index,
                max: starts.len() - 1,
            }),
        };
        Ok(start(line_index)?..start(line_index + 1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn human() {
        let (sources, diagnostics) = fixture();
        insta::assert_snapshot!(render_human(&diagnostics, &sources, false));
    }

    #[test]
    fn colour_only_when_asked() {
        let (sources, diagnostics) = fixture();
        assert!(render_human(&diagnostics, &sources, true).contains("\x1b["));
        assert!(!render_human(&diagnostics, &sources, false).contains('\x1b'));
    }

    #[test]
    fn nothing_for_no_diagnostics() {
        assert_eq!(render_human(&[], &SourceMap::new(), false), "");
    }

    #[test]
    fn summary_leaves_out_absent_severities_and_pluralises() {
        let summary = Summary {
            errors: 3,
            warnings: 1,
            infos: 0,
        };
        assert_eq!(summary_line(&summary), "Found 3 errors, 1 warning.\n");
    }
}
