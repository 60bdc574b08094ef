//! Everything that is not syntax or argv: the schema state built from `#[derive(Model)]`
//! structs, the operations, the autodetector, the migration graph, each backend's SQL and
//! the executor that applies migrations.
//!
//! A user depends on this crate only: the derive is re-exported as [`Model`](macro@Model).
//! [`reference`](mod@reference) describes every attribute and supported type, with the column each gets
//! on SQLite, PostgreSQL and MySQL.

#![warn(missing_docs)]

// Lets the derive's generated `::migrate_core::…` paths resolve inside this crate's own tests.
extern crate self as migrate_core;

pub mod autodetector;
pub mod checksum;
pub mod drift;
pub mod error;
pub mod executor;
pub mod fields;
pub mod graph;
pub mod inspectdb;
pub mod lint;
pub mod loader;
pub mod merge;
pub mod migration;

/// Everything a migration file uses, in one import: `use migrate_core::prelude::*;`.
pub mod prelude {
    pub use crate::executor::{Batches, KeyRange, KeyRanges, RunContext};
    pub use crate::fields::ColumnType::*;
    pub use crate::fields::OnDelete::*;
    pub use crate::fields::{
        foreign_key, many_to_many, many_to_many_through, one_to_one, ColumnType, FieldType,
        OnDelete, Value,
    };
    pub use crate::migration::Migration;
    pub use crate::operations::*;
    pub use crate::run_rust;
    pub use crate::state::{Constraint, Field, Index};
}
pub mod model;
pub mod names;
pub mod operations;
pub mod optimizer;
pub mod planner;
pub mod questioner;
pub mod recorder;
pub mod reference;
pub mod registry;
pub mod schema;
mod spin;
pub mod squash;
pub mod state;
pub mod writer;

pub use error::{Error, Result};

/// `run_rust!(forward)` or `run_rust!(forward, reverse)`: a `RunRust` operation that also
/// records the functions' names, which the migration's checksum includes.
#[macro_export]
macro_rules! run_rust {
    ($forward:path) => {
        $crate::operations::RunRust::new($forward).identity(stringify!($forward))
    };
    ($forward:path, $reverse:path) => {
        $crate::operations::RunRust::new($forward)
            .reverse($reverse)
            .identity(concat!(stringify!($forward), ", ", stringify!($reverse)))
    };
}
pub use fields::{ColumnType, FieldType, OnDelete, Value};
pub use migration::{Migration, MigrationFile, MigrationKey, Migrations};
pub use model::{ForeignKey, ManyToMany, Model, ModelDef, OneToOne};
pub use state::{Constraint, Field, Index, ModelKey, ModelRef, ModelState, ProjectState};

/// `#[derive(Model)]`: turns a struct into a registered, statically known model definition.
/// Its attributes and the types a field can have: [`reference`](mod@reference).
pub use migrate_macros::Model;

/// `#[derive(Choices)]`: a fieldless enum stored as text or as its discriminant, its
/// values kept by a check constraint. See [`reference`](mod@reference).
pub use migrate_macros::Choices;

/// `migrations!()`: the crate's migration files, found when it is compiled, as a
/// [`Migrations`]. They live in `migrations/<app>/<name>.rs` beside `Cargo.toml`
/// (`migrations!("other/dir")` for another directory, relative to it), one file per
/// migration with a `pub fn migration() -> Migration`, as `makemigrations` writes them; no
/// index file is needed. Names starting with `.` or `_` are left out.
///
/// rustc sees an edit to a file by itself; to rebuild when a file is added or deleted, the
/// crate needs a build script (`build.rs` beside `Cargo.toml`) saying so:
///
/// ```
/// fn main() {
///     println!("cargo:rerun-if-changed=migrations");
/// }
/// # main();
/// ```
///
/// The CLI warns when the binary and the directory disagree, and `makemigrations` refuses
/// to write until the binary is rebuilt.
pub use migrate_macros::migrations;

/// Paths used by code that `#[derive(Model)]` generates. Not a public API: it may change
/// in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::fields::{ColumnType, ColumnValue, FieldType, OnDelete, Value};
    pub use crate::model::{Model, ModelDef, Registration};
    pub use crate::models_section;
    pub use crate::state::ModelRef;
    pub use ::inventory;
    pub use ::sqlx;
    pub use ::std::borrow::Cow;
    pub use ::std::option::Option::{None, Some};
}
