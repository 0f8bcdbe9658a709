//! Tests that need something outside the repository are compiled as `#[ignore]`d, with
//! the reason, when it is missing: `cargo test` then lists them as ignored instead of
//! printing `ok` for a test that did not run (README: "What the tests need").
//!
//! - `no_postgres`: `JOURNEY_TEST_DATABASE_URL` is not set (`JOURNEY_REQUIRE_POSTGRES`,
//!   set by CI, makes that a build error instead).
//! - `no_graphviz`: no `dot` on `PATH` (`JOURNEY_REQUIRE_GRAPHVIZ` likewise).

use std::path::Path;

fn main() {
    for variable in [
        "JOURNEY_TEST_DATABASE_URL",
        "JOURNEY_REQUIRE_POSTGRES",
        "JOURNEY_REQUIRE_GRAPHVIZ",
        "PATH",
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
    }
    println!("cargo::rustc-check-cfg=cfg(no_postgres, no_graphviz)");
    missing(
        "no_postgres",
        std::env::var_os("JOURNEY_TEST_DATABASE_URL").is_some(),
        "JOURNEY_REQUIRE_POSTGRES",
        "JOURNEY_TEST_DATABASE_URL is not set",
    );
    let dot = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| Path::new(&dir).join("dot").is_file())
    });
    missing(
        "no_graphviz",
        dot,
        "JOURNEY_REQUIRE_GRAPHVIZ",
        "Graphviz's `dot` is not on PATH",
    );
}

fn missing(cfg: &str, present: bool, require: &str, reason: &str) {
    if present {
        return;
    }
    assert!(
        std::env::var_os(require).is_none(),
        "{require} is set but {reason}"
    );
    println!("cargo::rustc-cfg={cfg}");
}
