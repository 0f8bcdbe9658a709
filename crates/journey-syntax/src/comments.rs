//! The author's `#` comments, which the parser skips: found in code by a lexical scan
//! (`code_groups`) and placed by the spans of a parsed tree (`place`) for
//! `print::module_with_comments`. `journey fmt` and `journey import turn` both use it.

use crate::code;
pub use crate::code::parens_balance;
use crate::print::Comments;
use crate::{Call, Card, Expr, ExprKind, Item, Module, Stmt, StmtKind};

/// Lines of comment text found at an offset of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub at: usize,
    pub lines: Vec<String>,
    /// Whether the group stands apart (a blank comment line) from another group placed
    /// at the same place before it; a run of code comments stays together.
    pub apart: bool,
}

/// The comments of a piece of code at offset `base` of its file, one group each. A
/// comment after code on its line is placed as if it began the line: it goes above
/// the statement, card or argument that line starts.
pub fn code_groups(text: &str, base: usize) -> Vec<Group> {
    code::comments(text)
        .into_iter()
        .map(|(at, comment)| {
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let before = &text[line_start..at];
            let at = if before.trim().is_empty() {
                at
            } else {
                line_start + (before.len() - before.trim_start().len())
            };
            Group {
                at: base + at,
                lines: vec![comment],
                apart: false,
            }
        })
        .collect()
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
pub fn place(module: &Module, groups: Vec<Group>) -> Comments {
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
        if at < journey.span.start && journey.name.is_some() {
            return Place::Before(journey.span.start);
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
