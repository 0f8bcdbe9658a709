//! Position queries for an editor and the studio: what is at an offset, its references,
//! renaming a card or a journey, and the fixes a rule knows. Offsets are bytes into the
//! file as the user wrote it (notebooks included).
//!
//! Cards and journeys are followed through what lowering resolved
//! (`CompiledJourney::references`), so a reference here is exactly one the compiler
//! and the runtime follow; functions, fields, variables and templates are found in the
//! syntax tree.

use journey_diagnostics::{FileId, Span};
use journey_model::{CompiledJourney, Issue, Resolved, builtins};
use journey_syntax::{Call, Card, Expr, ExprKind, Journey, Stmt, StmtKind};

use crate::Analysis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Card,
    Journey,
    /// A built-in function or a project helper (`functions/*.rhai`).
    Function,
    /// `contact.<field>`.
    Field,
    /// A run variable (`answer = ask(…)`).
    Variable,
    /// A registered WhatsApp template (`send_message_template("name", …)`).
    Template,
}

/// A place in a file of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub span: Span,
}

/// What is at an offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    /// The name under the cursor.
    pub span: Span,
    /// Where the project defines it (none for built-ins and undeclared fields).
    pub definition: Option<Location>,
    /// One line for hover: a function's signature and summary, a field's type.
    pub detail: Option<String>,
}

/// Replace `span` of the file at `path` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextEdit {
    pub path: String,
    pub span: Span,
    pub new_text: String,
}

/// A fix offered where a rule knows one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    /// The rule whose finding it fixes.
    pub code: &'static str,
    pub edits: Vec<TextEdit>,
}

/// A name found in the syntax tree, for the kinds lowering does not resolve.
#[derive(Clone, Debug)]
pub(crate) struct Occurrence {
    pub kind: SymbolKind,
    pub name: String,
    pub span: Span,
    /// An assignment's target (the variable's definition).
    pub defines: bool,
}

fn covers(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= span.end as usize
}

/// A string reference (`"Menu"`) is renamed inside its quotes.
fn name_span(text: &str, span: Span) -> Span {
    match text.get(span.range()) {
        Some(s) if s.len() >= 2 && (s.starts_with('"') || s.starts_with('\'')) => {
            Span::new(span.start as usize + 1, span.end as usize - 1)
        }
        _ => span,
    }
}

