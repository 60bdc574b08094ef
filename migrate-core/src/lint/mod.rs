//! `lint`: what each migration will do to a database that holds rows, per backend, before
//! it runs. The SQL the schema editor generates for the backend is what is judged, with
//! what the operation means (a removal loses data whatever SQL does it), the server's
//! version where one is known, and the size of each table where a database is at hand.
//!
//! Each finding has a stable code; [`rules`] has a section per code: what it means, why,
//! and the safe way. A migration acknowledges a finding with
//! `.allow("code", "reason")`, after which it no longer fails the check.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::fields::{ColumnType, FieldType, Value};
use crate::migration::{Migration, MigrationKey};
use crate::operations::{Backend, Operation};
use crate::state::{ModelKey, ProjectState};

pub mod rules {
    #![doc = include_str!("rules.md")]
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Worth knowing: brief locks, work that takes time on a big table, what cannot be
    /// judged from here (raw SQL, Rust code).
    Info,
    /// Can fail on the rows already there, or blocks writes to the table (or reads) for
    /// as long as a full scan or a rewrite takes.
    Warning,
    /// Loses data.
    Danger,
}

impl Level {
    /// Its name: `info`, `warning`, `danger`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Danger => "danger",
        }
    }

    /// The level named `name`.
    pub fn parse(name: &str) -> Option<Level> {
        [Level::Info, Level::Warning, Level::Danger]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

/// A rule: its code and its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable code, as `.allow` names it and [`rules`] has a section on.
    pub code: &'static str,
    /// How serious its findings are.
    pub level: Level,
    /// What it finds, in a few words.
    pub summary: &'static str,
}

/// Every rule.
pub const RULES: &[Rule] = &[
    Rule {
        code: "drop-table",
        level: Level::Danger,
        summary: "drops a table and its rows",
    },
    Rule {
        code: "drop-column",
        level: Level::Danger,
        summary: "drops a column and its values",
    },
    Rule {
        code: "narrowing",
        level: Level::Danger,
        summary: "narrows a column's type or length: values that do not fit fail or are cut",
    },
    Rule {
        code: "not-null-without-default",
        level: Level::Warning,
        summary: "adds a NOT NULL column without a default: fails on a table with rows",
    },
    Rule {
        code: "set-not-null",
        level: Level::Warning,
        summary: "makes a column NOT NULL: a full scan under lock, and fails if a NULL is there",
    },
    Rule {
        code: "table-rewrite",
        level: Level::Warning,
        summary: "rewrites every row of the table while writes wait",
    },
    Rule {
        code: "sqlite-rebuild",
        level: Level::Warning,
        summary: "SQLite makes the table again and copies every row",
    },
    Rule {
        code: "blocking-index",
        level: Level::Warning,
        summary: "builds an index while writes to the table wait",
    },
    Rule {
        code: "online-index",
        level: Level::Info,
        summary: "builds an index while writes go on; takes time on a big table",
    },
    Rule {
        code: "unique-on-existing",
        level: Level::Warning,
        summary: "makes existing values unique: fails on duplicates already there",
    },
    Rule {
        code: "foreign-key-validation",
        level: Level::Warning,
        summary: "checks every row against the referenced table while both are locked",
    },
    Rule {
        code: "check-validation",
        level: Level::Warning,
        summary:
            "checks every row against a new condition under lock, and fails on rows that break it",
    },
    Rule {
        code: "rename",
        level: Level::Warning,
        summary: "renames a table or column that running code still uses by the old name",
    },
    Rule {
        code: "raw-sql",
        level: Level::Info,
        summary: "runs SQL this check cannot judge",
    },
    Rule {
        code: "data-migration",
        level: Level::Info,
        summary: "runs Rust code over the rows",
    },
];

/// The rule of `code`.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// What a database at hand says of itself: its version and the size of its tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Server {
    /// The server's version (`16.4`, `10.11.6-MariaDB`, `3.46.0`), when known.
    pub version: Option<String>,
    /// Each table's size.
    pub tables: BTreeMap<String, TableSize>,
}

