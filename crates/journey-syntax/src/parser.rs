//! The top-level driver. pest stops at the first error, so the driver parses one item
//! (card or journey-level call) at a time and, after an error, resumes at the next
//! line that starts an item. One mistake therefore costs one card, not the file.

use std::collections::HashMap;

use journey_diagnostics::{Diagnostic, FileId, Span};
use pest::Parser;
use pest_derive::Parser;

use crate::Parsed;
use crate::ast::{Card, Expr, Ident, Item, Journey, Module};
use crate::build::Builder;
use crate::errors;

#[derive(Parser)]
#[grammar = "../../grammar/journey.pest"]
#[grammar = "../../grammar/expr.pest"]
pub struct JourneyParser;

/// Deeper nesting than this is refused before pest sees it: pest and the AST builder
/// recurse once per level, and no real journey comes close.
pub(crate) const MAX_NESTING: usize = 128;

pub(crate) struct Driver<'a> {
    file: FileId,
    text: &'a str,
    /// Items outside any `stack … end` wrapper: the file's implicit journey.
    implicit: Vec<Item>,
    implicit_span: Option<Span>,
    journeys: Vec<Journey>,
    diagnostics: Vec<Diagnostic>,
    /// Items parsed ahead on other threads, by start offset (see [`Driver::parse_ahead`]).
    ahead: HashMap<usize, ItemParse>,
    /// Regions at least this large are parsed ahead on every core.
    parallel_from: usize,
}

/// One item parsed at an offset: the item and its length, or where it failed; with the
/// diagnostics either way.
struct ItemParse {
    result: Result<(Item, usize), usize>,
    diagnostics: Vec<Diagnostic>,
}

/// Regions smaller than this are parsed on one thread: starting threads would cost more
/// than they save (a 500-card file is about 160 KiB).
const PARALLEL_MIN_BYTES: usize = 512 * 1024;

/// A `stack Name do` whose `end` has not been seen yet.
struct OpenJourney {
    name: Ident,
    start: usize,
    /// Column of `stack`: an `end` at or left of it closes the journey.
    indent: usize,
    header: Span,
    items: Vec<Item>,
}

impl<'a> Driver<'a> {
    pub(crate) fn new(file: FileId, text: &'a str) -> Self {
        Driver {
            file,
            text,
            implicit: Vec::new(),
            implicit_span: None,
            journeys: Vec::new(),
            diagnostics: Vec::new(),
            ahead: HashMap::new(),
            parallel_from: PARALLEL_MIN_BYTES,
        }
    }

    pub(crate) fn parse_region(&mut self, start: usize, end: usize) {
        self.parse_ahead(start, end);
        let mut open: Option<OpenJourney> = None;
        let mut pos = start;
        loop {
            pos = skip_trivia(self.text, pos, end);
            if pos >= end {
                break;
            }
            let rest = &self.text[pos..end];
            if starts_with_word(rest, "end") {
                match open.take() {
                    Some(journey) => self.close(journey, pos + 3),
                    None => {
                        let span = Span::new(pos, pos + 3);
                        self.diagnostics.push(errors::stray_end(self.file, span));
                    }
                }
                pos += 3;
                continue;
            }
            if starts_with_word(rest, "stack") || starts_with_word(rest, "journey") {
                match self.parse_journey_open(pos, rest) {
                    Ok((name, header, consumed)) => {
                        if let Some(outer) = open.take() {
                            self.diagnostics.push(errors::nested_journey(
                                self.file,
                                header,
                                outer.header,
                            ));
                            self.close(outer, pos);
                        }
                        open = Some(OpenJourney {
                            name,
                            start: pos,
                            indent: pos - line_start(self.text, pos),
                            header,
                            items: Vec::new(),
                        });
                        pos += consumed;
                    }
                    Err(error_at) => pos = self.resync(pos, error_at, end, None),
                }
                continue;
            }
            match self.parse_item(pos, end) {
                Ok((item, consumed)) => {
                    self.push_item(&mut open, item, pos, pos + consumed);
                    pos += consumed;
                }
                Err(error_at) => {
                    if let Some(card) = recovered_card(self.text, pos, error_at) {
                        self.push_item(&mut open, Item::Card(card), pos, error_at);
                    }
                    pos = self.resync(pos, error_at, end, open.as_ref().map(|j| j.indent));
                }
            }
        }
        if let Some(journey) = open {
            self.diagnostics
                .push(errors::unclosed_journey(self.file, journey.header));
            self.close(journey, end);
        }
    }

