//! The one error type of `migrate-core`. Every message names the app, model and field (or
//! migration) involved, and says what to do where there is something to do.

/// Errors from building or checking schema state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("model {app}.{model} is declared twice; each (app, model) pair must be unique")]
    DuplicateModel { app: String, model: String },

    #[error("models {first} and {second} both use table `{table}`; set `#[model(table = \"…\")]` on one of them")]
    DuplicateTable {
        table: String,
        first: String,
        second: String,
    },

    #[error("index or constraint name `{name}` is used by {first} and {second}; names must be unique in the database")]
    DuplicateName {
        name: String,
        first: String,
        second: String,
    },

    #[error("field {app}.{model}.{field} refers to model `{target}`, which does not exist")]
    UnknownModelReference {
        app: String,
        model: String,
        field: String,
        target: String,
    },

    #[error("field {app}.{model}.{field} refers to model `{target}`, which is ambiguous: it could be any of {}; write it as `app.Model`", candidates.join(", "))]
    AmbiguousModelReference {
        app: String,
        model: String,
        field: String,
        target: String,
        candidates: Vec<String>,
    },

    #[error("model {app}.{model} has no primary key")]
    MissingPrimaryKey { app: String, model: String },

    #[error("field {app}.{model}.{field}: {problem}")]
    InvalidModel {
        app: String,
        model: String,
        field: String,
        problem: String,
    },

    #[error("field {app}.{model}.{field} is a many-to-many relation and has no column")]
    NoColumn {
        app: String,
        model: String,
        field: String,
    },

    #[error(
        "field {app}.{model}.{field} refers to a chain of primary keys that loops back on itself"
    )]
    ReferenceCycle {
        app: String,
        model: String,
        field: String,
    },

    #[error("migration {migration} is declared twice")]
    DuplicateMigration { migration: String },

    #[error("migration {migration} depends on {dependency}, which does not exist; restore that migration or fix the dependency in {migration}")]
    MissingDependency {
        migration: String,
        dependency: String,
    },

    #[error("migrations depend on each other in a cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },

    #[error("conflicting migrations in app {app}: {} are all leaves; run `makemigrations --merge` to join them", leaves.join(", "))]
    Conflict { app: String, leaves: Vec<String> },

    #[error("migration {migration}: cannot apply \"{operation}\": {problem}")]
    InvalidOperation {
        migration: String,
        operation: String,
        problem: String,
    },

    #[error(
        "migration {migration}: \"{operation}\" cannot be written to a file; write it by hand"
    )]
    Unwritable {
        migration: String,
        operation: String,
    },

    #[error("{context}: {source}")]
    Database {
        context: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("migration {migration}, operation \"{operation}\": the database refused\n  {sql}\n{}: {source}", if *transactional { "nothing of this migration was applied" } else { "statements of this migration before this one stay applied (this database or migration is not transactional) and the migration is not recorded" })]
    Statement {
        migration: String,
        operation: String,
        sql: String,
        transactional: bool,
        #[source]
        source: sqlx::Error,
    },

    #[error("migration {migration}, {}: {source}", partial_message(step))]
    Partial {
        migration: String,
        step: Box<PartialStep>,
        #[source]
        source: sqlx::Error,
    },

    #[error("migration {migration} stopped part-way while being {} ({done} of {total} steps done); continue in that direction first (`migrate` {}), then migrate as you meant to", if *forwards { "applied" } else { "unapplied" }, if *forwards { "to apply it" } else { "to the target that unapplies it" })]
    PartialOtherWay {
        migration: String,
        forwards: bool,
        done: usize,
        total: usize,
    },

    #[error("migration {migration}: a Rust operation failed: {message}")]
    RustOperation { migration: String, message: String },

    #[error("migration {migration} leaves {rows} row(s) pointing at rows that do not exist; nothing of it was applied")]
    ForeignKeyCheck { migration: String, rows: usize },

    #[error("migration {migration} is applied but its dependency {dependency} is not: the history table and the migration files disagree; apply or fake {dependency}, or fix the history")]
    InconsistentHistory {
        migration: String,
        dependency: String,
    },

    #[error("cannot merge app {app}: both {first} and {second} change the {what}; reconcile the branches by hand")]
    MergeClash {
        app: String,
        what: String,
        first: String,
        second: String,
    },

    #[error("cannot squash {migration}: it is itself a squashed migration; squash the migrations it replaces instead")]
    SquashOfSquash { migration: String },

    #[error("{what} does not exist at this point of the history")]
    NotInHistory { what: String },

    #[error("another migrate run holds the migration lock; try again when it has finished")]
    Locked,

    #[error("applied migrations changed since they were applied:\n  {}\nmigrate does not run while an applied migration differs from its file: restore the file as it was applied; or, once the database matches the file (through a new migration, or by hand), record the file's checksum with `migrate --accept-changed APP NAME`", changed.join("\n  "))]
    ChangedMigrations { changed: Vec<String> },

    #[error("unsupported database URL {url}; use sqlite://, postgres:// or mysql://")]
    UnsupportedUrl { url: String },

    #[error("the database {name} speaks {driver}, which this tool does not; use SQLite, PostgreSQL or MySQL/MariaDB")]
    UnknownBackend { name: String, driver: String },

    #[error("this build has no {backend} driver; enable the `{backend}` feature of migrate-core (and migrate-cli)")]
    NoDriver { backend: &'static str },

    #[error("no migration {app}.{name} (nor one whose name starts with it)")]
    UnknownMigration { app: String, name: String },

    #[error("{app}.{name} could be any of {}; give more of the name", candidates.join(", "))]
    AmbiguousMigration {
        app: String,
        name: String,
        candidates: Vec<String>,
    },

    #[error("app {app} has no migrations")]
    UnknownApp { app: String },

    #[error("migration {migration} cannot be reversed: \"{operation}\" has no reverse")]
    Irreversible {
        migration: String,
        operation: String,
    },

    #[error("field {app}.{model}.{field} is {change} NOT NULL without a default, so the rows already in the table need a value: give it #[field(default = …)], make it Option<…>, or run makemigrations interactively to give a one-off value")]
    NotNullWithoutDefault {
        app: String,
        model: String,
        field: String,
        /// "added as" or "changed to".
        change: &'static str,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a migration that cannot run in a transaction (MySQL) was refused.
#[derive(Debug)]
pub struct PartialStep {
    pub operation: String,
    pub sql: String,
    /// The direction it was going.
    pub forwards: bool,
    /// Steps (statements and Rust operations) done before the refused one.
    pub done: usize,
    pub total: usize,
    /// What stayed applied: the statements (or Rust operations) that ran, in order.
    pub applied: Vec<String>,
}

/// The refused statement, what stayed applied (at most ten steps shown) and how to go on.
fn partial_message(step: &PartialStep) -> String {
    let mut out = format!(
        "operation \"{}\": the database refused\n  {}\n",
        step.operation, step.sql
    );
    if step.done == 0 {
        out.push_str(&format!(
            "none of the {} steps of this migration was applied",
            step.total
        ));
    } else {
        out.push_str(&format!(
            "{} of {} steps of this migration stayed applied:",
            step.done, step.total
        ));
        for line in step.applied.iter().take(10) {
            out.push_str("\n    ");
            out.push_str(line);
        }
        if step.applied.len() > 10 {
            out.push_str(&format!("\n    … and {} more", step.applied.len() - 10));
        }
    }
    out.push_str(&format!(
        "\nthe migration is {}; once the cause is fixed, the same `migrate` command continues it from step {}",
        if step.forwards { "not recorded" } else { "still recorded" },
        step.done + 1
    ));
    out
}
