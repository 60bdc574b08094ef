//! `#[derive(Model)]`: parse the struct and its attributes into a typed model, check it
//! (collecting every error with its span), then emit a static model definition registered
//! with `inventory`. Users reach it as `migrate_core::Model`.

#![warn(missing_docs)]

mod ast;
mod attr;
mod check;
mod choices;
mod ctxt;
mod encode;
mod expand;
mod migrations;
mod symbol;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Declares a database model: `#[model(…)]` on the struct, `#[field(…)]` on its fields.
///
/// Use it as `migrate_core::Model`. Every attribute, every supported field type and the
/// column it gets on SQLite, PostgreSQL and MySQL are in `migrate_core::reference`.
#[proc_macro_derive(Model, attributes(model, field))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// A fieldless enum stored in one column: as text (each variant's name in snake_case, or
/// `#[choices(rename = "…")]` on the variant), or as its discriminant with
/// `#[choices(integer)]`. A model field of this type gets a check constraint that keeps
/// the column to these values, and adding or removing a variant is a migration.
///
/// Use it as `migrate_core::Choices`; the enum also reads and writes through sqlx.
#[proc_macro_derive(Choices, attributes(choices))]
pub fn derive_choices(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    choices::derive(&input).into()
}

/// The migration files of the crate, found when it is compiled: `migrations/<app>/*.rs`
/// beside `Cargo.toml` (or the directory given, relative to it). Evaluates to a
/// `migrate_core::Migrations`. See `migrate_core::migrations!` for the whole story.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    migrations::expand(input.into()).into()
}
