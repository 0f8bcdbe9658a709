//! A journey as the studio's canvas and inspector show it (`JourneyView`): each card
//! with its statements in plain words, its ways out, what it does at a glance, where it
//! stands with WhatsApp's 24-hour window and whether a person can be reached from it,
//! and its findings. Computed from the syntax tree, the compiled graph and
//! journey-check's policy analyses, so the UI never parses or re-implements rules.
//! No I/O: the positions of the layout sidecar and file versions are the studio's.

use std::collections::BTreeMap;

use journey_check::policy::{self, Age, Policy};
use journey_diagnostics::{FileId, Span};
use journey_model::builtins;
use journey_model::{CardId, CompiledJourney, MenuOptions, StepKind, Transition};
use journey_syntax::{Call, Card, Expr, ExprKind, Module, Stmt, StmtKind, TemplatePart};
use petgraph::stable_graph::NodeIndex;
use serde::Serialize;

use crate::{Analysis, FileKind, file_stem};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JourneyView {
    pub name: String,
    pub file: String,
    pub cards: Vec<CardView>,
    /// Cards that start another journey.
    pub calls: Vec<CallView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallView {
    pub card: String,
    pub journey: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CardView {
    pub name: String,
    /// From the start of the first definition to the end of the last.
    pub span: [u32; 2],
    pub definitions: Vec<DefinitionView>,
    pub exits: Vec<ExitView>,
    pub badges: Vec<&'static str>,
    pub window: WindowView,
    pub reaches_person: bool,
    /// Indices into the project's diagnostics (`Analysis::diagnostics`).
    pub diagnostics: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DefinitionView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    pub span: [u32; 2],
    pub statements: Vec<StatementView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExitView {
    pub kind: &'static str,
    pub label: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowView {
    /// Hours since the contact's last message at worst; `None`: unbounded or unreached.
    pub worst_hours: Option<f64>,
    /// A free-form message of the card can go out 24 hours or more after it.
    pub outside: bool,
    pub reached: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementView {
    pub index: usize,
    pub kind: String,
    pub span: [u32; 2],
    pub summary: String,
    pub args: Vec<ArgView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
    pub form: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<StatementView>>,
    /// A message's versions in the project's other languages, in journey.toml's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translations: Option<Vec<TranslationView>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TranslationView {
    pub language: String,
    /// The words as `set_translation` takes them; `None` when there is no version in
    /// this language, or when it is not plain words (then `source` has its code).
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArgView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub source: String,
    /// The text of a string literal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A string's words as `set_text` takes them, personalisations (`@contact.name`)
    /// included: giving them back to `set_text` writes the same bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OptionView {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The statements the studio's inspector has a form for; the rest it shows as code.
const FORMS: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "buttons",
    "list",
    "ask",
    "handoff",
    "schedule",
    "cancel_scheduled",
    "then",
    "update_contact",
    "write_result",
    "add_label",
    "send_message_template",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "run_stack",
    "end_journey",
    "log",
    "header",
    "footer",
];

fn span(span: Span) -> [u32; 2] {
    [span.start, span.end]
}

impl<'a> Analysis<'a> {
    /// The journey `name` of the file at `path` (its first journey when `name` is
    /// `None`), as the canvas shows it.
    pub fn journey_view(self, path: &str, name: Option<&str>) -> Option<JourneyView> {
        let file = self.file_id(path)?;
        let text = self.file_text(path)?;
        let (_, _, parsed) = self
            .journey_files()
            .into_iter()
            .find(|(id, _, _)| *id == file)?;
        let stem = file_stem(path);
        let journey_name = |j: &journey_syntax::Journey| {
            j.name
                .as_ref()
                .map_or_else(|| stem.clone(), |i| i.name.clone())
        };
        let syntax = match name {
            Some(name) => parsed
                .module
                .journeys
                .iter()
                .find(|j| journey_name(j) == name)?,
            None => parsed.module.journeys.first()?,
        };
        let name = journey_name(syntax);
        let project = self.journeys();
        let index = project
            .iter()
            .position(|j| j.file == file && j.name == name)?;
        let compiled = &project[index];
        let policy = Policy::analyse(project);
        let source = |s: Span| text.get(s.range()).unwrap_or("").to_owned();

        // The AST's definitions of each card, in the order they are written.
        let mut order: Vec<&str> = Vec::new();
        let mut written: BTreeMap<&str, Vec<&Card>> = BTreeMap::new();
        for card in syntax.cards() {
            if !written.contains_key(card.name.name.as_str()) {
                order.push(&card.name.name);
            }
            written.entry(&card.name.name).or_default().push(card);
        }
        let mut calls = Vec::new();
        let cards = order
            .iter()
            .filter_map(|card_name| {
                let id = compiled.card_by_name(card_name)?;
                let view = CardOutline {
                    analysis: self,
                    journey: compiled,
                    index,
                    policy: &policy,
                    id,
                    file,
                    source: &source,
                }
                .view(&written[card_name]);
                for step in compiled.graph.node_weights().filter(|s| s.card == id) {
                    if let Some(callee) = step.kind.started_journey() {
                        let call = CallView {
                            card: (*card_name).to_owned(),
                            journey: callee.name.clone(),
                        };
                        if !calls.contains(&call) {
                            calls.push(call);
                        }
                    }
                }
                Some(view)
            })
            .collect();
        Some(JourneyView {
            name,
            file: path.to_owned(),
            cards,
            calls,
        })
    }
}

/// The way to a person from a card with the fewest replies from the contact
/// (`GET /api/person-path`): the exits taken, card by card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonPath {
    pub card: String,
    /// The card where a person takes over: a handoff, a card declared as an escalation,
    /// or a card that starts a journey with one. `None`: no person can be reached.
    pub person: Option<String>,
    /// How many messages the contact sends on the way (a tap, an answer, a keyword).
    pub replies: u32,
    pub steps: Vec<PathStep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathStep {
    /// The card left, and the position of the exit taken in its `exits`.
    pub card: String,
    pub exit: usize,
    pub target: String,
}

impl Analysis<'_> {
    /// The shortest way to a person from the card `card` of the journey `journey` of
    /// the file at `path` (its first journey when `None`): the steps `reaches_person`
    /// stands for. `None` when there is no such card.
    pub fn path_to_person(
        self,
        path: &str,
        journey: Option<&str>,
        card: &str,
    ) -> Option<PersonPath> {
        let file = self.file_id(path)?;
        let project = self.journeys();
        let index = project
            .iter()
            .position(|j| j.file == file && journey.is_none_or(|name| j.name == name))?;
        let compiled = &project[index];
        let id = compiled.card_by_name(card)?;
        let policy = Policy::analyse(project);
        let text = self.file_text(path)?;
        let source = |s: Span| text.get(s.range()).unwrap_or("").to_owned();
        let outline = |id: CardId| CardOutline {
            analysis: self,
            journey: compiled,
            index,
            policy: &policy,
            id,
            file,
            source: &source,
        };
        let nodes = policy.path_to_person(index, compiled.card(id).entry);
        let mut steps = Vec::new();
        let mut replies = 0;
        for pair in nodes.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let Some((_, transition, _)) = compiled
                .edges_from(from)
                .into_iter()
                .find(|(_, _, t)| *t == to)
            else {
                continue;
            };
            replies += u32::from(transition.is_inbound());
            let leaving = outline(compiled.graph[from].card);
            let Some(exit) = leaving.exit(from, transition, to) else {
                continue;
            };
            let card_nodes: Vec<NodeIndex> = compiled
                .graph
                .node_indices()
                .filter(|&n| compiled.graph[n].card == leaving.id)
                .collect();
            if let Some(position) = leaving.exits(&card_nodes).iter().position(|e| *e == exit) {
                steps.push(PathStep {
                    card: compiled.card(leaving.id).name.clone(),
                    exit: position,
                    target: exit.target,
                });
            }
        }
        Some(PersonPath {
            card: card.to_owned(),
            person: nodes
                .last()
                .map(|&n| compiled.card(compiled.graph[n].card).name.clone()),
            replies,
            steps,
        })
    }
}

struct CardOutline<'x, 'a> {
    analysis: Analysis<'a>,
    journey: &'x CompiledJourney,
    /// The journey's index in the project.
    index: usize,
    policy: &'x Policy,
    id: CardId,
    file: FileId,
    source: &'x dyn Fn(Span) -> String,
}

impl CardOutline<'_, '_> {
    fn view(&self, definitions: &[&Card]) -> CardView {
        let journey = self.journey;
        let info = journey.card(self.id);
        let nodes: Vec<_> = journey
            .graph
            .node_indices()
            .filter(|&n| journey.graph[n].card == self.id)
            .collect();
        let whole = definitions
            .iter()
            .map(|c| c.span)
            .reduce(Span::to)
            .unwrap_or_default();

        let mut badges: Vec<&'static str> = Vec::new();
        let mut badge = |b: &'static str| {
            if !badges.contains(&b) {
                badges.push(b);
            }
        };
        if info.escalation.is_some() {
            badge("escalation");
        }
        let (mut reached, mut worst, mut outside) = (false, Some(0u64), false);
        for &node in &nodes {
            let step = &journey.graph[node];
            match &step.kind {
                StepKind::Handoff { .. } => badge("handoff"),
                StepKind::Template(_) => badge("template"),
                StepKind::Ask { .. } => badge("ask"),
                StepKind::Menu(menu) => badge(match menu.kind {
                    journey_model::MenuKind::Buttons => "buttons",
                    journey_model::MenuKind::List => "list",
                }),
                StepKind::Http { .. } => badge("http"),
                StepKind::Schedule { .. } => badge("schedule"),
                StepKind::RunJourney { .. } => badge("run"),
                StepKind::End { explicit: true } => badge("end"),
                _ => {}
            }
            let age = self.policy.age(self.index, node);
            if age != Age::Unreached {
                reached = true;
                worst = match (worst, age) {
                    (Some(w), Age::AtMost(s)) => Some(w.max(s)),
                    _ => None,
                };
            }
            if policy::is_free_form(&step.kind) && age.outside_window() {
                outside = true;
            }
        }
        let diagnostics = self
            .analysis
            .diagnostics()
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.file() == self.file
                    && definitions
                        .iter()
                        .any(|c| c.span.start <= d.span().start && d.span().start < c.span.end)
            })
            .map(|(i, _)| i)
            .collect();
        CardView {
            name: info.name.clone(),
            span: span(whole),
            definitions: definitions
                .iter()
                .map(|card| DefinitionView {
                    guard: card.guard.as_ref().map(|g| (self.source)(g.span)),
                    span: span(card.span),
                    statements: card
                        .body
                        .iter()
                        .enumerate()
                        .map(|(i, stmt)| self.statement(i, stmt))
                        .collect(),
                })
                .collect(),
            exits: self.exits(&nodes),
            badges,
            window: WindowView {
                worst_hours: worst
                    .filter(|_| reached)
                    .map(|s| (s as f64 / 3600.0 * 100.0).round() / 100.0),
                outside,
                reached,
            },
            reaches_person: self.policy.reaches_person(self.index, info.entry),
            diagnostics,
        }
    }

    /// The ways out of the card's steps `nodes` to other cards, each once.
    fn exits(&self, nodes: &[NodeIndex]) -> Vec<ExitView> {
        let mut exits: Vec<ExitView> = Vec::new();
        for &node in nodes {
            for (_, transition, target) in self.journey.edges_from(node) {
                if let Some(exit) = self.exit(node, transition, target)
                    && !exits.contains(&exit)
                {
                    exits.push(exit);
                }
            }
        }
        exits
    }

    /// The exit an edge of the graph is, when it leads to another card.
    fn exit(&self, from: NodeIndex, transition: &Transition, to: NodeIndex) -> Option<ExitView> {
        let journey = self.journey;
        let target_card = journey.graph[to].card;
        (target_card != self.id).then(|| ExitView {
            kind: exit_kind(transition),
            label: self.exit_label(&journey.graph[from].kind, transition),
            target: journey.card(target_card).name.clone(),
        })
    }

    fn exit_label(&self, kind: &StepKind, transition: &Transition) -> String {
        let journey = self.journey;
        match transition {
            Transition::Option { index } => {
                let index = *index as usize;
                match kind {
                    StepKind::Menu(menu) => match &menu.options {
                        MenuOptions::Static(options) => options.get(index).map(|o| {
                            o.label
                                .as_ref()
                                .and_then(Expr::literal_text)
                                .unwrap_or_else(|| journey.card(o.card).title())
                        }),
                        MenuOptions::Dynamic { .. } => None,
                    },
                    StepKind::Template(template) => template
                        .buttons
                        .get(index)
                        .map(|&card| journey.card(card).title()),
                    _ => None,
                }
                .unwrap_or_default()
            }
            Transition::Guard { expr, .. } => (self.source)(expr.span),
            Transition::Interrupt { index } => journey
                .interrupts
                .get(*index as usize)
                .map(|i| i.keywords.join(", "))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn statement(&self, index: usize, stmt: &Stmt) -> StatementView {
        let source = self.source;
        let (kind, var, call, args) = match &stmt.kind {
            StmtKind::Then { target, guard } => {
                let mut args = vec![ArgView {
                    name: Some("target".to_owned()),
                    source: target.name.clone(),
                    value: None,
                    text: None,
                }];
                if let Some(guard) = guard {
                    args.push(ArgView {
                        name: Some("when".to_owned()),
                        source: source(guard.span),
                        value: None,
                        text: None,
                    });
                }
                ("then".to_owned(), None, None, args)
            }
            StmtKind::Assign { target, value } => match &value.kind {
                ExprKind::Call(call) => (
                    call.callee.name.clone(),
                    Some(target.name.clone()),
                    Some(&**call),
                    self.args(call),
                ),
                _ => (
                    "assign".to_owned(),
                    Some(target.name.clone()),
                    None,
                    vec![self.arg(None, value)],
                ),
            },
            StmtKind::Expr(expr) => match &expr.kind {
                ExprKind::Call(call) => (
                    call.callee.name.clone(),
                    None,
                    Some(&**call),
                    self.args(call),
                ),
                _ => (
                    "expression".to_owned(),
                    None,
                    None,
                    vec![ArgView {
                        name: None,
                        source: source(expr.span),
                        value: None,
                        text: None,
                    }],
                ),
            },
        };
        let options = call.and_then(|call| self.options(call));
        let translations = call.and_then(|call| self.translations(call));
        let block = call.and_then(|call| call.block.as_ref()).map(|body| {
            body.iter()
                .enumerate()
                .map(|(i, s)| self.statement(i, s))
                .collect()
        });
        StatementView {
            index,
            summary: summary(
                &kind,
                var.as_deref(),
                &args,
                options.as_deref(),
                &source(stmt.span),
            ),
            form: FORMS.contains(&kind.as_str()),
            kind,
            span: span(stmt.span),
            args,
            options,
            var,
            block,
            translations,
        }
    }

    fn args(&self, call: &Call) -> Vec<ArgView> {
        call.args
            .iter()
            .map(|arg| self.arg(arg.name.as_ref().map(|n| n.name.clone()), &arg.value))
            .collect()
    }

    fn arg(&self, name: Option<String>, value: &Expr) -> ArgView {
        let source = (self.source)(value.span);
        ArgView {
            name,
            value: value.literal_text(),
            text: self.editable_text(value, &source),
            source,
        }
    }

    /// A string's words with its personalisations written `@…` and a literal `@` that
    /// would personalise written `@@`: what `set_text` turns back into `source`. `None`
    /// when it would not give back the same bytes (an escape like `\@`, single quotes):
    /// such a string stays code.
    fn editable_text(&self, value: &Expr, source: &str) -> Option<String> {
        let ExprKind::Str(template) = &value.kind else {
            return None;
        };
        let mut text = String::new();
        for (index, part) in template.parts.iter().enumerate() {
            match part {
                TemplatePart::Text { .. } => {
                    let sent = template.text_as_sent(index)?;
                    let mut chars = sent.chars().peekable();
                    while let Some(c) = chars.next() {
                        let after_word =
                            text.chars().next_back().is_some_and(char::is_alphanumeric);
                        let opens = chars
                            .peek()
                            .is_some_and(|&n| n == '(' || n == '_' || n.is_ascii_alphabetic());
                        if c == '@' && opens && !after_word {
                            text.push('@');
                        }
                        text.push(c);
                    }
                }
                TemplatePart::Interp(expr) => {
                    text.push('@');
                    text.push_str(&(self.source)(expr.span));
                }
            }
        }
        (crate::edit::quote_like(source, &text) == source).then_some(text)
    }

    /// A message call's versions in the project's languages other than the default.
    fn translations(&self, call: &Call) -> Option<Vec<TranslationView>> {
        if !builtins::lookup(&call.callee.name).is_some_and(|b| b.translations) {
            return None;
        }
        let config = self.analysis.config();
        Some(
            config
                .languages()
                .into_iter()
                .skip(1)
                .map(|language| {
                    let arg = call.named(language).map(|a| self.arg(None, &a.value));
                    TranslationView {
                        language: language.to_owned(),
                        text: arg.as_ref().and_then(|a| a.text.clone()),
                        source: arg.filter(|a| a.text.is_none()).map(|a| a.source),
                    }
                })
                .collect(),
        )
    }

    /// A menu's or template's options as the compiled step has them.
    fn options(&self, call: &Call) -> Option<Vec<OptionView>> {
        let journey = self.journey;
        let step = journey.graph.node_weights().find(|s| {
            s.card == self.id
                && s.span.start >= call.span.start
                && s.span.end <= call.span.end
                && matches!(s.kind, StepKind::Menu(_) | StepKind::Template(_))
        })?;
        match &step.kind {
            StepKind::Menu(menu) => Some(match &menu.options {
                MenuOptions::Static(options) => options
                    .iter()
                    .map(|o| OptionView {
                        label: o
                            .label
                            .as_ref()
                            .and_then(Expr::literal_text)
                            .unwrap_or_else(|| journey.card(o.card).title()),
                        target: Some(journey.card(o.card).name.clone()),
                    })
                    .collect(),
                MenuOptions::Dynamic { choices } => vec![OptionView {
                    label: (self.source)(choices.span),
                    target: None,
                }],
            }),
            StepKind::Template(template) => Some(
                template
                    .buttons
                    .iter()
                    .map(|&card| OptionView {
                        label: journey.card(card).title(),
                        target: Some(journey.card(card).name.clone()),
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}

fn exit_kind(transition: &Transition) -> &'static str {
    match transition {
        Transition::Next => "next",
        Transition::Guard { .. } => "guard",
        Transition::Default => "default",
        Transition::Option { .. } => "option",
        Transition::Reply => "reply",
        Transition::Invalid => "invalid",
        Transition::Timeout => "timeout",
        Transition::Error => "error",
        Transition::Return => "return",
        Transition::Interrupt { .. } => "interrupt",
        Transition::Timer => "timer",
    }
}

/// A statement in the words of a clinic's content team.
fn summary(
    kind: &str,
    var: Option<&str>,
    args: &[ArgView],
    options: Option<&[OptionView]>,
    whole: &str,
) -> String {
    let first = args.iter().find(|a| a.name.is_none());
    let named = |name: &str| args.iter().find(|a| a.name.as_deref() == Some(name));
    let shown = |a: &ArgView| {
        a.value
            .as_ref()
            .map_or_else(|| short(&a.source), |v| format!("\"{}\"", short(v)))
    };
    let first_text = first.map(shown).unwrap_or_default();
    let labels = || {
        options
            .unwrap_or_default()
            .iter()
            .map(|o| o.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let keeps = var.map_or_else(String::new, |v| format!(" and keeps the answer as `{v}`"));
    match kind {
        "text" => format!("Sends {first_text}"),
        "image" | "video" | "audio" | "document" | "sticker" => format!("Sends a {kind}"),
        "buttons" => format!("Offers buttons: {}{keeps}", labels()),
        "list" => format!("Offers a list: {}{keeps}", labels()),
        "ask" => format!("Asks {first_text}{keeps}"),
        "handoff" => match named("queue") {
            Some(queue) => format!("Hands the contact to a person ({})", shown(queue)),
            None => "Hands the contact to a person".to_owned(),
        },
        "schedule" => match (named("in"), named("at")) {
            (Some(delay), _) => format!("Follows up with {first_text} in {}", delay.source),
            (None, Some(at)) => format!("Follows up with {first_text} at {}", at.source),
            (None, None) => format!("Follows up with {first_text} later"),
        },
        "cancel_scheduled" => match first {
            Some(_) => format!("Cancels the follow-up {first_text}"),
            None => "Cancels every follow-up".to_owned(),
        },
        "then" => match named("when") {
            Some(guard) => format!(
                "Goes to {} when {}",
                named("target").map_or("", |t| &t.source),
                guard.source
            ),
            None => format!("Goes to {}", named("target").map_or("", |t| &t.source)),
        },
        "update_contact" => {
            let fields: Vec<&str> = args.iter().filter_map(|a| a.name.as_deref()).collect();
            format!("Updates the contact's {}", fields.join(", "))
        }
        "write_result" => format!("Saves the result {first_text}"),
        "add_label" => format!("Labels the contact {first_text}"),
        "send_message_template" => format!("Sends the approved template {first_text}"),
        "get" | "post" | "put" | "patch" | "delete" => format!(
            "Calls a web service ({} {first_text}){}",
            kind.to_uppercase(),
            var.map_or_else(String::new, |v| format!(" and keeps the answer as `{v}`"))
        ),
        "run_stack" => format!("Starts the journey {first_text}"),
        "end_journey" => "Ends the conversation".to_owned(),
        "log" => format!("Notes in the log {first_text}"),
        "header" => format!("Header {first_text}"),
        "footer" => format!("Footer {first_text}"),
        "assign" => format!("Sets `{}` to {first_text}", var.unwrap_or_default()),
        _ => short(whole),
    }
}

/// At most 60 characters of a text, on one line.
fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// The journey and card a span of the file `file` is in.
pub fn card_at(analysis: Analysis<'_>, file: FileId, at: Span) -> Option<(String, String)> {
    analysis
        .journeys()
        .iter()
        .filter(|j| j.file == file)
        .find_map(|j| {
            j.cards.iter().find_map(|card| {
                card.definitions
                    .iter()
                    .any(|d| d.span.start <= at.start && at.start < d.span.end)
                    .then(|| (j.name.clone(), card.name.clone()))
            })
        })
}

/// The cards (journey, card) whose text differs between two versions of a file at
/// `path` (`None`: the file does not exist): added, removed or edited.
pub fn cards_changed(
    path: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Vec<(String, String)> {
    let cards = |text: Option<&str>| {
        let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let Some(text) = text else { return out };
        let parsed = match FileKind::of(path) {
            FileKind::Journey => journey_syntax::parse_journey(FileId(0), text),
            FileKind::Notebook => journey_syntax::parse_notebook(FileId(0), text),
            _ => return out,
        };
        collect_cards(&parsed.module, &file_stem(path), text, &mut out);
        out
    };
    let (old, new) = (cards(before), cards(after));
    let mut changed: Vec<(String, String)> = old
        .iter()
        .filter(|(key, text)| new.get(*key) != Some(*text))
        .map(|(key, _)| key.clone())
        .collect();
    changed.extend(new.keys().filter(|k| !old.contains_key(*k)).cloned());
    changed.sort();
    changed
}

fn collect_cards(
    module: &Module,
    stem: &str,
    text: &str,
    out: &mut BTreeMap<(String, String), Vec<String>>,
) {
    for journey in &module.journeys {
        let name = journey
            .name
            .as_ref()
            .map_or_else(|| stem.to_owned(), |i| i.name.clone());
        for card in journey.cards() {
            out.entry((name.clone(), card.name.name.clone()))
                .or_default()
                .push(text.get(card.span.range()).unwrap_or("").to_owned());
        }
    }
}
