//! The one error type of `migrate-core`. Every message names the app, model and field (or
//! migration) involved, and says what to do where there is something to do.

/// Errors from building or checking schema state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two models with the same app and name.
    #[error("model {app}.{model} is declared twice; each (app, model) pair must be unique")]
    DuplicateModel {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
    },

    /// Two models in one table.
    #[error("models {first} and {second} both use table `{table}`; set `#[model(table = \"…\")]` on one of them")]
    DuplicateTable {
        /// The table.
        table: String,
        /// One model.
        first: String,
        /// The other.
        second: String,
    },

    /// An index or constraint name used twice.
    #[error("index or constraint name `{name}` is used by {first} and {second}; names must be unique in the database")]
    DuplicateName {
        /// The name.
        name: String,
        /// Where it is used first.
        first: String,
        /// Where it is used again.
        second: String,
    },

    /// A relation to a model that does not exist.
    #[error("field {app}.{model}.{field} refers to model `{target}`, which does not exist")]
    UnknownModelReference {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
        /// The model as the field names it.
        target: String,
    },

    /// A relation to a bare model name that several apps have.
    #[error("field {app}.{model}.{field} refers to model `{target}`, which is ambiguous: it could be any of {}; write it as `app.Model`", candidates.join(", "))]
    AmbiguousModelReference {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
        /// The model as the field names it.
        target: String,
        /// The models it could be.
        candidates: Vec<String>,
    },

    /// A model without a primary key.
    #[error("model {app}.{model} has no primary key")]
    MissingPrimaryKey {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
    },

    /// A field that breaks a rule of the schema.
    #[error("field {app}.{model}.{field}: {problem}")]
    InvalidModel {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
        /// What is wrong.
        problem: String,
    },

    /// A column asked of a many-to-many field.
    #[error("field {app}.{model}.{field} is a many-to-many relation and has no column")]
    NoColumn {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
    },

    /// Foreign keys as primary keys that refer to each other in a loop.
    #[error(
        "field {app}.{model}.{field} refers to a chain of primary keys that loops back on itself"
    )]
    ReferenceCycle {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
    },

    /// Two migrations with the same app and name.
    #[error("migration {migration} is declared twice")]
    DuplicateMigration {
        /// The migration, as `app.name`.
        migration: String,
    },

    /// A dependency on a migration that does not exist.
    #[error("migration {migration} depends on {dependency}, which does not exist; restore that migration or fix the dependency in {migration}")]
    MissingDependency {
        /// The migration, as `app.name`.
        migration: String,
        /// The dependency, as `app.name`.
        dependency: String,
    },

    /// Migrations that depend on each other in a loop.
    #[error("migrations depend on each other in a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The migrations of the loop, in order.
        cycle: Vec<String>,
    },

    /// An app whose migrations end in several leaves.
    #[error("conflicting migrations in app {app}: {} are all leaves; run `makemigrations --merge` to join them", leaves.join(", "))]
    Conflict {
        /// The app label.
        app: String,
        /// The leaves.
        leaves: Vec<String>,
    },

    /// An operation that does not apply to the state before it.
    #[error("migration {migration}: cannot apply \"{operation}\": {problem}")]
    InvalidOperation {
        /// The migration, as `app.name`.
        migration: String,
        /// The operation, described.
        operation: String,
        /// What is wrong.
        problem: String,
    },

    /// An operation the writer cannot print (a Rust function without a name).
    #[error(
        "migration {migration}: \"{operation}\" cannot be written to a file; write it by hand"
    )]
    Unwritable {
        /// The migration, as `app.name`.
        migration: String,
        /// The operation, described.
        operation: String,
    },

    /// The database refused something other than a migration's statement.
    #[error("{context}: {source}")]
    Database {
        /// What was being done.
        context: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },

    /// The database refused a statement of a migration.
    #[error("migration {migration}, operation \"{operation}\": the database refused\n  {sql}\n{}: {source}", if *transactional { "nothing of this migration was applied" } else { "statements of this migration before this one stay applied (this database or migration is not transactional) and the migration is not recorded" })]
    Statement {
        /// The migration, as `app.name`.
        migration: String,
        /// The operation, described.
        operation: String,
        /// The statement.
        sql: String,
        /// Whether the migration was rolled back whole.
        transactional: bool,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },

    /// The database refused a statement of a migration that runs statement by statement
    /// (MySQL): what stayed applied, and how to continue.
    #[error("migration {migration}, {}: {source}", partial_message(step))]
    Partial {
        /// The migration, as `app.name`.
        migration: String,
        /// The refused step and what stayed applied.
        step: Box<PartialStep>,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },

    /// A run in the other direction than the one a stopped migration was going.
    #[error("migration {migration} stopped part-way while being {} ({done} of {total} steps done); continue in that direction first (`migrate` {}), then migrate as you meant to", if *forwards { "applied" } else { "unapplied" }, if *forwards { "to apply it" } else { "to the target that unapplies it" })]
    PartialOtherWay {
        /// The migration, as `app.name`.
        migration: String,
        /// Whether the stopped run was applying it.
        forwards: bool,
        /// Steps done.
        done: usize,
        /// Steps in the migration.
        total: usize,
    },

    /// A data-migration function returned an error.
    #[error("migration {migration}: a Rust operation failed: {message}")]
    RustOperation {
        /// The migration, as `app.name`.
        migration: String,
        /// The error it returned.
        message: String,
    },

    /// Rows that point at rows that do not exist after a migration (SQLite).
    #[error("migration {migration} leaves {rows} row(s) pointing at rows that do not exist; nothing of it was applied")]
    ForeignKeyCheck {
        /// The migration, as `app.name`.
        migration: String,
        /// How many rows.
        rows: usize,
    },

    /// An applied migration whose dependency is not applied.
    #[error("migration {migration} is applied but its dependency {dependency} is not: the history table and the migration files disagree; apply or fake {dependency}, or fix the history")]
    InconsistentHistory {
        /// The migration, as `app.name`.
        migration: String,
        /// The dependency, as `app.name`.
        dependency: String,
    },

    /// Two branches that change the same thing, which a merge cannot reconcile.
    #[error("cannot merge app {app}: both {first} and {second} change the {what}; reconcile the branches by hand")]
    MergeClash {
        /// The app label.
        app: String,
        /// What both change.
        what: String,
        /// One branch's migration.
        first: String,
        /// The other branch's migration.
        second: String,
    },

    /// A squash that would include a squashed migration.
    #[error("cannot squash {migration}: it is itself a squashed migration; squash the migrations it replaces instead")]
    SquashOfSquash {
        /// The migration, as `app.name`.
        migration: String,
    },

    /// A model or field that a data migration asked for and that does not exist at that
    /// point of the history.
    #[error("{what} does not exist at this point of the history")]
    NotInHistory {
        /// What was asked for (`model Post`, `field Post.title`).
        what: String,
    },

    /// Another run holds the migration lock and did not release it while this one waited.
    #[error("another migrate run holds the migration lock; try again when it has finished")]
    Locked,

    /// Applied migrations whose files changed since.
    #[error("applied migrations changed since they were applied:\n  {}\nmigrate does not run while an applied migration differs from its file: restore the file as it was applied; or, once the database matches the file (through a new migration, or by hand), record the file's checksum with `migrate --accept-changed APP NAME`", changed.join("\n  "))]
    ChangedMigrations {
        /// Each changed migration and what differs.
        changed: Vec<String>,
    },

    /// A database URL of an unknown scheme.
    #[error("unsupported database URL {url}; use sqlite://, postgres:// or mysql://")]
    UnsupportedUrl {
        /// The URL, without its password.
        url: String,
    },

    /// A pool or connection of a database this tool does not speak.
    #[error("the database {name} speaks {driver}, which this tool does not; use SQLite, PostgreSQL or MySQL/MariaDB")]
    UnknownBackend {
        /// The database's name, as the connection gives it.
        name: String,
        /// The driver's name.
        driver: String,
    },

    /// A URL for a database whose driver this build left out.
    #[error("this build has no {backend} driver; enable the `{backend}` feature of migrate-core (and migrate-cli)")]
    NoDriver {
        /// The backend.
        backend: &'static str,
    },

    /// A migration name that matches none.
    #[error("no migration {app}.{name} (nor one whose name starts with it)")]
    UnknownMigration {
        /// The app label.
        app: String,
        /// The name as given.
        name: String,
    },

    /// A migration name prefix that matches several.
    #[error("{app}.{name} could be any of {}; give more of the name", candidates.join(", "))]
    AmbiguousMigration {
        /// The app label.
        app: String,
        /// The name as given.
        name: String,
        /// The migrations it could be.
        candidates: Vec<String>,
    },

    /// An app without migrations.
    #[error("app {app} has no migrations")]
    UnknownApp {
        /// The app label.
        app: String,
    },

    /// A migration to unapply that has an operation without a reverse.
    #[error("migration {migration} cannot be reversed: \"{operation}\" has no reverse")]
    Irreversible {
        /// The migration, as `app.name`.
        migration: String,
        /// The operation, described.
        operation: String,
    },

    /// A NOT NULL field for existing rows, without a value for them.
    #[error("field {app}.{model}.{field} is {change} NOT NULL without a default, so the rows already in the table need a value: give it #[field(default = …)], make it Option<…>, or run makemigrations interactively to give a one-off value")]
    NotNullWithoutDefault {
        /// The app label.
        app: String,
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
        /// "added as" or "changed to".
        change: &'static str,
    },

    /// `migrate --fake-initial` on an initial migration whose tables only partly exist.
    #[error("cannot fake the initial migration {migration}: {present} already exist(s), but {missing}; create the rest by hand or drop what exists, then run again")]
    FakeInitial {
        /// The migration, as `app.name`.
        migration: String,
        /// The tables that exist as described.
        present: String,
        /// What is missing.
        missing: String,
    },

    /// `inspectdb` was asked for what the database cannot give (a table it does not have,
    /// tables of no known app without `--app`).
    #[error("inspectdb: {0}")]
    Inspect(String),

    /// A schema to work in, asked of a database other than PostgreSQL.
    #[error("schema {schema:?}: only a PostgreSQL database has schemas to work in")]
    NoSchemas {
        /// The schema asked for.
        schema: String,
    },

    /// An index the backend cannot create (as Django says: MySQL has no partial indexes).
    #[error("index `{index}` of {model} cannot be created on MySQL/MariaDB: {problem}")]
    UnsupportedIndex {
        /// The model, as `app.Model`.
        model: String,
        /// The index's name.
        index: String,
        /// What the backend lacks.
        problem: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a migration that cannot run in a transaction (MySQL) was refused.
#[derive(Debug)]
pub struct PartialStep {
    /// The operation, described.
    pub operation: String,
    /// The refused statement.
    pub sql: String,
    /// The direction it was going.
    pub forwards: bool,
    /// Steps (statements and Rust operations) done before the refused one.
    pub done: usize,
    /// Steps in the migration.
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
