//! The rewrites from Turn's terms to journey's, on the parsed notebook. Each one that
//! changes the meaning's form, and each thing left as it was because journey cannot
//! express it, becomes a note of the report, located in the markdown.

use std::collections::BTreeMap;

use journey_diagnostics::{SourceFile, Span};
use journey_model::{MessageKind, builtins};
use journey_syntax::{
    Arg, Call, Card, Expr, ExprKind, Ident, Item, Journey, Module, Stmt, StmtKind, print,
};

use crate::data::{self, text};
use crate::map::{UuidMap, looks_like_uuid};
use crate::report::{Note, Report};
use crate::{Notebook, comments, precedence, walk};

/// The calls whose first argument is a journey, by UUID in Turn.
const JOURNEY_CALLS: [&str; 3] = ["run_stack", "schedule_stack", "cancel_scheduled_stacks"];

/// The `on:` values of triggers journey runs (docs/triggers.md).
const TRIGGER_EVENTS: [&str; 4] = [
    "FIRST VISIT",
    "MESSAGE RECEIVED",
    "BUTTON PRESSED",
    "CATCH ALL",
];

struct Converter<'a> {
    text: &'a str,
    source: SourceFile,
    map: &'a UuidMap,
    /// Config keys that are secrets → secret names.
    secrets: BTreeMap<String, String>,
    report: Report,
}

pub(crate) fn convert(
    notebook: Notebook<'_>,
    mut module: Module,
    map: &UuidMap,
    output: &str,
) -> (String, Report) {
    let mut converter = Converter {
        text: notebook.text,
        source: SourceFile::new(notebook.path, notebook.text),
        map,
        secrets: BTreeMap::new(),
        report: Report {
            notebook: notebook.path.to_owned(),
            output: output.to_owned(),
            ..Report::default()
        },
    };
    converter.data_cells(&mut module);
    converter.expressions(&mut module);
    converter.cards_and_settings(&mut module);
    let mut groups = comments::gather(
        notebook.text,
        &journey_syntax::notebook_outline(notebook.text),
    );
    groups.insert(0, header(notebook.path));
    let placed = journey_syntax::comments::place(&module, groups);
    let text = print::module_with_comments(&module, &placed);
    let mut report = converter.report;
    report.secrets = converter.secrets.into_values().collect();
    report.secrets.sort();
    report.secrets.dedup();
    (text, report)
}

fn header(path: &str) -> journey_syntax::comments::Group {
    journey_syntax::comments::Group {
        at: 0,
        lines: vec![
            format!("Imported from the Turn notebook `{path}` by `journey import turn`."),
            "What could not be converted is listed in the import report.".to_owned(),
        ],
        apart: true,
    }
}

