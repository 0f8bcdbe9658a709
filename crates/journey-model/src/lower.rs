//! Lowering: one journey's AST to its state machine, resolving names as it goes.
//! Whatever cannot be resolved becomes an [`Issue`]; lowering itself never fails.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use journey_diagnostics::{FileId, Span};
use journey_syntax::{Arg, Call, Card, Expr, ExprKind, Journey, Stmt, StmtKind};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};

use crate::builtins::{self, ArgKind, Builtin, Kind};
use crate::graph::*;
use crate::project::ProjectIndex;
use crate::suggest::suggest;

/// Edges waiting for the next step to exist.
pub(crate) type Dangling = Vec<(NodeIndex, Transition)>;

/// A statement's lowering, named by its catalogue entry (`builtins.rs`): it picks the
/// call's arguments out into a typed step and adds the step's edges.
pub(crate) type LowerFn = fn(&mut Lowerer<'_>, &StatementCall<'_>, &mut Dangling);

/// A statement call being lowered, already checked against its catalogue entry.
pub(crate) struct StatementCall<'c> {
    call: &'c Call,
    builtin: &'static Builtin,
    /// `x = …`: the variable that keeps the result.
    var: Option<&'c str>,
    span: Span,
}

impl<'c> StatementCall<'c> {
    /// The named argument `name`, which the statement's signature must have: a
    /// lowering that asks for another name is a bug that tests catch.
    fn named_arg(&self, name: &str) -> Option<&'c Arg> {
        debug_assert!(
            self.builtin.named_param(name).is_some(),
            "`{name}:` is not in the signature of `{}`",
            self.builtin.name
        );
        self.call.named(name)
    }

    fn named(&self, name: &str) -> Option<&'c Expr> {
        self.named_arg(name).map(|a| &a.value)
    }

    fn positional(&self, index: usize) -> Option<&'c Expr> {
        self.call.positional().nth(index)
    }
}

pub(crate) fn lower_journey(
    name: String,
    file: FileId,
    journey: &Journey,
    source: &str,
    has_syntax_errors: bool,
    turn: bool,
    index: &ProjectIndex,
) -> CompiledJourney {
    let mut lowerer = Lowerer {
        index,
        source,
        turn,
        graph: StableDiGraph::new(),
        cards: Vec::new(),
        card_ids: HashMap::new(),
        issues: Vec::new(),
        references: Vec::new(),
        referenced: HashSet::new(),
        current: CardId(0),
        current_then: None,
    };
    let definitions = lowerer.declare_cards(journey);
    for (card, id) in &definitions {
        lowerer.lower_definition(card, *id);
    }
    lowerer.finish_fallbacks();
    let mut compiled = CompiledJourney {
        name,
        file,
        span: journey.span,
        entry: lowerer.cards.first().map(|c| c.entry),
        triggers: Vec::new(),
        interrupts: Vec::new(),
        interaction_timeout: None,
        config: Default::default(),
        tables: Default::default(),
        issues: Vec::new(),
        has_syntax_errors,
        hash: String::new(),
        graph: StableDiGraph::new(),
        cards: Vec::new(),
        references: Vec::new(),
    };
    for setting in journey.settings() {
        lowerer.lower_setting(setting, &mut compiled);
    }
    lowerer.add_interrupt_edges(&compiled.interrupts);
    compiled.graph = lowerer.graph;
    compiled.cards = lowerer.cards;
    compiled.issues = lowerer.issues;
    compiled.references = lowerer.references;
    let text = source.get(journey.span.range()).unwrap_or(source);
    compiled.hash = crate::hash::content_hash(&compiled.name, text);
    compiled
}

pub(crate) struct Lowerer<'a> {
    index: &'a ProjectIndex,
    /// The file's text, to tell byte-identical duplicate cards.
    source: &'a str,
    /// A Turn notebook: Turn's behaviour where ours differs by design.
    turn: bool,
    graph: StableDiGraph<Step, Transition>,
    cards: Vec<CardInfo>,
    card_ids: HashMap<String, CardId>,
    issues: Vec<Issue>,
    references: Vec<NameRef>,
    /// The spans in `references`: a name is recorded once, in constant time.
    referenced: HashSet<Span>,
    /// The card whose body is being lowered.
    current: CardId,
    /// Its `then:` target: where the body continues, and where invalid replies go.
    current_then: Option<CardId>,
}