    pub(crate) fn finish(mut self) -> Parsed {
        if let Some(span) = self.implicit_span {
            self.journeys.insert(
                0,
                Journey {
                    name: None,
                    span,
                    items: self.implicit,
                },
            );
        }
        Parsed {
            module: Module {
                journeys: self.journeys,
                ..Module::default()
            },
            diagnostics: self.diagnostics,
        }
    }

    fn push_item(&mut self, open: &mut Option<OpenJourney>, item: Item, start: usize, end: usize) {
        match open {
            Some(journey) => journey.items.push(item),
            None => {
                let span = Span::new(start, end);
                self.implicit_span = Some(self.implicit_span.map_or(span, |s| s.to(span)));
                self.implicit.push(item);
            }
        }
    }

    fn close(&mut self, journey: OpenJourney, end: usize) {
        self.journeys.push(Journey {
            name: Some(journey.name),
            span: Span::new(journey.start, end),
            items: journey.items,
        });
    }

    fn parse_journey_open(
        &mut self,
        pos: usize,
        rest: &'a str,
    ) -> Result<(Ident, Span, usize), usize> {
        let pairs = self.run(Rule::journey_open, pos, rest)?;
        let pair = pairs.into_iter().next().expect("journey_open matched");
        let consumed = pair.as_span().end();
        let name = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::name)
            .expect("the grammar requires a name");
        let span = name.as_span();
        let ident = Ident {
            name: name.as_str().to_owned(),
            span: Span::new(pos + span.start(), pos + span.end()),
        };
        Ok((ident, Span::new(pos, pos + consumed), consumed))
    }

    /// The item at `pos`, from the items parsed ahead when it is there.
    fn parse_item(&mut self, pos: usize, end: usize) -> Result<(Item, usize), usize> {
        let parse = match self.ahead.remove(&pos) {
            Some(parse) => parse,
            None => parse_item(self.file, self.text, pos, end, Explain::Errors)
                .expect("errors are explained"),
        };
        self.diagnostics.extend(parse.diagnostics);
        parse.result
    }

    /// Parses a large region's items on every core before the driver walks it in
    /// order. Items start at lines that look like an item's start; the driver takes a
    /// parse from `ahead` only at the offset where it arrives by itself, so the result
    /// is exactly the sequential one (pest and the builder are deterministic). Items
    /// pest refuses are left to the driver, which explains the error: pest's error
    /// detail is a process-wide switch that only one thread at a time may turn on.
    fn parse_ahead(&mut self, start: usize, end: usize) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if end - start < self.parallel_from || threads < 2 {
            return;
        }
        let starts = item_starts(self.text, start, end);
        let chunk = starts.len().div_ceil(threads).max(1);
        let (file, text) = (self.file, self.text);
        let parsed: Vec<Vec<(usize, ItemParse)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = starts
                .chunks(chunk)
                .map(|chunk| {
                    std::thread::Builder::new()
                        // The main thread's size: whatever the driver alone parses, a
                        // worker parses too.
                        .stack_size(8 << 20)
                        .spawn_scoped(scope, move || {
                            chunk
                                .iter()
                                .filter_map(|&pos| {
                                    parse_item(file, text, pos, end, Explain::Later)
                                        .map(|parse| (pos, parse))
                                })
                                .collect()
                        })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| match worker {
                    Ok(handle) => handle.join().unwrap_or_default(),
                    // No thread to be had: the driver parses those items itself.
                    Err(_) => Vec::new(),
                })
                .collect()
        });
        self.ahead = parsed.into_iter().flatten().collect();
    }

    /// Runs one rule at `pos`; on failure records the diagnostic and returns the
    /// absolute offset of the error.
    fn run(
        &mut self,
        rule: Rule,
        pos: usize,
        rest: &'a str,
    ) -> Result<pest::iterators::Pairs<'a, Rule>, usize> {
        match JourneyParser::parse(rule, rest) {
            Ok(pairs) => Ok(pairs),
            Err(_) => {
                let diagnostic = explain_error(self.file, self.text, rule, pos, rest);
                let at = diagnostic.span().start as usize;
                self.diagnostics.push(diagnostic);
                Err(at.max(pos))
            }
        }
    }

    /// Where to continue after an error: the next line that starts an item, the
    /// `end` of the open journey (at or left of its `stack`), or the region's end.
    fn resync(
        &self,
        item_start: usize,
        error_at: usize,
        end: usize,
        journey_indent: Option<usize>,
    ) -> usize {
        let mut line_start = line_start(self.text, error_at.min(end)).max(item_start);
        while line_start < end {
            let line_end = self.text[line_start..end]
                .find('\n')
                .map_or(end, |i| line_start + i);
            let trimmed_at = skip_spaces(self.text, line_start, line_end);
            let line = &self.text[trimmed_at..line_end];
            let closes_journey = journey_indent.is_some_and(|indent| {
                trimmed_at - line_start <= indent && starts_with_word(line, "end")
            });
            if trimmed_at > item_start && (starts_item(line) || closes_journey) {
                return trimmed_at;
            }
            line_start = line_end + 1;
        }
        end
    }
}

