use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{MenuKind, MenuOptions};
use journey_syntax::{Expr, ExprKind};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA421",
    name: "variable-option-labels",
    summary: "Menu options or their titles are computed at run time, so their limits cannot be checked.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports menus whose options come from an expression (`buttons(Chosen, topics)`, not
a list written out in the journey, or one of two written out by an `if`), and
option titles or list button texts that are expressions rather than text
(`Card: labels[0]`), unless the expression cuts the text to the limit with
`left(…, n)`. Texts with `@` interpolations are WA420's.

## Why is this bad?
WhatsApp rejects a menu with a title over 20 characters (24 for list rows), more than
3 buttons or 10 rows (error 131009). Content from a CMS or an API changes after the
journey was checked, and one long title loses the contact the whole menu.

## Example
```journey
card Topics do
  topics = ["Pregnancy and birth", "Vaccinations"]
  buttons(Chosen, topics) do
    text("Pick a topic")
  end
end
```

## How to fix
Cut titles to the limit where they are computed (`map(topics, &left(&1, 20))`, or
`map(topics, &[&1, left(&1, 20)])` for [value, title] pairs) and
keep at most 3 buttons or 10 rows, or use fixed options with a label each.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (span, menu) in limits::menus(ctx.journey) {
        let title = match menu.kind {
            MenuKind::Buttons => Place::ButtonTitle,
            MenuKind::List => Place::RowTitle,
        };
        match &menu.options {
            MenuOptions::Dynamic { choices }
                if limits::written_out(choices).is_none() && !titles_cut_to(choices, title.limit()) => out.push(
                RULE.diagnostic(ctx, choices.span, "these options are computed when the journey runs; their number and titles are not checked")
                    .with_secondary(ctx.journey.file, span, "in this menu")
                    .with_label(format!("at most {} options of {} characters each", max_options(menu.kind), title.limit()))
                    .with_help(format!("cut the titles where they are made (`left(title, {})`) and keep at most {} options", title.limit(), max_options(menu.kind))),
            ),
            MenuOptions::Dynamic { .. } => {}
            MenuOptions::Static(options) => {
                for label in options.iter().filter_map(|o| o.label.as_ref()) {
                    report_computed(ctx, label, title, out);
                }
            }
        }
        if let Some(button) = &menu.button_text {
            report_computed(ctx, button, Place::ListButton, out);
        }
    }
}

fn max_options(kind: MenuKind) -> usize {
    match kind {
        MenuKind::Buttons => 3,
        MenuKind::List => 10,
    }
}

fn report_computed(ctx: &Context<'_>, expr: &Expr, place: Place, out: &mut Vec<Diagnostic>) {
    let computed = !matches!(expr.kind, ExprKind::Str(_));
    if !computed || cut_to(expr, place.limit()) {
        return;
    }
    out.push(
        RULE.diagnostic(
            ctx,
            expr.span,
            format!(
                "this {} is computed when the journey runs; its length is not checked",
                place.name()
            ),
        )
        .with_label(format!("WhatsApp allows {} characters", place.limit()))
        .with_help(format!(
            "cut it to the limit: `left({}, {})`",
            journey_syntax::print::expr(expr),
            place.limit()
        )),
    );
}

/// `map(items, &left(&1, n))` or `map(items, &[&1, left(&1, n)])`: every title is cut
/// to fit.
fn titles_cut_to(choices: &Expr, limit: usize) -> bool {
    let ExprKind::Call(call) = &choices.kind else {
        return false;
    };
    call.callee.name == "map"
        && call.positional().nth(1).is_some_and(|f| match &f.kind {
            ExprKind::Lambda(body) => match &body.kind {
                // `&[id, left(title, n)]`: the title is the last of the pair.
                ExprKind::List(pair) => pair.last().is_some_and(|t| cut_to(t, limit)),
                _ => cut_to(body, limit),
            },
            _ => false,
        })
}

/// `left(x, n)` with a literal `n` within the limit: the text is cut to fit.
fn cut_to(expr: &Expr, limit: usize) -> bool {
    let ExprKind::Call(call) = &expr.kind else {
        return false;
    };
    call.callee.name == "left"
        && call
            .positional()
            .nth(1)
            .is_some_and(|n| matches!(n.kind, ExprKind::Int(n) if (0..=limit as i64).contains(&n)))
}