impl Lowerer<'_> {
    /// Gives every card name an id and an entry node, and reports duplicates.
    fn declare_cards<'j>(&mut self, journey: &'j Journey) -> Vec<(&'j Card, CardId)> {
        let mut definitions = Vec::new();
        let mut unguarded: HashMap<&str, &Card> = HashMap::new();
        for card in journey.cards() {
            let id = match self.card_ids.get(&card.name.name) {
                Some(&id) => id,
                None => {
                    let id = CardId(self.cards.len() as u32);
                    let entry = self.graph.add_node(Step {
                        kind: StepKind::CardEntry,
                        card: id,
                        span: card.name.span,
                    });
                    self.cards.push(CardInfo {
                        name: card.name.name.clone(),
                        entry,
                        definitions: Vec::new(),
                        escalation: None,
                    });
                    self.card_ids.insert(card.name.name.clone(), id);
                    id
                }
            };
            if card.guard.is_none() && !card.recovered {
                if let Some(&first) = unguarded.get(card.name.name.as_str()) {
                    let text = |c: &Card| self.source.get(c.span.range());
                    self.issues.push(Issue::DuplicateCard {
                        name: card.name.name.clone(),
                        span: card.name.span,
                        first: first.name.span,
                        identical: text(first).is_some() && text(first) == text(card),
                    });
                    continue;
                }
                unguarded.insert(&card.name.name, card);
            }
            definitions.push((card, id));
        }
        definitions
    }

    fn add_node(&mut self, kind: StepKind, span: Span) -> NodeIndex {
        self.graph.add_node(Step {
            kind,
            card: self.current,
            span,
        })
    }

    fn connect(&mut self, dangling: &mut Dangling, to: NodeIndex) {
        for (from, transition) in dangling.drain(..) {
            self.graph.add_edge(from, to, transition);
        }
    }

    fn end_node(&mut self, explicit: bool, span: Span) -> NodeIndex {
        self.add_node(StepKind::End { explicit }, span)
    }

    fn lower_definition(&mut self, card: &Card, id: CardId) {
        self.current = id;
        let then = card.option("then").and_then(|e| self.card_ref(e));
        self.current_then = then.as_ref().map(|r| r.card);
        let mut escalation = None;
        for option in &card.options {
            let Some(name) = &option.name else {
                self.check_expr(&option.value);
                continue;
            };
            match name.name.as_str() {
                "then" => {}
                "escalation" => escalation = option.value.literal_text(),
                "code_generator" => {}
                other => self.unknown_argument(
                    "card",
                    other,
                    name.span,
                    ["then", "escalation", "code_generator"],
                ),
            }
        }
        if let Some(guard) = &card.guard {
            self.check_expr(guard);
        }
        let info = &mut self.cards[id.0 as usize];
        if escalation.is_some() {
            info.escalation = escalation;
        }
        let entry = info.entry;
        let guard_index = info
            .definitions
            .iter()
            .filter(|d| d.guard.is_some())
            .count() as u32;
        info.definitions.push(CardDefinition {
            name_span: card.name.span,
            header_span: card.header_span,
            span: card.span,
            guard: card.guard.clone(),
            label: card.label().cloned(),
            then: then.clone(),
            recovered: card.recovered,
        });
        if card.recovered {
            return;
        }
        let transition = match &card.guard {
            Some(expr) => Transition::Guard {
                index: guard_index,
                expr: Box::new(expr.clone()),
            },
            None => Transition::Default,
        };
        let mut dangling = vec![(entry, transition)];
        self.lower_block(&card.body, &mut dangling);
        if !dangling.is_empty() {
            let next = match then {
                Some(target) => self.cards[target.card.0 as usize].entry,
                None => self.end_node(false, card.span),
            };
            self.connect(&mut dangling, next);
        }
    }

    /// Cards defined only with guards fall through to an implicit end.
    fn finish_fallbacks(&mut self) {
        for index in 0..self.cards.len() {
            let card = &self.cards[index];
            let has_fallback = card
                .definitions
                .iter()
                .any(|d| d.guard.is_none() || d.recovered);
            if !has_fallback {
                let entry = card.entry;
                let span = card.definitions[0].header_span;
                self.current = CardId(index as u32);
                let end = self.end_node(false, span);
                self.graph.add_edge(entry, end, Transition::Default);
            }
        }
    }

    fn lower_block(&mut self, stmts: &[Stmt], dangling: &mut Dangling) {
        let mut i = 0;
        while i < stmts.len() {
            if matches!(stmts[i].kind, StmtKind::Then { .. }) {
                // A group ends at its first unconditional `then(X)`: lines after it
                // start a new branch that nothing reaches (and J204 reports).
                let mut run = 0;
                for stmt in &stmts[i..] {
                    let StmtKind::Then { guard, .. } = &stmt.kind else {
                        break;
                    };
                    run += 1;
                    if guard.is_none() {
                        break;
                    }
                }
                self.lower_branch(&stmts[i..i + run], dangling);
                i += run;
            } else if let Some((image, text)) = captioned_media(&stmts[i..]).filter(|_| self.turn) {
                let media = builtins::lookup(&image.callee.name).expect("a built-in");
                self.check_call_shape(image, media);
                self.check_call_shape(text, builtins::lookup("text").expect("a built-in"));
                let span = stmts[i].span.to(stmts[i + 1].span);
                let mut message = self.message(&StatementCall {
                    call: image,
                    builtin: media,
                    var: None,
                    span,
                });
                message.caption = text.positional().next().cloned();
                self.step(StepKind::Send(Box::new(message)), span, dangling);
                i += 2;
            } else {
                self.lower_stmt(&stmts[i], dangling);
                i += 1;
            }
        }
    }

    /// Consecutive `then(X when …)` lines: one branch step, guards tried in order.
    fn lower_branch(&mut self, lines: &[Stmt], dangling: &mut Dangling) {
        let span = lines[0].span.to(lines[lines.len() - 1].span);
        let branch = self.add_node(StepKind::Branch, span);
        self.connect(dangling, branch);
        let mut index = 0;
        for line in lines {
            let StmtKind::Then { target, guard } = &line.kind else {
                continue;
            };
            let Some(card) = self.resolve_card_name(&target.name, target.span) else {
                continue;
            };
            let entry = self.cards[card.0 as usize].entry;
            match guard {
                Some(expr) => {
                    self.check_expr(expr);
                    self.graph.add_edge(
                        branch,
                        entry,
                        Transition::Guard {
                            index,
                            expr: Box::new(expr.clone()),
                        },
                    );
                    index += 1;
                }
                None => {
                    self.graph.add_edge(branch, entry, Transition::Default);
                    return;
                }
            }
        }
        dangling.push((branch, Transition::Default));
    }

    fn lower_stmt(&mut self, stmt: &Stmt, dangling: &mut Dangling) {
        match &stmt.kind {
            StmtKind::Assign { target, value } => match statement_call(value) {
                Some(call) => self.lower_call(call, Some(&target.name), stmt.span, dangling),
                None => {
                    self.check_expr(value);
                    let node = self.add_node(
                        StepKind::Assign {
                            var: target.name.clone(),
                            value: Box::new(value.clone()),
                        },
                        stmt.span,
                    );
                    self.connect(dangling, node);
                    dangling.push((node, Transition::Next));
                }
            },
            StmtKind::Expr(expr) => match statement_call(expr) {
                Some(call) => self.lower_call(call, None, stmt.span, dangling),
                None => {
                    self.check_expr(expr);
                    // Unknown functions are reported as such (J103), settings as misplaced.
                    let reported = matches!(&expr.kind, ExprKind::Call(call)
                        if builtins::lookup(&call.callee.name).is_none_or(|b| b.kind == Kind::Setting));
                    if !reported {
                        self.issues.push(Issue::NoEffect { span: expr.span });
                    }
                    // A call to a function that is not a built-in (a project helper, or
                    // one the checker reports as unknown) still runs, so that it fails
                    // the run visibly rather than vanishing.
                    if let ExprKind::Call(call) = &expr.kind
                        && builtins::lookup(&call.callee.name).is_none()
                    {
                        let effect = EffectStep::Evaluate(expr.clone());
                        self.step(StepKind::Effect(Box::new(effect)), stmt.span, dangling);
                    }
                }
            },
            StmtKind::Then { .. } => self.lower_branch(std::slice::from_ref(stmt), dangling),
        }
    }

    /// A statement: checked against its catalogue entry, then lowered by the entry's
    /// own lowering into a typed step.
    fn lower_call(&mut self, call: &Call, var: Option<&str>, span: Span, dangling: &mut Dangling) {
        let builtin =
            builtins::lookup(&call.callee.name).expect("statement_call only returns built-ins");
        self.check_call_shape(call, builtin);
        if call.block.is_some() && !builtin.body {
            self.bad_arguments(call, "only `buttons` and `list` take a `do … end` body");
        }
        if var.is_some() && !builtin.value {
            self.bad_arguments(call, "this step has no value to assign");
        }
        let lower = builtin.lower.expect("every statement has a lowering");
        let statement = StatementCall {
            call,
            builtin,
            var,
            span,
        };
        lower(self, &statement, dangling);
    }

    /// Adds a step that goes on to the next line.
    fn step(&mut self, kind: StepKind, span: Span, dangling: &mut Dangling) -> NodeIndex {
        let node = self.add_node(kind, span);
        self.connect(dangling, node);
        dangling.push((node, Transition::Next));
        node
    }

    /// A text, media or footer message: its body, variants and the options its
    /// statement takes (`ask` takes none of them).
    fn message(&mut self, s: &StatementCall<'_>) -> Message {
        let own = MessageKind::from_name(s.builtin.name);
        let mut message = Message::plain(
            own.unwrap_or(MessageKind::Text),
            s.positional(0).cloned().unwrap_or_else(|| nil(s.call.span)),
            s.call.span,
        );
        for arg in &s.call.args {
            if let Some(name) = &arg.name
                && builtins::is_language_code(&name.name)
            {
                message
                    .translations
                    .push((name.name.clone(), arg.value.clone()));
            }
        }
        match own {
            Some(MessageKind::Text) => message.ai_generated = s.named("ai_generated").cloned(),
            Some(MessageKind::Footer | MessageKind::Header) | None => {}
            Some(_) => {
                message.caption = s.named("caption").cloned();
                message.filename = s.named("filename").cloned();
            }
        }
        message
    }

    fn input_rules(s: &StatementCall<'_>) -> InputRules {
        InputRules {
            timeout: s.named("timeout").cloned(),
            retries: s.named("retries").cloned(),
            error: s.named("error").cloned(),
        }
    }

    /// Where an answer that matches nothing goes: the card's `then:`; with none, the
    /// question is asked again, except a menu of a Turn notebook, which ends the flow as
    /// in Turn (its compiled default exit has no destination).
    fn invalid_edge(&mut self, node: NodeIndex, s: &StatementCall<'_>, menu: bool) {
        let invalid = match (s.named("on_invalid"), self.card_arg(s, "on_invalid")) {
            (_, Some(card)) => self.entry(card),
            // An unknown `on_invalid:` card is reported; ask again meanwhile.
            (Some(_), None) => node,
            (None, None) => match self.current_then {
                Some(card) => self.entry(card),
                None if menu && self.turn => self.end_node(false, s.call.span),
                None => node,
            },
        };
        self.graph.add_edge(node, invalid, Transition::Invalid);
    }

    /// `timeout:` leads to `on_timeout:`, or ends the run when none is given.
    fn timeout_edge(&mut self, node: NodeIndex, s: &StatementCall<'_>) {
        let on_timeout = self.card_arg(s, "on_timeout");
        match (s.named("timeout"), on_timeout) {
            (Some(_), Some(card)) => {
                let entry = self.entry(card);
                self.graph.add_edge(node, entry, Transition::Timeout);
            }
            (Some(_), None) => {
                let end = self.end_node(false, s.call.span);
                self.graph.add_edge(node, end, Transition::Timeout);
            }
            (None, Some(card)) => {
                self.bad_arguments(
                    s.call,
                    "`on_timeout:` needs `timeout:` (e.g. `timeout: 2h`)",
                );
                // Keep the edge so that the target card does not look unreachable too.
                let entry = self.entry(card);
                self.graph.add_edge(node, entry, Transition::Timeout);
            }
            (None, None) => {}
        }
    }

    /// `[CardA, CardB]`: each option labelled by its card.
    fn option_list(
        &mut self,
        function: &str,
        list: &Expr,
        targets: &mut Vec<(Transition, CardId)>,
    ) -> Vec<MenuOption> {
        let ExprKind::List(items) = &list.kind else {
            self.issues.push(Issue::BadArguments {
                function: function.to_owned(),
                span: list.span,
                message: "expected a list of cards, e.g. `[Visit, Tips]`".to_owned(),
            });
            return Vec::new();
        };
        let mut options = Vec::new();
        for item in items {
            if let Some(card) = self.card_ref(item) {
                targets.push((
                    Transition::Option {
                        index: options.len() as u32,
                    },
                    card.card,
                ));
                options.push(MenuOption {
                    card: card.card,
                    label: None,
                    span: item.span,
                });
            }
        }
        options
    }

    /// `Visit: "Book a visit", Tips: "Tips"`: named arguments that are not settings.
    fn labelled_options(
        &mut self,
        s: &StatementCall<'_>,
        targets: &mut Vec<(Transition, CardId)>,
    ) -> Vec<MenuOption> {
        let mut options = Vec::new();
        for arg in &s.call.args {
            let Some(name) = &arg.name else { continue };
            if s.builtin.named_param(&name.name).is_some() {
                continue;
            }
            self.check_expr(&arg.value);
            if let Some(card) = self.resolve_option_name(s, name) {
                targets.push((
                    Transition::Option {
                        index: options.len() as u32,
                    },
                    card,
                ));
                options.push(MenuOption {
                    card,
                    label: Some(arg.value.clone()),
                    span: arg.span,
                });
            }
        }
        options
    }

    /// A menu option's name is a card; a lower-case name close to a setting is more
    /// likely a misspelt setting (`timout:`) than a card.
    fn resolve_option_name(
        &mut self,
        s: &StatementCall<'_>,
        name: &journey_syntax::Ident,
    ) -> Option<CardId> {
        if let Some(&id) = self.card_ids.get(&name.name) {
            self.resolved(name.span, Resolved::Card(id));
            return Some(id);
        }
        let lower_case = name.name.starts_with(|c: char| c.is_ascii_lowercase());
        let settings = s.builtin.named.iter().map(|p| p.name);
        if lower_case && let Some(setting) = suggest(&name.name, settings) {
            self.issues.push(Issue::UnknownArgument {
                function: s.builtin.name.to_owned(),
                name: name.name.clone(),
                span: name.span,
                suggestion: Some(setting),
            });
            return None;
        }
        self.resolve_card_name(&name.name, name.span)
    }

    /// The `do … end` body of a menu (text, header media, footer), then its `header:`
    /// and `footer:` arguments.
    fn menu_body(&mut self, s: &StatementCall<'_>) -> Vec<Message> {
        let mut body = Vec::new();
        for stmt in s.call.block.iter().flatten() {
            match &stmt.kind {
                StmtKind::Expr(Expr {
                    kind: ExprKind::Call(inner),
                    ..
                }) if MessageKind::from_name(&inner.callee.name).is_some() => {
                    let builtin = builtins::lookup(&inner.callee.name).expect("messages are built-ins");
                    self.check_call_shape(inner, builtin);
                    let message = self.message(&StatementCall {
                        call: inner,
                        builtin,
                        var: None,
                        span: stmt.span,
                    });
                    if self.turn && s.builtin.name == "list" && message.kind.is_media_header() {
                        self.issues.push(Issue::MediaDroppedFromList {
                            kind: message.kind,
                            span: stmt.span,
                        });
                        continue;
                    }
                    body.push(message);
                }
                _ => self.issues.push(Issue::BadArguments {
                    function: s.builtin.name.to_owned(),
                    span: stmt.span,
                    message: "only `text`, a media call (`image`, `video`, `document`) and `footer` go inside a menu body".to_owned(),
                }),
            }
        }
        for (name, kind) in [
            ("header", MessageKind::Header),
            ("footer", MessageKind::Footer),
        ] {
            if let Some(arg) = s.named_arg(name) {
                body.push(Message::plain(kind, arg.value.clone(), arg.span));
            }
        }
        body
    }

    fn lower_setting(&mut self, setting: &journey_syntax::Setting, compiled: &mut CompiledJourney) {
        let call = &setting.call;
        let name = call.callee.name.as_str();
        match builtins::lookup(name) {
            Some(builtin) if builtin.kind == Kind::Setting => self.check_call_shape(call, builtin),
            Some(_) => {
                self.issues.push(Issue::UnknownFunction {
                    name: name.to_owned(),
                    span: call.callee.span,
                    suggestion: None,
                    misplaced: Some(Misplaced::StepAtJourneyLevel),
                });
                return;
            }
            None => {
                self.unknown_function(call, Kind::Setting);
                return;
            }
        }
        if let Some(guard) = &setting.guard {
            self.check_expr(guard);
        }
        match name {
            "trigger" => compiled.triggers.push(Trigger {
                call: call.clone(),
                guard: setting.guard.clone(),
                span: setting.span,
            }),
            "interrupt" => {
                let keywords = call
                    .named("keywords")
                    .map(|a| a.value.literal_texts())
                    .unwrap_or_default();
                if keywords.is_empty() {
                    self.bad_arguments(call, "an interrupt needs `keywords: [\"stop\", …]`");
                }
                let target = match call.named("then") {
                    Some(arg) => self.card_ref(&arg.value),
                    None => {
                        self.bad_arguments(call, "an interrupt needs `then: Card`");
                        None
                    }
                };
                compiled.interrupts.push(Interrupt {
                    keywords,
                    target,
                    span: setting.span,
                });
            }
            "interaction_timeout" => {
                compiled.interaction_timeout = call.positional().next().and_then(constant_seconds);
            }
            "config" => self.lower_config(call, compiled),
            "table" => self.lower_table(call, compiled),
            _ => {}
        }
    }

    /// `config(key: "value", …)`: the values `config.items.<key>` reads, as text (as a
    /// Turn dictionary holds them).
    fn lower_config(&mut self, call: &Call, compiled: &mut CompiledJourney) {
        for arg in &call.args {
            let Some(name) = &arg.name else { continue };
            match arg.value.literal_text() {
                Some(value) => {
                    compiled.config.insert(name.name.clone(), value);
                }
                None => self.bad_arguments(call, "a config value is a plain text, like \"651\""),
            }
        }
    }

    /// `table("name", columns: ["a", "b"], rows: [["1", "2"], …])`: read as `name.rows`.
    fn lower_table(&mut self, call: &Call, compiled: &mut CompiledJourney) {
        let name = call.positional().next().and_then(Expr::literal_text);
        let columns = call.named("columns").map(|a| a.value.literal_texts());
        let rows = call.named("rows").and_then(|a| match &a.value.kind {
            ExprKind::List(rows) => Some(rows.iter().map(Expr::literal_texts).collect::<Vec<_>>()),
            _ => None,
        });
        let (Some(name), Some(columns), Some(rows)) = (name, columns, rows) else {
            self.bad_arguments(
                call,
                "a table needs a name, `columns: [\"a\", …]` and `rows: [[\"1\", …], …]` of plain texts",
            );
            return;
        };
        let rows = rows
            .into_iter()
            .map(|row| columns.iter().cloned().zip(row).collect())
            .collect();
        compiled.tables.insert(name, rows);
    }

    /// Interrupt keywords work at every question: an edge from each waiting step.
    fn add_interrupt_edges(&mut self, interrupts: &[Interrupt]) {
        let waiting: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&n| {
                let kind = &self.graph[n].kind;
                kind.waits() && !matches!(kind, StepKind::Handoff { .. })
            })
            .collect();
        for (index, interrupt) in interrupts.iter().enumerate() {
            let Some(target) = &interrupt.target else {
                continue;
            };
            let entry = self.entry(target.card);
            for &node in &waiting {
                self.graph.add_edge(
                    node,
                    entry,
                    Transition::Interrupt {
                        index: index as u32,
                    },
                );
            }
        }
    }

    // ------------------------------------------------------------ resolution

    fn entry(&self, card: CardId) -> NodeIndex {
        self.cards[card.0 as usize].entry
    }

    /// Records where a name was resolved, once per span (some calls resolve twice).
    fn resolved(&mut self, span: Span, target: Resolved) {
        if self.referenced.insert(span) {
            self.references.push(NameRef { span, target });
        }
    }

    fn resolve_card_name(&mut self, name: &str, span: Span) -> Option<CardId> {
        if let Some(&id) = self.card_ids.get(name) {
            self.resolved(span, Resolved::Card(id));
            return Some(id);
        }
        let suggestion = suggest(name, self.card_ids.keys().map(String::as_str));
        self.issues.push(Issue::UnknownCard {
            name: name.to_owned(),
            span,
            suggestion,
        });
        None
    }

    /// A card named by a bare name (`Menu`) or, as Turn allows, a string (`"Menu"`).
    fn card_ref(&mut self, expr: &Expr) -> Option<CardRef> {
        let name = match &expr.kind {
            ExprKind::Name(name) => name.clone(),
            ExprKind::Str(template) => template.as_literal()?,
            _ => {
                self.issues.push(Issue::BadArguments {
                    function: "card reference".to_owned(),
                    span: expr.span,
                    message: "expected the name of a card".to_owned(),
                });
                return None;
            }
        };
        self.resolve_card_name(&name, expr.span)
            .map(|card| CardRef {
                card,
                span: expr.span,
            })
    }

    fn card_arg(&mut self, s: &StatementCall<'_>, name: &str) -> Option<CardId> {
        let expr = s.named(name)?;
        self.card_ref(expr).map(|r| r.card)
    }

    /// `schedule(X)` and `cancel_scheduled(X)`: a card of this journey, else a journey.
    fn target(&mut self, expr: &Expr) -> Option<Target> {
        if let ExprKind::Name(name) = &expr.kind {
            if let Some(&id) = self.card_ids.get(name) {
                self.resolved(expr.span, Resolved::Card(id));
                return Some(Target::Card(id));
            }
            if self.index.contains(name) {
                self.resolved(expr.span, Resolved::Journey(name.clone()));
                return Some(Target::Journey(JourneyRef {
                    name: name.clone(),
                    span: expr.span,
                    resolved: true,
                }));
            }
            self.card_ref(expr);
            return None;
        }
        self.journey_ref(expr).map(Target::Journey)
    }

    fn journey_ref(&mut self, expr: &Expr) -> Option<JourneyRef> {
        let name = match &expr.kind {
            ExprKind::Name(name) => name.clone(),
            ExprKind::Str(template) => match template.as_literal() {
                Some(text) => text,
                None => {
                    self.check_expr(expr);
                    return None;
                }
            },
            _ => {
                self.issues.push(Issue::BadArguments {
                    function: "journey reference".to_owned(),
                    span: expr.span,
                    message: "expected the name of a journey".to_owned(),
                });
                return None;
            }
        };
        let resolved = self.index.contains(&name);
        if resolved {
            self.resolved(expr.span, Resolved::Journey(name.clone()));
        } else {
            let is_uuid = looks_like_uuid(&name);
            self.issues.push(Issue::UnknownJourney {
                suggestion: if is_uuid {
                    None
                } else {
                    self.index.suggest(&name)
                },
                name: name.clone(),
                span: expr.span,
                is_uuid,
            });
        }
        Some(JourneyRef {
            name,
            span: expr.span,
            resolved,
        })
    }

    // ------------------------------------------------------------ checks

    /// Checks argument counts and names of a call against its built-in.
    fn check_call_shape(&mut self, call: &Call, builtin: &Builtin) {
        let name = builtin.name;
        let mut positional = call.args.iter().filter(|a| a.name.is_none()).count();
        for arg in &call.args {
            if let Some(arg_name) = &arg.name {
                // `if(c, do: a, else: b)` counts its branches as positional.
                if name == "if" {
                    positional += 1;
                }
                if !builtin.accepts(&arg_name.name) {
                    let known = builtin.named.iter().map(|p| p.name);
                    self.unknown_argument(name, &arg_name.name, arg_name.span, known);
                }
            }
            // A card named as an exit is not an expression.
            let exit = arg.name.as_ref().and_then(|n| builtin.named_param(&n.name));
            if exit.is_none_or(|p| p.kind != ArgKind::Card) {
                self.check_expr(&arg.value);
            }
        }
        let too_few = positional < builtin.min;
        let too_many = builtin.max.is_some_and(|max| positional > max);
        if too_few || too_many {
            self.issues.push(Issue::WrongArity {
                function: name.to_owned(),
                span: call.span,
                expected: expected_arity(builtin),
                found: positional,
            });
        }
    }

    /// Walks an expression: every call must be a known expression function.
    fn check_expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Call(call) => match builtins::lookup(&call.callee.name) {
                Some(builtin)
                    if builtin.kind == Kind::Expression || call.callee.name == "delete" =>
                {
                    self.check_call_shape(call, builtin)
                }
                Some(builtin) => self.issues.push(Issue::UnknownFunction {
                    name: call.callee.name.clone(),
                    span: call.callee.span,
                    suggestion: None,
                    misplaced: Some(if builtin.kind == Kind::Setting {
                        Misplaced::SettingInCard
                    } else {
                        Misplaced::StepInExpression
                    }),
                }),
                None if let Some(arity) = self.index.function_arity(&call.callee.name) => {
                    if call.args.len() != arity {
                        self.issues.push(Issue::WrongArity {
                            function: call.callee.name.clone(),
                            span: call.span,
                            expected: format!(
                                "{arity} argument{}",
                                if arity == 1 { "" } else { "s" }
                            ),
                            found: call.args.len(),
                        });
                    }
                    for arg in &call.args {
                        self.check_expr(&arg.value);
                    }
                }
                None => self.unknown_function(call, Kind::Expression),
            },
            _ => expr.for_each_child(|child| self.check_expr(child)),
        }
    }

    fn unknown_function(&mut self, call: &Call, kind: Kind) {
        let candidates = builtins::BUILTINS
            .iter()
            .filter(|b| b.kind == kind || (kind == Kind::Expression && b.kind == Kind::Statement))
            .map(|b| b.name)
            .chain(self.index.function_names());
        let suggestion = suggest(&call.callee.name, candidates);
        self.issues.push(Issue::UnknownFunction {
            name: call.callee.name.clone(),
            span: call.callee.span,
            suggestion,
            misplaced: None,
        });
        for arg in &call.args {
            self.check_expr(&arg.value);
        }
    }

    fn unknown_argument<'k>(
        &mut self,
        function: &str,
        name: &str,
        span: Span,
        known: impl IntoIterator<Item = &'k str>,
    ) {
        self.issues.push(Issue::UnknownArgument {
            function: function.to_owned(),
            name: name.to_owned(),
            span,
            suggestion: suggest(name, known),
        });
    }

    fn bad_arguments(&mut self, call: &Call, message: &str) {
        self.issues.push(Issue::BadArguments {
            function: call.callee.name.clone(),
            span: call.span,
            message: message.to_owned(),
        });
    }
}

