//! `#[derive(Model)]`: parse the struct and its attributes into a typed model, check it
//! (collecting every error with its span), then emit a static model definition registered
//! with `inventory`. Users reach it as `migrate_core::Model`.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod migrations;
mod symbol;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Declares a database model. See `migrate_core`'s documentation for the attributes.
#[proc_macro_derive(Model, attributes(model, field))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// The migration files of the crate, found when it is compiled: `migrations/<app>/*.rs`
/// beside `Cargo.toml` (or the directory given, relative to it). Evaluates to a
/// `migrate_core::Migrations`. See `migrate_core::migrations!` for the whole story.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    migrations::expand(input.into()).into()
}
