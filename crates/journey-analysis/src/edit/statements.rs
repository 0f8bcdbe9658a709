//! Statement-level operations: add and remove statements; set and clear arguments,
//! texts and translations; menu options; exits.

use journey_model::builtins;
use journey_syntax::{Arg, Call, Expr, ExprKind, StmtKind};

use super::locate::{Doc, render_statement, value};
use super::splice::{
    Splice, ends_line, indentation, line_start, next_line, quote, quote_like, reindent,
    skip_trivia, starts_line,
};
use super::{ArgKey, EditError, Exit, SourceChange, StatementAt};

/// The start of the comment lines right above the line starting at `start`, not
/// above `floor`.
fn comments_above(text: &str, start: usize, floor: usize) -> usize {
    let mut first = start;
    while first > floor {
        let above = line_start(text, first - 1);
        if above < floor || !text[above..first].trim_start().starts_with('#') {
            break;
        }
        first = above;
    }
    first
}

pub(super) fn add(
    doc: &Doc<'_>,
    at: &StatementAt,
    source: &str,
) -> Result<SourceChange, EditError> {
    let (block, index) = doc.block(at)?;
    if index > block.stmts.len() {
        return Err(EditError::NoSuchStatement {
            card: at.card.clone(),
            statement: index,
        });
    }
    let text = doc.text;
    let layout = || doc.layout(&at.card);
    let printed = render_statement(source)?;
    let journey = doc.journey(&at.journey)?;
    let unit = doc.unit(journey);
    // Where the block's first line ends: after the card's or the menu's `do`.
    let opening = match block.holder {
        None => block.card.header_span.end as usize,
        Some(holder) => {
            let call = holder.call().ok_or_else(layout)?;
            let close = doc.args(call, &at.card)?.close;
            let at_do = skip_trivia(text, close + 1);
            if !text[at_do..].starts_with("do") {
                return Err(layout());
            }
            at_do + 2
        }
    };
    let (position, indent) = match block.stmts.get(index) {
        Some(next) => {
            let start = next.span.start as usize;
            if !starts_line(text, start) {
                return Err(layout());
            }
            let floor = match index {
                0 => opening,
                _ => block.stmts[index - 1].span.end as usize,
            };
            (
                comments_above(text, line_start(text, start), floor),
                indentation(text, start).to_owned(),
            )
        }
        None => {
            let (end, indent) = match block.stmts.last() {
                Some(last) => {
                    let start = last.span.start as usize;
                    if !starts_line(text, start) {
                        return Err(layout());
                    }
                    (last.span.end as usize, indentation(text, start).to_owned())
                }
                None => {
                    let outer = match block.holder {
                        None => block.card.span.start as usize,
                        Some(holder) => holder.span.start as usize,
                    };
                    (opening, format!("{}{unit}", indentation(text, outer)))
                }
            };
            if !ends_line(text, end) {
                return Err(layout());
            }
            (next_line(text, end), indent)
        }
    };
    doc.finish(vec![Splice::insert(
        position,
        reindent(&printed.text, &indent, &unit, &printed.verbatim),
    )])
}

pub(super) fn remove(doc: &Doc<'_>, at: &StatementAt) -> Result<SourceChange, EditError> {
    let stmt = doc.statement(at)?;
    let text = doc.text;
    let (start, end) = (stmt.span.start as usize, stmt.span.end as usize);
    let line_end = next_line(text, end);
    let splice = if starts_line(text, start) && text[end..line_end].trim().is_empty() {
        Splice::new(line_start(text, start), line_end, "")
    } else {
        // Something shares the line (a comment after it stays).
        let rest = &text[end..line_end];
        let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        Splice::new(start, end + blanks, "")
    };
    doc.finish(vec![splice])
}

fn position_of(call: &Call, key: &ArgKey) -> Option<usize> {
    match key {
        ArgKey::Name(name) => call
            .args
            .iter()
            .position(|a| a.name.as_ref().is_some_and(|n| n.name == *name)),
        ArgKey::Position(n) => call
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| a.name.is_none())
            .nth(*n)
            .map(|(i, _)| i),
    }
}