impl<'a> Analysis<'a> {
    pub(crate) fn path_of(self, file: FileId) -> &'a str {
        &self.host.sources.get(file).name
    }

    fn text_of(self, file: FileId) -> &'a str {
        &self.host.sources.get(file).text
    }

    /// The compiled journey of `file` that holds `offset`.
    pub(crate) fn journey_at(self, file: FileId, offset: usize) -> Option<&'a CompiledJourney> {
        self.journeys()
            .iter()
            .filter(|j| j.file == file && covers(j.span, offset))
            .min_by_key(|j| j.span.end - j.span.start)
    }

    /// The syntax of a compiled journey.
    pub(crate) fn syntax_of(self, journey: &CompiledJourney) -> Option<&'a Journey> {
        let (_, _, parsed) = self
            .journey_files()
            .into_iter()
            .find(|(id, _, _)| *id == journey.file)?;
        parsed
            .module
            .journeys
            .iter()
            .find(|j| j.span == journey.span)
    }

    /// Where a journey is named: `stack Name`, or (implicit) its file.
    fn journey_definition(self, name: &str) -> Option<(Location, bool)> {
        let journey = self.journeys().iter().find(|j| j.name == name)?;
        let named = self.syntax_of(journey).and_then(|j| j.name.as_ref());
        Some(match named {
            Some(ident) => (
                Location {
                    path: self.path_of(journey.file).to_owned(),
                    span: ident.span,
                },
                true,
            ),
            None => (
                Location {
                    path: self.path_of(journey.file).to_owned(),
                    span: Span::new(0, 0),
                },
                false,
            ),
        })
    }

    fn card_symbol(self, journey: &CompiledJourney, card: usize, span: Span) -> Symbol {
        let info = &journey.cards[card];
        Symbol {
            kind: SymbolKind::Card,
            name: info.name.clone(),
            span,
            definition: info.definitions.first().map(|d| Location {
                path: self.path_of(journey.file).to_owned(),
                span: d.name_span,
            }),
            detail: Some(format!(
                "card of `{}`{}",
                journey.name,
                match info.definitions.len() {
                    1 => String::new(),
                    n => format!(", {n} guarded definitions"),
                }
            )),
        }
    }

    fn journey_symbol(self, name: &str, span: Span) -> Symbol {
        Symbol {
            kind: SymbolKind::Journey,
            name: name.to_owned(),
            span,
            definition: self.journey_definition(name).map(|(l, _)| l),
            detail: Some("journey".to_owned()),
        }
    }

    /// What is at `offset` of the file at `path`, with its definition.
    pub fn symbol_at(self, path: &str, offset: usize) -> Option<Symbol> {
        let file = self.file_id(path)?;
        let text = self.text_of(file);
        let journey = self.journey_at(file, offset)?;
        if let Some(r) = journey.references.iter().find(|r| covers(r.span, offset)) {
            let span = name_span(text, r.span);
            return Some(match &r.target {
                Resolved::Card(card) => self.card_symbol(journey, card.0 as usize, span),
                Resolved::Journey(name) => self.journey_symbol(name, span),
            });
        }
        for (i, card) in journey.cards.iter().enumerate() {
            if let Some(d) = card
                .definitions
                .iter()
                .find(|d| covers(d.name_span, offset))
            {
                return Some(self.card_symbol(journey, i, d.name_span));
            }
        }
        let syntax = self.syntax_of(journey)?;
        if let Some(name) = syntax.name.as_ref().filter(|n| covers(n.span, offset)) {
            return Some(self.journey_symbol(&name.name, name.span));
        }
        let occurrence = occurrences(syntax)
            .into_iter()
            .filter(|o| covers(o.span, offset))
            .min_by_key(|o| o.span.end - o.span.start)?;
        Some(self.describe(journey, syntax, occurrence))
    }

    fn describe(self, journey: &CompiledJourney, syntax: &Journey, o: Occurrence) -> Symbol {
        let config = self.config();
        let locations = &config.locations;
        let config_path = || {
            self.host
                .file_of_kind(crate::FileKind::Config)
                .map(|id| self.path_of(id).to_owned())
        };
        let (definition, detail) = match o.kind {
            SymbolKind::Function => match builtins::lookup(&o.name) {
                Some(builtin) => (None, Some(signature(builtin))),
                None => (
                    self.helper_definition(&o.name),
                    Some("project helper (functions/*.rhai)".to_owned()),
                ),
            },
            SymbolKind::Field => (
                config_path().and_then(|path| {
                    Some(Location {
                        path,
                        span: locations.span(&format!("fields.{}", o.name))?,
                    })
                }),
                config.field(&o.name).map(|spec| {
                    format!(
                        "contact field: {}{}",
                        spec.kind.as_str(),
                        spec.description
                            .map(|d| format!(" — {d}"))
                            .unwrap_or_default()
                    )
                }),
            ),
            SymbolKind::Variable => (
                occurrences(syntax)
                    .into_iter()
                    .find(|d| d.defines && d.name == o.name)
                    .map(|d| Location {
                        path: self.path_of(journey.file).to_owned(),
                        span: d.span,
                    }),
                Some("run variable".to_owned()),
            ),
            SymbolKind::Template => {
                let index = config.templates.iter().position(|t| t.name == o.name);
                (
                    index.and_then(|i| {
                        Some(Location {
                            path: config_path()?,
                            span: locations.span(&format!("templates[{i}]"))?,
                        })
                    }),
                    index.map(|i| {
                        let t = &config.templates[i];
                        format!("template ({}, {:?}): {}", t.language, t.status, t.body)
                    }),
                )
            }
            SymbolKind::Card | SymbolKind::Journey => (None, None),
        };
        Symbol {
            kind: o.kind,
            name: o.name,
            span: o.span,
            definition,
            detail,
        }
    }

    /// `fn name(` in a helper file.
    fn helper_definition(self, name: &str) -> Option<Location> {
        self.host
            .files
            .iter()
            .filter(|(_, f)| f.kind == crate::FileKind::Helpers)
            .find_map(|(path, f)| {
                let text = self.text_of(f.id);
                let needle = format!("fn {name}(");
                let start = text.find(&needle)? + 3;
                Some(Location {
                    path: path.clone(),
                    span: Span::new(start, start + name.len()),
                })
            })
    }

    /// Every place the card or journey at `offset` is named, its definition(s) first.
    pub fn references(self, path: &str, offset: usize) -> Vec<Location> {
        let Some(symbol) = self.symbol_at(path, offset) else {
            return Vec::new();
        };
        let Some(file) = self.file_id(path) else {
            return Vec::new();
        };
        match symbol.kind {
            SymbolKind::Card => {
                let Some(journey) = self.journey_at(file, offset) else {
                    return Vec::new();
                };
                let Some(card) = journey.cards.iter().position(|c| c.name == symbol.name) else {
                    return Vec::new();
                };
                let text = self.text_of(file);
                let at = |span| Location {
                    path: self.path_of(file).to_owned(),
                    span,
                };
                let definitions = journey.cards[card]
                    .definitions
                    .iter()
                    .map(|d| at(d.name_span));
                let uses = journey.references.iter().filter_map(|r| match r.target {
                    Resolved::Card(id) if id.0 as usize == card => {
                        Some(at(name_span(text, r.span)))
                    }
                    _ => None,
                });
                definitions.chain(uses).collect()
            }
            SymbolKind::Journey => {
                let definition = self
                    .journey_definition(&symbol.name)
                    .filter(|(_, named)| *named)
                    .map(|(l, _)| l);
                let wanted = &symbol.name;
                let uses = self.journeys().iter().flat_map(|j| {
                    let text = self.text_of(j.file);
                    j.references.iter().filter_map(move |r| match &r.target {
                        Resolved::Journey(name) if name == wanted => Some(Location {
                            path: self.path_of(j.file).to_owned(),
                            span: name_span(text, r.span),
                        }),
                        _ => None,
                    })
                });
                definition.into_iter().chain(uses).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Renames the card or journey at `offset` everywhere it is named (guarded
    /// definitions, `then`, menu options, timers, sub-journey calls).
    pub fn rename(
        self,
        path: &str,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<TextEdit>, String> {
        let symbol = self
            .symbol_at(path, offset)
            .ok_or("there is no card or journey here to rename")?;
        let valid = new_name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && new_name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
            ));
        }
        let file = self.file_id(path).ok_or("no such file")?;
        match symbol.kind {
            SymbolKind::Card => {
                let journey = self.journey_at(file, offset).ok_or("no journey here")?;
                if journey.cards.iter().any(|c| c.name == new_name) {
                    return Err(format!(
                        "`{}` already has a card `{new_name}`",
                        journey.name
                    ));
                }
            }
            SymbolKind::Journey => {
                if self.journeys().iter().any(|j| j.name == new_name) {
                    return Err(format!("the project already has a journey `{new_name}`"));
                }
                if let Some((_, false)) = self.journey_definition(&symbol.name) {
                    return Err(format!(
                        "`{}` is named by its file; rename the file instead",
                        symbol.name
                    ));
                }
            }
            _ => return Err("only cards and journeys can be renamed".to_owned()),
        }
        let mut edits: Vec<TextEdit> = self
            .references(path, offset)
            .into_iter()
            .map(|l| TextEdit {
                path: l.path,
                span: l.span,
                new_text: new_name.to_owned(),
            })
            .collect();
        edits.sort_by(|a, b| (&a.path, a.span.start).cmp(&(&b.path, b.span.start)));
        edits.dedup();
        Ok(edits)
    }

    /// The fixes rules know for findings at `offset`: did-you-mean for an unknown card,
    /// journey, function or argument; a stub for an unknown card; an opt-out interrupt
    /// and its card for a journey that has none (WA301).
    pub fn code_actions(self, path: &str, offset: usize) -> Vec<CodeAction> {
        let Some(file) = self.file_id(path) else {
            return Vec::new();
        };
        let text = self.text_of(file);
        let mut actions = Vec::new();
        for journey in self.journeys().iter().filter(|j| j.file == file) {
            for issue in &journey.issues {
                let replace = |code, span: Span, with: &String| {
                    let span = name_span(text, span);
                    CodeAction {
                        title: format!("Change `{}` to `{with}`", &text[span.range()]),
                        code,
                        edits: vec![TextEdit {
                            path: path.to_owned(),
                            span,
                            new_text: with.clone(),
                        }],
                    }
                };
                match issue {
                    Issue::UnknownCard {
                        name,
                        span,
                        suggestion,
                    } if covers(*span, offset) => {
                        if let Some(with) = suggestion {
                            actions.push(replace("J101", *span, with));
                        }
                        let valid = name.chars().all(|c| c.is_alphanumeric() || c == '_');
                        if valid {
                            actions.push(CodeAction {
                                title: format!("Add `card {name}` to `{}`", journey.name),
                                code: "J101",
                                edits: vec![self.card_stub(journey, name, &["text(\"TODO\")"])],
                            });
                        }
                    }
                    Issue::UnknownJourney {
                        span,
                        suggestion: Some(with),
                        ..
                    } if covers(*span, offset) => {
                        actions.push(replace("J102", *span, with));
                    }
                    Issue::UnknownFunction {
                        span,
                        suggestion: Some(with),
                        misplaced: None,
                        ..
                    } if covers(*span, offset) => {
                        actions.push(replace("J103", *span, with));
                    }
                    Issue::UnknownArgument {
                        span,
                        suggestion: Some(with),
                        ..
                    } if covers(*span, offset) => {
                        actions.push(replace("J104", *span, with));
                    }
                    _ => {}
                }
            }
            let opt_out_missing = self.diagnostics().iter().any(|d| {
                d.code == "WA301"
                    && d.file() == file
                    && covers(d.span(), offset)
                    && covers(journey.span, d.span().start as usize)
            });
            if opt_out_missing {
                actions.extend(self.opt_out_fix(journey));
            }
            actions.extend(self.translation_stubs(journey, offset));
        }
        actions
    }

    /// J304's fix: an empty variant (`pt: ""`) for each language a message at `offset`
    /// lacks, to be written in (an empty variant is a finding of its own until then).
    fn translation_stubs(self, journey: &CompiledJourney, offset: usize) -> Vec<CodeAction> {
        let languages = self.config().languages();
        let text = self.text_of(journey.file);
        journey_check::untranslated(journey, &languages[1..])
            .into_iter()
            .filter(|(message, gaps)| covers(message.span, offset) && !gaps.missing.is_empty())
            .filter_map(|(message, gaps)| {
                let call = text.get(message.span.range())?;
                let close = message.span.start as usize + call.strip_suffix(')').map(str::len)?;
                let before = text[..close].trim_end();
                let separator = if before.ends_with(',') || before.ends_with('(') {
                    " "
                } else {
                    ", "
                };
                let at = before.len();
                let variants = gaps
                    .missing
                    .iter()
                    .map(|lang| format!("{lang}: \"\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                Some(CodeAction {
                    title: format!(
                        "Add an empty {} variant to fill in",
                        gaps.missing.join(", ")
                    ),
                    code: "J304",
                    edits: vec![TextEdit {
                        path: self.path_of(journey.file).to_owned(),
                        span: Span::new(at, at),
                        new_text: format!("{separator}{variants}"),
                    }],
                })
            })
            .collect()
    }

    /// WA301's fix: an interrupt for the opt-out keywords no interrupt catches, leading
    /// to the journey's `OptOut` card, added with the fix when there is none.
    fn opt_out_fix(self, journey: &CompiledJourney) -> Option<CodeAction> {
        let missing = journey_check::missing_opt_out(journey, &self.config().keywords.opt_out);
        if missing.is_empty() {
            return None;
        }
        let text = self.text_of(journey.file);
        let keywords = missing
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let interrupt = format!("interrupt(keywords: [{keywords}], then: OptOut)");
        let start = journey.span.start as usize;
        let named = self.syntax_of(journey).is_some_and(|j| j.name.is_some());
        let insertion = if named {
            // On the line after `stack Name do`.
            let at = text[start..]
                .find('\n')
                .map_or(text.len(), |n| start + n + 1);
            TextEdit {
                path: self.path_of(journey.file).to_owned(),
                span: Span::new(at, at),
                new_text: format!("  {interrupt}\n"),
            }
        } else {
            TextEdit {
                path: self.path_of(journey.file).to_owned(),
                span: Span::new(start, start),
                new_text: format!("{interrupt}\n\n"),
            }
        };
        let mut edits = vec![insertion];
        if !journey.cards.iter().any(|c| c.name == "OptOut") {
            edits.push(self.card_stub(
                journey,
                "OptOut",
                &[
                    "update_contact(opted_in: false)",
                    "cancel_scheduled()",
                    "text(\"You will get no more messages from us.\")",
                    "end_journey()",
                ],
            ));
        }
        Some(CodeAction {
            title: format!(
                "Add an opt-out interrupt for {keywords} to `{}`",
                journey.name
            ),
            code: "WA301",
            edits,
        })
    }

    /// `card Name do … end` at the end of the journey (inside `stack … end`).
    /// A new card at the end of the journey with these statements.
    fn card_stub(self, journey: &CompiledJourney, name: &str, body: &[&str]) -> TextEdit {
        let text = self.text_of(journey.file);
        let named = self.syntax_of(journey).is_some_and(|j| j.name.is_some());
        let end = journey.span.end as usize;
        let (at, indent) = if named {
            // Before the closing `end` of `stack Name do … end`.
            let close = text[..end].rfind("end").unwrap_or(end);
            (text[..close].rfind('\n').map_or(0, |n| n + 1), "  ")
        } else {
            // After the journey's last line.
            let rest = &text[end..];
            match rest.find('\n') {
                Some(n) if rest[..n].trim().is_empty() => (end + n + 1, ""),
                _ => (end, ""),
            }
        };
        let lead = match &text[..at] {
            "" => "",
            before if before.ends_with("\n\n") => "",
            before if before.ends_with('\n') => "\n",
            _ => "\n\n",
        };
        TextEdit {
            path: self.path_of(journey.file).to_owned(),
            span: Span::new(at, at),
            new_text: format!(
                "{lead}{indent}card {name} do\n{}{indent}end\n",
                body.iter()
                    .map(|statement| format!("{indent}  {statement}\n"))
                    .collect::<String>()
            ),
        }
    }
}

/// `name(positional…, named:)  — summary`.
pub(crate) fn signature(builtin: &builtins::Builtin) -> String {
    let positional = match (builtin.min, builtin.max) {
        (min, Some(max)) if min == max => format!("{min} positional"),
        (min, Some(max)) => format!("{min}–{max} positional"),
        (min, None) => format!("{min}+ positional"),
    };
    let mut named: Vec<String> = builtin
        .named
        .iter()
        .map(|n| format!("{}:", n.name))
        .collect();
    if builtin.translations {
        named.push("<language>:".to_owned());
    }
    let named = if named.is_empty() {
        String::new()
    } else {
        format!("; {}", named.join(", "))
    };
    format!(
        "{}({positional}{named}) — {}",
        builtin.name, builtin.summary
    )
}

/// Functions, fields, variables and templates named in a journey's syntax.
pub(crate) fn occurrences(journey: &Journey) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for item in &journey.items {
        match item {
            journey_syntax::Item::Card(card) => card_occurrences(card, &mut out),
            journey_syntax::Item::Setting(setting) => {
                call_occurrences(&setting.call, &mut out);
                if let Some(guard) = &setting.guard {
                    expr_occurrences(guard, &mut out);
                }
            }
        }
    }
    out
}

