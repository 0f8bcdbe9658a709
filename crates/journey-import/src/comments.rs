//! The author's words, kept as `#` comments: the comments of the stack cells, the
//! notebook's markdown prose (headings, notes, the README-like sections Turn authors
//! write), and code cells in other languages. Each group of lines goes above the first
//! card, statement or setting that follows it in the notebook, or last in the block it
//! ends, so the printed journey reads in the notebook's order.

use journey_diagnostics::Span;
use journey_syntax::print::Comments;
use journey_syntax::{Call, Card, Expr, ExprKind, Item, Module, Outline, Stmt, StmtKind};

use crate::code;

/// Lines of text found at an offset of the notebook.
pub(crate) struct Group {
    pub(crate) at: usize,
    pub(crate) lines: Vec<String>,
    /// Prose and cells stand apart from what meets them at one place; a run of code
    /// comments stays together.
    pub(crate) apart: bool,
}

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
        for (at, comment) in code::comments(slice(text, *cell)) {
            groups.push(Group {
                at: cell.start as usize + at,
                lines: vec![comment],
                apart: false,
            });
        }
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

/// Where a comment at an offset goes.
enum Place {
    Before(u32),
    Closing(u32),
    Trailing,
    /// Above a call's argument (by the argument's start).
    Argument(u32),
    /// Last in a call's argument list (by the call's start).
    AfterArguments(u32),
}

/// Places each group by the spans of the module's nodes.
pub(crate) fn place(module: &Module, groups: Vec<Group>) -> Comments {
    let mut comments = Comments::default();
    // Whether the last group placed at each place stands apart.
    let mut last_apart: std::collections::HashMap<(u8, u32), bool> = Default::default();
    for group in groups {
        let (key, lines) = match place_in_module(module, group.at as u32) {
            Place::Before(start) => ((0, start), comments.before.entry(start).or_default()),
            Place::Closing(end) => ((1, end), comments.closing.entry(end).or_default()),
            Place::Trailing => ((2, 0), &mut comments.trailing),
            Place::Argument(start) => ((3, start), comments.arguments.entry(start).or_default()),
            Place::AfterArguments(start) => (
                (4, start),
                comments.after_arguments.entry(start).or_default(),
            ),
        };
        let previous_apart = last_apart.insert(key, group.apart);
        if !lines.is_empty() && (group.apart || previous_apart == Some(true)) {
            lines.push(String::new());
        }
        lines.extend(group.lines);
    }
    comments
}

fn place_in_module(module: &Module, at: u32) -> Place {
    for journey in &module.journeys {
        if at >= journey.span.end && journey.name.is_some() {
            continue;
        }
        if let Some(place) = place_in_items(&journey.items, at) {
            return place;
        }
        if journey.name.is_some() {
            return Place::Closing(journey.span.end);
        }
    }
    Place::Trailing
}

fn place_in_items(items: &[Item], at: u32) -> Option<Place> {
    for item in items {
        let span = item.span();
        if at < span.start {
            return Some(Place::Before(span.start));
        }
        if at < span.end {
            return Some(match item {
                Item::Card(card) => place_in_card(card, at),
                Item::Setting(_) => Place::Before(span.start),
            });
        }
    }
    None
}

fn place_in_card(card: &Card, at: u32) -> Place {
    if at < card.header_span.end {
        return Place::Before(card.span.start);
    }
    place_in_stmts(&card.body, at).unwrap_or(Place::Closing(card.span.end))
}

fn place_in_stmts(stmts: &[Stmt], at: u32) -> Option<Place> {
    for stmt in stmts {
        if at < stmt.span.start {
            return Some(Place::Before(stmt.span.start));
        }
        if at < stmt.span.end {
            return Some(place_in_stmt(stmt, at));
        }
    }
    None
}

/// Inside a statement: in its `do … end` block or among a call's arguments if it is
/// there, else above it.
fn place_in_stmt(stmt: &Stmt, at: u32) -> Place {
    let value = match &stmt.kind {
        StmtKind::Assign { value, .. } | StmtKind::Expr(value) => value,
        StmtKind::Then { .. } => return Place::Before(stmt.span.start),
    };
    match &value.kind {
        ExprKind::Call(call) if call.block.is_some() && !in_arguments(call, at) => {
            let body = call.block.as_deref().unwrap_or_default();
            place_in_stmts(body, at).unwrap_or(Place::Closing(call.span.end))
        }
        _ => place_in_expr(value, at).unwrap_or(Place::Before(stmt.span.start)),
    }
}

/// Inside the argument list of the innermost call holding `at`: above the argument it
/// precedes or is in, or last in the list.
fn place_in_expr(expr: &Expr, at: u32) -> Option<Place> {
    if at < expr.span.start || at >= expr.span.end {
        return None;
    }
    let mut inner = None;
    expr.for_each_child(|child| {
        if inner.is_none() {
            inner = place_in_expr(child, at);
        }
    });
    if inner.is_some() {
        return inner;
    }
    let ExprKind::Call(call) = &expr.kind else {
        return None;
    };
    if at < call.callee.span.end || (call.block.is_some() && !in_arguments(call, at)) {
        return None;
    }
    Some(
        call.args
            .iter()
            .find(|arg| at < arg.span.end)
            .map_or(Place::AfterArguments(call.span.start), |arg| {
                Place::Argument(arg.span.start)
            }),
    )
}

/// Whether `at` comes before the end of the call's last argument. (The tree does not
/// say where `)` is: a comment after the last argument of a call with a `do … end`
/// block goes into the block.)
fn in_arguments(call: &Call, at: u32) -> bool {
    call.args.last().is_some_and(|arg| at < arg.span.end)
}
