//! The compiled form of a journey: a petgraph state machine whose nodes are steps and
//! whose edges are labelled transitions. The checker and the interpreter both work
//! from this one form; it serialises with serde and carries a content hash.

use journey_diagnostics::{FileId, Span};
use journey_syntax::{Call, Expr, ExprKind, Ident};
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

/// Index of a card in [`CompiledJourney::cards`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CardId(pub u32);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompiledJourney {
    pub name: String,
    pub file: FileId,
    /// `stack Name` span, or the whole file for an implicit journey.
    pub span: Span,
    pub graph: StableDiGraph<Step, Transition>,
    /// The first card's entry: where a run starts.
    pub entry: Option<NodeIndex>,
    pub cards: Vec<CardInfo>,
    pub triggers: Vec<Trigger>,
    pub interrupts: Vec<Interrupt>,
    /// `interaction_timeout(300)`: the default wait of questions, in seconds.
    pub interaction_timeout: Option<u64>,
    /// A Turn notebook's `config` dictionary, read as `config.items.<key>`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub config: std::collections::BTreeMap<String, String>,
    /// A Turn notebook's data tables, read as `<name>.rows`: one map per row.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tables: std::collections::BTreeMap<String, Vec<std::collections::BTreeMap<String, String>>>,
    /// What lowering could not resolve; the checker reports each.
    pub issues: Vec<Issue>,
    /// Every place lowering resolved a name to a card or a journey (a string reference
    /// like `"Menu"` includes its quotes): what references and rename follow.
    #[serde(skip)]
    pub references: Vec<NameRef>,
    /// Part of the file failed to parse: graph-shape rules stay quiet on it.
    pub has_syntax_errors: bool,
    /// Hex SHA-256 of the compiler version, the name and the source text.
    pub hash: String,
}

/// A name resolved by lowering, and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct NameRef {
    pub span: Span,
    pub target: Resolved,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Card(CardId),
    Journey(String),
}

/// One card name: its definitions (several when guarded) share one entry node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CardInfo {
    pub name: String,
    /// The `CardEntry` node that dispatches to the definitions.
    pub entry: NodeIndex,
    pub definitions: Vec<CardDefinition>,
    /// `escalation: "phone"`: a non-chat escalation path the checker counts.
    pub escalation: Option<String>,
}

impl CardInfo {
    /// The display label (`card Name, "Label"`), from the first definition that has one.
    pub fn label(&self) -> Option<&Expr> {
        self.definitions.iter().find_map(|d| d.label.as_ref())
    }

    /// The value a menu stores when this card's option is chosen: Turn's option name.
    pub fn option_name(&self) -> String {
        option_name(&self.name)
    }

    /// How the card is titled as a menu option or quick reply: its literal display
    /// label, else its name.
    pub fn title(&self) -> String {
        self.label()
            .and_then(Expr::literal_text)
            .unwrap_or_else(|| self.name.clone())
    }
}

/// Turn's name for a menu option leading to `card`, which is also what `x = buttons(…)`
/// stores: the card name in snake case, an acronym kept as one word
/// (`GotoFAQTopicsList` → `goto_faq_topics_list`), as Turn's compiled flows show.
pub fn option_name(card: &str) -> String {
    let chars: Vec<char> = card.chars().collect();
    let mut name = String::with_capacity(card.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                name.push('_');
            }
        }
        name.extend(c.to_lowercase());
    }
    name
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CardDefinition {
    pub name_span: Span,
    pub header_span: Span,
    pub span: Span,
    pub guard: Option<Expr>,
    /// The display label (`card Name, "Label"`), used when the card is a menu option.
    pub label: Option<Expr>,
    /// The `then:` target, resolved.
    pub then: Option<CardRef>,
    /// The card failed to parse; nothing is known of its body.
    pub recovered: bool,
}

/// A resolved reference to a card, with the span of the reference.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CardRef {
    pub card: CardId,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    pub card: CardId,
    pub span: Span,
}