/// `image(url)` (or `video`) then `text(body)` in a Turn notebook: Turn sends them as one
/// message with the text as its caption (a `.journey` file says `caption:`). Only when the image has no caption of its own and the text is plain (one
/// argument, no language variants), so nothing is lost.
pub fn captioned_media(stmts: &[Stmt]) -> Option<(&Call, &Call)> {
    let [first, second, ..] = stmts else {
        return None;
    };
    let (StmtKind::Expr(first), StmtKind::Expr(second)) = (&first.kind, &second.kind) else {
        return None;
    };
    let (ExprKind::Call(image), ExprKind::Call(text)) = (&first.kind, &second.kind) else {
        return None;
    };
    let plain = |call: &Call, n: usize| call.args.len() == n && call.positional().count() == n;
    // Turn's compiled flows caption images and videos, not audio.
    (matches!(image.callee.name.as_str(), "image" | "video")
        && text.callee.name == "text"
        && plain(image, 1)
        && plain(text, 1))
    .then_some((&**image, &**text))
}

/// The call a statement performs, when it is a statement built-in
/// (`text(...)`, `x = ask(...)`).
fn statement_call(expr: &Expr) -> Option<&Call> {
    match &expr.kind {
        ExprKind::Call(call) => builtins::lookup(&call.callee.name)
            .filter(|b| b.kind == Kind::Statement)
            .map(|_| &**call),
        _ => None,
    }
}

