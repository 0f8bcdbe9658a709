//! Pictures of the state machine: Graphviz DOT and Mermaid.
//!
//! Both formats draw the same `Picture`: one cluster per card holding that card's
//! steps, a `start` marker on the entry card, and short human labels on nodes and
//! edges. Only the syntax and the escaping differ between the two.

use journey_diagnostics::Span;
use journey_syntax::{Call, Expr, ExprKind, Template, TemplatePart, print};
use petgraph::stable_graph::NodeIndex;

use crate::graph::*;
use crate::lower::constant_seconds;

/// Characters of source text kept in a label before it is cut with `…`.
const WIDTH: usize = 30;

/// How much of a journey a picture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// Every step, each card a box around its steps.
    #[default]
    Steps,
    /// One node per card and the ways between cards: an overview that stays readable
    /// for large journeys.
    Cards,
}

/// The journey as Graphviz DOT (`dot -Tsvg`).
pub fn dot(journey: &CompiledJourney) -> String {
    dot_all(std::slice::from_ref(journey), Detail::Steps)
}

/// Journeys as one Graphviz DOT picture; with several, each is drawn in a box named
/// after it (`journey graph DIR`).
pub fn dot_all(journeys: &[CompiledJourney], detail: Detail) -> String {
    dot_pictures(journeys, false, detail)
}

/// DOT without clusters, each card's entry a node named after the card: for layout
/// engines that draw no clusters (the SVG of `journey graph --format svg`).
pub fn dot_flat(journeys: &[CompiledJourney], detail: Detail) -> String {
    dot_pictures(journeys, true, detail)
}

fn dot_pictures(journeys: &[CompiledJourney], flat: bool, detail: Detail) -> String {
    let name = match journeys {
        [journey] => journey.name.as_str(),
        _ => "journeys",
    };
    let mut lines = vec![
        format!("digraph {} {{", dot_quote(name)),
        "  node [shape=box, fontname=\"Helvetica\", fontsize=10];".to_owned(),
        "  edge [fontname=\"Helvetica\", fontsize=9];".to_owned(),
    ];
    for (index, journey) in journeys.iter().enumerate() {
        if journeys.len() == 1 || flat {
            let prefix = if journeys.len() == 1 {
                String::new()
            } else {
                format!("j{index}_")
            };
            dot_journey(journey, &prefix, "  ", flat, detail, &mut lines);
            continue;
        }
        lines.push(format!("  subgraph cluster_j{index} {{"));
        lines.push(format!(
            "    label={}; style=bold; fontname=\"Helvetica-Bold\";",
            dot_quote(&journey.name)
        ));
        dot_journey(
            journey,
            &format!("j{index}_"),
            "    ",
            flat,
            detail,
            &mut lines,
        );
        lines.push("  }".to_owned());
    }
    lines.push("}\n".to_owned());
    lines.join("\n")
}