/// What a step does, its arguments picked out and checked by the statement's lowering
/// (`builtins.rs`), so the interpreter never reads call syntax (large parts boxed: a
/// journey has tens of thousands of steps). Waiting steps (`Ask`, `Menu`, `Template`
/// with buttons, `Handoff`) suspend the run until an event arrives.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum StepKind {
    /// Entry of a card name: `Guard` edges to guarded definitions, `Default` to the
    /// unguarded one.
    CardEntry,
    Assign {
        var: String,
        value: Box<Expr>,
    },
    Send(Box<Message>),
    Ask {
        var: Option<String>,
        prompt: Box<Message>,
        input: Box<InputRules>,
        validate: Option<Box<Expr>>,
        /// `max_response_characters:` (WhatsApp's limit is enforced by the client).
        max_length: Option<Box<Expr>>,
    },
    Menu(Box<Menu>),
    Template(Box<TemplateSend>),
    /// `update_contact`, `write_result`, `add_label`, `log`, `send_content`, or a
    /// project helper called for its own sake.
    Effect(Box<EffectStep>),
    Http {
        var: Option<String>,
        method: String,
        request: Box<HttpCall>,
    },
    Schedule {
        target: Target,
        when: Box<ScheduleTime>,
    },
    Cancel {
        target: Option<Target>,
    },
    RunJourney {
        journey: JourneyRef,
    },
    /// `handoff(…)`: its exits are `Return` and `Timeout` edges.
    Handoff(Box<HandoffStep>),
    /// A run of `then(X when …)` lines: `Guard` edges in order, then `Default`.
    Branch,
    End {
        /// `end_journey()`, as opposed to a card with no way onward.
        explicit: bool,
    },
}

impl StepKind {
    /// Does the run stop here until something from outside happens?
    pub fn waits(&self) -> bool {
        match self {
            StepKind::Ask { .. } | StepKind::Menu(_) | StepKind::Handoff { .. } => true,
            StepKind::Template(t) => !t.buttons.is_empty(),
            _ => false,
        }
    }

    /// The journey this step starts: now (`run_stack`) or later (`schedule_stack`).
    pub fn started_journey(&self) -> Option<&JourneyRef> {
        match self {
            StepKind::RunJourney { journey }
            | StepKind::Schedule {
                target: Target::Journey(journey),
                ..
            } => Some(journey),
            _ => None,
        }
    }

    /// Does this step send a message to the contact?
    pub fn sends(&self) -> bool {
        matches!(
            self,
            StepKind::Send(_) | StepKind::Ask { .. } | StepKind::Menu(_) | StepKind::Template(_)
        )
    }

    /// Calls `f` on each expression the step evaluates (arguments that name cards or
    /// journeys are edges and references, not expressions).
    pub fn exprs<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        match self {
            StepKind::Assign { value, .. } => f(value),
            StepKind::Send(message) => message.exprs(f),
            StepKind::Ask {
                prompt,
                input,
                validate,
                max_length,
                ..
            } => {
                prompt.exprs(f);
                input.exprs(f);
                validate.iter().chain(max_length).for_each(|e| f(e));
            }
            StepKind::Menu(menu) => {
                menu.body.iter().for_each(|m| m.exprs(f));
                menu.button_text.iter().for_each(&mut *f);
                match &menu.options {
                    MenuOptions::Static(options) => options
                        .iter()
                        .filter_map(|o| o.label.as_ref())
                        .for_each(&mut *f),
                    MenuOptions::Dynamic { choices } => f(choices),
                }
                menu.input.exprs(f);
            }
            StepKind::Template(template) => {
                f(&template.name);
                f(&template.language);
                template.params.iter().for_each(&mut *f);
                if let Some((_, header)) = &template.header {
                    f(header);
                }
            }
            StepKind::Effect(effect) => match &**effect {
                EffectStep::UpdateContact(fields) => fields.iter().for_each(|(_, e)| f(e)),
                EffectStep::WriteResult { key, value, label } => {
                    f(key);
                    f(value);
                    label.iter().for_each(f);
                }
                EffectStep::AddLabel(e) | EffectStep::Log(e) | EffectStep::Evaluate(e) => f(e),
                EffectStep::SendContent(args) => args.iter().for_each(f),
            },
            StepKind::Http { request, .. } => {
                let r = &**request;
                f(&r.url);
                [
                    &r.headers,
                    &r.query,
                    &r.body,
                    &r.timeout,
                    &r.cache_ttl,
                    &r.mode,
                    &r.retries,
                ]
                .into_iter()
                .flatten()
                .for_each(f);
            }
            StepKind::Handoff(handoff) => {
                let h = &**handoff;
                [&h.queue, &h.note, &h.template, &h.timeout]
                    .into_iter()
                    .flatten()
                    .for_each(f);
            }
            StepKind::Schedule { when, .. } => match &**when {
                ScheduleTime::In { delay, .. } => f(delay),
                ScheduleTime::At(at) => f(at),
            },
            StepKind::CardEntry
            | StepKind::Cancel { .. }
            | StepKind::RunJourney { .. }
            | StepKind::Branch
            | StepKind::End { .. } => {}
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            StepKind::CardEntry => "card",
            StepKind::Assign { .. } => "assign",
            StepKind::Send(_) => "send",
            StepKind::Ask { .. } => "ask",
            StepKind::Menu(m) => match m.kind {
                MenuKind::Buttons => "buttons",
                MenuKind::List => "list",
            },
            StepKind::Template(_) => "template",
            StepKind::Effect(_) => "effect",
            StepKind::Http { .. } => "http",
            StepKind::Schedule { .. } => "schedule",
            StepKind::Cancel { .. } => "cancel",
            StepKind::RunJourney { .. } => "run journey",
            StepKind::Handoff { .. } => "handoff",
            StepKind::Branch => "branch",
            StepKind::End { .. } => "end",
        }
    }
}

