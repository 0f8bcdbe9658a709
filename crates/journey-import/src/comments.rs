//! The author's words, kept as `#` comments: the comments of the stack cells, the
//! notebook's markdown prose (headings, notes, the README-like sections Turn authors
//! write), and code cells in other languages. Each group of lines goes above the first
//! card, statement or setting that follows it in the notebook, or last in the block it
//! ends, so the printed journey reads in the notebook's order (placed by
//! `journey_syntax::comments`, which `journey fmt` shares).

use journey_diagnostics::Span;
use journey_syntax::Outline;
use journey_syntax::comments::{Group, code_groups};

/// The comment groups of a notebook, in file order.
pub(crate) fn gather(text: &str, outline: &Outline) -> Vec<Group> {
    let mut groups = prose(text, &outline.prose);
    for (_, span) in &outline.foreign_cells {
        let lines = slice(text, *span).lines().map(str::to_owned).collect();
        groups.push(Group {
            at: span.start as usize,
            lines,
            apart: true,
        });
    }
    for cell in &outline.stack_cells {
        groups.extend(code_groups(slice(text, *cell), cell.start as usize));
    }
    groups.sort_by_key(|g| g.at);
    groups
}

fn slice(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

/// Prose lines that follow each other in the file form one group; blank lines at its
/// edges go, and runs of blank lines inside it become one.
fn prose(text: &str, lines: &[Span]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut previous_end = None;
    for span in lines {
        let line = slice(text, *span).trim_end();
        let adjacent = previous_end.is_some_and(|end: usize| {
            text.get(end..span.start as usize)
                .is_some_and(|gap| gap.trim().is_empty())
        });
        previous_end = Some(span.end as usize);
        match groups.last_mut() {
            Some(group) if adjacent => {
                let blank_run = line.is_empty() && group.lines.last().is_some_and(String::is_empty);
                if !blank_run {
                    group.lines.push(line.to_owned());
                }
            }
            _ => groups.push(Group {
                at: span.start as usize,
                lines: vec![line.to_owned()],
                apart: true,
            }),
        }
    }
    for group in &mut groups {
        while group.lines.last().is_some_and(String::is_empty) {
            group.lines.pop();
        }
        let leading = group.lines.iter().take_while(|l| l.is_empty()).count();
        group.lines.drain(..leading);
    }
    groups.retain(|g| !g.lines.is_empty());
    groups
}