/// A table's size, as the catalog estimates it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableSize {
    /// Rows (an estimate on PostgreSQL and MySQL; `None` when never counted).
    pub rows: Option<u64>,
    /// Bytes, indexes included, when known.
    pub bytes: Option<u64>,
}

impl Server {
    /// `(major, minor, patch)` of the version, and whether it is MariaDB.
    fn version(&self) -> Option<((u32, u32, u32), bool)> {
        let v = self.version.as_deref()?;
        let mut parts = v
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0));
        let major = parts.next()?;
        let minor = parts.next().unwrap_or(0);
        let patch = parts.next().unwrap_or(0);
        Some(((major, minor, patch), v.to_lowercase().contains("mariadb")))
    }
}

/// One thing a migration will do that deserves a look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's code.
    pub code: &'static str,
    /// How serious it is.
    pub level: Level,
    /// The migration.
    pub migration: MigrationKey,
    /// The operation, as `makemigrations` words it.
    pub operation: String,
    /// The table it concerns.
    pub table: Option<String>,
    /// What it will do, on this backend.
    pub message: String,
    /// The safe way, on this backend.
    pub safe: Option<String>,
    /// The table's size, when a database is at hand.
    pub size: Option<TableSize>,
    /// The reason given in the migration's `.allow(code, reason)`, when acknowledged.
    pub allowed: Option<String>,
}

impl Finding {
    /// A rough class of how long the operation holds the table, from its size: `None`
    /// without one.
    pub fn duration(&self) -> Option<&'static str> {
        let rows = self.size?.rows?;
        Some(match rows {
            0..=9_999 => "under a second",
            10_000..=999_999 => "seconds",
            1_000_000..=49_999_999 => "minutes",
            _ => "hours",
        })
    }
}

/// Where a migration will run: the backend, and the server when one is at hand.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The backend whose SQL is judged.
    pub backend: Backend,
    /// The server's version and table sizes, when a database is at hand.
    pub server: Option<&'a Server>,
}

/// Lints migrations in order, each from the state before it. Tables made by a migration
/// earlier in the same run are new and empty when a later one changes them, so nothing
/// is said of them (start a new `Linter` to lint migrations one by one instead).
#[derive(Debug)]
pub struct Linter<'a> {
    target: Target<'a>,
    /// Tables made by the migrations linted so far.
    new_tables: BTreeSet<String>,
}

impl<'a> Linter<'a> {
    /// A linter for `target`.
    pub fn new(target: Target<'a>) -> Self {
        Linter {
            target,
            new_tables: BTreeSet::new(),
        }
    }

    /// The findings of `m`, run from `state`, which it leaves as `m` leaves it (so that a
    /// run of migrations keeps one state, changed in place).
    pub fn migration(&mut self, m: &Migration, state: &mut ProjectState) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        let apply = |op: &Operation, state: &mut ProjectState| {
            op.state_forwards(&m.app, state)
                .map_err(|problem| Error::InvalidOperation {
                    migration: m.key().to_string(),
                    operation: op.describe(),
                    problem,
                })
        };
        // SQLite: the rest of the migration rendered as it runs, from the first operation on
        // a table that exists, so that changes sharing one rebuild are said once.
        let mut sqlite_rest: Option<(usize, Vec<crate::schema::RenderedOp>)> = None;
        for (i, op) in m.operations.iter().enumerate() {
            // Tables made in this run are new and empty: nothing an operation does to them
            // needs its SQL judged, and the state changes in place (a run on a fresh
            // database renders next to nothing).
            let schema_op = !matches!(op, Operation::RunSql(_) | Operation::RunRust(_));
            let tables_before = self.tables_of(&m.app, op, state, true);
            let new = matches!(op, Operation::CreateModel(_))
                || (!tables_before.is_empty()
                    && tables_before.iter().all(|t| self.new_tables.contains(t)));
            if schema_op && new {
                apply(op, state)?;
                // Renamed, a new table stays new.
                self.new_tables
                    .extend(self.tables_of(&m.app, op, state, false));
                continue;
            }
            let mut after = state.clone();
            apply(op, &mut after)?;
            let statements = match self.target.backend {
                Backend::Sqlite if m.operations.len() > 1 => {
                    if sqlite_rest.is_none() {
                        let mut rest = m.clone();
                        rest.operations = m.operations[i..].to_vec();
                        let rendered =
                            crate::schema::render_migration(Backend::Sqlite, &rest, state, false)?;
                        sqlite_rest = Some((i, rendered));
                    }
                    let (start, rendered) = sqlite_rest.as_mut().expect("rendered above");
                    std::mem::take(&mut rendered[i - *start].statements)
                }
                backend => crate::schema::forwards(backend, &m.app, op, state, &after)?,
            };
            // A table this operation makes is new: its indexes and keys cost nothing.
            for s in &statements {
                if let Some(table) = created_table(self.target.backend, s) {
                    self.new_tables.insert(table);
                }
            }
            let mut check = Check {
                target: self.target,
                migration: m,
                op,
                before: state,
                after: &after,
                statements: &statements,
                new_tables: &self.new_tables,
                rebuilt: BTreeSet::new(),
                out: Vec::new(),
            };
            check.run();
            out.append(&mut check.out);
            *state = after;
        }
        for f in &mut out {
            f.allowed = m
                .allowed
                .iter()
                .find(|(code, _)| code == f.code)
                .map(|(_, reason)| reason.to_string());
        }
        Ok(out)
    }
}

