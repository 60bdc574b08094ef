//! The example project: a multi-tenant commerce backend with apps `tenants`, `catalog` and
//! `customers`, declared with `#[derive(Model)]`, and its migrations.

pub mod models;

/// The migration files of `migrations/`, found when the crate is compiled.
pub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();
