//! Evaluates journey expressions and `@` templates: the values of a run, Turn-compatible
//! operators, the standard library of `journey_model::builtins` and the project's sandboxed
//! rhai helpers.
//!
//! Invariants: evaluation is pure (no I/O; the clock, the time zone and the random seed come in
//! through [`Env`]), total (every failure is an [`EvalError`] with a span, never a panic) and
//! bounded (every node costs one unit of a [`Budget`]). `docs/expressions.md` is the reference;
//! its examples are tests.

mod collections;
mod data;
mod dates;
mod eval;
mod library;
mod matching;
mod numbers;
mod ops;
mod rhai;
mod template;
mod text;
mod value;

pub use eval::{Budget, Env, EvalError, Scope, condition, eval};
pub use rhai::{FunctionError, Functions};
pub use template::render;
pub use value::Value;
