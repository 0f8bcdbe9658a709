//! Completions at an offset. The context is read from the text before the cursor (it
//! is usually mid-edit and does not parse); what to offer comes from the analysis:
//! the catalogue of functions, the project's helpers, the journey's cards and
//! variables, the project's journeys, contact fields, templates and languages.

use journey_model::builtins::{self, Kind};

use crate::Analysis;
use crate::ide::{SymbolKind, occurrences, signature};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    Card,
    Journey,
    Field,
    Template,
    Language,
    Argument,
    Variable,
    Function,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// A signature, a field's type, a template's body.
    pub detail: Option<String>,
    /// What to insert in place of the word being typed.
    pub insert: String,
}

/// Calls whose first argument is a journey.
const JOURNEY_CALLS: &[&str] = &["run_stack", "schedule_stack", "cancel_scheduled_stacks"];
/// Calls whose first argument is a card of this journey, else a journey.
const TARGET_CALLS: &[&str] = &["schedule", "cancel_scheduled"];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Analysis<'_> {
    /// What may be typed at `offset`, filtered by the word before it.
    pub fn completions(self, path: &str, offset: usize) -> Vec<Completion> {
        let Some(text) = self.file_text(path) else {
            return Vec::new();
        };
        let Some(offset) =
            (offset <= text.len() && text.is_char_boundary(offset)).then_some(offset)
        else {
            return Vec::new();
        };
        let word_start = text[..offset]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(offset, |(i, _)| i);
        let word = &text[word_start..offset];
        let before = &text[..word_start];
        let line = &before[before.rfind('\n').map_or(0, |n| n + 1)..];
        let open_call = open_call(before);

        let mut out = Vec::new();
        if line.ends_with("contact.") {
            self.fields(&mut out);
        } else if before.trim_end().ends_with('"')
            && open_call.as_deref() == Some("send_message_template")
        {
            self.templates(&mut out);
        } else if let Some(call) = open_call
            .as_deref()
            .filter(|_| before.trim_end().ends_with('('))
            .filter(|c| JOURNEY_CALLS.contains(c) || TARGET_CALLS.contains(c) || *c == "then")
        {
            if call == "then" || TARGET_CALLS.contains(&call) {
                self.cards(path, offset, &mut out);
            }
            if call != "then" {
                self.journey_names(&mut out);
            }
        } else if builtins::card_arguments()
            .any(|arg| before.trim_end().ends_with(&format!("{arg}:")))
        {
            self.cards(path, offset, &mut out);
        } else {
            let trimmed = before.trim_end();
            let argument_name = trimmed.ends_with('(') || trimmed.ends_with(',');
            match open_call.as_deref().and_then(builtins::lookup) {
                Some(builtin) if argument_name => {
                    self.arguments(builtin, &mut out);
                }
                _ => {}
            }
            let statement = line.trim().is_empty() && open_call.is_none();
            self.function_names(statement, &mut out);
            self.variables(path, offset, &mut out);
        }
        let lower = word.to_lowercase();
        out.retain(|c| c.label.to_lowercase().starts_with(&lower));
        out.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
        out.dedup_by(|a, b| a.kind == b.kind && a.label == b.label);
        out
    }

    /// What a message at `offset` can be personalised with (the studio's picker): the
    /// contact fields and the run variables assigned before it, as `@…` to insert.
    pub fn personalisations(self, path: &str, offset: usize) -> Vec<Completion> {
        let mut out = Vec::new();
        self.fields(&mut out);
        for field in &mut out {
            field.label = format!("contact.{}", field.label);
        }
        self.variables(path, offset, &mut out);
        for item in &mut out {
            item.insert = format!("@{}", item.label);
        }
        out.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
        out.dedup_by(|a, b| a.kind == b.kind && a.label == b.label);
        out
    }

    fn fields(self, out: &mut Vec<Completion>) {
        for (name, spec) in self.config().all_fields() {
            out.push(Completion {
                insert: name.clone(),
                label: name,
                kind: CompletionKind::Field,
                detail: Some(spec.kind.as_str().to_owned()),
            });
        }
    }

    fn templates(self, out: &mut Vec<Completion>) {
        for template in &self.config().templates {
            out.push(Completion {
                label: template.name.clone(),
                kind: CompletionKind::Template,
                detail: Some(format!("{}: {}", template.language, template.body)),
                insert: template.name.clone(),
            });
        }
    }

    fn cards(self, path: &str, offset: usize, out: &mut Vec<Completion>) {
        let Some(journey) = self
            .file_id(path)
            .and_then(|file| self.journey_at(file, offset))
        else {
            return;
        };
        for card in &journey.cards {
            out.push(Completion {
                label: card.name.clone(),
                kind: CompletionKind::Card,
                detail: Some(format!("card of `{}`", journey.name)),
                insert: card.name.clone(),
            });
        }
    }

    fn journey_names(self, out: &mut Vec<Completion>) {
        for journey in self.journeys() {
            out.push(Completion {
                label: journey.name.clone(),
                kind: CompletionKind::Journey,
                detail: Some(format!("journey in {}", self.path_of(journey.file))),
                insert: journey.name.clone(),
            });
        }
    }

    /// Named arguments of the call being written, and its translations' languages.
    fn arguments(self, builtin: &builtins::Builtin, out: &mut Vec<Completion>) {
        for param in builtin.named {
            out.push(Completion {
                label: param.name.to_owned(),
                kind: CompletionKind::Argument,
                detail: Some(format!("argument of {}", builtin.name)),
                insert: format!("{}: ", param.name),
            });
        }
        if builtin.translations {
            let languages = self.config().languages();
            for language in languages.iter().skip(1) {
                out.push(Completion {
                    label: (*language).to_owned(),
                    kind: CompletionKind::Language,
                    detail: Some("translation".to_owned()),
                    insert: format!("{language}: "),
                });
            }
        }
    }

    fn function_names(self, statement: bool, out: &mut Vec<Completion>) {
        let wanted = |kind| match kind {
            Kind::Statement => statement,
            Kind::Expression => !statement,
            Kind::Setting => false,
        };
        for builtin in builtins::BUILTINS.iter().filter(|b| wanted(b.kind)) {
            out.push(Completion {
                label: builtin.name.to_owned(),
                kind: CompletionKind::Function,
                detail: Some(signature(builtin)),
                insert: format!("{}(", builtin.name),
            });
        }
        for (name, arity) in self.functions().iter().flat_map(|f| f.arities()) {
            out.push(Completion {
                insert: format!("{name}("),
                label: name,
                kind: CompletionKind::Function,
                detail: Some(format!("project helper, {arity} argument(s)")),
            });
        }
    }

    /// Variables the journey assigns before `offset`.
    fn variables(self, path: &str, offset: usize, out: &mut Vec<Completion>) {
        let Some(file) = self.file_id(path) else {
            return;
        };
        let Some(syntax) = self
            .journey_at(file, offset)
            .and_then(|j| self.syntax_of(j))
        else {
            return;
        };
        for o in occurrences(syntax) {
            if o.kind == SymbolKind::Variable && o.defines && (o.span.end as usize) < offset {
                out.push(Completion {
                    insert: o.name.clone(),
                    label: o.name,
                    kind: CompletionKind::Variable,
                    detail: Some("run variable".to_owned()),
                });
            }
        }
    }
}

/// The function whose argument list is open at the end of `before` (strings skipped).
fn open_call(before: &str) -> Option<String> {
    // Walk forward so quotes pair up, keeping a stack of open parentheses.
    let mut stack: Vec<usize> = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = before.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => {
                    // A comment runs to the end of the line.
                    while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                        chars.next();
                    }
                }
                '(' => stack.push(i),
                ')' => {
                    stack.pop();
                }
                _ => {}
            },
        }
    }
    // Inside an unfinished string, the call around it still counts.
    let open = *stack.last()?;
    let name: String = before[..open]
        .chars()
        .rev()
        .take_while(|c| is_word(*c))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}
