//! Turn markdown notebooks: ```` ```stack ```` code cells hold the journey; a table after
//! `<!-- dictionary: "config" … -->` holds configuration read as `config.items.<key>`.
//! Everything else is prose: the parser ignores it, but its lines are kept in the outline
//! for tools that carry the author's notes over (`journey import turn`).

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};

use crate::SYNTAX_ERROR;
use crate::ast::{ConfigEntry, DataTable};

pub(crate) struct Layout {
    /// Byte ranges of the code inside each stack cell.
    pub(crate) cells: Vec<Cell>,
    pub(crate) config: Vec<ConfigEntry>,
    pub(crate) tables: Vec<DataTable>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) outline: Outline,
}

/// Where a notebook's prose and foreign code cells are: what is neither journey code
/// nor data, so that a converter can keep it as comments or report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outline {
    /// The code inside each stack cell (without the fences).
    pub stack_cells: Vec<Span>,
    /// Each line of markdown prose (blank lines included), without its line break.
    /// Headings, lists and notes; not the `<!-- … -->` comments nor the data tables.
    pub prose: Vec<Span>,
    /// Fenced code cells in another language (```` ```js ````): the language and the
    /// span of the whole cell, fences included.
    pub foreign_cells: Vec<(String, Span)>,
}

/// The data cell being read: the markdown table after a `dictionary:` or `table:`
/// comment.
enum Data {
    Dictionary(String),
    Table(usize),
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
        tables: Vec::new(),
        diagnostics: Vec::new(),
        outline: Outline::default(),
    };
    let mut lines = lines_with_offsets(text).peekable();
    let mut data: Option<Data> = None;
    while let Some((offset, line)) = lines.next() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            let is_stack = info.trim() == "stack";
            let fence_span = Span::new(offset, offset + line.len());
            let start = offset + line.len() + 1;
            let mut end = None;
            let mut fence_end = text.len();
            for (close_offset, close_line) in lines.by_ref() {
                if close_line.trim() == "```" {
                    end = Some(close_offset);
                    fence_end = close_offset + close_line.len();
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
            } else {
                let language = info.trim().to_owned();
                let span = Span::new(offset, fence_end);
                layout.outline.foreign_cells.push((language, span));
            }
            data = None;
            continue;
        }
        if trimmed.starts_with("<!--") {
            // Turn writes the data comments over several lines.
            let mut comment = trimmed.to_owned();
            while !comment.contains("-->") {
                let Some((_, next)) = lines.next() else { break };
                comment.push(' ');
                comment.push_str(next.trim());
            }
            if let Some(name) = quoted_after(&comment, "dictionary:") {
                data = Some(Data::Dictionary(name));
            } else if let Some(name) = quoted_after(&comment, "table:") {
                layout.tables.push(DataTable {
                    name,
                    span: Span::new(offset, offset + line.len()),
                    ..DataTable::default()
                });
                data = Some(Data::Table(layout.tables.len() - 1));
            }
            continue;
        }
        match &data {
            Some(_) if trimmed.is_empty() => {}
            Some(Data::Dictionary(name)) if trimmed.starts_with('|') => {
                if let Some(entry) = dictionary_row(name, offset, line) {
                    layout.config.push(entry);
                }
            }
            Some(Data::Table(index)) if trimmed.starts_with('|') => {
                let table = &mut layout.tables[*index];
                table
                    .rows
                    .push(cells(line).into_iter().map(str::to_owned).collect());
            }
            Some(_) => {
                data = None;
                layout
                    .outline
                    .prose
                    .push(Span::new(offset, offset + line.len()));
            }
            None => layout
                .outline
                .prose
                .push(Span::new(offset, offset + line.len())),
        }
    }
    for table in &mut layout.tables {
        table.normalise();
    }
    layout.outline.stack_cells = layout
        .cells
        .iter()
        .map(|cell| Span::new(cell.start, cell.end))
        .collect();
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

/// `dictionary: "config" version: …` → `config`.
fn quoted_after(comment: &str, key: &str) -> Option<String> {
    let rest = comment[comment.find(key)? + key.len()..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The trimmed cells of a `| a | b |` row.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

fn is_rule_row(cells: &[&str]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
}

/// `| key | value |`; the header row (`Key`/`Value`) and the `|---|` rule are skipped.
fn dictionary_row(dictionary: &str, offset: usize, line: &str) -> Option<ConfigEntry> {
    let cells = cells(line);
    let [key, value, ..] = cells.as_slice() else {
        return None;
    };
    let is_rule = is_rule_row(&cells);
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

impl DataTable {
    /// The first row read names the columns; the `|---|` rule under it goes.
    fn normalise(&mut self) {
        self.rows
            .retain(|row| !is_rule_row(&row.iter().map(String::as_str).collect::<Vec<_>>()));
        if self.rows.is_empty() {
            return;
        }
        let columns = self.rows.remove(0);
        self.columns = columns;
    }
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
    fn reads_multi_line_data_comments_and_tables() {
        let text = "<!--\n dictionary: \"config\"\nversion: \"0.1.0\"\n-->\n\n| Key | Value |\n| --- | --- |\n| token | abc |\n\n<!--\n table: \"quizzes\"\n-->\n\n| name | tag |\n| ---- | --- |\n| STIs | quiz_stis |\n| Consent | quiz_consent |\n";
        let layout = scan(FileId(0), text);
        assert_eq!(layout.config.len(), 1);
        assert_eq!(
            (
                layout.config[0].key.as_str(),
                layout.config[0].value.as_str()
            ),
            ("token", "abc")
        );
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        assert_eq!(table.name, "quizzes");
        assert_eq!(table.columns, ["name", "tag"]);
        assert_eq!(
            table.rows,
            [["STIs", "quiz_stis"], ["Consent", "quiz_consent"]]
        );
    }

    #[test]
    fn outlines_prose_and_foreign_cells() {
        let text = "# Title\n\nSome notes.\n<!-- { section: \"x\" } -->\n```stack\ncard A do\nend\n```\n```js\nlet x = 1;\n```\n";
        let outline = scan(FileId(0), text).outline;
        let prose: Vec<&str> = outline
            .prose
            .iter()
            .map(|span| &text[span.start as usize..span.end as usize])
            .collect();
        assert_eq!(prose, ["# Title", "", "Some notes."]);
        let [(language, span)] = outline.foreign_cells.as_slice() else {
            panic!("one foreign cell: {:?}", outline.foreign_cells)
        };
        assert_eq!(language, "js");
        assert_eq!(
            &text[span.start as usize..span.end as usize],
            "```js\nlet x = 1;\n```"
        );
    }

    #[test]
    fn reports_an_unclosed_cell() {
        let layout = scan(FileId(0), "```stack\ncard A do\nend\n");
        assert_eq!(layout.cells.len(), 1);
        assert_eq!(layout.diagnostics.len(), 1);
    }
}
