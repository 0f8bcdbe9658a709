//! Card-level operations: add, rename, delete, duplicate; guarded definitions.

use journey_diagnostics::Span;
use journey_model::Resolved;
use journey_syntax::{Card, Journey};

use super::locate::{Doc, Rendered, render_card, same_tree, valid_name};
use super::splice::{
    self, Splice, block_extent, ends_line, indentation, insert_after, insert_before, reindent,
    remove_blocks, starts_line,
};
use super::{EditError, SourceChange};
use crate::{Analysis, TextEdit};

fn exists(journey: &Journey, name: &str) -> Result<(), EditError> {
    valid_name(name)?;
    if journey.cards().any(|c| c.name.name == name) {
        return Err(EditError::CardExists {
            card: name.to_owned(),
        });
    }
    Ok(())
}

/// A printed card at the journey's indentation, checked to mean what was printed.
fn placed(
    doc: &Doc<'_>,
    journey: &Journey,
    printed: &Rendered,
    base: &str,
) -> Result<String, EditError> {
    let block = reindent(&printed.text, base, &doc.unit(journey), &printed.verbatim);
    if !same_tree(&block, &printed.text) {
        return Err(EditError::Unsafe {
            reason: "the new card would change when indented".to_owned(),
        });
    }
    Ok(block)
}

pub(super) fn add(
    doc: &Doc<'_>,
    journey: &str,
    name: &str,
    after: Option<&str>,
    body: Option<&str>,
) -> Result<SourceChange, EditError> {
    let text = doc.text;
    let syntax = match doc.journey(journey) {
        Ok(syntax) => syntax,
        // A file without top-level cards yet: the first goes at its end.
        Err(_) if journey == crate::file_stem(doc.path) && after.is_none() => {
            valid_name(name)?;
            let printed = render_card(name, None, body)?;
            let lead = match text {
                "" => "",
                t if t.ends_with("\n\n") => "",
                t if t.ends_with('\n') => "\n",
                _ => "\n\n",
            };
            return doc.finish(vec![Splice::insert(
                text.len(),
                format!("{lead}{}", printed.text),
            )]);
        }
        Err(error) => return Err(error),
    };
    exists(syntax, name)?;
    let printed = render_card(name, None, body)?;
    let anchor = match after {
        Some(after) => doc.definitions(syntax, after)?.last().map(|c| c.span),
        None => syntax.items.last().map(|i| i.span()),
    };
    let splice = match (anchor, &syntax.name) {
        (Some(span), _) => {
            let (start, end) = (span.start as usize, span.end as usize);
            if !ends_line(text, end) {
                return Err(doc.layout(after.unwrap_or(name)));
            }
            let base = if starts_line(text, start) {
                indentation(text, start).to_owned()
            } else {
                doc.card_indent(syntax)
            };
            insert_after(text, end, &placed(doc, syntax, &printed, &base)?)
        }
        // An empty `stack Name do … end`: after its first line.
        (None, Some(header)) => {
            let end = header.span.end as usize;
            let line_end = splice::next_line(text, end);
            if text[end..line_end].trim() != "do" {
                return Err(doc.layout(name));
            }
            let block = placed(doc, syntax, &printed, &doc.card_indent(syntax))?;
            Splice::insert(line_end, block)
        }
        (None, None) => return Err(doc.layout(name)),
    };
    doc.finish(vec![splice])
}

pub(super) fn rename(
    analysis: Analysis<'_>,
    doc: &Doc<'_>,
    journey: &str,
    card: &str,
    new_name: &str,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let definitions = doc.definitions(syntax, card)?;
    if card == new_name {
        return Ok(SourceChange::default());
    }
    exists(syntax, new_name)?;
    let edits = analysis
        .rename(doc.path, definitions[0].name.span.start as usize, new_name)
        .map_err(|reason| EditError::Unsafe { reason })?;
    doc.finish(
        edits
            .into_iter()
            .filter(|e| e.path == doc.path)
            .map(|e| Splice::replace(e.span, e.new_text))
            .collect(),
    )
}

pub(super) fn rename_journey(
    analysis: Analysis<'_>,
    doc: &Doc<'_>,
    journey: &str,
    new_name: &str,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let Some(name) = &syntax.name else {
        return Err(EditError::NamedByFile {
            journey: journey.to_owned(),
        });
    };
    valid_name(new_name)?;
    if journey == new_name {
        return Ok(SourceChange::default());
    }
    if analysis.journeys().iter().any(|j| j.name == new_name) {
        return Err(EditError::JourneyExists {
            journey: new_name.to_owned(),
        });
    }
    let edits = analysis
        .rename(doc.path, name.span.start as usize, new_name)
        .map_err(|reason| EditError::Unsafe { reason })?;
    // The calls may be in other files: each is checked on its own.
    let mut change = SourceChange::default();
    let mut paths: Vec<&str> = edits.iter().map(|e| e.path.as_str()).collect();
    paths.dedup();
    for path in paths {
        let other = Doc::open(analysis, path)?;
        let splices = edits
            .iter()
            .filter(|e| e.path == path)
            .map(|e| Splice::replace(e.span, e.new_text.clone()))
            .collect();
        for s in other.checked(splices)? {
            change.edits.push(TextEdit {
                path: path.to_owned(),
                span: Span::new(s.start, s.end),
                new_text: s.text,
            });
        }
    }
    Ok(change)
}