impl Converter<'_> {
    fn note(&self, kind: &'static str, span: Span, message: String) -> Note {
        let position = self.source.line_col(span.start as usize);
        Note {
            kind,
            line: position.line,
            column: position.column,
            message,
        }
    }

    fn not_converted(&mut self, kind: &'static str, span: Span, message: String) {
        let note = self.note(kind, span, message);
        self.report.not_converted.push(note);
    }

    fn changed(&mut self, kind: &'static str, span: Span, message: String) {
        let note = self.note(kind, span, message);
        self.report.changed.push(note);
    }

    fn source_of(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// Config dictionary and tables → `config(…)`/`table(…)` settings placed where their
    /// cells were; secrets recorded.
    fn data_cells(&mut self, module: &mut Module) {
        let converted = data::convert(&module.config, &module.tables);
        module.config.clear();
        module.tables.clear();
        for (span, reason) in converted.left_out {
            self.not_converted("config", span, reason);
        }
        for (span, reason) in converted.found {
            self.changed("secret", span, reason);
        }
        self.secrets = converted.secrets;
        for journey in &mut module.journeys {
            journey
                .items
                .extend(converted.settings.iter().cloned().map(Item::Setting));
            // Stable: a data cell sorts before the code that follows it in the notebook.
            journey.items.sort_by_key(|item| item.span().start);
        }
    }

    /// Turn's precedence first (it reads the source), then names for UUIDs, secrets for
    /// secret config, and notes on what journey cannot run.
    fn expressions(&mut self, module: &mut Module) {
        walk::module(module, &mut |e| {
            let before = self.source_of(e.span).to_owned();
            if precedence::regroup(e, self.text) {
                let after = print::expr(e);
                self.changed(
                    "precedence",
                    e.span,
                    format!("`{before}` grouped as Turn reads it: `{after}`"),
                );
            }
        });
        walk::module(module, &mut |e| match &mut e.kind {
            ExprKind::Call(call) => self.call(call),
            _ => self.secret_reference(e),
        });
    }

    fn call(&mut self, call: &mut Call) {
        let name = call.callee.name.as_str();
        if JOURNEY_CALLS.contains(&name) {
            self.journey_reference(call);
        } else if name == "send_content" {
            self.not_converted(
                "turn-content",
                call.span,
                "`send_content` sends an item of Turn's content library, which journey cannot reach: \
                 write the message here (the step is skipped when the journey runs)"
                    .to_owned(),
            );
        } else if builtins::lookup(name).is_none() {
            self.not_converted(
                "unknown-function",
                call.callee.span,
                format!("`{name}` is not a journey function (J103): the step fails when it runs"),
            );
        }
    }

    /// `run_stack("<uuid>")` → `run_stack(Name)` through the map.
    fn journey_reference(&mut self, call: &mut Call) {
        let function = call.callee.name.clone();
        let Some(arg) = call.args.iter_mut().find(|a| a.name.is_none()) else {
            return;
        };
        let Some(uuid) = arg.value.literal_text().filter(|t| looks_like_uuid(t)) else {
            return;
        };
        let span = arg.value.span;
        match self.map.name(&uuid) {
            Some(name) => {
                arg.value.kind = ExprKind::Name(name.to_owned());
                self.changed(
                    "journey-uuid",
                    span,
                    format!("`{function}` of journey `{uuid}` now names `{name}`"),
                );
            }
            None => self.not_converted(
                "unknown-journey-uuid",
                span,
                format!(
                    "`{function}` names journey `{uuid}`, which the map does not know: it stays a UUID \
                     (J102) until the map says `\"{uuid}\" = \"JourneyName\"`"
                ),
            ),
        }
    }

    /// `config.items.<secret key>` → `secret("NAME")`.
    fn secret_reference(&mut self, e: &mut Expr) {
        let ExprKind::Member { object, field } = &e.kind else {
            return;
        };
        let is_config_items = matches!(&object.kind, ExprKind::Member { object: root, field: items }
            if items.name == "items" && matches!(&root.kind, ExprKind::Name(n) if n == "config"));
        let Some(secret) = self.secrets.get(&field.name).filter(|_| is_config_items) else {
            return;
        };
        let span = e.span;
        e.kind = ExprKind::Call(Box::new(Call {
            callee: Ident {
                name: "secret".to_owned(),
                span,
            },
            args: vec![Arg {
                name: None,
                value: text(secret, span),
                span,
            }],
            block: None,
            span,
        }));
    }

    fn cards_and_settings(&mut self, module: &mut Module) {
        for journey in &mut module.journeys {
            let end = end_card_name(journey);
            let mut ends = false;
            for item in &mut journey.items {
                match item {
                    Item::Card(card) => {
                        self.card(card);
                        self.captions(card);
                        self.list_media(card);
                        ends |= self.menus_end(card, &end);
                    }
                    Item::Setting(setting) if setting.call.callee.name == "trigger" => {
                        self.trigger(&setting.call);
                    }
                    Item::Setting(_) => {}
                }
            }
            if ends {
                journey
                    .items
                    .push(Item::Card(empty_card(&end, journey.span)));
            }
        }
    }

    /// Turn sends `image(url)` (or `video`) then `text(body)` as one message with the
    /// text as its caption; a `.journey` file says `caption:`.
    fn captions(&mut self, card: &mut Card) {
        let mut i = 0;
        while i + 1 < card.body.len() {
            let caption = journey_model::captioned_media(&card.body[i..])
                .and_then(|(_, text)| text.args.first().cloned());
            if let Some(caption) = caption
                && let StmtKind::Expr(Expr {
                    kind: ExprKind::Call(media),
                    ..
                }) = &mut card.body[i].kind
            {
                media.args.push(Arg {
                    name: Some(Ident {
                        name: "caption".to_owned(),
                        span: caption.span,
                    }),
                    value: caption.value,
                    span: caption.span,
                });
                let message = format!(
                    "`{}` then `text` is one message with the text as its caption, as in Turn",
                    media.callee.name
                );
                let span = media.span;
                card.body.remove(i + 1);
                self.changed("caption", span, message);
            }
            i += 1;
        }
    }

    /// Turn compiles a list without the image, video or document in its body (WhatsApp
    /// takes no media header on a list); a `.journey` list would send it and fail.
    fn list_media(&mut self, card: &mut Card) {
        for call in card.body.iter_mut().filter_map(Stmt::call_mut) {
            if call.callee.name != "list" {
                continue;
            }
            let Some(block) = &mut call.block else {
                continue;
            };
            let mut dropped = Vec::new();
            block.retain(|stmt| {
                let media = matches!(&stmt.kind, StmtKind::Expr(Expr { kind: ExprKind::Call(inner), .. })
                    if MessageKind::from_name(&inner.callee.name)
                        .is_some_and(MessageKind::is_media_header));
                if media {
                    dropped.push(stmt.span);
                }
                !media
            });
            for span in dropped {
                self.changed(
                    "list media",
                    span,
                    "Turn sends a list without its media header: this line is left out".to_owned(),
                );
            }
        }
    }

    /// A menu of a card with no `then:` ends the flow in Turn when the reply matches no
    /// option; a `.journey` menu asks again, so it gets `on_invalid:` an empty card.
    fn menus_end(&mut self, card: &mut Card, end: &str) -> bool {
        if card.option("then").is_some() {
            return false;
        }
        let mut ends = false;
        for call in card.body.iter_mut().filter_map(Stmt::call_mut) {
            if !matches!(call.callee.name.as_str(), "buttons" | "list")
                || call.named("on_invalid").is_some()
            {
                continue;
            }
            let span = Span::new(call.span.end as usize, call.span.end as usize);
            call.args.push(Arg {
                name: Some(Ident {
                    name: "on_invalid".to_owned(),
                    span,
                }),
                value: Expr {
                    kind: ExprKind::Name(end.to_owned()),
                    span,
                },
                span,
            });
            self.changed(
                "menu end",
                call.span,
                format!(
                    "a reply that matches no option ends the flow, as in Turn: `on_invalid: {end}`"
                ),
            );
            ends = true;
        }
        ends
    }

    /// Canvas metadata (`code_generator:`) goes; Turn's generated handover card hands
    /// over with `handoff(...)`.
    fn card(&mut self, card: &mut Card) {
        let generator = card.option("code_generator").and_then(Expr::literal_text);
        card.options
            .retain(|o| o.name.as_ref().is_none_or(|n| n.name != "code_generator"));
        if generator.as_deref() == Some("HANDOVER_HOLD") {
            handover(card);
            self.changed(
                "handover",
                card.header_span,
                format!(
                    "Turn's generated handover card `{}` hands the contact to agents with `handoff(...)`",
                    card.name.name
                ),
            );
        }
    }

    fn trigger(&mut self, call: &Call) {
        let Some(on) = call.named("on") else { return };
        match on.value.literal_text() {
            Some(event) if TRIGGER_EVENTS.contains(&event.as_str()) => {}
            _ => self.not_converted(
                "trigger",
                on.span,
                format!(
                    "trigger `{}` is not one journey starts on ({}): it never fires",
                    self.source_of(on.value.span),
                    TRIGGER_EVENTS.join(", ")
                ),
            ),
        }
    }
}