fn key_text(key: &ArgKey) -> String {
    match key {
        ArgKey::Name(name) => format!("{name}:"),
        ArgKey::Position(n) => format!("number {}", n + 1),
    }
}

/// Sets argument `key` of `call` to `source`: replaces its value or adds it.
fn set(
    doc: &Doc<'_>,
    at: &StatementAt,
    call: &Call,
    key: &ArgKey,
    source: &str,
) -> Result<Splice, EditError> {
    if let Some(i) = position_of(call, key) {
        return Ok(Splice::replace(call.args[i].value.span, source));
    }
    let args = doc.args(call, &at.card)?;
    match key {
        ArgKey::Name(name) => {
            super::locate::valid_argument(name)?;
            Ok(args.insert(doc.text, call.args.len(), &format!("{name}: {source}")))
        }
        ArgKey::Position(n) if *n == call.positional().count() => {
            let after = call.args.iter().rposition(|a| a.name.is_none());
            Ok(args.insert(doc.text, after.map_or(0, |i| i + 1), source))
        }
        ArgKey::Position(_) => Err(no_argument(at, key)),
    }
}

fn no_argument(at: &StatementAt, key: &ArgKey) -> EditError {
    EditError::NoSuchArgument {
        card: at.card.clone(),
        statement: at.inner.unwrap_or(at.statement),
        arg: key_text(key),
    }
}

fn clear(doc: &Doc<'_>, at: &StatementAt, call: &Call, key: &ArgKey) -> Result<Splice, EditError> {
    let i = position_of(call, key).ok_or_else(|| no_argument(at, key))?;
    Ok(doc.args(call, &at.card)?.remove(doc.text, i))
}

pub(super) fn set_argument(
    doc: &Doc<'_>,
    at: &StatementAt,
    key: &ArgKey,
    source: &str,
) -> Result<SourceChange, EditError> {
    let call = doc.call(at, "a step with settings")?;
    let splice = set(doc, at, call, key, value(source)?)?;
    doc.finish(vec![splice])
}

pub(super) fn clear_argument(
    doc: &Doc<'_>,
    at: &StatementAt,
    key: &ArgKey,
) -> Result<SourceChange, EditError> {
    let call = doc.call(at, "a step with settings")?;
    let splice = clear(doc, at, call, key)?;
    doc.finish(vec![splice])
}

/// Plain text as a string literal shaped like the one it replaces, checked to be one.
fn literal(doc: &Doc<'_>, old: Option<&Arg>, text: &str) -> Result<String, EditError> {
    let quoted = match old {
        Some(arg) => quote_like(&doc.text[arg.value.span.range()], text),
        None => quote(text),
    };
    match journey_syntax::parse_expr(journey_diagnostics::FileId(0), &quoted) {
        Ok(Expr {
            kind: ExprKind::Str(_),
            ..
        }) => Ok(quoted),
        Ok(_) => Err(EditError::BadValue {
            source: text.to_owned(),
            reason: "it is not a text".to_owned(),
        }),
        Err(error) => Err(EditError::BadValue {
            source: text.to_owned(),
            reason: format!(
                "{} (write @@ for an @ that does not personalise)",
                error.message
            ),
        }),
    }
}

pub(super) fn set_text(
    doc: &Doc<'_>,
    at: &StatementAt,
    text: &str,
) -> Result<SourceChange, EditError> {
    let call = doc.call(at, "a message")?;
    let key = ArgKey::Position(0);
    let old = position_of(call, &key).map(|i| &call.args[i]);
    let quoted = literal(doc, old, text)?;
    let splice = set(doc, at, call, &key, &quoted)?;
    doc.finish(vec![splice])
}

pub(super) fn set_translation(
    doc: &Doc<'_>,
    at: &StatementAt,
    language: &str,
    text: Option<&str>,
) -> Result<SourceChange, EditError> {
    if !builtins::is_language_code(language) {
        return Err(EditError::NotALanguage {
            language: language.to_owned(),
        });
    }
    let call = doc.call(at, "a message")?;
    if !builtins::lookup(&call.callee.name).is_some_and(|b| b.translations) {
        return Err(EditError::NoTranslations {
            function: call.callee.name.clone(),
        });
    }
    let key = ArgKey::Name(language.to_owned());
    let splice = match text {
        Some(text) => {
            let old = position_of(call, &key).map(|i| &call.args[i]);
            let quoted = literal(doc, old, text)?;
            set(doc, at, call, &key, &quoted)?
        }
        None => clear(doc, at, call, &key)?,
    };
    doc.finish(vec![splice])
}

