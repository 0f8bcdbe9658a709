use journey_diagnostics::{Diagnostic, Severity};
use journey_model::CompiledJourney;
use journey_syntax::{Expr, ExprKind, TemplatePart};

use crate::limits::{self, Limited};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA420",
    name: "personalisation-overflow",
    summary: "A personalised text can grow past WhatsApp's limit once its variables are filled in.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
For every text with a length limit (button and row titles, the list button, bodies,
captions, footers) that contains `@` interpolations, adds up the worst case: the literal
characters plus the longest value of each `@contact.<field>`, as `journey.toml` declares
it (`[fields.NAME] max_length = 30`, a choice field's longest choice, a date's 10
characters…). It reports a text whose worst case is over the limit. In a button or row
title, it also reports a variable with no declared maximum (a run variable, a field
without `max_length`): a title is short, and any value can overflow it. Characters are
counted as Unicode scalar values. In a project that declares no contact fields at all
(no `[fields]` in journey.toml, as for an imported Turn notebook), every such title is
unbounded for the same reason, so the rule says it once for the project, on the first
title, with their number; `journey check --show-all` (or `[check] show_all = true`)
lists each.

## Why is this bad?
WhatsApp rejects the message for the contacts whose values are long, and only for them:
the journey works in testing and fails for some people in production.

## Example
```journey
card Greeting do
  buttons(Visit: "Book for @contact.name", Tips: "Tips") do
    text("Hi! What would you like?")
  end
end
```
…where `name` can be 60 characters long, and a button title 20.

## How to fix
Move the variable into the message body (`text("Hi @contact.name!")`), shorten the
literal text, or declare a smaller `max_length` for the field in `journey.toml` when
its values really are shorter.
"#,
    check: Some(check),
};

/// The longest a value written into a text can be, when the project says.
enum Bound {
    Known(usize),
    /// The name of what has no declared maximum.
    Unknown(String),
}

fn bound(ctx: &Context<'_>, expr: &Expr) -> Bound {
    if let ExprKind::Member { object, field } = &expr.kind
        && matches!(&object.kind, ExprKind::Name(root) if root == "contact")
    {
        let name = &field.name;
        return match ctx.config.field(name).and_then(|spec| spec.max_chars()) {
            Some(n) => Bound::Known(n),
            None => Bound::Unknown(format!("contact.{name}")),
        };
    }
    Bound::Unknown(journey_syntax::print::expr(expr))
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut unbounded = Vec::new();
    for text in limits::limited_texts(ctx.journey) {
        if let Some(finding) = check_text(ctx, &text) {
            match finding {
                Finding::Over(diagnostic) => out.push(*diagnostic),
                Finding::Unbounded(diagnostic) => unbounded.push(*diagnostic),
            }
        }
    }
    // Without a field schema every personalised title is unbounded, and saying so per
    // title drowns the rest: one finding per project, on its first such title, unless
    // `--show-all` (`[check] show_all`) asks for each.
    if ctx.config.check.show_all || !ctx.config.fields.is_empty() {
        out.extend(unbounded);
        return;
    }
    let Some(first) = unbounded.first() else {
        return;
    };
    let earlier = &ctx.project[..ctx.journey_index()];
    if earlier.iter().any(|j| unbounded_titles(ctx, j) > 0) {
        return;
    }
    let total: usize = ctx.project.iter().map(|j| unbounded_titles(ctx, j)).sum();
    let span = first.primary.span;
    out.push(
        RULE.diagnostic(
            ctx,
            span,
            format!(
                "{total} personalised button or list {} of this project {} values with no declared maximum length",
                if total == 1 { "title" } else { "titles" },
                if total == 1 { "reads" } else { "read" }
            ),
        )
        .with_label("the first of them")
        .with_help(
            "declare the contact fields with `max_length` under `[fields.NAME]` in journey.toml; `journey check --show-all` lists each title",
        ),
    );
}

/// How many titles of `journey` read a value with no known bound.
fn unbounded_titles(ctx: &Context<'_>, journey: &CompiledJourney) -> usize {
    limits::limited_texts(journey)
        .iter()
        .filter(|text| matches!(check_text(ctx, text), Some(Finding::Unbounded(_))))
        .count()
}

enum Finding {
    /// The worst case is over the limit.
    Over(Box<Diagnostic>),
    /// A title reads a value with no known bound.
    Unbounded(Box<Diagnostic>),
}

fn check_text(ctx: &Context<'_>, text: &Limited<'_>) -> Option<Finding> {
    let template = text.expr.and_then(limits::template)?;
    let mut literal = 0;
    let mut variables = 0;
    let mut unknown = Vec::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text { value, .. } => literal += limits::length(value),
            TemplatePart::Interp(expr) => match bound(ctx, expr) {
                Bound::Known(n) => variables += n,
                Bound::Unknown(what) => unknown.push(what),
            },
        }
    }
    let has_interpolation = template
        .parts
        .iter()
        .any(|p| matches!(p, TemplatePart::Interp(_)));
    if !has_interpolation {
        return None;
    }
    let (place, limit) = (text.place, text.place.limit());
    let worst = literal + variables;
    if worst > limit {
        Some(Finding::Over(Box::new(
            RULE.diagnostic(
                ctx,
                text.span,
                format!(
                    "this {} can reach {worst} characters once personalised; WhatsApp allows {limit}",
                    place.name()
                ),
            )
            .with_label(format!(
                "{literal} literal characters and up to {variables} from variables"
            ))
            .with_help(
                "move the variable into the message body, shorten the text around it, or declare a smaller `max_length` for the field in journey.toml",
            ),
        )))
    } else if place.is_title()
        && let Some(what) = unknown.first()
    {
        Some(Finding::Unbounded(Box::new(
            RULE.diagnostic(
                ctx,
                text.span,
                format!(
                    "`{what}` has no declared maximum length, and this {} allows {limit} characters",
                    place.name()
                ),
            )
            .with_label(format!(
                "{literal} literal characters leave {} for the variables",
                limit.saturating_sub(literal + variables)
            ))
            .with_help(if what.starts_with("contact.") {
                format!(
                    "move the variable into the message body, or declare `max_length` under `[fields.{}]` in journey.toml",
                    what.trim_start_matches("contact.")
                )
            } else {
                "move the variable into the message body, or store it in a contact field with a declared `max_length`".to_owned()
            }),
        )))
    } else {
        None
    }
}
