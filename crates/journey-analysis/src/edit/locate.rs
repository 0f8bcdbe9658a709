//! Finding what an operation names (journey, card, definition, statement) in a file's
//! syntax tree, and turning splices into a checked [`SourceChange`].

use journey_diagnostics::{FileId, Severity, Span};
use journey_syntax::{Call, Card, Expr, ExprKind, Journey, Module, Parsed, Stmt, StmtKind, print};

use super::splice::{self, Seq, Splice, indentation, starts_line};
use super::{EditError, SourceChange, StatementAt};
use crate::{Analysis, FileKind, TextEdit};

/// A journey file or notebook that parses cleanly.
pub(super) struct Doc<'a> {
    pub path: &'a str,
    pub file: FileId,
    pub text: &'a str,
    pub module: &'a Module,
    parsed: &'a Parsed,
    kind: FileKind,
}

/// A statement list (a card's body or a menu's `do … end`) and what holds it.
pub(super) struct Block<'a> {
    pub card: &'a Card,
    pub stmts: &'a [Stmt],
    /// The statement whose `do … end` body this is.
    pub holder: Option<&'a Stmt>,
}

impl<'a> Doc<'a> {
    pub fn open(analysis: Analysis<'a>, path: &str) -> Result<Doc<'a>, EditError> {
        let (path, file) =
            analysis
                .host
                .files
                .get_key_value(path)
                .ok_or_else(|| EditError::NoSuchFile {
                    file: path.to_owned(),
                })?;
        let parsed = file
            .parsed
            .as_deref()
            .ok_or_else(|| EditError::NotAJourneyFile { file: path.clone() })?;
        if crate::has_errors(parsed) {
            return Err(EditError::SyntaxErrors { file: path.clone() });
        }
        Ok(Doc {
            path,
            file: file.id,
            text: &analysis.host.sources.get(file.id).text,
            module: &parsed.module,
            parsed,
            kind: file.kind,
        })
    }

    /// A journey's name: its `stack` name, or the file's stem.
    pub fn journey_name(&self, journey: &Journey) -> String {
        match &journey.name {
            Some(name) => name.name.clone(),
            None => crate::file_stem(self.path),
        }
    }

    pub fn journey(&self, name: &str) -> Result<&'a Journey, EditError> {
        let mut named = self
            .module
            .journeys
            .iter()
            .filter(|j| self.journey_name(j) == name);
        match (named.next(), named.next()) {
            (Some(journey), None) => Ok(journey),
            (Some(_), Some(_)) => Err(EditError::TwoJourneys {
                journey: name.to_owned(),
            }),
            (None, _) => Err(EditError::NoSuchJourney {
                journey: name.to_owned(),
            }),
        }
    }

