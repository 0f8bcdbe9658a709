//! WhatsApp's length limits on interactive and text messages (the WA4xx rules), and
//! the texts of a compiled journey they apply to. Lengths are counted in Unicode scalar
//! values (`str::chars`), on literal text; `personalisation-overflow` (WA420) handles
//! strings with `@` interpolations.

use journey_diagnostics::{Diagnostic, Span};
use journey_model::{CompiledJourney, Menu, MenuKind, MenuOptions, Message, MessageKind, StepKind};
use journey_syntax::{Expr, ExprKind, Template};

use crate::rule::{Context, Rule};

/// A place in a WhatsApp message whose text has a length limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// A reply button's title: 1–20.
    ButtonTitle,
    /// A list row's title: 1–24.
    RowTitle,
    /// The list's menu button (`list("Choose", …)`): 1–20.
    ListButton,
    /// A text message: up to 4096.
    TextBody,
    /// The text inside a `buttons`/`list` block: up to 1024.
    InteractiveBody,
    /// A media caption: up to 1024.
    Caption,
    /// The footer of an interactive message: up to 60.
    Footer,
    /// The text header of an interactive message: up to 60.
    Header,
}

impl Place {
    /// The most characters WhatsApp accepts here.
    pub(crate) fn limit(self) -> usize {
        match self {
            Place::ButtonTitle | Place::ListButton => 20,
            Place::RowTitle => 24,
            Place::TextBody => 4096,
            Place::InteractiveBody | Place::Caption => 1024,
            Place::Footer | Place::Header => 60,
        }
    }

    /// May the text be empty?
    pub(crate) fn required(self) -> bool {
        matches!(
            self,
            Place::ButtonTitle | Place::RowTitle | Place::ListButton
        )
    }

    /// Is this a short title, where a variable without a declared bound is a risk?
    pub(crate) fn is_title(self) -> bool {
        matches!(
            self,
            Place::ButtonTitle | Place::RowTitle | Place::ListButton
        )
    }

    /// What to call it in a message: "this {name} has 27 characters".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Place::ButtonTitle => "button title",
            Place::RowTitle => "list row title",
            Place::ListButton => "list button text",
            Place::TextBody => "text message",
            Place::InteractiveBody => "interactive message body",
            Place::Caption => "caption",
            Place::Footer => "footer",
            Place::Header => "header",
        }
    }

    /// How to bring a text back under the limit.
    pub(crate) fn fix(self) -> &'static str {
        match self {
            Place::ButtonTitle => "shorten the title, and move the detail into the message body",
            Place::RowTitle => "shorten the row title, and move the detail into the message body",
            Place::ListButton => "shorten the list button text (e.g. \"Choose\", \"See options\")",
            Place::TextBody => "shorten the text, or split it into several `text(...)` messages",
            Place::InteractiveBody => {
                "shorten the body, or send the long part as a `text(...)` before the menu"
            }
            Place::Caption => "shorten the caption, or send the rest as a `text(...)` after it",
            Place::Footer => "shorten the footer, and move the rest into the message body",
            Place::Header => "shorten the header, and move the rest into the message body",
        }
    }
}

/// One limited text of a journey.
pub(crate) struct Limited<'a> {
    pub place: Place,
    /// The expression that computes it; `None` when the text is a card's name.
    pub expr: Option<&'a Expr>,
    /// The text, when it is known without running the journey.
    pub literal: Option<String>,
    pub span: Span,
}

/// The string template of an expression, if it is one.
pub(crate) fn template(expr: &Expr) -> Option<&Template> {
    match &expr.kind {
        ExprKind::Str(template) => Some(template),
        _ => None,
    }
}

/// Length as WhatsApp counts it here: Unicode scalar values.
pub(crate) fn length(text: &str) -> usize {
    text.chars().count()
}

/// One option of a menu, with the title the contact sees.
pub(crate) struct Title<'a> {
    /// The inline label (`Card: "Label"`), if any.
    pub expr: Option<&'a Expr>,
    /// The title when it is known: a literal label, else the card's display label, else
    /// the card's name (`CardInfo::title`, as the interpreter shows it).
    pub literal: Option<String>,
    pub span: Span,
}

/// The option sets a menu can show, in order: one for static options; for choices
/// written out as data, one per alternative (`if(c, [...], [...])`, a list per
/// language, say); none when the choices are computed.
pub(crate) fn option_sets<'a>(journey: &CompiledJourney, menu: &'a Menu) -> Vec<Vec<Title<'a>>> {
    match &menu.options {
        MenuOptions::Static(_) => vec![menu_titles(journey, menu)],
        MenuOptions::Dynamic { choices } => written_out(choices).unwrap_or_default(),
    }
}