/// pest is deterministic: a rule that failed once fails again.
fn unreachable_parse() -> ! {
    panic!("pest parsed on the second attempt what it refused on the first")
}

/// What [`parse_item`] does when pest refuses the item.
#[derive(Clone, Copy, PartialEq)]
enum Explain {
    /// Parse again with pest's error detail to word the diagnostic.
    Errors,
    /// Give up (`None`): the caller explains it later, on one thread.
    Later,
}

/// Parses the item (card or journey-level call) at `pos`, in the region ending at `end`.
fn parse_item(
    file: FileId,
    text: &str,
    pos: usize,
    end: usize,
    explain: Explain,
) -> Option<ItemParse> {
    let rest = &text[pos..end];
    let refused = |diagnostic: Diagnostic, at: usize| ItemParse {
        result: Err(at),
        diagnostics: vec![diagnostic],
    };
    if let Some(depth_at) = too_deep(&rest[..item_extent(rest)]) {
        let at = pos + depth_at;
        return Some(refused(errors::too_deep(file, Span::new(at, at + 1)), at));
    }
    if let Some(word_len) = stray_top_level_word(rest) {
        let span = Span::new(pos, pos + word_len);
        let diagnostic = errors::not_an_item(file, span, &rest[..word_len]);
        return Some(refused(diagnostic, pos + word_len));
    }
    match JourneyParser::parse(Rule::item, rest) {
        Ok(pairs) => {
            let pair = pairs
                .into_iter()
                .find(|p| p.as_rule() != Rule::EOI)
                .expect("item matched");
            let consumed = pair.as_span().end();
            let mut builder = Builder::new(file, pos);
            let item = builder.item(pair);
            Some(ItemParse {
                result: Ok((item, consumed)),
                diagnostics: builder.diagnostics,
            })
        }
        Err(_) if explain == Explain::Later => None,
        Err(_) => {
            let diagnostic = explain_error(file, text, Rule::item, pos, rest);
            let at = (diagnostic.span().start as usize).max(pos);
            Some(refused(diagnostic, at))
        }
    }
}

/// Parses again with pest's attempt tracking on: it knows which tokens were expected,
/// which makes the message readable. It costs time, so only failing items pay for it.
fn explain_error(file: FileId, text: &str, rule: Rule, pos: usize, rest: &str) -> Diagnostic {
    pest::set_error_detail(true);
    let detailed = JourneyParser::parse(rule, rest);
    pest::set_error_detail(false);
    match detailed {
        Err(error) => errors::syntax_error(file, text, pos, rest, &error),
        Ok(_) => unreachable_parse(),
    }
}

/// Offsets of the lines in `start..end` that look like the start of a card or a
/// journey-level call: where the driver may arrive to parse an item.
fn item_starts(text: &str, start: usize, end: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = start;
    while line_start < end {
        let line_end = text[line_start..end]
            .find('\n')
            .map_or(end, |i| line_start + i);
        let at = skip_spaces(text, line_start, line_end);
        let line = &text[at..line_end];
        if starts_item(line)
            && !starts_with_word(line, "stack")
            && !starts_with_word(line, "journey")
        {
            starts.push(at);
        }
        line_start = line_end + 1;
    }
    starts
}