    /// Every definition of a card, in file order.
    pub fn definitions(
        &self,
        journey: &'a Journey,
        card: &str,
    ) -> Result<Vec<&'a Card>, EditError> {
        let found: Vec<&Card> = journey.cards().filter(|c| c.name.name == card).collect();
        if found.is_empty() {
            return Err(EditError::NoSuchCard {
                card: card.to_owned(),
            });
        }
        Ok(found)
    }

    pub fn definition(
        &self,
        journey: &str,
        card: &str,
        definition: usize,
    ) -> Result<&'a Card, EditError> {
        let journey = self.journey(journey)?;
        let definitions = self.definitions(journey, card)?;
        definitions
            .get(definition)
            .copied()
            .ok_or_else(|| EditError::NoSuchDefinition {
                card: card.to_owned(),
                definition,
            })
    }

    /// The statement list `at` points into, and the index in it.
    pub fn block(&self, at: &StatementAt) -> Result<(Block<'a>, usize), EditError> {
        let card = self.definition(&at.journey, &at.card, at.definition)?;
        let Some(inner) = at.inner else {
            return Ok((
                Block {
                    card,
                    stmts: &card.body,
                    holder: None,
                },
                at.statement,
            ));
        };
        let holder = card.body.get(at.statement).ok_or(self.no_statement(at))?;
        let stmts = holder.call().and_then(|call| call.block.as_deref()).ok_or(
            EditError::WrongStatement {
                card: at.card.clone(),
                statement: at.statement,
                what: "a step with a do … end body",
            },
        )?;
        Ok((
            Block {
                card,
                stmts,
                holder: Some(holder),
            },
            inner,
        ))
    }

    pub fn statement(&self, at: &StatementAt) -> Result<&'a Stmt, EditError> {
        let (block, index) = self.block(at)?;
        block.stmts.get(index).ok_or(self.no_statement(at))
    }

    fn no_statement(&self, at: &StatementAt) -> EditError {
        EditError::NoSuchStatement {
            card: at.card.clone(),
            statement: at.inner.unwrap_or(at.statement),
        }
    }

    /// The call a statement makes (`text(…)`, `x = ask(…)`).
    pub fn call(&self, at: &StatementAt, what: &'static str) -> Result<&'a Call, EditError> {
        self.statement(at)?.call().ok_or(EditError::WrongStatement {
            card: at.card.clone(),
            statement: at.inner.unwrap_or(at.statement),
            what,
        })
    }

    /// A call's arguments as a comma-separated sequence.
    pub fn args(&self, call: &Call, card: &str) -> Result<Seq, EditError> {
        let open = call.callee.span.end as usize;
        if self.text.as_bytes().get(open) != Some(&b'(') {
            return Err(self.layout(card));
        }
        Seq::new(
            self.text,
            open + 1,
            call.args.iter().map(|a| a.span).collect(),
        )
        .ok_or_else(|| self.layout(card))
    }

    /// A list's items as a comma-separated sequence.
    pub fn list(&self, list: &Expr, card: &str) -> Result<Seq, EditError> {
        let ExprKind::List(items) = &list.kind else {
            return Err(self.layout(card));
        };
        Seq::new(
            self.text,
            list.span.start as usize + 1,
            items.iter().map(|i| i.span).collect(),
        )
        .ok_or_else(|| self.layout(card))
    }

    pub fn layout(&self, card: &str) -> EditError {
        EditError::Layout {
            card: card.to_owned(),
        }
    }

    /// The indentation one level adds in this journey (two spaces unless its cards say
    /// otherwise).
    pub fn unit(&self, journey: &Journey) -> String {
        for card in journey.cards() {
            let Some(stmt) = card.body.first() else {
                continue;
            };
            let (start, inner) = (card.span.start as usize, stmt.span.start as usize);
            if starts_line(self.text, start) && starts_line(self.text, inner) {
                let (outer, inner) = (indentation(self.text, start), indentation(self.text, inner));
                if let Some(unit) = inner.strip_prefix(outer).filter(|u| !u.is_empty()) {
                    return unit.to_owned();
                }
            }
        }
        "  ".to_owned()
    }

    /// The indentation of the journey's cards.
    pub fn card_indent(&self, journey: &Journey) -> String {
        let text = self.text;
        if let Some(item) = journey
            .items
            .iter()
            .find(|i| starts_line(text, i.span().start as usize))
        {
            return indentation(text, item.span().start as usize).to_owned();
        }
        match &journey.name {
            Some(name) => format!(
                "{}{}",
                indentation(text, name.span.start as usize),
                self.unit(journey)
            ),
            None => String::new(),
        }
    }

    /// Where the lines above an item may be taken as its comments from: the end of the
    /// item before it, else the journey's `stack … do` line.
    pub fn floor(&self, journey: &Journey, span: Span) -> usize {
        journey
            .items
            .iter()
            .map(|i| i.span().end as usize)
            .filter(|&end| end <= span.start as usize)
            .max()
            .or_else(|| {
                journey
                    .name
                    .as_ref()
                    .map(|n| splice::next_line(self.text, n.span.end as usize))
            })
            .unwrap_or(0)
    }

    /// The splices in the file's line endings, trimmed and sorted, if the text they make
    /// parses cleanly (an edit inside one card of a `.journey` file re-parses that card).
    pub fn checked(&self, splices: Vec<Splice>) -> Result<Vec<Splice>, EditError> {
        let text = self.text;
        let mut splices: Vec<Splice> = splices
            .into_iter()
            .map(|s| Splice {
                text: splice::line_endings(text, s.text),
                ..s
            })
            .collect();
        splices.sort_by_key(|s| (s.start, s.end));
        if splices.windows(2).any(|w| w[0].end > w[1].start) {
            return Err(EditError::Unsafe {
                reason: "two changes overlap".to_owned(),
            });
        }
        let new = splice::apply(text, &splices);
        let parsed = match self.kind {
            FileKind::Journey => {
                journey_syntax::reparse_journey(self.file, self.parsed, text, &new)
            }
            kind => parse(kind, &new),
        };
        if let Some(error) = parsed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            return Err(EditError::Unsafe {
                reason: error.message.clone(),
            });
        }
        Ok(splices
            .into_iter()
            .map(|s| s.trimmed(text))
            .filter(|s| s.start != s.end || !s.text.is_empty())
            .collect())
    }

    /// Checks and packs the splices: the result must parse without errors.
    pub fn finish(&self, splices: Vec<Splice>) -> Result<SourceChange, EditError> {
        let edits = self
            .checked(splices)?
            .into_iter()
            .map(|s| TextEdit {
                path: self.path.to_owned(),
                span: Span::new(s.start, s.end),
                new_text: s.text,
            })
            .collect();
        Ok(SourceChange { edits })
    }
}

pub(super) fn parse(kind: FileKind, text: &str) -> Parsed {
    match kind {
        FileKind::Notebook => journey_syntax::parse_notebook(FileId(0), text),
        _ => journey_syntax::parse_journey(FileId(0), text),
    }
}

/// A letter or `_`, then letters, digits and `_`: an argument's name (`then:` too).
pub(super) fn valid_argument(name: &str) -> Result<(), EditError> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(EditError::NotAName {
            name: name.to_owned(),
        })
    }
}

