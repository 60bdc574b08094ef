//! Operations the autodetector never writes: raw SQL and Rust functions, for data
//! migrations and for what the other operations cannot say.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::{Op, Problem};
use crate::executor::RunContext;
use crate::state::ProjectState;

/// A database backend, for SQL that differs between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    /// Its name in URLs and messages: `sqlite`, `postgres` or `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Raw SQL, with an optional reverse, and optional variants for particular backends.
/// It does not change the schema state.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSql {
    /// The SQL to run forwards (several statements are allowed).
    pub sql: String,
    /// The SQL that undoes it; without it the migration cannot be unapplied.
    pub reverse_sql: Option<String>,
    /// `(backend, sql, reverse_sql)` used instead of the defaults on that backend.
    pub variants: Vec<(Backend, String, Option<String>)>,
    /// May be dropped when migrations are squashed.
    pub elidable: bool,
}

impl RunSql {
    /// Runs `sql` on every backend.
    pub fn new(sql: impl Into<String>) -> Self {
        RunSql {
            sql: sql.into(),
            reverse_sql: None,
            variants: Vec::new(),
            elidable: false,
        }
    }

    /// Undoes it with `sql`.
    pub fn reverse(mut self, sql: impl Into<String>) -> Self {
        self.reverse_sql = Some(sql.into());
        self
    }

    /// Runs `sql` (and undoes it with `reverse`) on `backend` instead of the defaults.
    pub fn on(mut self, backend: Backend, sql: impl Into<String>, reverse: Option<&str>) -> Self {
        self.variants
            .push((backend, sql.into(), reverse.map(str::to_owned)));
        self
    }

    /// Lets `squashmigrations` drop it.
    pub fn elidable(mut self) -> Self {
        self.elidable = true;
        self
    }

    /// The forward and reverse SQL for one backend.
    pub fn for_backend(&self, backend: Backend) -> (&str, Option<&str>) {
        match self.variants.iter().find(|v| v.0 == backend) {
            Some((_, sql, reverse)) => (sql, reverse.as_deref()),
            None => (&self.sql, self.reverse_sql.as_deref()),
        }
    }
}

impl Op for RunSql {
    fn state_forwards(&self, _: &str, _: &mut ProjectState) -> Result<(), Problem> {
        Ok(())
    }

    fn describe(&self) -> String {
        "Raw SQL operation".into()
    }

    fn name_fragment(&self) -> Option<String> {
        None
    }

    fn model_name(&self) -> Option<&str> {
        None
    }

    fn reversible(&self) -> bool {
        self.reverse_sql.is_some() && self.variants.iter().all(|v| v.2.is_some())
    }
}

/// The error a data-migration function returns: any error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The future of a data-migration function. Not `Send`: migrations run one at a time on the
/// calling thread.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A data-migration function: `fn forward(cx: &mut RunContext<'_>) -> BoxFuture<'_, Result<(), BoxError>>`.
pub type RustFn = for<'a, 'b> fn(&'a mut RunContext<'b>) -> BoxFuture<'a, Result<(), BoxError>>;

/// A Rust function with an optional reverse. It does not change the schema state.
#[derive(Clone)]
pub struct RunRust {
    /// Runs when the migration is applied.
    pub forward: RustFn,
    /// Runs when the migration is unapplied; without it the migration cannot be.
    pub reverse: Option<RustFn>,
    /// May be dropped when migrations are squashed.
    pub elidable: bool,
    /// The functions as the migration file names them (`run_rust!` fills it in): what the
    /// migration's checksum knows of this operation besides its flags.
    pub identity: Option<&'static str>,
}

impl RunRust {
    /// Runs `forward` when the migration is applied. Migration files use `run_rust!`, which
    /// also names the functions for the checksum.
    pub fn new(forward: RustFn) -> Self {
        RunRust {
            forward,
            reverse: None,
            elidable: false,
            identity: None,
        }
    }

    /// Names the functions, for the migration's checksum (`run_rust!` does it).
    pub fn identity(mut self, identity: &'static str) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Runs `reverse` when the migration is unapplied.
    pub fn reverse(mut self, reverse: RustFn) -> Self {
        self.reverse = Some(reverse);
        self
    }
}

impl PartialEq for RunRust {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.forward, other.forward)
            && match (self.reverse, other.reverse) {
                (Some(a), Some(b)) => std::ptr::fn_addr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
            && self.elidable == other.elidable
    }
}

impl fmt::Debug for RunRust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunRust")
            .field("reversible", &self.reverse.is_some())
            .field("elidable", &self.elidable)
            .finish()
    }
}

impl Op for RunRust {
    fn state_forwards(&self, _: &str, _: &mut ProjectState) -> Result<(), Problem> {
        Ok(())
    }

    fn describe(&self) -> String {
        "Raw Rust operation".into()
    }

    fn name_fragment(&self) -> Option<String> {
        None
    }

    fn model_name(&self) -> Option<&str> {
        None
    }

    fn reversible(&self) -> bool {
        self.reverse.is_some()
    }
}