impl Linter<'_> {
    /// The tables of the model `op` works on, in `state` (none when it has no model there);
    /// a renamed model by its old name `before` the operation.
    fn tables_of(
        &self,
        app: &str,
        op: &Operation,
        state: &ProjectState,
        before: bool,
    ) -> Vec<String> {
        let name = match op {
            Operation::RenameModel(r) if before => Some(&*r.old_name),
            _ => op.model_name(),
        };
        let Some(name) = name else {
            return Vec::new();
        };
        let key = ModelKey::new(app.to_owned(), name.to_owned());
        state
            .model(&key)
            .map(|m| m.table_names())
            .unwrap_or_default()
    }
}

/// The table a `CREATE TABLE` statement makes (not SQLite's `new__` copy of a rebuild).
fn created_table(backend: Backend, statement: &str) -> Option<String> {
    let rest = statement.strip_prefix("CREATE TABLE ")?;
    let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
    let name = first_name(backend, rest)?;
    (!name.starts_with("new__")).then_some(name)
}

/// The quoted name at the start of `s`, unquoted.
fn first_name(backend: Backend, s: &str) -> Option<String> {
    split_name(backend, s).map(|(name, _)| name)
}

/// The quoted name at the start of `s`, unquoted, and what follows it.
fn split_name(backend: Backend, s: &str) -> Option<(String, &str)> {
    let q = if backend == Backend::Mysql { '`' } else { '"' };
    let s = s.trim_start();
    let mut chars = s.char_indices().peekable();
    if chars.next()?.1 != q {
        return None;
    }
    let mut name = String::new();
    while let Some((i, c)) = chars.next() {
        if c == q {
            if chars.peek().map(|(_, n)| *n) == Some(q) {
                chars.next();
            } else {
                return Some((name, &s[i + 1..]));
            }
        }
        name.push(c);
    }
    None
}

/// The checks of one operation.
struct Check<'a> {
    target: Target<'a>,
    migration: &'a Migration,
    op: &'a Operation,
    before: &'a ProjectState,
    after: &'a ProjectState,
    statements: &'a [String],
    new_tables: &'a BTreeSet<String>,
    /// Tables SQLite makes again in this operation: their indexes come with the copy.
    rebuilt: BTreeSet<String>,
    out: Vec<Finding>,
}