/// In Turn, the generated `HANDOVER_HOLD` card labels the message `add_label("Requested
/// help")`, which puts the chat in the operators' inbox and pauses the bot. Journey says
/// that with `handoff(note: …)`: the label becomes the agents' note.
fn handover(card: &mut Card) {
    let mut handed_over = false;
    for stmt in &mut card.body {
        if let StmtKind::Expr(Expr {
            kind: ExprKind::Call(call),
            ..
        }) = &mut stmt.kind
            && call.callee.name == "add_label"
        {
            call.callee.name = "handoff".to_owned();
            for arg in call.args.iter_mut().filter(|a| a.name.is_none()) {
                arg.name = Some(Ident {
                    name: "note".to_owned(),
                    span: arg.span,
                });
            }
            handed_over = true;
        }
    }
    if !handed_over {
        let span = Span::new(card.span.end as usize, card.span.end as usize);
        let call = Call {
            callee: Ident {
                name: "handoff".to_owned(),
                span,
            },
            args: Vec::new(),
            block: None,
            span,
        };
        card.body.push(Stmt {
            kind: StmtKind::Expr(Expr {
                kind: ExprKind::Call(Box::new(call)),
                span,
            }),
            span,
        });
    }
}

/// A card name the journey does not use, for the empty card that ends the flow.
fn end_card_name(journey: &Journey) -> String {
    let taken = |name: &str| journey.cards().any(|c| c.name.name == name);
    (1..)
        .map(|n| {
            if n == 1 {
                "EndOfFlow".to_owned()
            } else {
                format!("EndOfFlow{n}")
            }
        })
        .find(|name| !taken(name))
        .expect("an unused name")
}

/// `card Name do end` at the end of the journey: reaching it ends the flow.
fn empty_card(name: &str, journey: Span) -> Card {
    let span = Span::new(journey.end as usize, journey.end as usize);
    Card {
        name: Ident {
            name: name.to_owned(),
            span,
        },
        guard: None,
        options: Vec::new(),
        body: Vec::new(),
        span,
        header_span: span,
        recovered: false,
    }
}