/// A message: its kind, its text (or URL) and per-language variants.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    pub kind: MessageKind,
    pub body: Expr,
    /// `pt: "Olá"` variants.
    pub translations: Vec<(String, Expr)>,
    /// A media message's `caption:`.
    pub caption: Option<Expr>,
    /// A document's `filename:`.
    pub filename: Option<Expr>,
    /// `ai_generated: true`: the text was written by a model.
    pub ai_generated: Option<Expr>,
    pub span: Span,
}

impl Message {
    /// A message of this kind with only a body.
    pub fn plain(kind: MessageKind, body: Expr, span: Span) -> Message {
        Message {
            kind,
            body,
            translations: Vec::new(),
            caption: None,
            filename: None,
            ai_generated: None,
            span,
        }
    }

    /// Every expression of the message: body, variants, options.
    pub fn exprs<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(&self.body);
        self.translations.iter().for_each(|(_, e)| f(e));
        [&self.caption, &self.filename, &self.ai_generated]
            .into_iter()
            .flatten()
            .for_each(f);
    }
}

/// A step that acts on the world and goes on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum EffectStep {
    /// `update_contact(field: value, …)`, in the order written.
    UpdateContact(Vec<(Ident, Expr)>),
    WriteResult {
        key: Expr,
        value: Expr,
        label: Option<Expr>,
    },
    AddLabel(Expr),
    Log(Expr),
    /// Turn's content library: not supported here; its arguments are kept for pictures.
    SendContent(Vec<Expr>),
    /// A call that is not a statement (a project helper, or an unknown function the
    /// checker reports), evaluated so that it fails the run visibly.
    Evaluate(Expr),
}

impl EffectStep {
    /// The statement it was written as.
    pub fn name(&self) -> &str {
        match self {
            EffectStep::UpdateContact(_) => "update_contact",
            EffectStep::WriteResult { .. } => "write_result",
            EffectStep::AddLabel(_) => "add_label",
            EffectStep::Log(_) => "log",
            EffectStep::SendContent(_) => "send_content",
            EffectStep::Evaluate(expr) => match &expr.kind {
                ExprKind::Call(call) => &call.callee.name,
                _ => "evaluate",
            },
        }
    }
}

/// `get(url, headers: …, body: …)` and the other methods.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HttpCall {
    pub url: Expr,
    pub headers: Option<Expr>,
    pub query: Option<Expr>,
    pub body: Option<Expr>,
    /// Milliseconds.
    pub timeout: Option<Expr>,
    pub cache_ttl: Option<Expr>,
    pub mode: Option<Expr>,
    pub retries: Option<Expr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HandoffStep {
    pub queue: Option<Expr>,
    pub note: Option<Expr>,
    /// A template to send when the contact is outside the 24-hour window.
    pub template: Option<Expr>,
    /// Seconds before the `Timeout` edge is taken.
    pub timeout: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Footer,
    /// The text header of a menu (`buttons(..., header: "Clinic")`).
    Header,
}