/// How a menu writes its options.
enum Options<'a> {
    /// `Card: "Label"` named arguments: their indexes among the call's arguments.
    Labelled(Vec<usize>),
    /// `[CardA, CardB]`: a list of cards.
    Cards(&'a Expr, &'a [Expr]),
}

impl Options<'_> {
    fn len(&self) -> usize {
        match self {
            Options::Labelled(args) => args.len(),
            Options::Cards(_, items) => items.len(),
        }
    }
}

const COMPUTED: &str =
    "The options of this menu are computed by an expression; change them in the code view.";
const LABELLED_BY_CARDS: &str =
    "The options of this menu are shown by their cards' names; change the card's label instead.";

fn menu<'a>(doc: &Doc<'a>, at: &StatementAt) -> Result<(&'a Call, Options<'a>), EditError> {
    let call = doc.call(at, "a menu")?;
    let wrong = || EditError::WrongStatement {
        card: at.card.clone(),
        statement: at.inner.unwrap_or(at.statement),
        what: "a menu (buttons or list)",
    };
    let cards = |list: &'a Expr| match &list.kind {
        ExprKind::List(items) => Ok(Options::Cards(list, items)),
        _ => Err(EditError::Refused { reason: COMPUTED }),
    };
    let options = match call.callee.name.as_str() {
        name @ ("buttons" | "list") => {
            let builtin = builtins::lookup(name).ok_or_else(wrong)?;
            let mut positional: Vec<&Expr> = call.positional().collect();
            if name == "list" && !positional.is_empty() {
                positional.remove(0);
            }
            match positional.as_slice() {
                [] => Options::Labelled(
                    call.args
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| {
                            a.name
                                .as_ref()
                                .is_some_and(|n| builtin.named_param(&n.name).is_none())
                        })
                        .map(|(i, _)| i)
                        .collect(),
                ),
                [list] => cards(list)?,
                _ => return Err(EditError::Refused { reason: COMPUTED }),
            }
        }
        "send_message_template" => match call.named("buttons") {
            Some(arg) => cards(&arg.value)?,
            None => return Err(wrong()),
        },
        _ => return Err(wrong()),
    };
    Ok((call, options))
}

/// The card an option leads to.
fn option_card(call: &Call, options: &Options<'_>, index: usize) -> Option<String> {
    match options {
        Options::Labelled(args) => call.args[args[index]].name.as_ref().map(|n| n.name.clone()),
        Options::Cards(_, items) => match &items[index].kind {
            ExprKind::Name(name) => Some(name.clone()),
            ExprKind::Str(template) => template.as_literal(),
            _ => None,
        },
    }
}

fn check_option(at: &StatementAt, options: &Options<'_>, index: usize) -> Result<(), EditError> {
    if index < options.len() {
        Ok(())
    } else {
        Err(EditError::NoSuchOption {
            card: at.card.clone(),
            index,
        })
    }
}

/// A card of the statement's journey, and not yet an option of this menu.
fn new_option(
    doc: &Doc<'_>,
    at: &StatementAt,
    call: &Call,
    options: &Options<'_>,
    card: &str,
) -> Result<(), EditError> {
    doc.definitions(doc.journey(&at.journey)?, card)?;
    if (0..options.len()).any(|i| option_card(call, options, i).as_deref() == Some(card)) {
        return Err(EditError::OptionExists {
            card: card.to_owned(),
        });
    }
    Ok(())
}