/// A card's or a journey's name: an argument's name that is not a keyword.
pub(super) fn valid_name(name: &str) -> Result<(), EditError> {
    valid_argument(name)?;
    match name {
        "do" | "end" | "when" | "card" | "else" | "then" | "stack" | "journey" | "if" => {
            Err(EditError::NotAName {
                name: name.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// An expression's source, checked.
pub(super) fn value(source: &str) -> Result<&str, EditError> {
    let source = source.trim();
    match journey_syntax::parse_expr(FileId(0), source) {
        Ok(_) => Ok(source),
        Err(error) => Err(EditError::BadValue {
            source: source.to_owned(),
            reason: error.message.clone(),
        }),
    }
}

/// Whether two sources hold the same tree (layout, comments and quotes aside).
pub(super) fn same_tree(a: &str, b: &str) -> bool {
    let tree = |text| print::module(&journey_syntax::parse_journey(FileId(0), text).module);
    tree(a) == tree(b)
}

/// Printed code at column 0, ending in a line break, and which of its lines are text
/// inside a multi-line string (to be left as they are when it is indented).
pub(super) struct Rendered {
    pub text: String,
    pub verbatim: Vec<bool>,
}

/// Which lines of a journey's code start inside a string literal.
fn verbatim_lines(code: &str) -> Vec<bool> {
    fn expr(e: &Expr, spans: &mut Vec<Span>) {
        if let ExprKind::Str(_) = e.kind {
            spans.push(e.span);
        }
        if let ExprKind::Call(call) = &e.kind {
            stmts(call.block.as_deref().unwrap_or_default(), spans);
        }
        e.for_each_child(|child| expr(child, spans));
    }
    fn stmts(list: &[Stmt], spans: &mut Vec<Span>) {
        for stmt in list {
            match &stmt.kind {
                StmtKind::Assign { value, .. } | StmtKind::Expr(value) => expr(value, spans),
                StmtKind::Then { guard, .. } => {
                    if let Some(guard) = guard {
                        expr(guard, spans);
                    }
                }
            }
        }
    }
    let parsed = journey_syntax::parse_journey(FileId(0), code);
    let mut spans = Vec::new();
    for card in parsed.module.journeys.iter().flat_map(|j| j.cards()) {
        for option in &card.options {
            expr(&option.value, &mut spans);
        }
        if let Some(guard) = &card.guard {
            expr(guard, &mut spans);
        }
        stmts(&card.body, &mut spans);
    }
    let mut start = 0;
    code.split_inclusive('\n')
        .map(|line| {
            let inside = spans
                .iter()
                .any(|s| (s.start as usize) < start && start < s.end as usize);
            start += line.len();
            inside
        })
        .collect()
}

/// `card Name [when guard] do body end` in the canonical layout at column 0; `None`
/// body gives an empty card.
pub(super) fn render_card(
    name: &str,
    guard: Option<&str>,
    body: Option<&str>,
) -> Result<Rendered, EditError> {
    let guard = match guard {
        Some(guard) => format!(" when {}", value(guard)?),
        None => String::new(),
    };
    let source = format!("card {name}{guard} do\n{}\nend\n", body.unwrap_or(""));
    let bad = |reason: &str| EditError::BadCode {
        source: body.unwrap_or("").trim().to_owned(),
        reason: reason.to_owned(),
    };
    let formatted = match journey_syntax::format_journey(&source) {
        Ok(formatted) => formatted,
        Err(journey_syntax::FormatError::Syntax(diagnostics)) => {
            return Err(bad(diagnostics
                .first()
                .map_or("it does not parse", |d| d.message.as_str())));
        }
        Err(journey_syntax::FormatError::Changed(reason)) => return Err(bad(reason)),
    };
    let parsed = journey_syntax::parse_journey(FileId(0), &formatted);
    match parsed.module.journeys.as_slice() {
        [journey] if journey.name.is_none() && journey.items.len() == 1 => Ok(Rendered {
            verbatim: verbatim_lines(&formatted),
            text: formatted,
        }),
        _ => Err(bad("these are not statements of one card")),
    }
}

/// One statement in the canonical layout at column 0.
pub(super) fn render_statement(source: &str) -> Result<Rendered, EditError> {
    let card = render_card("Card", None, Some(source))?;
    let parsed = journey_syntax::parse_journey(FileId(0), &card.text);
    let count = parsed.module.journeys[0]
        .cards()
        .map(|c| c.body.len())
        .sum::<usize>();
    if count != 1 {
        return Err(EditError::BadCode {
            source: source.trim().to_owned(),
            reason: format!("this is {count} steps, not one"),
        });
    }
    // The lines between `card Card do` and `end`, one level out.
    let lines: Vec<(&str, bool)> = card
        .text
        .lines()
        .zip(
            card.verbatim
                .iter()
                .copied()
                .chain(std::iter::repeat(false)),
        )
        .collect();
    let inner = lines
        .get(1..lines.len().saturating_sub(1))
        .unwrap_or_default();
    let mut text = String::new();
    for &(line, verbatim) in inner {
        match verbatim {
            true => text.push_str(line),
            false => text.push_str(line.strip_prefix("  ").unwrap_or(line)),
        }
        text.push('\n');
    }
    Ok(Rendered {
        text,
        verbatim: inner.iter().map(|&(_, v)| v).collect(),
    })
}