impl MessageKind {
    /// The statement or Cloud API name: `text`, `image`, `footer`, `header`.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Image => "image",
            MessageKind::Video => "video",
            MessageKind::Audio => "audio",
            MessageKind::Document => "document",
            MessageKind::Sticker => "sticker",
            MessageKind::Footer => "footer",
            MessageKind::Header => "header",
        }
    }

    /// An image, video or document: what a menu may take as its media header.
    pub fn is_media_header(self) -> bool {
        matches!(
            self,
            MessageKind::Image | MessageKind::Video | MessageKind::Document
        )
    }

    pub fn from_name(name: &str) -> Option<MessageKind> {
        Some(match name {
            "text" => MessageKind::Text,
            "image" => MessageKind::Image,
            "video" => MessageKind::Video,
            "audio" => MessageKind::Audio,
            "document" => MessageKind::Document,
            "sticker" => MessageKind::Sticker,
            "footer" => MessageKind::Footer,
            _ => return None,
        })
    }
}

/// Timeout and retry settings of a waiting step.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InputRules {
    /// Seconds, when the value is a literal duration or number of seconds.
    pub timeout: Option<Expr>,
    /// Re-prompts before `on_invalid` is taken.
    pub retries: Option<Expr>,
    /// A custom re-prompt text.
    pub error: Option<Expr>,
}