fn expected_arity(builtin: &Builtin) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match builtin.max {
        Some(max) if max == builtin.min => format!("{max} {}", plural(max)),
        Some(max) => format!("{} to {max} arguments", builtin.min),
        None => format!("at least {} {}", builtin.min, plural(builtin.min)),
    }
}

/// Seconds of a constant delay: `23h`, `60 * 60 * 23`, `300`.
pub fn constant_seconds(expr: &Expr) -> Option<u64> {
    match &expr.kind {
        ExprKind::Duration(seconds) => Some(*seconds),
        ExprKind::Int(n) => u64::try_from(*n).ok(),
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (constant_seconds(lhs)?, constant_seconds(rhs)?);
            match op {
                journey_syntax::BinaryOp::Mul => a.checked_mul(b),
                journey_syntax::BinaryOp::Add => a.checked_add(b),
                journey_syntax::BinaryOp::Sub => a.checked_sub(b),
                _ => None,
            }
        }
        _ => None,
    }
}

fn looks_like_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

fn nil(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Nil,
        span,
    }
}

// ------------------------------------------------------------ statement lowerings
// Named by the catalogue entries of `builtins.rs`.

/// `text`, media and `footer`.
pub(crate) fn send(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let message = l.message(s);
    l.step(StepKind::Send(Box::new(message)), s.span, dangling);
}

