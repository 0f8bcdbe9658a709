//! Project helper functions from `functions/*.rhai`, run in a sandboxed engine: no I/O, no
//! clock, no modules, no `eval`, and limits on operations, call depth and sizes.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, CallFnOptions, Dynamic, Engine, FnAccess};
use serde::{Deserialize, Serialize};

use crate::library::MAX_NESTING;
use crate::ops::finite;
use crate::value::{Value, whole};

/// A helper file that does not compile, or a function that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for FunctionError {}

/// The compiled helper functions of a project.
pub struct Functions {
    engine: Engine,
    ast: AST,
    /// Public functions by name, with their parameter counts.
    arities: BTreeMap<String, Vec<usize>>,
}

impl fmt::Debug for Functions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Functions")
            .field("arities", &self.arities)
            .finish_non_exhaustive()
    }
}

/// How long one helper call may run. Operations are not a measure of time: one
/// `contains` on a 10,000-item array is a single operation, so a loop of them stays
/// under the operation limit for minutes.
pub const TIME_LIMIT: Duration = Duration::from_millis(200);

/// What `on_progress` returns to stop a helper that ran out of time.
const OUT_OF_TIME: &str = "out of time";

thread_local! {
    /// When the helper running on this thread must stop (each call has a thread of its own).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The engine every helper runs in. The packages are the pure ones; the language-core package
/// is left out because it can `sleep`, and the time package is compiled out (`no_time`).
fn sandbox() -> Engine {
    let mut engine = Engine::new_raw();
    ArithmeticPackage::new().register_into_engine(&mut engine);
    LogicPackage::new().register_into_engine(&mut engine);
    BasicStringPackage::new().register_into_engine(&mut engine);
    MoreStringPackage::new().register_into_engine(&mut engine);
    BasicArrayPackage::new().register_into_engine(&mut engine);
    BasicMapPackage::new().register_into_engine(&mut engine);
    BasicMathPackage::new().register_into_engine(&mut engine);
    BasicIteratorPackage::new().register_into_engine(&mut engine);
    BasicFnPackage::new().register_into_engine(&mut engine);
    engine
        .set_max_operations(100_000)
        .set_max_call_levels(32)
        .set_max_string_size(64 * 1024)
        .set_max_array_size(10_000)
        .set_max_map_size(10_000)
        .set_max_expr_depths(64, 32)
        .disable_symbol("eval");
    engine.on_progress(|operations| {
        // Reading the clock every operation would cost more than most operations.
        let late = operations % 64 == 0
            && DEADLINE
                .with(Cell::get)
                .is_some_and(|at| Instant::now() >= at);
        late.then(|| Dynamic::from(OUT_OF_TIME))
    });
    engine
}

impl Functions {
    /// Compiles the helper files (name, text). Only `fn` definitions matter; `private fn` ones
    /// are helpers of helpers and cannot be called from journeys.
    pub fn load(sources: &[(String, String)]) -> Result<Functions, Vec<FunctionError>> {
        let engine = sandbox();
        let mut ast = AST::empty();
        let mut arities: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut errors = Vec::new();
        for (file, text) in sources {
            let compiled = match engine.compile(text) {
                Ok(compiled) => compiled,
                Err(e) => {
                    errors.push(FunctionError {
                        file: file.clone(),
                        line: e.position().line().unwrap_or(1),
                        message: e.err_type().to_string(),
                    });
                    continue;
                }
            };
            for function in compiled.iter_functions() {
                if function.access == FnAccess::Private {
                    continue;
                }
                let (name, arity) = (function.name, function.params.len());
                let error = if journey_model::builtins::lookup(name).is_some() {
                    Some(format!(
                        "`{name}` is a built-in function; give the helper another name"
                    ))
                } else if arities
                    .get(name)
                    .is_some_and(|known| known.contains(&arity))
                {
                    Some(format!(
                        "`{name}` with {arity} parameter(s) is defined twice"
                    ))
                } else {
                    None
                };
                match error {
                    Some(message) => errors.push(FunctionError {
                        file: file.clone(),
                        line: definition_line(text, name),
                        message,
                    }),
                    None => arities.entry(name.to_owned()).or_default().push(arity),
                }
            }
            ast = ast.merge(&compiled);
        }
        if errors.is_empty() {
            Ok(Functions {
                engine,
                ast,
                arities,
            })
        } else {
            Err(errors)
        }
    }

    /// Names and parameter counts, for the checker (`ProjectIndex::add_function`).
    pub fn arities(&self) -> Vec<(String, usize)> {
        self.arities
            .iter()
            .flat_map(|(name, counts)| counts.iter().map(move |n| (name.clone(), *n)))
            .collect()
    }

    pub(crate) fn defines(&self, name: &str) -> bool {
        self.arities.contains_key(name)
    }

    /// Runs a helper on values; its errors and exceeded limits come back as messages.
    ///
    /// rhai walks nested data recursively, and the array limit still allows 10,000 levels:
    /// more stack than a server's worker thread has. So a helper runs on a thread of its own
    /// with a large stack, and a crash inside rhai becomes an error instead of taking the
    /// process down.
    pub(crate) fn call(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        const STACK: usize = 64 << 20;
        let args: Vec<Dynamic> = args.iter().map(to_dynamic).collect();
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(STACK)
                .spawn_scoped(scope, move || self.run(name, args))
                .map_err(|e| format!("cannot run `{name}`: {e}"))?
                .join()
                .unwrap_or_else(|_| Err(format!("`{name}` crashed")))
        })
    }

    fn run(&self, name: &str, args: Vec<Dynamic>) -> Result<Value, String> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        DEADLINE.with(|deadline| deadline.set(Some(Instant::now() + TIME_LIMIT)));
        let result = self
            .engine
            .call_fn_with_options::<Dynamic>(
                options,
                &mut rhai::Scope::new(),
                &self.ast,
                name,
                args,
            )
            .map_err(|e| match *e {
                rhai::EvalAltResult::ErrorTerminated(..) => format!(
                    "`{name}` ran longer than {} ms, the time limit of a helper call",
                    TIME_LIMIT.as_millis()
                ),
                e => format!("`{name}` failed: {e}"),
            })?;
        from_dynamic(result, MAX_NESTING).map_err(|what| format!("`{name}` returned {what}"))
    }
}

