//! GitHub Actions workflow commands, which GitHub shows as annotations on the diff.

use std::fmt::Write;

use super::{Location, full_message};
use crate::{Diagnostic, Severity, SourceMap};

/// Renders one `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message`
/// line per diagnostic (`::warning`, `::notice` for info). The help and notes follow the
/// message on lines of their own. File names are used as given, so they should be
/// relative to the repository root for GitHub to place the annotations.
pub fn render_github(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut text = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let at = Location::of(&diagnostic.primary, sources);
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(at.file),
            at.line,
            at.column,
            at.end_line,
            at.end_column,
            escape_property(diagnostic.code),
            escape_data(&full_message(diagnostic)),
        );
    }
    text
}

/// The message part: GitHub reads a command up to the end of the line and decodes
/// these three.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value, where `:` and `,` would also end the value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn github() {
        let (sources, diagnostics) = fixture();
        insta::assert_snapshot!(render_github(&diagnostics, &sources));
    }

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("100%: a,b\r\nc"), "100%25: a,b%0D%0Ac");
        assert_eq!(escape_property("C:\\x,y%"), "C%3A\\x%2Cy%25");
    }
}