/// `update_contact`, `write_result`, `add_label`, `log`, `send_content`.
pub(crate) fn effect(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let arg = |i| s.positional(i).cloned().unwrap_or_else(|| nil(s.call.span));
    let effect = match s.builtin.name {
        "update_contact" => EffectStep::UpdateContact(
            s.call
                .args
                .iter()
                .filter_map(|a| Some((a.name.clone()?, a.value.clone())))
                .collect(),
        ),
        "write_result" => EffectStep::WriteResult {
            key: arg(0),
            value: arg(1),
            label: s.named("label").cloned(),
        },
        "add_label" => EffectStep::AddLabel(arg(0)),
        "log" => EffectStep::Log(arg(0)),
        "send_content" => EffectStep::SendContent(s.call.positional().cloned().collect()),
        other => unreachable!("`{other}` is not an effect"),
    };
    l.step(StepKind::Effect(Box::new(effect)), s.span, dangling);
}

/// `get`, `post`, `put`, `patch`, `delete`.
pub(crate) fn http(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let named = |name| s.named(name).cloned();
    let request = HttpCall {
        url: s.positional(0).cloned().unwrap_or_else(|| nil(s.call.span)),
        headers: named("headers"),
        query: named("query"),
        body: named("body"),
        timeout: named("timeout"),
        cache_ttl: named("cache_ttl"),
        mode: named("mode"),
        retries: named("retries"),
    };
    let kind = StepKind::Http {
        var: s.var.map(str::to_owned),
        method: s.builtin.name.to_uppercase(),
        request: Box::new(request),
    };
    // The `Next` edge is added when the next line is lowered, after this one.
    let node = l.step(kind, s.span, dangling);
    if let Some(target) = l.card_arg(s, "on_error") {
        let entry = l.entry(target);
        l.graph.add_edge(node, entry, Transition::Error);
    }
}