/// Choices written out in the journey: `["Yes", "No"]`, `[["am", "Morning"], …]` (the
/// title is the last of a pair), or `if(cond, <written out>, <written out>)`. `None`
/// when any part is computed.
pub(crate) fn written_out(choices: &Expr) -> Option<Vec<Vec<Title<'_>>>> {
    match &choices.kind {
        ExprKind::List(items) => {
            let titles = items
                .iter()
                .map(|item| {
                    let title = match &item.kind {
                        ExprKind::List(pair) => {
                            pair.iter()
                                .all(|e| e.literal_text().is_some())
                                .then_some(())?;
                            pair.last()?
                        }
                        _ => item,
                    };
                    Some(Title {
                        expr: Some(title),
                        literal: Some(title.literal_text()?),
                        span: title.span,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(vec![titles])
        }
        ExprKind::Call(call) if call.callee.name == "if" => {
            let branches: Vec<&Expr> = call.positional().skip(1).collect();
            if branches.is_empty() {
                return None;
            }
            let mut sets = Vec::new();
            for branch in branches {
                sets.extend(written_out(branch)?);
            }
            Some(sets)
        }
        _ => None,
    }
}

/// The titles of a static menu's options, in order; none for a dynamic menu.
pub(crate) fn menu_titles<'a>(journey: &CompiledJourney, menu: &'a Menu) -> Vec<Title<'a>> {
    let MenuOptions::Static(options) = &menu.options else {
        return Vec::new();
    };
    options
        .iter()
        .map(|option| match &option.label {
            Some(label) => Title {
                expr: Some(label),
                literal: label.literal_text(),
                span: label.span,
            },
            None => Title {
                expr: None,
                literal: Some(journey.card(option.card).title()),
                span: option.span,
            },
        })
        .collect()
}

/// Every limited text of the journey, in graph order.
pub(crate) fn limited_texts(journey: &CompiledJourney) -> Vec<Limited<'_>> {
    let mut out = Vec::new();
    for node in journey.graph.node_indices() {
        match &journey.graph[node].kind {
            StepKind::Send(message) => message_texts(message, Place::TextBody, &mut out),
            StepKind::Ask { prompt, .. } => message_texts(prompt, Place::TextBody, &mut out),
            StepKind::Menu(menu) => {
                for message in &menu.body {
                    match message.kind {
                        MessageKind::Text => {
                            message_texts(message, Place::InteractiveBody, &mut out)
                        }
                        MessageKind::Footer => message_texts(message, Place::Footer, &mut out),
                        MessageKind::Header => message_texts(message, Place::Header, &mut out),
                        // A media header: the URL has no limit, and a caption is not sent.
                        _ => {}
                    }
                }
                if let Some(button) = &menu.button_text {
                    out.push(Limited {
                        place: Place::ListButton,
                        expr: Some(button),
                        literal: button.literal_text(),
                        span: button.span,
                    });
                }
                let place = match menu.kind {
                    MenuKind::Buttons => Place::ButtonTitle,
                    MenuKind::List => Place::RowTitle,
                };
                for title in option_sets(journey, menu).into_iter().flatten() {
                    out.push(Limited {
                        place,
                        expr: title.expr,
                        literal: title.literal,
                        span: title.span,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The text of a message (and each translation), or its caption for media.
fn message_texts<'a>(message: &'a Message, text_place: Place, out: &mut Vec<Limited<'a>>) {
    let mut push = |place, expr: &'a Expr| {
        out.push(Limited {
            place,
            expr: Some(expr),
            literal: expr.literal_text(),
            span: expr.span,
        })
    };
    match message.kind {
        MessageKind::Text | MessageKind::Footer | MessageKind::Header => {
            push(text_place, &message.body);
            for (_, expr) in &message.translations {
                push(text_place, expr);
            }
        }
        MessageKind::Audio | MessageKind::Sticker => {}
        MessageKind::Image | MessageKind::Video | MessageKind::Document => {
            if let Some(caption) = &message.caption {
                push(Place::Caption, caption);
            }
        }
    }
}

/// Reports, as `rule`, each literal text in one of `places` that is too long (or empty
/// where a text is required).
pub(crate) fn report_lengths(
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
    rule: &Rule,
    places: &[Place],
) {
    for text in limited_texts(ctx.journey) {
        if !places.contains(&text.place) {
            continue;
        }
        let Some(literal) = &text.literal else {
            continue;
        };
        let (place, limit, n) = (text.place, text.place.limit(), length(literal));
        let diagnostic = if n == 0 && place.required() {
            rule.diagnostic(ctx, text.span, format!("this {} is empty", place.name()))
                .with_label(format!("WhatsApp rejects an empty {}", place.name()))
                .with_help(format!(
                    "write a {} of 1 to {limit} characters",
                    place.name()
                ))
        } else if n > limit {
            rule.diagnostic(
                ctx,
                text.span,
                format!(
                    "this {} has {n} characters; WhatsApp allows {limit}",
                    place.name()
                ),
            )
            .with_label(format!("{} characters too many", n - limit))
            .with_help(place.fix())
        } else {
            continue;
        };
        out.push(diagnostic);
    }
}

/// The menus (buttons and lists) of a journey, with the span of their step.
pub(crate) fn menus(journey: &CompiledJourney) -> impl Iterator<Item = (Span, &Menu)> {
    journey
        .graph
        .node_weights()
        .filter_map(|step| match &step.kind {
            StepKind::Menu(menu) => Some((step.span, &**menu)),
            _ => None,
        })
}
