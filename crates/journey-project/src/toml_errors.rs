//! toml's errors as J002 diagnostics, reworded for a journey author: which key, in
//! which section, what was expected, and how to fix it.

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};
use toml::de::DeTable;

use crate::INVALID_CONFIG;
use crate::document::TomlFile;
use crate::schema::did_you_mean;
use crate::tree::{Path, describe_table, describe_value};

fn span_of(error: &toml::de::Error) -> Span {
    error
        .span()
        .map_or_else(Span::default, |range| Span::new(range.start, range.end))
}

/// A file that is not valid TOML. Only the first error is reported: the parser's
/// recovery makes later ones unreliable (a duplicate table also duplicates its keys).
pub(crate) fn syntax_error(
    kind: &TomlFile,
    file: FileId,
    text: &str,
    errors: &[toml::de::Error],
) -> Option<Diagnostic> {
    let error = errors.first()?;
    let message = error.message().trim();
    let span = span_of(error);
    let mut diagnostic = Diagnostic::new(
        INVALID_CONFIG,
        Severity::Error,
        file,
        span,
        format!("{} is not valid TOML: {message}", kind.name),
    );
    let help = if message.starts_with("duplicate key") {
        if text.get(span.range()) == Some("templates") {
            "write each template as its own `[[templates]]` block (two brackets)".to_owned()
        } else {
            "a key or table may be written only once; merge the two".to_owned()
        }
    } else if message.contains("string") {
        "text values go in double quotes on one line, or in `\"\"\"` for several lines".to_owned()
    } else {
        format!("see {} for the layout of {}", kind.doc, kind.name)
    };
    diagnostic = diagnostic.with_help(help);
    if errors.len() > 1 {
        diagnostic = diagnostic.with_note("there may be more errors after this one");
    }
    Some(diagnostic)
}

/// A value that is valid TOML but not what its key takes, at `path` in the tree.
pub(crate) fn value_error(
    file: FileId,
    root: &DeTable<'_>,
    path: &Path,
    error: &toml::de::Error,
) -> Diagnostic {
    let message = plain_words(error.message().trim());
    let diagnostic =
        |text: String| Diagnostic::new(INVALID_CONFIG, Severity::Error, file, span_of(error), text);
    if let Some(field) = message.strip_prefix("missing field ") {
        return diagnostic(format!(
            "missing key {field} in {}",
            describe_table(root, path)
        ))
        .with_label("this table needs it");
    }
    let place = describe_value(root, path);
    if message == "wanted string or table" {
        // toml's words for a value of a choice (such as `category`) that is not text.
        return diagnostic(format!("wrong type for {place}: expected a string"))
            .with_label("expected a string")
            .with_help("put the value in double quotes");
    }
    // serde says "invalid type: integer `3`, expected a string", and the same for values.
    let reordered = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|prefix| {
            let rest = message.strip_prefix(prefix)?;
            let (found, expected) = rest.split_once(", expected ")?;
            Some((prefix.starts_with("invalid type"), found, expected))
        });
    if let Some((wrong_type, found, expected)) = reordered {
        let what = if wrong_type {
            "wrong type"
        } else {
            "invalid value"
        };
        let mut diagnostic = diagnostic(format!(
            "{what} for {place}: expected {expected}, found {found}"
        ))
        .with_label(format!("expected {expected}"));
        if expected.contains("string") && !found.starts_with("string") {
            diagnostic = diagnostic.with_help("put the value in double quotes");
        }
        return diagnostic;
    }
    let diagnostic = diagnostic(format!("invalid value for {place}: {message}"))
        .with_label("not one of the allowed values");
    match suggest_value(&message) {
        Some(better) => diagnostic.with_help(format!("did you mean `{better}`?")),
        None => diagnostic,
    }
}

/// For "unknown value `warn`, expected one of `error`, `warning`, `info`": `warning`.
fn suggest_value(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown value `")?;
    let (given, expected) = rest.split_once('`')?;
    let candidates = expected.split('`').skip(1).step_by(2);
    did_you_mean(given, candidates)
}

/// serde's words for types, in a journey author's words.
fn plain_words(message: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut tokens = message.split(' ');
    while let Some(token) = tokens.next() {
        let (word, tail) = token.split_at(token.trim_end_matches([',', '.']).len());
        let replaced = match word {
            "u64" | "u32" => "a whole number of 0 or more",
            "sequence" => "list",
            "map" => "table",
            "variant" => "value",
            // "struct ChannelSettings": the name is ours, not the author's.
            "struct" => {
                tokens.next();
                "a table"
            }
            _ => word,
        };
        words.push(format!("{replaced}{tail}"));
    }
    words.join(" ")
}