impl Check<'_> {
    fn backend(&self) -> Backend {
        self.target.backend
    }

    fn run(&mut self) {
        self.operation();
        self.new_constraints();
        for s in self.statements {
            self.statement(s);
        }
    }

    /// Unique and check constraints that a table that was there gains: every row is
    /// checked against them, whatever SQL adds them (SQLite's copy checks them too).
    fn new_constraints(&mut self) {
        let backend = self.backend();
        // Only these can give a table that was there a constraint.
        let adds = matches!(
            self.op,
            Operation::AddField(_)
                | Operation::AlterField(_)
                | Operation::AddIndex(_)
                | Operation::AddConstraint(_)
        );
        if !adds {
            return;
        }
        let Some(name) = self.op.model_name() else {
            return;
        };
        let tables = |state: &ProjectState| {
            let mut out = Vec::new();
            if let Some(model) = self.model_in(state, name).filter(|m| m.managed) {
                let _ = state.model_tables(Some(backend), model, &mut out);
            }
            out
        };
        let (before, after) = (tables(self.before), tables(self.after));
        for table in &after {
            let Some(old) = before.iter().find(|t| t.name == table.name) else {
                continue;
            };
            let uniques = |t: &crate::state::Table| -> BTreeSet<String> {
                t.uniques
                    .iter()
                    .map(|u| u.name.clone())
                    .chain(
                        t.indexes
                            .iter()
                            .filter(|i| i.unique)
                            .map(|i| i.name.clone()),
                    )
                    .collect()
            };
            if uniques(table).difference(&uniques(old)).next().is_some() {
                self.say(
                    "unique-on-existing",
                    &table.name,
                    format!("makes values of {} unique: fails if duplicates are there already", table.name),
                    Some("look for duplicates first (GROUP BY … HAVING COUNT(*) > 1) and fix them in a data migration".into()),
                );
            }
            let checks = |t: &crate::state::Table| -> BTreeSet<String> {
                t.checks.iter().map(|(n, _)| n.clone()).collect()
            };
            // PostgreSQL validating separately, each statement committed on its own.
            let separately = match self.op {
                Operation::AddConstraint(a) => a.validate_separately,
                _ => false,
            };
            if separately && backend == Backend::Postgres && !self.migration.atomic {
                continue;
            }
            if checks(table).difference(&checks(old)).next().is_some() {
                let (how, safe) = match backend {
                    Backend::Postgres if separately => (
                        "is validated separately, but in one transaction with the rest of the migration, so the lock of the first statement is held until the scan ends",
                        "mark the migration .non_atomic(), so that each statement commits on its own",
                    ),
                    Backend::Postgres => (
                        "scans every row under an ACCESS EXCLUSIVE lock (reads and writes wait)",
                        "`AddConstraint::new(…).validate_separately()` in a migration marked `.non_atomic()`: NOT VALID, then VALIDATE CONSTRAINT, which lets reads and writes go on (`lint --fix` writes it)",
                    ),
                    Backend::Mysql => (
                        "copies the table to check every row (writes wait)",
                        "fix the rows that break it first, and run it when writes can wait",
                    ),
                    Backend::Sqlite => (
                        "checks every row as the table is copied",
                        "fix the rows that break it first",
                    ),
                };
                self.say(
                    "check-validation",
                    &table.name,
                    format!(
                        "adds a check to {}: {how}; fails if a row breaks it",
                        table.name
                    ),
                    Some(safe.into()),
                );
            }
        }
    }

    /// The model an operation names, in `state`.
    fn model_in<'s>(
        &self,
        state: &'s ProjectState,
        name: &str,
    ) -> Option<&'s crate::state::ModelState> {
        state.model(&ModelKey::new(self.migration.app.clone(), name.to_owned()))
    }

    fn size(&self, table: &str) -> Option<TableSize> {
        self.target
            .server
            .map(|s| s.tables.get(table).copied().unwrap_or_default())
    }

    /// Says `code` of `table`, unless the table is new in this run; a table known to be
    /// empty makes anything but a rename a note.
    fn say(&mut self, code: &'static str, table: &str, message: String, safe: Option<String>) {
        let said = self
            .out
            .iter()
            .any(|f| f.code == code && f.table.as_deref() == Some(table));
        if self.new_tables.contains(table) || said {
            return;
        }
        let rule = rule(code).expect("a rule of RULES");
        let size = self.size(table);
        let mut level = rule.level;
        let mut message = message;
        if size.and_then(|s| s.rows) == Some(0) && code != "rename" {
            level = Level::Info;
            message.push_str(" (the table is empty now)");
        }
        self.out.push(Finding {
            code,
            level,
            migration: self.migration.key(),
            operation: self.op.describe(),
            table: Some(table.to_owned()),
            message,
            safe,
            size,
            allowed: None,
        });
    }

    /// What the operation means, whatever SQL does it.
    fn operation(&mut self) {
        let backend = self.backend();
        match self.op {
            Operation::DeleteModel(d) => {
                let Some(model) = self.model_in(self.before, &d.name) else {
                    return;
                };
                if !model.managed {
                    return;
                }
                let mut tables = Vec::new();
                let _ = self.before.model_tables(Some(backend), model, &mut tables);
                for t in tables {
                    self.say(
                        "drop-table",
                        &t.name,
                        format!("drops table {} and every row in it", t.name),
                        Some("keep the table until nothing reads it, and back it up first; acknowledge with .allow(\"drop-table\", …)".into()),
                    );
                }
            }
            Operation::RemoveField(r) => {
                let Some(model) = self.model_in(self.before, &r.model) else {
                    return;
                };
                let Some(field) = model.field(&r.name) else {
                    return;
                };
                if !model.managed {
                    return;
                }
                let table = model.table.to_string();
                match &field.ty {
                    FieldType::ManyToMany { through: None, .. } => {
                        let join = format!("{table}_{}", field.name);
                        self.say(
                            "drop-table",
                            &join,
                            format!("drops the join table of {}.{} and its rows", model.name, field.name),
                            None,
                        );
                    }
                    FieldType::ManyToMany { .. } => {}
                    _ => self.say(
                        "drop-column",
                        &table,
                        format!("drops column {table}.{} and its values", field.column),
                        Some("first deploy code that no longer reads or writes the field, then remove it; acknowledge with .allow(\"drop-column\", …)".into()),
                    ),
                }
            }
            Operation::AddField(a) => {
                let Some(model) = self.model_in(self.before, &a.model) else {
                    return;
                };
                let f = &a.field;
                let valued = f.null || f.db_default().is_some() || a.one_off_default.is_some() || f.auto;
                if model.managed && f.ty.has_column() && !valued {
                    let table = model.table.to_string();
                    self.say(
                        "not-null-without-default",
                        &table,
                        format!("adds NOT NULL column {table}.{} without a default: fails if the table has rows", f.column),
                        Some("give it a default (or a one-off value when makemigrations asks), or add it nullable, fill it, then make it NOT NULL".into()),
                    );
                }
            }
            Operation::AlterField(a) => {
                let (Some(old_model), Some(new_model)) = (
                    self.model_in(self.before, &a.model),
                    self.model_in(self.after, &a.model),
                ) else {
                    return;
                };
                let (Some(old), Some(new)) = (old_model.field(&a.field.name), new_model.field(&a.field.name)) else {
                    return;
                };
                if !new_model.managed || !new.ty.has_column() {
                    return;
                }
                let table = new_model.table.to_string();
                let (old_ty, new_ty) = (self.before.column_type(old_model, old), self.after.column_type(new_model, new));
                if let (Ok(o), Ok(n)) = (old_ty, new_ty) {
                    if let Some(why) = narrows(o, n) {
                        self.say(
                            "narrowing",
                            &table,
                            format!("changes {table}.{} from {o} to {n}: {why}", new.column),
                            Some("check that every value fits first (a query, or a data migration that fixes them); widen rather than narrow where you can".into()),
                        );
                    }
                }
                if old.null && !new.null {
                    let how = match backend {
                        Backend::Postgres => "scans the whole table under an ACCESS EXCLUSIVE lock (reads and writes wait)",
                        Backend::Mysql => "copies the table (writes wait)",
                        Backend::Sqlite => "copies the table",
                    };
                    let safe = match backend {
                        Backend::Postgres => "fill the NULLs first (a data migration in batches); then add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT (which lets writes go on), and SET NOT NULL uses the validated check without a scan (PostgreSQL 12+)",
                        _ => "fill the NULLs first, in batches, in a data migration of its own",
                    };
                    self.say(
                        "set-not-null",
                        &table,
                        format!("makes {table}.{} NOT NULL: {how}, and fails if a row holds NULL", new.column),
                        Some(safe.into()),
                    );
                }
            }
            Operation::RenameField(r) => {
                let Some(model) = self.model_in(self.before, &r.model) else {
                    return;
                };
                let Some(old) = model.field(&r.old_name) else {
                    return;
                };
                let new_column = self
                    .model_in(self.after, &r.model)
                    .and_then(|m| m.field(&r.new_name))
                    .map(|f| f.column.to_string());
                if !model.managed || !old.ty.has_column() || new_column.as_deref() == Some(&*old.column) {
                    return;
                }
                let table = model.table.to_string();
                self.say(
                    "rename",
                    &table,
                    format!(
                        "renames column {table}.{} to {}: code still running from before the deploy reads and writes the old name, and fails",
                        old.column,
                        new_column.unwrap_or_default()
                    ),
                    Some("add the new column, write both, backfill, move readers over, then drop the old one; or deploy the code with the migration at once and accept a moment of errors".into()),
                );
            }
            Operation::RenameModel(_) | Operation::AlterModelTable(_) => {
                let renamed = self.statements.iter().find_map(|s| renamed_table(backend, s));
                if let Some((from, to)) = renamed {
                    self.say(
                        "rename",
                        &from.clone(),
                        format!("renames table {from} to {to}: code still running from before the deploy uses the old name, and fails"),
                        Some("deploy the code with the migration at once, or keep the old name with `table = \"…\"`".into()),
                    );
                }
            }
            Operation::RunSql(_) => self.unjudged(
                "raw-sql",
                "runs SQL of its own: review its locks and its cost on a big table by hand",
            ),
            Operation::RunRust(_) => self.unjudged(
                "data-migration",
                "runs Rust code over the rows: its time grows with the tables it reads and writes; update in batches",
            ),
            _ => {}
        }
    }

    /// A note on an operation whose cost cannot be judged from here (no table of its own).
    fn unjudged(&mut self, code: &'static str, message: &str) {
        let rule = rule(code).expect("a rule of RULES");
        self.out.push(Finding {
            code,
            level: rule.level,
            migration: self.migration.key(),
            operation: self.op.describe(),
            table: None,
            message: message.to_owned(),
            safe: None,
            size: None,
            allowed: None,
        });
    }

    /// What one statement does on this backend.
    fn statement(&mut self, s: &str) {
        let backend = self.backend();
        let version = self.target.server.and_then(Server::version);
        if let Some(table) = s
            .strip_prefix("CREATE TABLE ")
            .and_then(|r| first_name(backend, r))
        {
            if let Some(rebuilt) = table.strip_prefix("new__") {
                self.rebuilt.insert(rebuilt.to_owned());
                self.say(
                    "sqlite-rebuild",
                    rebuilt,
                    format!("makes table {rebuilt} again and copies every row into it; the database takes no other writes meanwhile"),
                    Some("put the changes to one table next to each other in one migration: they share one rebuild".into()),
                );
            }
            return;
        }
        let index = s
            .strip_prefix("CREATE UNIQUE INDEX ")
            .or_else(|| s.strip_prefix("CREATE INDEX "));
        if let Some(rest) = index {
            let concurrently = rest.starts_with("CONCURRENTLY ");
            let Some(table) = rest
                .split_once(" ON ")
                .and_then(|(_, t)| first_name(backend, t))
            else {
                return;
            };
            if self.rebuilt.contains(&table) {
                return;
            }
            match backend {
                Backend::Postgres if !concurrently => self.say(
                    "blocking-index",
                    &table,
                    format!("builds an index on {table}; writes to the table wait until it is built (reads go on)"),
                    Some("build it with CREATE INDEX CONCURRENTLY: `AddIndex::new(…).concurrently()` in a migration marked `.non_atomic()` (`lint --fix` writes it)".into()),
                ),
                Backend::Postgres => {}
                Backend::Mysql => self.say(
                    "online-index",
                    &table,
                    format!("builds an index on {table} online (InnoDB: reads and writes go on, briefly locked at the start and end)"),
                    None,
                ),
                Backend::Sqlite => self.say(
                    "blocking-index",
                    &table,
                    format!("builds an index on {table}; the database takes no other writes until it is built"),
                    Some("run it when writes can wait; SQLite has no online index build".into()),
                ),
            }
            return;
        }
        let Some(rest) = s.strip_prefix("ALTER TABLE ") else {
            return;
        };
        let Some((table, rest)) = split_name(backend, rest) else {
            return;
        };
        let rest = rest.trim_start();
        if rest.contains(" FOREIGN KEY ") && rest.starts_with("ADD ") && !rest.contains("NOT VALID")
        {
            let (how, safe) = match backend {
                Backend::Postgres => (
                    "checks every row against the referenced table, holding a SHARE ROW EXCLUSIVE lock on both (writes wait)",
                    "add the key NOT VALID, then VALIDATE CONSTRAINT in another transaction (it lets writes go on)",
                ),
                Backend::Mysql => (
                    "copies the table to check every row (ALGORITHM=COPY; writes wait) unless foreign_key_checks is off",
                    "add the key with foreign_key_checks = 0 (INPLACE) once you know every value has its row",
                ),
                Backend::Sqlite => return,
            };
            self.say(
                "foreign-key-validation",
                &table,
                format!(
                    "adds a foreign key to {table}: {how}; fails if a value has no row to point at"
                ),
                Some(safe.into()),
            );
            return;
        }
        if rest.starts_with("ADD CONSTRAINT ") && rest.contains(" UNIQUE ") {
            if backend == Backend::Postgres {
                self.say(
                    "blocking-index",
                    &table,
                    format!("builds the unique constraint's index on {table}; writes wait until it is built"),
                    Some("build a unique index CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX".into()),
                );
            }
            return;
        }
        if let Some(column) = rest.strip_prefix("ADD COLUMN ") {
            self.add_column(&table, column, version);
            return;
        }
        if backend == Backend::Postgres
            && rest.starts_with("ALTER COLUMN ")
            && rest.contains(" TYPE ")
        {
            if !self.widens_in_place() {
                self.say(
                    "table-rewrite",
                    &table,
                    format!("changes a column's type: PostgreSQL rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock (reads and writes wait)"),
                    Some("add a new column, backfill it in batches, switch over, drop the old one".into()),
                );
            }
            return;
        }
        if backend == Backend::Mysql
            && (rest.starts_with("MODIFY ") || rest.starts_with("CHANGE "))
            && !self.widens_in_place()
        {
            self.say(
                "table-rewrite",
                &table,
                format!("changes a column's definition: MySQL copies {table} (ALGORITHM=COPY; writes wait)"),
                Some("add a new column, backfill it in batches, switch over, drop the old one; or an online schema change tool (gh-ost, pt-online-schema-change)".into()),
            );
        }
    }

    /// A type change that the backend makes without touching the rows: a longer
    /// `varchar`, or `varchar` to `text` on PostgreSQL; a longer `varchar` within the same
    /// length-byte class on MySQL.
    fn widens_in_place(&self) -> bool {
        let Operation::AlterField(a) = self.op else {
            return false;
        };
        let types = self
            .model_in(self.before, &a.model)
            .zip(self.model_in(self.after, &a.model))
            .and_then(|(om, nm)| {
                let o = self.before.column_type(om, om.field(&a.field.name)?).ok()?;
                let n = self.after.column_type(nm, nm.field(&a.field.name)?).ok()?;
                Some((o, n))
            });
        match (self.backend(), types) {
            (Backend::Postgres, Some((ColumnType::Varchar(o), ColumnType::Varchar(n)))) => n >= o,
            (Backend::Postgres, Some((ColumnType::Varchar(_), ColumnType::Text))) => true,
            // utf8mb4: up to 63 characters fit in 255 bytes, a one-byte length.
            (Backend::Mysql, Some((ColumnType::Varchar(o), ColumnType::Varchar(n)))) => {
                n >= o && (n <= 63 || o > 63)
            }
            (_, Some((o, n))) => o == n,
            _ => false,
        }
    }

    fn add_column(&mut self, table: &str, column: &str, version: Option<((u32, u32, u32), bool)>) {
        let backend = self.backend();
        let Some(default) = column.split_once(" DEFAULT ").map(|(_, d)| d) else {
            return;
        };
        let uuid = default.contains(crate::schema::literal(backend, &Value::NewUuid).as_str());
        match backend {
            Backend::Postgres => {
                let old = version.is_some_and(|((major, _, _), _)| major < 11);
                if uuid || old {
                    let why = if old {
                        "PostgreSQL before 11 writes a column's default into every row"
                    } else {
                        "a default computed per row (gen_random_uuid()) is written into every row"
                    };
                    self.say(
                        "table-rewrite",
                        table,
                        format!("adds a column with a default to {table}: {why}, rewriting the table under an ACCESS EXCLUSIVE lock"),
                        Some("add the column nullable without a default, set the default, fill the rows in batches, then make it NOT NULL".into()),
                    );
                }
            }
            Backend::Mysql => {
                let old = version.is_some_and(|((major, minor, patch), mariadb)| {
                    if mariadb {
                        (major, minor, patch) < (10, 3, 2)
                    } else {
                        (major, minor, patch) < (8, 0, 12)
                    }
                });
                if uuid || old {
                    let why = if old {
                        "this server version cannot add a column instantly"
                    } else {
                        "a default computed per row cannot be added instantly"
                    };
                    self.say(
                        "table-rewrite",
                        table,
                        format!("adds a column to {table}: {why}, so MySQL copies the table (writes wait)"),
                        Some("add the column nullable without a default, fill it in batches, then make it NOT NULL".into()),
                    );
                }
            }
            Backend::Sqlite => {}
        }
    }
}