pub(crate) fn run_journey(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    if let Some(journey) = s.positional(0).and_then(|e| l.journey_ref(e)) {
        l.step(StepKind::RunJourney { journey }, s.span, dangling);
    }
}

/// `cancel_scheduled_stacks(Journey)` and `cancel_scheduled([target])`.
pub(crate) fn cancel(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let target = match s.builtin.params.first().map(|p| p.kind) {
        Some(ArgKind::Journey) => s
            .positional(0)
            .and_then(|e| l.journey_ref(e))
            .map(Target::Journey),
        _ => s.positional(0).and_then(|e| l.target(e)),
    };
    l.step(StepKind::Cancel { target }, s.span, dangling);
}

pub(crate) fn handoff(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let named = |name| s.named(name).cloned();
    let handoff = HandoffStep {
        queue: named("queue"),
        note: named("note"),
        template: named("template"),
        timeout: named("timeout"),
    };
    let node = l.add_node(StepKind::Handoff(Box::new(handoff)), s.span);
    l.connect(dangling, node);
    match l.card_arg(s, "on_return") {
        Some(target) => {
            let entry = l.entry(target);
            l.graph.add_edge(node, entry, Transition::Return);
        }
        None => dangling.push((node, Transition::Return)),
    }
    if let Some(target) = l.card_arg(s, "on_timeout") {
        let entry = l.entry(target);
        l.graph.add_edge(node, entry, Transition::Timeout);
    }
}

