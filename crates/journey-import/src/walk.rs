//! Visits every expression of a module, outermost first, with the chance to rewrite it.
//! The visitor runs before the children are walked, so the children it sees are the
//! ones it left.

use journey_syntax::{Card, Expr, ExprKind, Item, Module, Stmt, StmtKind};

pub(crate) fn module(module: &mut Module, visit: &mut impl FnMut(&mut Expr)) {
    for journey in &mut module.journeys {
        for item in &mut journey.items {
            match item {
                Item::Card(card) => self::card(card, visit),
                Item::Setting(setting) => {
                    call_args(&mut setting.call, visit);
                    if let Some(guard) = &mut setting.guard {
                        expr(guard, visit);
                    }
                }
            }
        }
    }
}

fn card(card: &mut Card, visit: &mut impl FnMut(&mut Expr)) {
    if let Some(guard) = &mut card.guard {
        expr(guard, visit);
    }
    for option in &mut card.options {
        expr(&mut option.value, visit);
    }
    stmts(&mut card.body, visit);
}

fn stmts(stmts: &mut [Stmt], visit: &mut impl FnMut(&mut Expr)) {
    for stmt in stmts {
        match &mut stmt.kind {
            StmtKind::Assign { value, .. } | StmtKind::Expr(value) => expr(value, visit),
            StmtKind::Then { guard, .. } => {
                if let Some(guard) = guard {
                    expr(guard, visit);
                }
            }
        }
    }
}

fn call_args(call: &mut journey_syntax::Call, visit: &mut impl FnMut(&mut Expr)) {
    for arg in &mut call.args {
        expr(&mut arg.value, visit);
    }
    if let Some(block) = &mut call.block {
        stmts(block, visit);
    }
}

pub(crate) fn expr(e: &mut Expr, visit: &mut impl FnMut(&mut Expr)) {
    visit(e);
    match &mut e.kind {
        // A call's `do … end` block holds expressions too.
        ExprKind::Call(call) => call_args(call, visit),
        _ => e.for_each_child_mut(|child| expr(child, visit)),
    }
}
