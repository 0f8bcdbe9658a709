//! Re-parsing after an edit: when the change lies inside one top-level card of a
//! cleanly parsed `.journey` file, only that card is parsed again and the spans after
//! it move by the change in length. The result is what a full parse gives (a test
//! compares the two over many edits); anything else is parsed in full.

use journey_diagnostics::{FileId, Span};

use crate::Parsed;
use crate::ast::{Call, Expr, ExprKind, Item, Module, Stmt, StmtKind, TemplatePart};
use crate::parser::Driver;

/// Parses `new`, the text of a `.journey` file that was `old_text` and parsed as `old`.
pub fn reparse_journey(file: FileId, old: &Parsed, old_text: &str, new: &str) -> Parsed {
    match reparse_card(file, old, old_text, new) {
        Some(parsed) => parsed,
        None => crate::parse_journey(file, new),
    }
}

fn reparse_card(file: FileId, old: &Parsed, old_text: &str, new: &str) -> Option<Parsed> {
    if !old.diagnostics.is_empty() {
        return None;
    }
    let (start, old_end) = changed_range(old_text, new);
    // The card holding the change, strictly inside it so its first and last bytes
    // (`card`, `end`) are unchanged, in the file's implicit journey.
    let journey = old.module.journeys.iter().find(|j| j.name.is_none())?;
    let index = journey.items.iter().position(|item| {
        let span = item.span();
        (span.start as usize) < start && old_end < span.end as usize
    })?;
    let Item::Card(card) = &journey.items[index] else {
        return None;
    };
    let card_end = card.span.end as usize;
    // Where the next top-level thing starts: the region the driver would give the card.
    let next = old
        .module
        .journeys
        .iter()
        .flat_map(|j| {
            let first = j.name.is_some().then_some(j.span.start);
            first
                .into_iter()
                .chain(j.items.iter().map(|i| i.span().start))
        })
        .map(|at| at as usize)
        .filter(|&at| at >= card_end)
        .min()
        .unwrap_or(old_text.len());
    let delta = new.len() as i64 - old_text.len() as i64;
    let moved = |at: usize| (at as i64 + delta) as usize;

    let mut driver = Driver::new(file, new);
    driver.parse_region(card.span.start as usize, moved(next));
    let fresh = driver.finish();
    let [reparsed] = fresh.module.journeys.as_slice() else {
        return None;
    };
    let [Item::Card(new_card)] = reparsed.items.as_slice() else {
        return None;
    };
    let expected = Span::new(card.span.start as usize, moved(card_end));
    if !fresh.diagnostics.is_empty() || new_card.recovered || new_card.span != expected {
        return None;
    }
    let mut module = old.module.clone();
    shift_module(&mut module, card_end as u32, delta);
    let journey = module.journeys.iter_mut().find(|j| j.name.is_none())?;
    journey.items[index] = Item::Card(new_card.clone());
    Some(Parsed {
        module,
        diagnostics: Vec::new(),
    })
}

/// The changed byte range of the old text: (start, end), the bytes before `start` and
/// after `end` being the same in both texts (on character boundaries).
pub fn changed_range(old: &str, new: &str) -> (usize, usize) {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let most = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(most)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (prefix, old.len() - suffix)
}

/// Moves every span at or after `at` by `delta`; a span that contains `at` grows.
fn shift_module(module: &mut Module, at: u32, delta: i64) {
    let f = &mut |span: &mut Span| {
        let moved = |x: u32| (x as i64 + delta) as usize;
        if span.start >= at {
            *span = Span::new(moved(span.start), moved(span.end));
        } else if span.end >= at {
            *span = Span::new(span.start as usize, moved(span.end));
        }
    };
    for journey in &mut module.journeys {
        f(&mut journey.span);
        if let Some(name) = &mut journey.name {
            f(&mut name.span);
        }
        for item in &mut journey.items {
            match item {
                Item::Card(card) => {
                    f(&mut card.span);
                    f(&mut card.header_span);
                    f(&mut card.name.span);
                    if let Some(guard) = &mut card.guard {
                        shift_expr(guard, f);
                    }
                    for option in &mut card.options {
                        f(&mut option.span);
                        if let Some(name) = &mut option.name {
                            f(&mut name.span);
                        }
                        shift_expr(&mut option.value, f);
                    }
                    shift_stmts(&mut card.body, f);
                }
                Item::Setting(setting) => {
                    f(&mut setting.span);
                    shift_call(&mut setting.call, f);
                    if let Some(guard) = &mut setting.guard {
                        shift_expr(guard, f);
                    }
                }
            }
        }
    }
    for entry in &mut module.config {
        f(&mut entry.span);
    }
    for table in &mut module.tables {
        f(&mut table.span);
    }
}

fn shift_stmts(stmts: &mut [Stmt], f: &mut impl FnMut(&mut Span)) {
    for stmt in stmts {
        f(&mut stmt.span);
        match &mut stmt.kind {
            StmtKind::Assign { target, value } => {
                f(&mut target.span);
                shift_expr(value, f);
            }
            StmtKind::Expr(value) => shift_expr(value, f),
            StmtKind::Then { target, guard } => {
                f(&mut target.span);
                if let Some(guard) = guard {
                    shift_expr(guard, f);
                }
            }
        }
    }
}

fn shift_call(call: &mut Call, f: &mut impl FnMut(&mut Span)) {
    f(&mut call.span);
    f(&mut call.callee.span);
    for arg in &mut call.args {
        f(&mut arg.span);
        if let Some(name) = &mut arg.name {
            f(&mut name.span);
        }
        shift_expr(&mut arg.value, f);
    }
    if let Some(block) = &mut call.block {
        shift_stmts(block, f);
    }
}

fn shift_expr(expr: &mut Expr, f: &mut impl FnMut(&mut Span)) {
    f(&mut expr.span);
    match &mut expr.kind {
        ExprKind::Str(template) => {
            for part in &mut template.parts {
                match part {
                    TemplatePart::Text { span, .. } => f(span),
                    TemplatePart::Interp(inner) => shift_expr(inner, f),
                }
            }
        }
        ExprKind::Member { object, field } => {
            f(&mut field.span);
            shift_expr(object, f);
        }
        ExprKind::Call(call) => shift_call(call, f),
        _ => expr.for_each_child_mut(|child| shift_expr(child, f)),
    }
}