pub(super) fn add_option(
    doc: &Doc<'_>,
    at: &StatementAt,
    card: &str,
    label: Option<&str>,
    index: Option<usize>,
) -> Result<SourceChange, EditError> {
    let (call, options) = menu(doc, at)?;
    new_option(doc, at, call, &options, card)?;
    let index = index.unwrap_or(options.len());
    if index > options.len() {
        return Err(EditError::NoSuchOption {
            card: at.card.clone(),
            index,
        });
    }
    let splice = match &options {
        Options::Labelled(args) => {
            let option = format!("{card}: {}", literal(doc, None, label.unwrap_or(card))?);
            let position = match args.get(index) {
                Some(&i) => i,
                None => match args.last() {
                    Some(&last) => last + 1,
                    None => call
                        .args
                        .iter()
                        .rposition(|a| a.name.is_none())
                        .map_or(0, |i| i + 1),
                },
            };
            doc.args(call, &at.card)?
                .insert(doc.text, position, &option)
        }
        Options::Cards(list, _) => {
            if label.is_some_and(|l| l != card) {
                return Err(EditError::Refused {
                    reason: LABELLED_BY_CARDS,
                });
            }
            doc.list(list, &at.card)?.insert(doc.text, index, card)
        }
    };
    doc.finish(vec![splice])
}

pub(super) fn remove_option(
    doc: &Doc<'_>,
    at: &StatementAt,
    index: usize,
) -> Result<SourceChange, EditError> {
    let (call, options) = menu(doc, at)?;
    check_option(at, &options, index)?;
    let splice = match &options {
        Options::Labelled(args) => doc.args(call, &at.card)?.remove(doc.text, args[index]),
        Options::Cards(list, _) => doc.list(list, &at.card)?.remove(doc.text, index),
    };
    doc.finish(vec![splice])
}

pub(super) fn set_option_label(
    doc: &Doc<'_>,
    at: &StatementAt,
    index: usize,
    label: &str,
) -> Result<SourceChange, EditError> {
    let (call, options) = menu(doc, at)?;
    check_option(at, &options, index)?;
    let Options::Labelled(args) = &options else {
        return Err(EditError::Refused {
            reason: LABELLED_BY_CARDS,
        });
    };
    let arg = &call.args[args[index]];
    let quoted = literal(doc, Some(arg), label)?;
    doc.finish(vec![Splice::replace(arg.value.span, quoted)])
}

pub(super) fn move_option(
    doc: &Doc<'_>,
    at: &StatementAt,
    from: usize,
    to: usize,
) -> Result<SourceChange, EditError> {
    let (call, options) = menu(doc, at)?;
    check_option(at, &options, from)?;
    check_option(at, &options, to)?;
    let spans: Vec<_> = match &options {
        Options::Labelled(args) => args.iter().map(|&i| call.args[i].span).collect(),
        Options::Cards(_, items) => items.iter().map(|i| i.span).collect(),
    };
    // Each slot takes the text of the option that moves into it; what lies between
    // the options (commas, comments) stays where it is.
    let mut order: Vec<usize> = (0..spans.len()).collect();
    let moved = order.remove(from);
    order.insert(to, moved);
    let splices = order
        .iter()
        .enumerate()
        .filter(|(slot, option)| slot != *option)
        .map(|(slot, &option)| Splice::replace(spans[slot], &doc.text[spans[option].range()]))
        .collect();
    doc.finish(splices)
}

const ALWAYS_LEADS: &str =
    "This exit always leads to a card; remove the option or the step instead.";