/// `(from, to)` of a statement that renames a table.
fn renamed_table(backend: Backend, s: &str) -> Option<(String, String)> {
    let (from, to) = match backend {
        Backend::Mysql => {
            let rest = s.strip_prefix("RENAME TABLE ")?;
            let (from, to) = rest.split_once(" TO ")?;
            (from.to_owned(), to.to_owned())
        }
        _ => {
            let rest = s.strip_prefix("ALTER TABLE ")?;
            let (from, to) = rest.split_once(" RENAME TO ")?;
            (from.to_owned(), to.to_owned())
        }
    };
    let from = first_name(backend, &from)?;
    (!from.starts_with("new__")).then_some(())?;
    Some((from, first_name(backend, &to)?))
}

/// Why changing a column from `old` to `new` can fail or lose data, if it can.
fn narrows(old: ColumnType, new: ColumnType) -> Option<String> {
    use ColumnType::*;
    let rank = |t: ColumnType| match t {
        SmallInt => Some(1),
        Integer => Some(2),
        BigInt => Some(3),
        _ => None,
    };
    match (old, new) {
        _ if old == new => None,
        (Varchar(o), Varchar(n)) if n < o => Some(format!(
            "a value longer than {n} characters fails (or is cut where the server allows it)"
        )),
        (Text, Varchar(n)) => Some(format!(
            "a value longer than {n} characters fails (or is cut where the server allows it)"
        )),
        (
            Decimal {
                max_digits: od,
                decimal_places: os,
            },
            Decimal {
                max_digits: nd,
                decimal_places: ns,
            },
        ) if nd - ns.min(nd) < od - os.min(od) || ns < os => {
            Some("a value with more digits than it keeps fails, or is rounded".into())
        }
        (o, n) if rank(o).is_some() && rank(n).is_some() => (rank(n) < rank(o))
            .then(|| "a number that does not fit the smaller integer fails".into()),
        (Varchar(_) | Text, Varchar(_) | Text) => None,
        (Double, Real) => Some("values lose precision".into()),
        (SmallInt | Integer, BigInt) | (Real, Double) => None,
        (Integer | SmallInt | BigInt | Uuid | Date | Time | Boolean, Text) => None,
        (o, n) => Some(format!("values of {o} that do not read as {n} fail")),
    }
}
