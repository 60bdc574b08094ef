//! The benchmark suite behind `cargo run --release -p migrate-bench`: generated projects
//! ([`generate`]) and whole-process measurements of the `migrate` binary built from them
//! ([`measure`]).

pub mod generate;
pub mod measure;