pub(crate) fn end_journey(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let node = l.end_node(true, s.span);
    l.connect(dangling, node);
}

/// `buttons` and `list`.
pub(crate) fn menu(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let call = s.call;
    let kind = match s.builtin.params.first().map(|p| p.kind) {
        Some(ArgKind::Text) => MenuKind::List,
        _ => MenuKind::Buttons,
    };
    let mut positional: Vec<&Expr> = call.positional().collect();
    let button_text = match kind {
        MenuKind::List if !positional.is_empty() => Some(positional.remove(0).clone()),
        _ => None,
    };
    let body = l.menu_body(s);
    let mut targets = Vec::new();
    let options = match positional.as_slice() {
        [dest, choices] => {
            // `check_call_shape` has checked `choices` with the other arguments.
            let dest = l.card_ref(dest);
            if let Some(dest) = dest {
                targets.push((Transition::Reply, dest.card));
            }
            MenuOptions::Dynamic {
                choices: (*choices).clone(),
            }
        }
        [list] => MenuOptions::Static(l.option_list(&call.callee.name, list, &mut targets)),
        [] => MenuOptions::Static(l.labelled_options(s, &mut targets)),
        _ => {
            l.bad_arguments(
                call,
                "expected a list of cards, `Card: \"Label\"` options, or a card and a list of choices",
            );
            MenuOptions::Static(Vec::new())
        }
    };
    if let MenuOptions::Static(options) = &options
        && options.is_empty()
        && !positional.is_empty()
    {
        l.bad_arguments(call, "this menu has no options");
    }
    let node = l.add_node(
        StepKind::Menu(Box::new(Menu {
            kind,
            var: s.var.map(str::to_owned),
            button_text,
            body,
            options,
            input: Lowerer::input_rules(s),
        })),
        s.span,
    );
    l.connect(dangling, node);
    for (transition, card) in targets {
        let entry = l.entry(card);
        l.graph.add_edge(node, entry, transition);
    }
    l.invalid_edge(node, s, true);
    l.timeout_edge(node, s);
}

