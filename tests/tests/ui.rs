//! Compile-time behaviour of `#[derive(Session)]`: every accepted form compiles (and its
//! `main` runs), every rejected one fails with the blessed diagnostic in `ui/fail/*.stderr`.
//! `ui/support/` holds what several cases `include!`.
//!
//! Bless after a deliberate change with `TRYBUILD=overwrite cargo test -p sessions-tests
//! --test ui`, then review every changed `.stderr` as carefully as code.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