/// Where `fn name` is written, for pointing at a bad definition (rhai's metadata has no
/// positions).
fn definition_line(text: &str, name: &str) -> usize {
    let wanted = format!("fn {name}");
    text.lines()
        .position(|line| {
            line.trim_start()
                .trim_start_matches("private ")
                .starts_with(&wanted)
        })
        .map_or(1, |i| i + 1)
}

/// Whole numbers become rhai integers, so `n % 2` and indexing work; date-times go as ISO text.
fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Nil => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => whole(*n).map_or(Dynamic::from_float(*n), Dynamic::from_int),
        Value::Text(s) => s.clone().into(),
        Value::List(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Value::Map(map) => Dynamic::from_map(
            map.iter()
                .map(|(k, v)| (k.as_str().into(), to_dynamic(v)))
                .collect(),
        ),
        Value::DateTime(at) => at.to_string().into(),
    }
}

/// The value a helper returned, at most `levels` lists or maps deep; the error says what
/// could not be converted.
fn from_dynamic(value: Dynamic, levels: usize) -> Result<Value, String> {
    let unusable = |type_name: &str| format!("{type_name}, which expressions cannot use");
    let type_name = value.type_name();
    if value.is_unit() {
        return Ok(Value::Nil);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(n) = value.as_int() {
        return Ok(Value::Number(n as f64));
    }
    if let Ok(n) = value.as_float() {
        return finite(n, "a helper").map_err(|_| unusable("a number that is not finite"));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Value::Text(c.to_string()));
    }
    if value.is_string() {
        return value
            .into_string()
            .map(Value::Text)
            .map_err(|_| unusable(type_name));
    }
    if (value.is_array() || value.is_map()) && levels == 0 {
        return Err(format!("lists or maps nested more than {MAX_NESTING} deep"));
    }
    if value.is_array() {
        let items = value.into_array().map_err(|_| unusable(type_name))?;
        return items
            .into_iter()
            .map(|item| from_dynamic(item, levels - 1))
            .collect::<Result<_, _>>()
            .map(Value::List);
    }
    match value.try_cast::<rhai::Map>() {
        Some(map) => map
            .into_iter()
            .map(|(k, v)| from_dynamic(v, levels - 1).map(|v| (k.to_string(), v)))
            .collect::<Result<_, _>>()
            .map(Value::Map),
        None => Err(unusable(type_name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::tests::{fixture_env, run_with};
    use crate::{Budget, Env};

    fn load(text: &str) -> Result<Functions, Vec<FunctionError>> {
        Functions::load(&[("helpers.rhai".to_owned(), text.to_owned())])
    }

    fn run(functions: &Functions, src: &str) -> Result<Value, String> {
        let base = fixture_env();
        let env = Env {
            functions: Some(functions),
            ..base
        };
        run_with(src, &env).map_err(|e| e.message)
    }

    const HELPERS: &str = r#"
        fn bmi(weight, height) { weight / (height * height) }
        fn greet(name) { `Hello, ${name}!` }
        fn evens(list) { list.filter(|n| n % 2 == 0) }
        fn profile(contact) { #{ name: contact.name.to_upper(), adult: contact.age >= 18 } }
        fn spin() { loop {} }
        fn deep(n) { deep(n + 1) }
        fn big() { let s = "x"; loop { s += s; } }
        fn nothing() { }
        fn half(x) { x / 2.0 }
        fn nest(n) { let a = []; for i in 0..n { a = [a]; } a }
        fn range() { 0..3 }
        fn wide(n) { let a = []; a.pad(n, 0); a.len() }
        fn slow() { let a = []; for i in 0..10000 { a.push(i); } let n = 0; loop { if a.contains(-1) { n += 1; } } }
        private fn hidden() { 1 }
        fn overloaded(a) { a }
        fn overloaded(a, b) { a + b }
    "#;

    #[test]
    fn calls_helpers_with_values() {
        let functions = load(HELPERS).unwrap();
        assert_eq!(run(&functions, "bmi(80, 2)"), Ok(Value::Number(20.0)));
        assert_eq!(run(&functions, "half(3)"), Ok(Value::Number(1.5)));
        assert_eq!(
            run(&functions, r#"greet(contact.name)"#),
            Ok(Value::Text("Hello, Thandi!".into()))
        );
        assert_eq!(
            run(&functions, "evens(1..6)"),
            Ok(Value::List(vec![
                Value::Number(2.0),
                Value::Number(4.0),
                Value::Number(6.0)
            ]))
        );
        let profile = run(&functions, "profile(contact)").unwrap();
        assert_eq!(profile.get("name"), Some(&Value::Text("THANDI".into())));
        assert_eq!(profile.get("adult"), Some(&Value::Bool(true)));
        assert_eq!(run(&functions, "nothing()"), Ok(Value::Nil));
        assert!(matches!(run(&functions, "nest(99)"), Ok(Value::List(_))));
        assert_eq!(run(&functions, "overloaded(1, 2)"), Ok(Value::Number(3.0)));
    }

    #[test]
    fn limits_become_errors() {
        let functions = load(HELPERS).unwrap();
        for (src, needle) in [
            ("spin()", "operations"),
            ("deep(1)", "stack overflow"),
            ("big()", "string"),
            ("hidden()", "unknown function"),
            ("bmi(1)", "failed"),
            ("greet(name: 1)", "no named argument"),
            ("nest(200)", "nested more than 100"),
            ("wide(10001)", "size of array"),
            ("range()", "cannot use"),
            ("slow()", "ran longer than 200 ms"),
        ] {
            let error = run(&functions, src).unwrap_err();
            assert!(error.to_lowercase().contains(needle), "{src}: {error}");
        }
    }

    #[test]
    fn no_clock_no_io_no_eval() {
        for script in [
            "fn probe() { timestamp() }",
            r#"fn probe() { eval("1") }"#,
            r#"fn probe() { import "x" as y; 1 }"#,
            "fn probe() { sleep(1) }",
        ] {
            let outcome = load(script).map(|f| run(&f, "probe()"));
            assert!(!matches!(outcome, Ok(Ok(_))), "{script} ran: {outcome:?}");
        }
    }

    #[test]
    fn load_errors_name_file_and_line() {
        let errors = load("fn ok() { 1 }\nfn broken( { }").unwrap_err();
        assert_eq!(errors[0].file, "helpers.rhai");
        assert_eq!(errors[0].line, 2);
        let errors = load("fn upper(x) { x }").unwrap_err();
        assert!(errors[0].message.contains("built-in"), "{:?}", errors[0]);
        let twice = Functions::load(&[
            ("a.rhai".to_owned(), "fn f(x) { x }".to_owned()),
            ("b.rhai".to_owned(), "\n\nfn f(y) { y }".to_owned()),
        ])
        .unwrap_err();
        assert_eq!((twice[0].file.as_str(), twice[0].line), ("b.rhai", 3));
    }

    #[test]
    fn shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Functions>();
        assert!(Functions::load(&[]).is_ok_and(|f| f.arities().is_empty()));
    }

    #[test]
    fn arities_for_the_checker() {
        let functions = load(HELPERS).unwrap();
        let arities = functions.arities();
        assert!(arities.contains(&("bmi".to_owned(), 2)));
        assert!(arities.contains(&("overloaded".to_owned(), 1)));
        assert!(arities.contains(&("overloaded".to_owned(), 2)));
        assert!(!arities.iter().any(|(name, _)| name == "hidden"));
    }

    #[test]
    fn budget_pays_for_the_call() {
        let functions = load(HELPERS).unwrap();
        let base = fixture_env();
        let env = Env {
            functions: Some(&functions),
            ..base
        };
        let expr =
            journey_syntax::parse_expr(journey_diagnostics::FileId(0), "bmi(80, 2)").unwrap();
        let mut budget = Budget::new(2);
        assert!(crate::eval(&expr, &env, &mut budget).is_err());
    }
}
