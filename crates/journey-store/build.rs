//! The PostgreSQL tests need a database. Without `JOURNEY_TEST_DATABASE_URL` they are
//! compiled as `#[ignore]`d with the reason, so that `cargo test` lists them as ignored
//! instead of printing `ok` for a test that did not run. Setting or unsetting the
//! variable rebuilds this crate. `JOURNEY_REQUIRE_POSTGRES` (CI) makes a missing
//! database a build error instead.

fn main() {
    println!("cargo::rerun-if-env-changed=JOURNEY_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=JOURNEY_REQUIRE_POSTGRES");
    println!("cargo::rustc-check-cfg=cfg(no_postgres)");
    if std::env::var_os("JOURNEY_TEST_DATABASE_URL").is_none() {
        assert!(
            std::env::var_os("JOURNEY_REQUIRE_POSTGRES").is_none(),
            "JOURNEY_REQUIRE_POSTGRES is set but JOURNEY_TEST_DATABASE_URL is not"
        );
        println!("cargo::rustc-cfg=no_postgres");
    }
}