pub(crate) fn parse_standalone_expr(file: FileId, text: &str) -> Result<Expr, Box<Diagnostic>> {
    if let Some(at) = too_deep(text) {
        return Err(Box::new(errors::too_deep(file, Span::new(at, at + 1))));
    }
    match JourneyParser::parse(Rule::expr_only, text) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("expr_only matched");
            let expr = pair
                .into_inner()
                .find(|p| p.as_rule() == Rule::expr)
                .expect("expr_only holds an expr");
            let mut builder = Builder::new(file, 0);
            let expr = builder.expr(expr);
            match builder.diagnostics.into_iter().next() {
                Some(diagnostic) => Err(Box::new(diagnostic)),
                None => Ok(expr),
            }
        }
        Err(_) => Err(Box::new(explain_error(
            file,
            text,
            Rule::expr_only,
            0,
            text,
        ))),
    }
}

/// When a card fails to parse, keep its name so that references to it still resolve.
fn recovered_card(text: &str, pos: usize, error_at: usize) -> Option<Card> {
    let rest = &text[pos..];
    // `card`, or a misspelling of it (`crad`) that was reported as such.
    let keyword_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if !errors::looks_like_card(&rest[..keyword_len]) {
        return None;
    }
    let name_start = skip_spaces(text, pos + keyword_len, text.len());
    let name_len = text[name_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len() - name_start);
    let starts_ident = text[name_start..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if name_len == 0 || !starts_ident {
        return None;
    }
    let name_span = Span::new(name_start, name_start + name_len);
    Some(Card {
        name: Ident {
            name: text[name_span.range()].to_owned(),
            span: name_span,
        },
        guard: None,
        options: Vec::new(),
        body: Vec::new(),
        span: Span::new(pos, error_at.max(name_span.end as usize)),
        header_span: Span::new(pos, name_span.end as usize),
        recovered: true,
    })
}

/// A word at the top level that starts neither a card nor a call: pest would only
/// say it expected `(`, which misleads, so it gets its own message.
fn stray_top_level_word(rest: &str) -> Option<usize> {
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let word = &rest[..len];
    let followed_by_paren = rest[len..].starts_with('(');
    (len > 0 && word != "card" && !followed_by_paren).then_some(len)
}

fn starts_item(line: &str) -> bool {
    ["card", "stack", "journey"]
        .iter()
        .any(|kw| starts_with_word(line, kw))
        || ["trigger(", "interrupt("]
            .iter()
            .any(|call| line.starts_with(call))
}

pub(crate) fn starts_with_word(text: &str, word: &str) -> bool {
    text.starts_with(word)
        && !text[word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

fn skip_spaces(text: &str, mut pos: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < end && (bytes[pos] == b' ' || bytes[pos] == b'\t' || bytes[pos] == b'\r') {
        pos += 1;
    }
    pos
}

/// Skips whitespace and `#` comments.
fn skip_trivia(text: &str, mut pos: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < end {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => {
                pos = text[pos..end].find('\n').map_or(end, |i| pos + i);
            }
            _ => break,
        }
    }
    pos
}

/// The text an item can span at most: up to the next line that starts another
/// item. Only used to bound the nesting check, so an approximation is fine.
fn item_extent(rest: &str) -> usize {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if offset > 0 && starts_item(line.trim_start()) {
            return offset;
        }
        offset += line.len();
    }
    rest.len()
}

/// The offset where nesting first exceeds [`MAX_NESTING`], if it does. Brackets and `do`
/// open a level until they close; a run of `&` and `@` prefixes (`&&x`, `@@x`: pest
/// recurses once for each) counts until a character that is neither a prefix, an opener
/// nor a blank. Brackets inside strings count too: that only makes the check stricter.
/// This is the parser's only guard against deep recursion: pest is built without its
/// stack probe.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // Nesting needs an opener per level; most items have far fewer in all.
    let openers = bytes
        .iter()
        .filter(|&&b| matches!(b, b'(' | b'[' | b'd' | b'&' | b'@'))
        .count();
    if openers <= MAX_NESTING {
        return None;
    }
    let mut depth = 0usize;
    let mut prefixes = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'&' | b'@' => prefixes += 1,
            b'd' if word_start && starts_with_word(&text[i..], "do") => depth += 1,
            b'e' if word_start && starts_with_word(&text[i..], "end") => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        if !matches!(b, b'&' | b'@' | b'(' | b'[') && !b.is_ascii_whitespace() {
            prefixes = 0;
        }
        if depth + prefixes > MAX_NESTING {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, parallel_from: usize) -> String {
        let mut driver = Driver::new(FileId(0), text);
        driver.parallel_from = parallel_from;
        driver.parse_region(0, text.len());
        format!("{:#?}", driver.finish())
    }

    /// Parsing ahead on other threads gives exactly what the driver gives alone, broken
    /// items, item-like lines inside strings, journeys and stray `end`s included.
    #[test]
    fn parsing_ahead_changes_nothing() {
        let mut text = String::from("trigger(on: \"MESSAGE RECEIVED\")\n");
        for i in 0..400 {
            match i % 5 {
                0 => text.push_str(&format!("stack J{i} do\n")),
                1 => text.push_str(&format!("  card C{i} do\n    text(\"\"\"\ncard Fake{i} do\n\"\"\")\n  end\n")),
                2 => text.push_str(&format!("  card Broken{i} do\n    text(\"unclosed)\n  end\n")),
                3 => text.push_str(&format!("  card D{i}, then: C{i} do\n    x = buttons([\"a\", \"b\"])\n  end\nend\n")),
                _ => text.push_str(&format!("end\ninterrupt(keywords: [\"stop\"], then: C{i})\ncard E{i} do\n  text(\"@(1 +)\")\nend\n")),
            }
        }
        let alone = parse(&text, usize::MAX);
        assert_eq!(parse(&text, 0), alone);
        assert!(
            alone.contains("J001"),
            "the text has errors to recover from"
        );
    }

    /// Every way the grammar recurses, nested [`MAX_NESTING`] deep (the card's own `do`
    /// is the first level), parses on a 2 MiB
    /// stack (a server worker's) in this build; one level more is refused before pest
    /// runs. pest has no stack probe of its own here, so this is what keeps a hostile
    /// file from overflowing the stack.
    #[test]
    fn the_deepest_nesting_allowed_fits_a_worker_stack() {
        type Nest = fn(usize) -> String;
        let forms: [(&str, Nest); 8] = [
            ("parentheses", |n| {
                format!("{}1{}", "(".repeat(n), ")".repeat(n))
            }),
            ("lists", |n| format!("{}1{}", "[".repeat(n), "]".repeat(n))),
            ("calls", |n| format!("{}1{}", "f(".repeat(n), ")".repeat(n))),
            ("indexes", |n| {
                format!("{}x{}", "x[".repeat(n), "]".repeat(n))
            }),
            ("lambdas", |n| format!("{}1", "&".repeat(n))),
            ("spaced lambdas", |n| format!("{}1", "& ".repeat(n))),
            ("at terms", |n| format!("{}x", "@".repeat(n))),
            ("lambdas of parentheses", |n| {
                format!("{}1{}", "&(".repeat(n / 2), ")".repeat(n / 2))
            }),
        ];
        let blocks = |n: usize| {
            format!(
                "card A do\n{}text(\"hi\")\n{}end\n",
                "f() do\n".repeat(n - 1),
                "end\n".repeat(n - 1)
            )
        };
        let item = |expr: String| format!("card A do\n  x = {expr}\nend\n");
        let cases: Vec<(String, String, String)> = forms
            .iter()
            .map(|(name, nest)| {
                (
                    name.to_string(),
                    item(nest(MAX_NESTING - 1)),
                    item(nest(MAX_NESTING + 1)),
                )
            })
            .chain([(
                "do blocks".to_string(),
                blocks(MAX_NESTING - 1),
                blocks(MAX_NESTING + 1),
            )])
            .collect();
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                for (name, deepest, deeper) in cases {
                    let parsed = crate::parse_journey(FileId(0), &deepest);
                    assert!(
                        !parsed
                            .diagnostics
                            .iter()
                            .any(|d| d.message.contains("nested more than")),
                        "{name}: {MAX_NESTING} levels are allowed: {:?}",
                        parsed.diagnostics
                    );
                    let refused = crate::parse_journey(FileId(0), &deeper);
                    assert!(
                        refused
                            .diagnostics
                            .iter()
                            .any(|d| d.message.contains("nested more than")),
                        "{name}: deeper is refused: {:?}",
                        refused.diagnostics
                    );
                }
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
    }
}
