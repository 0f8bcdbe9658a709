//! Walking the expressions of compiled steps.

use journey_model::builtins::CARD_TARGET_ARGS;
use journey_model::{MenuOptions, Message, ScheduleTime, Step, StepKind, Transition};
use journey_syntax::{Call, Expr, ExprKind};

/// Calls `f` on each top-level expression a step evaluates, and on the guards of its
/// outgoing edges. Arguments that name cards are not expressions.
pub(crate) fn step_exprs<'a>(
    step: &'a Step,
    out_edges: impl Iterator<Item = &'a Transition>,
    f: &mut impl FnMut(&'a Expr),
) {
    match &step.kind {
        StepKind::Assign { value, .. } => f(value),
        StepKind::Send(message) => message_exprs(message, f),
        StepKind::Ask {
            prompt,
            input,
            validate,
            ..
        } => {
            message_exprs(prompt, f);
            [&input.timeout, &input.retries, &input.error]
                .into_iter()
                .flatten()
                .for_each(&mut *f);
            validate.iter().for_each(|v| f(v));
        }
        StepKind::Menu(menu) => {
            menu.body.iter().for_each(|m| message_exprs(m, f));
            menu.button_text.iter().for_each(&mut *f);
            match &menu.options {
                MenuOptions::Static(options) => options
                    .iter()
                    .filter_map(|o| o.label.as_ref())
                    .for_each(&mut *f),
                MenuOptions::Dynamic { choices } => f(choices),
            }
            [&menu.input.timeout, &menu.input.retries, &menu.input.error]
                .into_iter()
                .flatten()
                .for_each(&mut *f);
        }
        StepKind::Template(template) => {
            f(&template.name);
            f(&template.language);
            template.params.iter().for_each(&mut *f);
            if let Some((_, header)) = &template.header {
                f(header);
            }
        }
        StepKind::Effect(call) | StepKind::Http { call, .. } | StepKind::Handoff { call } => {
            call_args(call, f)
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
    for transition in out_edges {
        if let Transition::Guard { expr, .. } = transition {
            f(expr);
        }
    }
}

pub(crate) fn message_exprs<'a>(message: &'a Message, f: &mut impl FnMut(&'a Expr)) {
    f(&message.body);
    for (_, expr) in message.translations.iter().chain(&message.options) {
        f(expr);
    }
}

fn call_args<'a>(call: &'a Call, f: &mut impl FnMut(&'a Expr)) {
    for arg in &call.args {
        let names_card = arg
            .name
            .as_ref()
            .is_some_and(|n| CARD_TARGET_ARGS.contains(&n.name.as_str()));
        if !names_card {
            f(&arg.value);
        }
    }
}

/// Calls `f` on `expr` and every expression inside it, parents first. Arguments that
/// name cards are not expressions.
pub(crate) fn walk<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Call(call) => call_args(call, &mut |e| walk(e, f)),
        _ => expr.for_each_child(|child| walk(child, f)),
    }
}