fn card_occurrences(card: &Card, out: &mut Vec<Occurrence>) {
    if let Some(guard) = &card.guard {
        expr_occurrences(guard, out);
    }
    for option in &card.options {
        expr_occurrences(&option.value, out);
    }
    stmts_occurrences(&card.body, out);
}

fn stmts_occurrences(stmts: &[Stmt], out: &mut Vec<Occurrence>) {
    for stmt in stmts {
        match &stmt.kind {
            StmtKind::Assign { target, value } => {
                out.push(Occurrence {
                    kind: SymbolKind::Variable,
                    name: target.name.clone(),
                    span: target.span,
                    defines: true,
                });
                expr_occurrences(value, out);
            }
            StmtKind::Expr(expr) => expr_occurrences(expr, out),
            StmtKind::Then { guard, .. } => {
                if let Some(guard) = guard {
                    expr_occurrences(guard, out);
                }
            }
        }
    }
}

fn call_occurrences(call: &Call, out: &mut Vec<Occurrence>) {
    out.push(Occurrence {
        kind: SymbolKind::Function,
        name: call.callee.name.clone(),
        span: call.callee.span,
        defines: false,
    });
    if call.callee.name == "send_message_template"
        && let Some(first) = call.positional().next()
        && let Some(name) = first.literal_text()
    {
        out.push(Occurrence {
            kind: SymbolKind::Template,
            name,
            span: Span::new(
                first.span.start as usize + 1,
                (first.span.end as usize).saturating_sub(1),
            ),
            defines: false,
        });
    }
    for arg in &call.args {
        expr_occurrences(&arg.value, out);
    }
    if let Some(block) = &call.block {
        stmts_occurrences(block, out);
    }
}

fn expr_occurrences(expr: &Expr, out: &mut Vec<Occurrence>) {
    match &expr.kind {
        ExprKind::Call(call) => return call_occurrences(call, out),
        ExprKind::Member { object, field } => {
            if matches!(&object.kind, ExprKind::Name(root) if root == "contact") {
                out.push(Occurrence {
                    kind: SymbolKind::Field,
                    name: field.name.clone(),
                    span: field.span,
                    defines: false,
                });
                return;
            }
        }
        ExprKind::Name(name) if !builtins::CONTEXT_ROOTS.contains(&name.as_str()) => {
            out.push(Occurrence {
                kind: SymbolKind::Variable,
                name: name.clone(),
                span: expr.span,
                defines: false,
            });
        }
        _ => {}
    }
    expr.for_each_child(|child| expr_occurrences(child, out));
}