pub(super) fn connect(
    doc: &Doc<'_>,
    exit: &Exit,
    target: Option<&str>,
) -> Result<SourceChange, EditError> {
    let journey = match exit {
        Exit::Next { journey, .. } | Exit::Interrupt { journey, .. } => journey,
        Exit::Option { at, .. }
        | Exit::Branch { at }
        | Exit::Timeout { at }
        | Exit::Invalid { at }
        | Exit::Error { at }
        | Exit::Return { at }
        | Exit::Timer { at } => &at.journey,
    };
    let syntax = doc.journey(journey)?;
    if let Some(target) = target {
        doc.definitions(syntax, target)?;
    }
    let required = || {
        target.ok_or(EditError::Refused {
            reason: ALWAYS_LEADS,
        })
    };
    let named = |at: &StatementAt, name: &str| -> Result<Option<Splice>, EditError> {
        let call = doc.call(at, "a step with exits")?;
        let key = ArgKey::Name(name.to_owned());
        match target {
            Some(target) => set(doc, at, call, &key, target).map(Some),
            None if position_of(call, &key).is_some() => clear(doc, at, call, &key).map(Some),
            None => Ok(None),
        }
    };
    let splice = match exit {
        Exit::Next {
            card, definition, ..
        } => next(doc, doc.definition(journey, card, *definition)?, target)?,
        Exit::Option { at, index } => {
            let target = required()?;
            let (call, options) = menu(doc, at)?;
            check_option(at, &options, *index)?;
            if option_card(call, &options, *index).as_deref() != Some(target) {
                new_option(doc, at, call, &options, target)?;
            }
            Some(match &options {
                Options::Labelled(args) => {
                    let name = call.args[args[*index]]
                        .name
                        .as_ref()
                        .ok_or(EditError::Refused { reason: COMPUTED })?;
                    Splice::replace(name.span, target)
                }
                Options::Cards(_, items) => Splice::replace(items[*index].span, target),
            })
        }
        Exit::Branch { at } => {
            let target = required()?;
            match &doc.statement(at)?.kind {
                StmtKind::Then { target: old, .. } => Some(Splice::replace(old.span, target)),
                _ => {
                    return Err(EditError::WrongStatement {
                        card: at.card.clone(),
                        statement: at.inner.unwrap_or(at.statement),
                        what: "a then(…) step",
                    });
                }
            }
        }
        Exit::Timeout { at } => named(at, "on_timeout")?,
        Exit::Invalid { at } => named(at, "on_invalid")?,
        Exit::Error { at } => named(at, "on_error")?,
        Exit::Return { at } => named(at, "on_return")?,
        Exit::Timer { at } => {
            let target = required()?;
            let call = doc.call(at, "a timer")?;
            if call.callee.name != "schedule" {
                return Err(EditError::WrongStatement {
                    card: at.card.clone(),
                    statement: at.inner.unwrap_or(at.statement),
                    what: "a timer (schedule)",
                });
            }
            Some(set(doc, at, call, &ArgKey::Position(0), target)?)
        }
        Exit::Interrupt { index, .. } => {
            let target = required()?;
            let call = syntax
                .settings()
                .map(|s| &s.call)
                .filter(|c| c.callee.name == "interrupt")
                .nth(*index)
                .ok_or(EditError::Refused {
                    reason: "This journey has no interrupt with that number.",
                })?;
            let key = ArgKey::Name("then".to_owned());
            Some(match position_of(call, &key) {
                Some(i) => Splice::replace(call.args[i].value.span, target),
                None => doc.args(call, journey)?.insert(
                    doc.text,
                    call.args.len(),
                    &format!("then: {target}"),
                ),
            })
        }
    };
    doc.finish(splice.into_iter().collect())
}

/// A card's `then:`: replaced, added after its header's last part, or removed.
fn next(
    doc: &Doc<'_>,
    card: &journey_syntax::Card,
    target: Option<&str>,
) -> Result<Option<Splice>, EditError> {
    let index = card
        .options
        .iter()
        .position(|o| o.name.as_ref().is_some_and(|n| n.name == "then"));
    // What the `then:` follows: the option before it, the guard, or the name.
    let before = |i: usize| match i.checked_sub(1) {
        Some(previous) => card.options[previous].span.end,
        None => card
            .guard
            .as_ref()
            .map_or(card.name.span.end, |g| g.span.end),
    } as usize;
    Ok(match (index, target) {
        (Some(i), Some(target)) => Some(Splice::replace(card.options[i].value.span, target)),
        (None, Some(target)) => Some(Splice::insert(
            before(card.options.len()),
            format!(", then: {target}"),
        )),
        (Some(i), None) => {
            let option = card.options[i].span;
            let from = before(i);
            let between = &doc.text[from..option.start as usize];
            if between.contains('#') {
                return Err(doc.layout(&card.name.name));
            }
            Some(Splice::new(from, option.end as usize, ""))
        }
        (None, None) => None,
    })
}