impl InputRules {
    fn exprs<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        [&self.timeout, &self.retries, &self.error]
            .into_iter()
            .flatten()
            .for_each(f);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MenuKind {
    Buttons,
    List,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Menu {
    pub kind: MenuKind,
    /// The variable that receives the chosen value (`x = buttons(...)`).
    pub var: Option<String>,
    /// The list's button text (`list("Select topic", ...)`).
    pub button_text: Option<Expr>,
    /// The `do … end` body (text, header media, footer), then the `header:` and
    /// `footer:` arguments.
    pub body: Vec<Message>,
    pub options: MenuOptions,
    pub input: InputRules,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum MenuOptions {
    /// One option per card: `Option(i)` edges lead to them.
    Static(Vec<MenuOption>),
    /// `buttons(Dest, choices)`: choices computed at run time, all going to one card
    /// through the `Reply` edge.
    Dynamic { choices: Expr },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MenuOption {
    pub card: CardId,
    /// An inline label (`Card: "Label"`); otherwise the card's display label or name.
    pub label: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TemplateSend {
    pub name: Expr,
    pub language: Expr,
    pub params: Vec<Expr>,
    pub header: Option<(String, Expr)>,
    /// Quick-reply buttons, in order; `Option(i)` edges lead to them.
    pub buttons: Vec<CardId>,
    pub span: Span,
}

/// What a schedule or cancel points at.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Target {
    Card(CardId),
    Journey(JourneyRef),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum ScheduleTime {
    /// `in: 23h` (the expression; `seconds` when it is a constant).
    In { delay: Expr, seconds: Option<u64> },
    /// `at: <datetime>`: when is known only at run time.
    At(Expr),
}

/// A reference to a journey by name (resolved in the project) or by a Turn UUID.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JourneyRef {
    pub name: String,
    pub span: Span,
    /// Found among the project's journeys.
    pub resolved: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trigger {
    pub call: Call,
    pub guard: Option<Expr>,
    pub span: Span,
}

impl Trigger {
    /// Triggers that start a journey with no message from the contact (a time
    /// relative to a field, a specific time) open outside the 24-hour window.
    pub fn is_business_initiated(&self) -> bool {
        self.call.named("interval").is_some()
            || self.call.named("at").is_some()
            || self.call.named("relative_to").is_some()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interrupt {
    pub keywords: Vec<String>,
    pub target: Option<CardRef>,
    pub span: Span,
}

/// The label of an edge: why the run moves from one step to the next.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Transition {
    /// The step finished; go on.
    Next,
    /// The `index`-th guard holds (card definitions, `then(X when …)`).
    Guard { index: u32, expr: Box<Expr> },
    /// No guard held.
    Default,
    /// The contact chose option `index` (static menus, template quick replies).
    Option { index: u32 },
    /// Any valid answer (questions, dynamic menus).
    Reply,
    /// An answer that matches no option, after the retries.
    Invalid,
    /// No answer before the timeout.
    Timeout,
    /// An HTTP call failed or timed out.
    Error,
    /// An agent handed the contact back.
    Return,
    /// A global interrupt keyword, from any waiting step.
    Interrupt { index: u32 },
    /// A follow-up timer scheduled here fires later.
    Timer,
}

impl Transition {
    /// A transition taken because the contact sent a message (resets the 24-hour window).
    pub fn is_inbound(&self) -> bool {
        matches!(
            self,
            Transition::Option { .. }
                | Transition::Reply
                | Transition::Invalid
                | Transition::Interrupt { .. }
        )
    }
}

impl CompiledJourney {
    pub fn card(&self, id: CardId) -> &CardInfo {
        &self.cards[id.0 as usize]
    }

    pub fn card_by_name(&self, name: &str) -> Option<CardId> {
        self.cards
            .iter()
            .position(|c| c.name == name)
            .map(|i| CardId(i as u32))
    }

    /// Outgoing edges in the order the interpreter tries them: guards by their index
    /// (a card's guarded definitions run before its unguarded one, wherever it is
    /// written), then the rest in the order lowering added them.
    pub fn edges_from(&self, node: NodeIndex) -> Vec<(EdgeIndex, &Transition, NodeIndex)> {
        let mut edges: Vec<_> = self
            .graph
            .edges_directed(node, Direction::Outgoing)
            .map(|e| (e.id(), e.weight(), e.target()))
            .collect();
        edges.sort_by_key(|(id, transition, _)| match transition {
            Transition::Guard { index, .. } => (0, *index as usize),
            _ => (1, id.index()),
        });
        edges
    }
}

/// Where a known function was used that it cannot work.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Misplaced {
    /// A step (`text`, `ask`, `get`) inside an expression.
    StepInExpression,
    /// A journey setting (`trigger`, `interrupt`) inside a card.
    SettingInCard,
    /// A step or an expression function at journey level, outside any card.
    StepAtJourneyLevel,
}

/// Something lowering could not resolve. The checker turns each into a diagnostic.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Issue {
    UnknownCard {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownJourney {
        name: String,
        span: Span,
        suggestion: Option<String>,
        /// A Turn UUID rather than a name.
        is_uuid: bool,
    },
    UnknownFunction {
        name: String,
        span: Span,
        suggestion: Option<String>,
        /// A known function where it cannot work.
        misplaced: Option<Misplaced>,
    },
    UnknownArgument {
        function: String,
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    WrongArity {
        function: String,
        span: Span,
        expected: String,
        found: usize,
    },
    DuplicateCard {
        name: String,
        span: Span,
        first: Span,
        /// Both definitions are the same text, byte for byte: a copy left behind.
        identical: bool,
    },
    DuplicateJourney {
        name: String,
        span: Span,
        first: (FileId, Span),
    },
    /// A line that computes a value and drops it (`text "Hi"`, `upper(x)`).
    NoEffect { span: Span },
    /// An image, video or document in a Turn notebook's `list` body: WhatsApp takes no
    /// media header on a list, and Turn compiles the list without it.
    MediaDroppedFromList { kind: MessageKind, span: Span },
    /// A call whose arguments have the wrong shape (`buttons(3)`).
    BadArguments {
        function: String,
        span: Span,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::option_name;

    #[test]
    fn option_names_are_turns() {
        // Pairs seen in Turn's compiled flows of the corpus (`choices[].name`).
        for (card, name) in [
            ("GotoMainMenu", "goto_main_menu"),
            ("GotoFAQTopicsList", "goto_faq_topics_list"),
            ("FaqWasHelpful", "faq_was_helpful"),
            ("No", "no"),
            ("Exit", "exit"),
            ("Card2Next", "card2_next"),
            ("already_snake", "already_snake"),
        ] {
            assert_eq!(option_name(card), name, "{card}");
        }
    }
}
