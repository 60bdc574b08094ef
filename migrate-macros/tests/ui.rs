//! Compile-fail tests: each bad attribute is a compile error pointing at the offending
//! token, with the message in the neighbouring `.stderr` file. Regenerate with
//! `TRYBUILD=overwrite cargo test -p migrate-macros --test ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/unknown-attribute/*.rs");
    t.compile_fail("tests/ui/duplicate-attribute/*.rs");
    t.compile_fail("tests/ui/type-mismatch/*.rs");
    t.compile_fail("tests/ui/conflict/*.rs");
    t.compile_fail("tests/ui/index/*.rs");
    t.compile_fail("tests/ui/relation/*.rs");
    t.compile_fail("tests/ui/names/*.rs");
    t.compile_fail("tests/ui/choices/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
