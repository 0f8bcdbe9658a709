//! Turn markdown notebooks: ```` ```stack ```` code cells hold the journey; a table after
//! `<!-- dictionary: "config" … -->` holds configuration read as `config.items.<key>`.
//! Everything else is prose, ignored.

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};

use crate::SYNTAX_ERROR;
use crate::ast::ConfigEntry;

pub(crate) struct Layout {
    /// Byte ranges of the code inside each stack cell.
    pub(crate) cells: Vec<Cell>,
    pub(crate) config: Vec<ConfigEntry>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

pub(crate) struct Cell {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits the notebook into lines with their offsets and walks them once.
pub(crate) fn scan(file: FileId, text: &str) -> Layout {
    let mut layout = Layout {
        cells: Vec::new(),
        config: Vec::new(),
        diagnostics: Vec::new(),
    };
    let mut lines = lines_with_offsets(text).peekable();
    let mut dictionary: Option<String> = None;
    while let Some((offset, line)) = lines.next() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            let is_stack = info.trim() == "stack";
            let fence_span = Span::new(offset, offset + line.len());
            let start = offset + line.len() + 1;
            let mut end = None;
            for (close_offset, close_line) in lines.by_ref() {
                if close_line.trim() == "```" {
                    end = Some(close_offset);
                    break;
                }
            }
            let end = match end {
                Some(end) => end,
                None => {
                    layout.diagnostics.push(
                        Diagnostic::new(
                            SYNTAX_ERROR,
                            Severity::Error,
                            file,
                            fence_span,
                            "this code cell is never closed",
                        )
                        .with_label("opened here")
                        .with_help("end the cell with a line holding only ```"),
                    );
                    text.len()
                }
            };
            if is_stack {
                layout.cells.push(Cell {
                    start: start.min(end),
                    end,
                });
            }
            dictionary = None;
            continue;
        }
        if let Some(name) = dictionary_name(trimmed) {
            dictionary = Some(name);
            continue;
        }
        if let Some(name) = &dictionary {
            if trimmed.starts_with('|') {
                if let Some(entry) = table_row(name, offset, line) {
                    layout.config.push(entry);
                }
                continue;
            }
            if !trimmed.is_empty() {
                dictionary = None;
            }
        }
    }
    layout
}

fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, raw.trim_end_matches(['\n', '\r']))
    })
}

/// `<!-- dictionary: "config" version: "0.1.0" columns: [] -->` → `config`.
fn dictionary_name(line: &str) -> Option<String> {
    let inner = line.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let rest = inner.strip_prefix("dictionary:")?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// `| key | value |`; the header row (`Key`/`Value`) and the `|---|` rule are skipped.
fn table_row(dictionary: &str, offset: usize, line: &str) -> Option<ConfigEntry> {
    let cells: Vec<&str> = line
        .trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect();
    let [key, value, ..] = cells.as_slice() else {
        return None;
    };
    let is_rule = key.chars().all(|c| c == '-' || c == ':');
    let is_header = key.eq_ignore_ascii_case("key") && value.eq_ignore_ascii_case("value");
    if key.is_empty() || is_rule || is_header {
        return None;
    }
    Some(ConfigEntry {
        dictionary: dictionary.to_owned(),
        key: (*key).to_owned(),
        value: (*value).to_owned(),
        span: Span::new(offset, offset + line.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_stack_cells_and_config_rows() {
        let text = "# Title\n\n```stack\ncard A do\nend\n```\n\n<!-- dictionary: \"config\" version: \"0.1.0\" columns: [] -->\n| Key | Value |\n|-----|-------|\n| token | abc |\n\n```js\nnot journey code\n```\n";
        let layout = scan(FileId(0), text);
        assert_eq!(layout.cells.len(), 1);
        let cell = &layout.cells[0];
        assert_eq!(&text[cell.start..cell.end], "card A do\nend\n");
        assert_eq!(layout.config.len(), 1);
        assert_eq!(layout.config[0].key, "token");
        assert_eq!(layout.config[0].value, "abc");
        assert!(layout.diagnostics.is_empty());
    }

    #[test]
    fn reports_an_unclosed_cell() {
        let layout = scan(FileId(0), "```stack\ncard A do\nend\n");
        assert_eq!(layout.cells.len(), 1);
        assert_eq!(layout.diagnostics.len(), 1);
    }
}