pub(crate) fn ask(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let validate = s.named("validate").cloned();
    let prompt = l.message(s);
    let node = l.add_node(
        StepKind::Ask {
            var: s.var.map(str::to_owned),
            prompt: Box::new(prompt),
            input: Box::new(Lowerer::input_rules(s)),
            validate: validate.clone().map(Box::new),
            max_length: s.named("max_response_characters").cloned().map(Box::new),
        },
        s.span,
    );
    l.connect(dangling, node);
    // A question without `validate:` accepts any answer: nothing is invalid.
    if validate.is_some() || s.named("on_invalid").is_some() {
        l.invalid_edge(node, s, false);
    }
    l.timeout_edge(node, s);
    dangling.push((node, Transition::Reply));
}

pub(crate) fn template(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let (call, span) = (s.call, s.span);
    let params = match s.positional(2).map(|e| &e.kind) {
        Some(ExprKind::List(items)) => items.clone(),
        Some(_) => {
            l.bad_arguments(
                call,
                "template parameters go in a list: `[contact.name, day]`",
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut buttons = Vec::new();
    let mut targets = Vec::new();
    if let Some(list) = s.named("buttons") {
        for option in l.option_list(&call.callee.name, list, &mut targets) {
            buttons.push(option.card);
        }
    }
    let header = ["image", "video", "document", "header"]
        .into_iter()
        .find_map(|k| s.named(k).map(|e| (k.to_owned(), e.clone())));
    let node = l.add_node(
        StepKind::Template(Box::new(TemplateSend {
            name: s.positional(0).cloned().unwrap_or_else(|| nil(span)),
            language: s.positional(1).cloned().unwrap_or_else(|| nil(span)),
            params,
            header,
            buttons,
            span,
        })),
        span,
    );
    l.connect(dangling, node);
    if targets.is_empty() {
        dangling.push((node, Transition::Next));
    } else {
        for (transition, card) in targets {
            let entry = l.entry(card);
            l.graph.add_edge(node, entry, transition);
        }
        // A reply that is not one of the quick replies continues the card.
        dangling.push((node, Transition::Invalid));
    }
}

/// `schedule_stack(Journey, …)` and `schedule(target, …)`.
pub(crate) fn schedule(l: &mut Lowerer<'_>, s: &StatementCall<'_>, dangling: &mut Dangling) {
    let target = match s.builtin.params.first().map(|p| p.kind) {
        Some(ArgKind::Journey) => s
            .positional(0)
            .and_then(|e| l.journey_ref(e))
            .map(Target::Journey),
        _ => s.positional(0).and_then(|e| l.target(e)),
    };
    let (delay, at) = (s.named("in"), s.named("at"));
    if delay.is_some() == at.is_some() {
        l.bad_arguments(
            s.call,
            "give exactly one of `in:` (a delay) or `at:` (a date-time)",
        );
    }
    // Lowered even when reported, so that the target does not look unreachable.
    let when = match (delay, at) {
        (Some(delay), _) => ScheduleTime::In {
            seconds: constant_seconds(delay),
            delay: delay.clone(),
        },
        (None, Some(at)) => ScheduleTime::At(at.clone()),
        (None, None) => ScheduleTime::In {
            delay: nil(s.call.span),
            seconds: None,
        },
    };
    let Some(target) = target else { return };
    let card = match &target {
        Target::Card(card) => Some(*card),
        Target::Journey(_) => None,
    };
    let node = l.step(
        StepKind::Schedule {
            target,
            when: Box::new(when),
        },
        s.span,
        dangling,
    );
    if let Some(card) = card {
        let entry = l.entry(card);
        l.graph.add_edge(node, entry, Transition::Timer);
    }
}
