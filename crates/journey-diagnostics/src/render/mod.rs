//! Renderers: the same diagnostics as human text, JSON, GitHub workflow commands or SARIF.
//!
//! Every renderer keeps the order it is given (callers sort with [`crate::sort`]) and
//! returns text that ends with a newline, or nothing at all.

mod github;
mod human;
mod json;
mod sarif;

pub use github::render_github;
pub use human::render_human;
pub use json::render_json;
pub use sarif::render_sarif;

use std::ops::Range;

use serde::Serialize;

use crate::{Diagnostic, Label, Severity, SourceFile, SourceMap, Span};

/// Rule metadata a caller passes to renderers that describe rules (SARIF).
#[derive(Clone, Copy, Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    pub help_uri: Option<&'static str>,
}

/// A span cut to its file and widened to character boundaries, so that a stale or
/// wrong span degrades the output instead of panicking in a renderer.
fn clamp(file: &SourceFile, span: Span) -> Range<usize> {
    let text = file.text.as_str();
    let mut start = (span.start as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Where a label points, as every machine-readable format reports it: lines and columns
/// are 1-based, columns count characters (Unicode scalar values, not bytes or UTF-16
/// units), and the end is exclusive: it is the position just after the last character,
/// as in LSP but counted from 1.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl<'a> Location<'a> {
    fn of(label: &Label, sources: &'a SourceMap) -> Self {
        let file = sources.get(label.file);
        let range = clamp(file, label.span);
        let start = file.line_col(range.start);
        let end = file.line_col(range.end);
        Location {
            file: &file.name,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

/// The help and notes of a diagnostic as `help: …` / `note: …` lines, the way rustc
/// shows them; formats with a single text field append them to the message.
fn trailers(diagnostic: &Diagnostic) -> impl Iterator<Item = String> + '_ {
    let help = diagnostic.help.iter().map(|help| format!("help: {help}"));
    let notes = diagnostic.notes.iter().map(|note| format!("note: {note}"));
    help.chain(notes)
}

/// The message followed by its help and notes, one per line.
fn full_message(diagnostic: &Diagnostic) -> String {
    std::iter::once(diagnostic.message.clone())
        .chain(trailers(diagnostic))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many diagnostics of each severity.
#[derive(Debug, Default, Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

impl Summary {
    fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut summary = Summary::default();
        for diagnostic in diagnostics {
            *match diagnostic.severity {
                Severity::Error => &mut summary.errors,
                Severity::Warning => &mut summary.warnings,
                Severity::Info => &mut summary.infos,
            } += 1;
        }
        summary
    }
}

/// Pretty-printed JSON with a final newline, keys in declaration order.
fn pretty_json(value: &impl Serialize) -> String {
    // Serializing fails only for maps with non-string keys or failing `Serialize`
    // impls; the renderers use neither.
    let mut text = serde_json::to_string_pretty(value).expect("renderer types serialize");
    text.push('\n');
    text
}

/// Two files and three diagnostics shared by the snapshot tests of every format.
#[cfg(test)]
fn fixture() -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let welcome_text = "\
stack Welcome do
  card Start do
    text(\"Olá! Bem-vindo.\")
    then(Mneu)
  end
end
";
    let menu_text = "\
card Menu do
  name = ask(\"Qual é o seu nome?\")
  text(\"Olá, @nme\")
end
";
    let welcome = sources.add("flows/welcome.journey", welcome_text);
    let menu = sources.add("flows/menu.journey", menu_text);
    let span_of = |text: &str, needle: &str| {
        let start = text.find(needle).expect("needle in fixture");
        Span::new(start, start + needle.len())
    };
    let diagnostics = vec![
        Diagnostic::new(
            "J101",
            Severity::Error,
            welcome,
            span_of(welcome_text, "Mneu"),
            "unknown card `Mneu`",
        )
        .with_label("no card has this name")
        .with_secondary(
            menu,
            span_of(menu_text, "Menu"),
            "a card with a similar name",
        )
        .with_help("did you mean `Menu`?"),
        Diagnostic::new(
            "J202",
            Severity::Warning,
            menu,
            span_of(menu_text, "@nme"),
            "`nme` is never assigned",
        )
        .with_label("read here"),
        Diagnostic::new(
            "J402",
            Severity::Info,
            welcome,
            span_of(welcome_text, "text(\"Olá! Bem-vindo.\")"),
            "this message has no buttons",
        )
        .with_note("the journey goes on without waiting for the user"),
    ];
    (sources, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_one_based_in_characters_with_an_exclusive_end() {
        let (sources, diagnostics) = fixture();
        // `@nme` follows "Olá, " on line 3: 'á' is two bytes but one column.
        assert_eq!(
            Location::of(&diagnostics[1].primary, &sources),
            Location {
                file: "flows/menu.journey",
                line: 3,
                column: 14,
                end_line: 3,
                end_column: 18,
            }
        );
    }

    #[test]
    fn spans_outside_the_file_or_inside_a_character_are_clamped() {
        let mut sources = SourceMap::new();
        let file = sources.add("a", "é\n");
        let at = |start, end| {
            let label = Label {
                file,
                span: Span::new(start, end),
                message: String::new(),
            };
            let location = Location::of(&label, &sources);
            (
                location.line,
                location.column,
                location.end_line,
                location.end_column,
            )
        };
        assert_eq!(at(1, 1), (1, 1, 1, 2), "inside 'é' covers all of it");
        assert_eq!(at(2, 1), (1, 2, 1, 2), "an end before the start is empty");
        assert_eq!(at(50, 90), (2, 1, 2, 1), "past the end is the end");
    }

    #[test]
    fn no_renderer_panics_on_any_span() {
        let mut sources = SourceMap::new();
        let text = "a é\r\n€\n\nb";
        let file = sources.add("odd.journey", text);
        let rules = [RuleMeta {
            code: "J1",
            name: "odd",
            summary: "odd",
            default_severity: Severity::Error,
            help_uri: None,
        }];
        for start in 0..text.len() + 3 {
            for end in 0..text.len() + 3 {
                let diagnostics =
                    [
                        Diagnostic::new("J1", Severity::Error, file, Span::new(start, end), "m")
                            .with_secondary(file, Span::new(end, start), "s"),
                    ];
                render_human(&diagnostics, &sources, true);
                render_json(&diagnostics, &sources);
                render_github(&diagnostics, &sources);
                render_sarif(&diagnostics, &sources, &rules, "0");
            }
        }
    }

    #[test]
    fn summary_counts_each_severity() {
        let (_, diagnostics) = fixture();
        let summary = Summary::of(&diagnostics);
        assert_eq!((summary.errors, summary.warnings, summary.infos), (1, 1, 1));
    }
}