/// The cards (or "the journey's interrupts") whose exits lead to `card`, itself aside.
fn used_by(analysis: Analysis<'_>, doc: &Doc<'_>, journey: &Journey, card: &str) -> Vec<String> {
    let Some(compiled) = analysis
        .journeys()
        .iter()
        .find(|j| j.file == doc.file && j.span == journey.span)
    else {
        return Vec::new();
    };
    let Some(id) = compiled.cards.iter().position(|c| c.name == card) else {
        return Vec::new();
    };
    let inside = |span: Span, outer: Span| outer.start <= span.start && span.end <= outer.end;
    let mut users: Vec<String> = Vec::new();
    for reference in &compiled.references {
        if !matches!(reference.target, Resolved::Card(c) if c.0 as usize == id) {
            continue;
        }
        let owner = journey
            .cards()
            .find(|c| inside(reference.span, c.span))
            .map(|c| c.name.name.clone());
        let user = match owner {
            Some(name) if name == card => continue,
            Some(name) => name,
            None => "the journey's interrupts".to_owned(),
        };
        if !users.contains(&user) {
            users.push(user);
        }
    }
    users
}

fn extent(doc: &Doc<'_>, journey: &Journey, card: &Card) -> Result<(usize, usize), EditError> {
    block_extent(doc.text, card.span, doc.floor(journey, card.span))
        .ok_or_else(|| doc.layout(&card.name.name))
}

pub(super) fn delete(
    analysis: Analysis<'_>,
    doc: &Doc<'_>,
    journey: &str,
    card: &str,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let definitions = doc.definitions(syntax, card)?;
    let users = used_by(analysis, doc, syntax, card);
    if !users.is_empty() {
        return Err(EditError::CardInUse {
            card: card.to_owned(),
            used_by: users,
        });
    }
    let blocks = definitions
        .iter()
        .map(|c| extent(doc, syntax, c))
        .collect::<Result<Vec<_>, _>>()?;
    doc.finish(remove_blocks(doc.text, blocks))
}

pub(super) fn duplicate(
    doc: &Doc<'_>,
    journey: &str,
    card: &str,
    new_name: &str,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let definitions = doc.definitions(syntax, card)?;
    exists(syntax, new_name)?;
    let text = doc.text;
    let mut copies = Vec::new();
    for definition in &definitions {
        let span = definition.span;
        if !starts_line(text, span.start as usize) {
            return Err(doc.layout(card));
        }
        let name = definition.name.span;
        copies.push(format!(
            "{}{}{new_name}{}\n",
            indentation(text, span.start as usize),
            &text[span.start as usize..name.start as usize],
            &text[name.end as usize..span.end as usize],
        ));
    }
    let last = definitions[definitions.len() - 1].span.end as usize;
    if !ends_line(text, last) {
        return Err(doc.layout(card));
    }
    doc.finish(vec![insert_after(text, last, &copies.join("\n"))])
}

pub(super) fn add_definition(
    doc: &Doc<'_>,
    journey: &str,
    card: &str,
    guard: &str,
    index: Option<usize>,
    body: Option<&str>,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let definitions = doc.definitions(syntax, card)?;
    let index = index.unwrap_or_else(|| {
        definitions
            .iter()
            .position(|d| d.guard.is_none())
            .unwrap_or(definitions.len())
    });
    if index > definitions.len() {
        return Err(EditError::NoSuchDefinition {
            card: card.to_owned(),
            definition: index,
        });
    }
    let printed = render_card(card, Some(guard), body)?;
    let first = definitions[0].span.start as usize;
    if !starts_line(doc.text, first) {
        return Err(doc.layout(card));
    }
    let block = placed(doc, syntax, &printed, indentation(doc.text, first))?;
    let splice = match definitions.get(index) {
        Some(before) => insert_before(extent(doc, syntax, before)?.0, &block),
        None => {
            let last = definitions[definitions.len() - 1].span.end as usize;
            if !ends_line(doc.text, last) {
                return Err(doc.layout(card));
            }
            insert_after(doc.text, last, &block)
        }
    };
    doc.finish(vec![splice])
}

pub(super) fn remove_definition(
    doc: &Doc<'_>,
    journey: &str,
    card: &str,
    definition: usize,
) -> Result<SourceChange, EditError> {
    let syntax = doc.journey(journey)?;
    let definitions = doc.definitions(syntax, card)?;
    let Some(target) = definitions.get(definition) else {
        return Err(EditError::NoSuchDefinition {
            card: card.to_owned(),
            definition,
        });
    };
    if definitions.len() == 1 {
        return Err(EditError::OnlyDefinition {
            card: card.to_owned(),
        });
    }
    let block = extent(doc, syntax, target)?;
    doc.finish(remove_blocks(doc.text, vec![block]))
}