/// One journey's statements, its names prefixed so that several can share a picture.
fn dot_journey(
    journey: &CompiledJourney,
    prefix: &str,
    indent: &str,
    flat: bool,
    detail: Detail,
    lines: &mut Vec<String>,
) {
    let picture = Picture::of(journey, detail);
    // A card overview has one node per card: no box around it.
    let flat = flat || detail == Detail::Cards;
    if picture.entry.is_some() {
        let label = if flat && !prefix.is_empty() {
            dot_quote(&journey.name)
        } else {
            "\"start\"".to_owned()
        };
        lines.push(format!(
            "{indent}{prefix}start [shape=circle, label={label}, style=bold];"
        ));
    }
    for cluster in picture.clusters.iter().filter(|_| flat) {
        for node in &cluster.nodes {
            let attrs = match node.shape {
                Shape::Entry => format!(
                    "label={}, shape=ellipse, style=bold",
                    dot_quote(&cluster.name)
                ),
                _ => format!("label={}", dot_quote(&node.label)),
            };
            lines.push(format!("{indent}{prefix}n{} [{attrs}];", node.id));
        }
    }
    for cluster in picture.clusters.iter().filter(|_| !flat) {
        lines.push(format!(
            "{indent}subgraph cluster_{prefix}{} {{",
            cluster.index
        ));
        lines.push(format!(
            "{indent}  label={}; style=rounded; color=grey; fontname=\"Helvetica\";",
            dot_quote(&cluster.name)
        ));
        for node in &cluster.nodes {
            let attrs = match node.shape {
                // The cluster already carries the card's name.
                Shape::Entry => "shape=point, width=0.15".to_owned(),
                Shape::Action => format!("label={}", dot_quote(&node.label)),
                Shape::Wait => format!("label={}, style=\"rounded,bold\"", dot_quote(&node.label)),
                Shape::Branch => format!("label={}, shape=diamond", dot_quote(&node.label)),
                Shape::End => format!("label={}, shape=oval", dot_quote(&node.label)),
            };
            lines.push(format!("{indent}  {prefix}n{} [{attrs}];", node.id));
        }
        lines.push(format!("{indent}}}"));
    }
    if let Some(entry) = picture.entry {
        lines.push(format!(
            "{indent}{prefix}start -> {prefix}n{};",
            entry.index()
        ));
    }
    for edge in &picture.edges {
        let mut attrs = Vec::new();
        if let Some(label) = &edge.label {
            attrs.push(format!("label={}", dot_quote(label)));
        }
        if edge.dashed {
            attrs.push("style=dashed, color=grey40, fontcolor=grey40".to_owned());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        lines.push(format!(
            "{indent}{prefix}n{} -> {prefix}n{}{attrs};",
            edge.from, edge.to
        ));
    }
}

/// The journey as a Mermaid `flowchart TD`.
pub fn mermaid(journey: &CompiledJourney) -> String {
    mermaid_all(std::slice::from_ref(journey), Detail::Steps)
}

/// Journeys as one Mermaid flowchart; with several, each in a subgraph of its own.
pub fn mermaid_all(journeys: &[CompiledJourney], detail: Detail) -> String {
    let mut lines = vec!["flowchart TD".to_owned()];
    for (index, journey) in journeys.iter().enumerate() {
        if journeys.len() == 1 {
            mermaid_journey(journey, "", "  ", detail, &mut lines);
            continue;
        }
        lines.push(format!(
            "  subgraph journey_{index} [{}]",
            mermaid_quote(&journey.name)
        ));
        mermaid_journey(journey, &format!("j{index}_"), "    ", detail, &mut lines);
        lines.push("  end".to_owned());
    }
    lines.push(String::new());
    lines.join("\n")
}

fn mermaid_journey(
    journey: &CompiledJourney,
    prefix: &str,
    indent: &str,
    detail: Detail,
    lines: &mut Vec<String>,
) {
    let picture = Picture::of(journey, detail);
    if picture.entry.is_some() {
        lines.push(format!("{indent}{prefix}start((\"start\"))"));
    }
    for cluster in picture.clusters.iter().filter(|_| detail == Detail::Cards) {
        for node in &cluster.nodes {
            let name = mermaid_quote(&cluster.name);
            lines.push(format!("{indent}{prefix}n{}([{name}])", node.id));
        }
    }
    for cluster in picture.clusters.iter().filter(|_| detail == Detail::Steps) {
        lines.push(format!(
            "{indent}subgraph {prefix}card_{} [{}]",
            cluster.index,
            mermaid_quote(&cluster.name)
        ));
        for node in &cluster.nodes {
            let text = mermaid_quote(&node.label);
            let shape = match node.shape {
                Shape::Entry => "((\" \"))".to_owned(),
                Shape::Action => format!("[{text}]"),
                Shape::Wait => format!("({text})"),
                Shape::Branch => format!("{{{text}}}"),
                Shape::End => format!("([{text}])"),
            };
            lines.push(format!("{indent}  {prefix}n{}{shape}", node.id));
        }
        lines.push(format!("{indent}end"));
    }
    if let Some(entry) = picture.entry {
        lines.push(format!(
            "{indent}{prefix}start --> {prefix}n{}",
            entry.index()
        ));
    }
    for edge in &picture.edges {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        let label = match &edge.label {
            Some(label) => format!("|{}|", mermaid_quote(label)),
            None => String::new(),
        };
        lines.push(format!(
            "{indent}{prefix}n{} {arrow}{label} {prefix}n{}",
            edge.from, edge.to
        ));
    }
}

/// What both renderers draw.
struct Picture {
    entry: Option<NodeIndex>,
    clusters: Vec<Cluster>,
    edges: Vec<Line>,
    /// Each node's card, as the id of the card's entry node.
    card_of: std::collections::HashMap<usize, usize>,
}

struct Cluster {
    index: usize,
    name: String,
    nodes: Vec<Node>,
}

struct Node {
    id: usize,
    shape: Shape,
    label: String,
}

enum Shape {
    /// A card's entry: a bare marker inside the card's cluster.
    Entry,
    Action,
    /// The run stops until the contact (or an agent) answers.
    Wait,
    Branch,
    End,
}

struct Line {
    from: usize,
    to: usize,
    label: Option<String>,
    /// Taken from outside the card's flow: interrupts and timers.
    dashed: bool,
}

impl Picture {
    fn of(journey: &CompiledJourney, detail: Detail) -> Picture {
        let steps = Picture::steps(journey);
        match detail {
            Detail::Steps => steps,
            Detail::Cards => steps.by_card(),
        }
    }

    /// Each card as its entry alone, and the edges that lead from one card to another
    /// (once per label).
    fn by_card(self) -> Picture {
        let mut card_of = std::collections::HashMap::new();
        let mut clusters = Vec::new();
        for cluster in self.clusters {
            let Some(entry) = cluster
                .nodes
                .iter()
                .position(|n| matches!(n.shape, Shape::Entry))
            else {
                continue;
            };
            let entry = cluster.nodes.into_iter().nth(entry).expect("found above");
            clusters.push(Cluster {
                index: cluster.index,
                name: cluster.name,
                nodes: Vec::new(),
            });
            let at = clusters.len() - 1;
            card_of.insert(entry.id, (at, entry.id));
            clusters[at].nodes.push(entry);
        }
        let mut edges: Vec<Line> = Vec::new();
        for edge in self.edges {
            let (Some(&(from_card, _)), Some(&(to_card, to))) = (
                self.card_of.get(&edge.from).and_then(|c| card_of.get(c)),
                self.card_of.get(&edge.to).and_then(|c| card_of.get(c)),
            ) else {
                continue;
            };
            if from_card == to_card && to != edge.to {
                continue;
            }
            let from = clusters[from_card].nodes[0].id;
            let duplicate = edges
                .iter()
                .any(|e| e.from == from && e.to == to && e.label == edge.label);
            if !duplicate {
                edges.push(Line { from, to, ..edge });
            }
        }
        Picture {
            entry: self.entry,
            clusters,
            edges,
            card_of: self.card_of,
        }
    }

    fn steps(journey: &CompiledJourney) -> Picture {
        let mut clusters: Vec<Cluster> = journey
            .cards
            .iter()
            .enumerate()
            .map(|(index, card)| Cluster {
                index,
                name: card.name.clone(),
                nodes: Vec::new(),
            })
            .collect();
        let mut edges = Vec::new();
        for node in journey.graph.node_indices() {
            let step = &journey.graph[node];
            clusters[step.card.0 as usize].nodes.push(Node {
                id: node.index(),
                shape: shape(&step.kind),
                label: node_label(journey, &step.kind),
            });
            let outgoing = journey.edges_from(node);
            // `else` only reads well next to a `when`; alone it is just the way on.
            let guarded = outgoing
                .iter()
                .any(|(_, t, _)| matches!(t, Transition::Guard { .. }));
            for (_, transition, target) in outgoing {
                edges.push(Line {
                    from: node.index(),
                    to: target.index(),
                    label: edge_label(journey, &step.kind, transition, guarded),
                    dashed: matches!(transition, Transition::Interrupt { .. } | Transition::Timer),
                });
            }
        }
        let card_of = journey
            .graph
            .node_indices()
            .map(|node| {
                let card = journey.graph[node].card;
                (node.index(), journey.card(card).entry.index())
            })
            .collect();
        Picture {
            entry: journey.entry,
            clusters,
            edges,
            card_of,
        }
    }
}

fn shape(kind: &StepKind) -> Shape {
    match kind {
        StepKind::CardEntry => Shape::Entry,
        StepKind::Branch => Shape::Branch,
        StepKind::End { .. } => Shape::End,
        kind if kind.waits() => Shape::Wait,
        _ => Shape::Action,
    }
}

fn node_label(journey: &CompiledJourney, kind: &StepKind) -> String {
    match kind {
        StepKind::CardEntry => String::new(),
        StepKind::Assign { var, value } => format!("{var} = {}", short(value)),
        StepKind::Send(message) => {
            format!("{} {}", message.kind.name(), short(&message.body))
        }
        StepKind::Ask { var, prompt, .. } => {
            with_var(format!("ask {}", short(&prompt.body)), var.as_deref())
        }
        StepKind::Menu(menu) => {
            let mut label = kind.name().to_owned();
            let text = menu
                .body
                .iter()
                .find(|m| m.kind == MessageKind::Text)
                .map(|m| &m.body)
                .or(menu.button_text.as_ref());
            if let Some(text) = text {
                label = format!("{label} {}", short(text));
            }
            label = match &menu.options {
                MenuOptions::Static(options) => {
                    format!("{label} ({})", count(options.len(), "option"))
                }
                MenuOptions::Dynamic { choices } => format!("{label} (from {})", short(choices)),
            };
            with_var(label, menu.var.as_deref())
        }
        StepKind::Template(template) => match template.buttons.len() {
            0 => format!("template {}", bare(&template.name)),
            n => format!("template {} ({})", bare(&template.name), count(n, "button")),
        },
        StepKind::Effect(effect) => effect_text(effect),
        StepKind::Http {
            var,
            method,
            request,
        } => {
            let url = bare(&request.url);
            with_var(format!("http {method} {url}"), var.as_deref())
        }
        StepKind::Schedule { target, when } => {
            format!(
                "schedule {} {}",
                target_name(journey, target),
                schedule_time(when)
            )
        }
        StepKind::Cancel {
            target: Some(target),
        } => format!("cancel {}", target_name(journey, target)),
        StepKind::Cancel { target: None } => "cancel scheduled".to_owned(),
        StepKind::RunJourney { journey } => format!("run {}", journey.name),
        StepKind::Handoff(handoff) => match &handoff.queue {
            Some(queue) => format!("handoff {}", bare(queue)),
            None => "handoff".to_owned(),
        },
        StepKind::Branch => "branch".to_owned(),
        StepKind::End { .. } => "end".to_owned(),
    }
}

fn edge_label(
    journey: &CompiledJourney,
    from: &StepKind,
    transition: &Transition,
    guarded: bool,
) -> Option<String> {
    let label = match transition {
        Transition::Next => return None,
        Transition::Default if !guarded => return None,
        Transition::Default => "else".to_owned(),
        Transition::Guard { expr, .. } => format!("when {}", short(expr)),
        Transition::Option { index } => option_label(journey, from, *index as usize),
        Transition::Reply => "reply".to_owned(),
        Transition::Invalid => "invalid".to_owned(),
        Transition::Timeout => match timeout(from).and_then(constant_seconds) {
            Some(seconds) => format!("timeout {}", duration(seconds)),
            None => "timeout".to_owned(),
        },
        Transition::Error => "error".to_owned(),
        Transition::Return => "returned".to_owned(),
        Transition::Interrupt { index } => match journey.interrupts.get(*index as usize) {
            Some(interrupt) => format!("interrupt: {}", clip(&interrupt.keywords.join(", "))),
            None => "interrupt".to_owned(),
        },
        Transition::Timer => match from {
            StepKind::Schedule { when, .. } => format!("timer {}", schedule_time(when)),
            _ => "timer".to_owned(),
        },
    };
    Some(label)
}

/// The text of the `index`-th choice of a menu or of a template's quick replies.
fn option_label(journey: &CompiledJourney, from: &StepKind, index: usize) -> String {
    let card = match from {
        StepKind::Menu(menu) => match &menu.options {
            MenuOptions::Static(options) => match options.get(index) {
                Some(MenuOption {
                    label: Some(label), ..
                }) => return bare(label),
                Some(option) => Some(option.card),
                None => None,
            },
            MenuOptions::Dynamic { .. } => None,
        },
        StepKind::Template(template) => template.buttons.get(index).copied(),
        _ => None,
    };
    match card {
        Some(card) => card_label(journey.card(card)),
        None => format!("option {}", index + 1),
    }
}

/// A card as a menu shows it: its display label, else its name.
fn card_label(card: &CardInfo) -> String {
    match card.label() {
        Some(label) => bare(label),
        None => card.name.clone(),
    }
}

fn timeout(kind: &StepKind) -> Option<&Expr> {
    match kind {
        StepKind::Ask { input, .. } => input.timeout.as_ref(),
        StepKind::Menu(menu) => menu.input.timeout.as_ref(),
        StepKind::Handoff(handoff) => handoff.timeout.as_ref(),
        _ => None,
    }
}

fn schedule_time(when: &ScheduleTime) -> String {
    match when {
        ScheduleTime::In {
            seconds: Some(seconds),
            ..
        } => format!("in {}", duration(*seconds)),
        ScheduleTime::In {
            delay,
            seconds: None,
        } => format!("in {}", short(delay)),
        ScheduleTime::At(at) => format!("at {}", short(at)),
    }
}

fn target_name<'a>(journey: &'a CompiledJourney, target: &'a Target) -> &'a str {
    match target {
        Target::Card(card) => &journey.card(*card).name,
        Target::Journey(other) => &other.name,
    }
}

fn with_var(label: String, var: Option<&str>) -> String {
    match var {
        Some(var) => format!("{label} → {var}"),
        None => label,
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `2h`, `90m`: a delay in seconds as the source would write it.
fn duration(seconds: u64) -> String {
    print::expr(&Expr {
        kind: ExprKind::Duration(seconds),
        span: Span::default(),
    })
}

/// An expression for a label, strings in quotes: `"Which day suits…"`.
fn short(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Str(_) => format!("\"{}\"", bare(expr)),
        _ => bare(expr),
    }
}

/// An expression for a label, a string as its bare text (option labels, URLs, names).
fn bare(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Str(template) => clip(&template_text(template)),
        _ => clip(&print::expr(expr)),
    }
}

/// One line of at most [`WIDTH`] characters.
fn clip(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= WIDTH {
        return words;
    }
    let kept: String = words.chars().take(WIDTH - 1).collect();
    format!("{}…", kept.trim_end())
}

/// `update_contact(visit_day: "@day")`: a statement call with its arguments, which
/// are what is clipped so that the closing parenthesis stays.
fn call_text(call: &Call) -> String {
    let args = call.args.iter().map(|arg| match &arg.name {
        Some(name) => format!("{}: {}", name.name, print::expr(&arg.value)),
        None => print::expr(&arg.value),
    });
    call_like(&call.callee.name, args)
}

/// An effect as the call it was written as: `log("Hi")`.
fn effect_text(effect: &EffectStep) -> String {
    let named = |name: &str, e: &Expr| format!("{name}: {}", print::expr(e));
    let args: Vec<String> = match effect {
        EffectStep::Evaluate(Expr {
            kind: ExprKind::Call(call),
            ..
        }) => return call_text(call),
        EffectStep::Evaluate(expr) => return print::expr(expr),
        EffectStep::UpdateContact(fields) => {
            fields.iter().map(|(n, e)| named(&n.name, e)).collect()
        }
        EffectStep::WriteResult { key, value, label } => [print::expr(key), print::expr(value)]
            .into_iter()
            .chain(label.iter().map(|l| named("label", l)))
            .collect(),
        EffectStep::AddLabel(e) | EffectStep::Log(e) => vec![print::expr(e)],
        EffectStep::SendContent(args) => args.iter().map(print::expr).collect(),
    };
    call_like(effect.name(), args)
}

fn call_like(name: &str, args: impl IntoIterator<Item = String>) -> String {
    let args: Vec<String> = args.into_iter().collect();
    format!("{name}({})", clip(&args.join(", ")))
}

/// A string's text as the contact would read it, interpolations kept as written
/// (`@contact.name`, `@(n + 1)`), so that a label can clip it inside its quotes.
fn template_text(template: &Template) -> String {
    let mut text = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text { value, .. } => text.push_str(value),
            TemplatePart::Interp(expr) => match &expr.kind {
                ExprKind::Name(_)
                | ExprKind::Member { .. }
                | ExprKind::Index { .. }
                | ExprKind::Call(_) => {
                    text.push('@');
                    text.push_str(&print::expr(expr));
                }
                _ => {
                    text.push_str("@(");
                    text.push_str(&print::expr(expr));
                    text.push(')');
                }
            },
        }
    }
    text
}

/// A DOT string. Labels here are plain (not record or HTML) labels, where `<>|{}#`
/// are literal; a backslash would start an escape such as `\N`, so it is doubled.
fn dot_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Mermaid `"…"` string: characters its parser or HTML labels would read as syntax
/// become `#…;` entity codes.
fn mermaid_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
