//! The schema editor: an operation and the states before and after it → SQL statements for
//! one backend.
//!
//! Every schema operation is rendered the same way: the tables of the models it touches
//! are taken from the SQL-level view of both states (`ProjectState::model_tables`), paired
//! and compared (`diff.rs`), and the differences are rendered per backend. Backwards is the
//! same comparison from "after" to "before", so every schema operation can be undone.
//! Names and values become SQL text in one place, `sql.rs`.
//! SQLite cannot ALTER most things: `sqlite.rs` rebuilds such a table, keeping every row.

mod diff;
mod mysql;
mod postgres;
mod sql;
mod sqlite;

use sql::KeyRole;
pub use sql::{column_literal, literal, quote, string};

use std::collections::BTreeSet;

pub use crate::operations::Backend;

use crate::error::{Error, Result};
use crate::fields::ColumnType;
use crate::migration::Migration;
use crate::operations::Operation;
use crate::state::{Column, ModelKey, ProjectState, Table};
use diff::Hints;

/// The SQL that applies `op` (of `app`), taking the database from `before` to `after`.
pub fn forwards(
    backend: Backend,
    app: &str,
    op: &Operation,
    before: &ProjectState,
    after: &ProjectState,
) -> Result<Vec<String>> {
    match op {
        Operation::RunSql(r) => Ok(vec![r.for_backend(backend).0.to_owned()]),
        Operation::RunRust(_) => Ok(Vec::new()),
        _ => {
            let statements = render(
                backend,
                app,
                op,
                before,
                after,
                &hints(app, op, before, after),
            )?;
            Ok(match op {
                Operation::AddIndex(a) if a.concurrently => concurrently(backend, statements),
                Operation::AddConstraint(a)
                    if a.validate_separately && backend == Backend::Postgres =>
                {
                    validate_separately(a.constraint.name(), statements)
                }
                _ => statements,
            })
        }
    }
}

/// PostgreSQL: a check added `NOT VALID`, then validated by a statement of its own (which
/// lets reads and writes go on while it scans).
fn validate_separately(name: &str, statements: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(statements.len() + 1);
    for s in statements {
        let table = s
            .strip_prefix("ALTER TABLE ")
            .and_then(|rest| rest.split_once(" ADD CONSTRAINT "))
            .filter(|(_, rest)| rest.contains(" CHECK ("))
            .map(|(table, _)| table.to_owned());
        match table {
            Some(table) => {
                out.push(format!("{s} NOT VALID"));
                out.push(format!(
                    "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                    sql::quote(Backend::Postgres, name)
                ));
            }
            None => out.push(s),
        }
    }
    out
}

/// An index's statements made to let writes go on while it is built or dropped.
fn concurrently(backend: Backend, statements: Vec<String>) -> Vec<String> {
    statements
        .into_iter()
        .map(|s| match backend {
            Backend::Postgres => {
                for (plain, online) in [
                    ("CREATE INDEX ", "CREATE INDEX CONCURRENTLY "),
                    ("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX CONCURRENTLY "),
                    ("DROP INDEX ", "DROP INDEX CONCURRENTLY "),
                ] {
                    if let Some(rest) = s.strip_prefix(plain) {
                        return format!("{online}{rest}");
                    }
                }
                s
            }
            Backend::Mysql if s.starts_with("CREATE ") || s.starts_with("DROP INDEX ") => {
                format!("{s} ALGORITHM=INPLACE LOCK=NONE")
            }
            _ => s,
        })
        .collect()
}

/// The SQL that undoes `op`, taking the database from `after` back to `before`.
pub fn backwards(
    backend: Backend,
    app: &str,
    op: &Operation,
    before: &ProjectState,
    after: &ProjectState,
) -> Result<Vec<String>> {
    match op {
        Operation::RunSql(r) => match r.for_backend(backend).1 {
            Some(reverse) => Ok(vec![reverse.to_owned()]),
            None => Err(irreversible(app, op)),
        },
        Operation::RunRust(r) if r.reverse.is_none() => Err(irreversible(app, op)),
        Operation::RunRust(_) => Ok(Vec::new()),
        Operation::AddIndex(a) if a.concurrently => {
            let hints = hints(app, op, before, after).reversed();
            Ok(concurrently(
                backend,
                render(backend, app, op, after, before, &hints)?,
            ))
        }
        _ => {
            let hints = hints(app, op, before, after).reversed();
            render(backend, app, op, after, before, &hints)
        }
    }
}

fn irreversible(app: &str, op: &Operation) -> Error {
    Error::Irreversible {
        migration: app.to_owned(),
        operation: op.describe(),
    }
}

/// One operation of a migration as it runs: its statements, and for a Rust operation the
/// states around it (before and after it, in forwards terms), which its function sees.
#[derive(Debug)]
pub struct RenderedOp {
    /// Its position in the migration's operations.
    pub index: usize,
    /// The SQL statements, in order.
    pub statements: Vec<String>,
    /// For a Rust operation, the states before and after it.
    pub states: Option<(ProjectState, ProjectState)>,
    /// On SQLite: its change is made by the rebuild of the operation run before it, which
    /// rebuilds the table once for both (its own statements are then none).
    pub in_rebuild_before: bool,
}

/// A whole migration, forwards or backwards from the state before it, one entry per
/// operation in the order they run (backwards: last operation first).
pub fn render_migration(
    backend: Backend,
    m: &Migration,
    before: &ProjectState,
    backwards: bool,
) -> Result<Vec<RenderedOp>> {
    let mut states = vec![before.clone()];
    for op in &m.operations {
        let mut next = states.last().expect("not empty").clone();
        op.state_forwards(&m.app, &mut next)
            .map_err(|problem| Error::InvalidOperation {
                migration: m.key().to_string(),
                operation: op.describe(),
                problem,
            })?;
        states.push(next);
    }
    let order: Vec<usize> = if backwards {
        (0..m.operations.len()).rev().collect()
    } else {
        (0..m.operations.len()).collect()
    };
    let mut rendered = order
        .into_iter()
        .map(|index| {
            let op = &m.operations[index];
            let (b, a) = (&states[index], &states[index + 1]);
            let statements = if backwards {
                self::backwards(backend, &m.app, op, b, a)
            } else {
                self::forwards(backend, &m.app, op, b, a)
            }
            .map_err(|e| match e {
                Error::Irreversible { operation, .. } => Error::Irreversible {
                    migration: m.key().to_string(),
                    operation,
                },
                other => other,
            })?;
            let states = matches!(op, Operation::RunRust(_)).then(|| (b.clone(), a.clone()));
            Ok(RenderedOp {
                index,
                statements,
                states,
                in_rebuild_before: false,
            })
        })
        .collect::<Result<Vec<RenderedOp>>>()?;
    if backend == Backend::Sqlite {
        sqlite::merge_rebuilds(&m.app, &m.operations, &states, backwards, &mut rendered)?;
    }
    Ok(rendered)
}

/// The statements of a whole migration, each operation's under a comment naming it, forwards
/// or backwards from the state before it. This is `sqlmigrate`.
pub fn migration_sql(
    backend: Backend,
    m: &Migration,
    before: &ProjectState,
    backwards: bool,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for rendered in render_migration(backend, m, before, backwards)? {
        let op = m.operations[rendered.index].describe();
        out.push(match rendered.in_rebuild_before {
            true => format!("-- {op} (made by the rebuild above)"),
            false => format!("-- {op}"),
        });
        out.extend(rendered.statements);
    }
    Ok(out)
}

/// Statements as a script: `;` after each statement, comments as they are, and
/// `BEGIN;` / `COMMIT;` around it when the migration runs in a transaction.
pub fn script(statements: &[String], transactional: bool) -> String {
    let mut out = String::new();
    if transactional {
        out.push_str("BEGIN;\n");
    }
    for s in statements {
        out.push_str(s);
        if !s.starts_with("--") {
            out.push(';');
        }
        out.push('\n');
    }
    if transactional {
        out.push_str("COMMIT;\n");
    }
    out
}

/// Renames and one-off values the operation carries.
fn hints(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> Hints {
    let key = |name: &str| ModelKey::new(app.to_owned(), name.to_owned());
    let mut hints = Hints::default();
    match op {
        Operation::RenameModel(r) => {
            hints.model_rename = Some((key(&r.old_name), key(&r.new_name)));
            // Join tables name their columns after the models on each side.
            let (old, new) = (r.old_name.to_lowercase(), r.new_name.to_lowercase());
            for prefix in ["", "from_", "to_"] {
                hints
                    .join_column_renames
                    .push((format!("{prefix}{old}_id"), format!("{prefix}{new}_id")));
            }
        }
        Operation::RenameField(r) => {
            let column = |s: &ProjectState, f: &str| {
                s.model(&key(&r.model))
                    .and_then(|m| m.field(f))
                    .map(|f| f.column.to_string())
            };
            if let (Some(from), Some(to)) =
                (column(before, &r.old_name), column(after, &r.new_name))
            {
                hints.column_renames.push((key(&r.model), from, to));
            }
        }
        // The same field under another column: its values move with it.
        Operation::AlterField(a) => {
            let from = before
                .model(&key(&a.model))
                .and_then(|m| m.field(&a.field.name))
                .map(|f| f.column.to_string());
            if let Some(from) = from {
                hints
                    .column_renames
                    .push((key(&a.model), from, a.field.column.to_string()));
            }
            hints.one_offs.extend(
                a.one_off_default
                    .clone()
                    .map(|v| (a.field.column.to_string(), v)),
            );
        }
        Operation::AddField(a) => {
            hints.one_offs.extend(
                a.one_off_default
                    .clone()
                    .map(|v| (a.field.column.to_string(), v)),
            );
        }
        _ => {}
    }
    hints
}

/// The models whose tables an operation can change.
fn affected(
    app: &str,
    op: &Operation,
    before: &ProjectState,
    after: &ProjectState,
) -> BTreeSet<ModelKey> {
    let mut keys = BTreeSet::new();
    let key = |name: &str| ModelKey::new(app.to_owned(), name.to_owned());
    if let Some(name) = op.model_name() {
        keys.insert(key(name));
    }
    if let Operation::RenameModel(r) = op {
        keys.insert(key(&r.old_name));
    }
    // Keys pointing at a model follow its primary key's type, and join tables its name.
    let reaches_others = match op {
        Operation::RenameModel(_) => true,
        Operation::AlterField(a) => a.field.primary_key,
        _ => false,
    };
    if reaches_others {
        let targets: Vec<ModelKey> = keys.iter().cloned().collect();
        for state in [before, after] {
            for model in state.models() {
                if targets.iter().any(|t| op_points_at(model, t)) {
                    keys.insert(model.key());
                }
            }
        }
    }
    keys
}

fn op_points_at(model: &crate::state::ModelState, target: &ModelKey) -> bool {
    model
        .fields
        .iter()
        .any(|f| f.ty.target().and_then(|t| t.key()).as_ref() == Some(target))
}

/// The tables of `keys` as `backend` has them (`ProjectState::tables_for`).
fn tables_of(
    backend: Backend,
    state: &ProjectState,
    keys: &BTreeSet<ModelKey>,
) -> Result<Vec<Table>> {
    let mut out = Vec::new();
    for key in keys {
        if let Some(model) = state.model(key) {
            state.model_tables(Some(backend), model, &mut out)?;
        }
    }
    Ok(out)
}

fn render(
    backend: Backend,
    app: &str,
    op: &Operation,
    from: &ProjectState,
    to: &ProjectState,
    hints: &Hints,
) -> Result<Vec<String>> {
    let mut keys = affected(app, op, from, to);
    // An unmanaged model's tables are someone else's, and so are those of a model that
    // changes hands in this operation: a handover runs no SQL.
    let managed = |state: &ProjectState, key: &ModelKey| state.model(key).is_none_or(|m| m.managed);
    keys.retain(|k| managed(from, k) && managed(to, k));
    let diffs = diff::diff(
        &tables_of(backend, from, &keys)?,
        &tables_of(backend, to, &keys)?,
        hints,
    );
    // SQLite rebuilds such tables with foreign keys off; the others alter in place.
    let retyped = match backend {
        Backend::Sqlite => Vec::new(),
        _ => diff::retyped_keys(&diffs),
    };
    let mut out = Vec::new();
    for (old_table, _, fk) in &retyped {
        out.push(sql::drop_foreign_key(backend, old_table, &fk.name));
    }
    for d in diffs {
        match backend {
            Backend::Postgres => postgres::render(&d, &mut out),
            Backend::Mysql => mysql::render(&d, &mut out),
            Backend::Sqlite => sqlite::render(&d, &mut out),
        }?;
    }
    for (_, new_table, fk) in &retyped {
        out.push(sql::add_foreign_key(backend, new_table, fk));
    }
    Ok(out)
}

/// The column type as each backend spells it.
pub fn type_name(backend: Backend, ty: ColumnType) -> String {
    use ColumnType::*;
    match (backend, ty) {
        (Backend::Sqlite, SmallInt | Integer | BigInt) => "integer".into(),
        (_, SmallInt) => "smallint".into(),
        (Backend::Mysql, Integer) => "int".into(),
        (_, Integer) => "integer".into(),
        (_, BigInt) => "bigint".into(),
        (Backend::Mysql, Boolean) => "bool".into(),
        (_, Boolean) => "boolean".into(),
        (Backend::Mysql, Real) => "float".into(),
        (_, Real) => "real".into(),
        (Backend::Postgres, Double) => "double precision".into(),
        (_, Double) => "double".into(),
        (
            Backend::Postgres,
            Decimal {
                max_digits,
                decimal_places,
            },
        ) => {
            format!("numeric({max_digits}, {decimal_places})")
        }
        (
            _,
            Decimal {
                max_digits,
                decimal_places,
            },
        ) => format!("decimal({max_digits}, {decimal_places})"),
        (_, Varchar(n)) => format!("varchar({n})"),
        (Backend::Mysql, Text) => "longtext".into(),
        (_, Text) => "text".into(),
        (Backend::Postgres, Uuid) => "uuid".into(),
        // 16 bytes, as sqlx encodes `Uuid` on these backends, so that the application's own
        // queries and the tool agree on the column.
        (Backend::Mysql, Uuid) => "binary(16)".into(),
        (Backend::Sqlite, Uuid) => "blob".into(),
        (Backend::Postgres, TimestampTz) => "timestamp with time zone".into(),
        (Backend::Mysql, TimestampTz | Timestamp) => "datetime(6)".into(),
        (_, TimestampTz | Timestamp) => "timestamp".into(),
        (_, Date) => "date".into(),
        (Backend::Mysql, Time) => "time(6)".into(),
        (_, Time) => "time".into(),
        (Backend::Postgres, Json) => "jsonb".into(),
        (Backend::Mysql, Json) => "json".into(),
        (Backend::Sqlite, Json) => "text".into(),
        (Backend::Postgres, Binary) => "bytea".into(),
        (Backend::Mysql, Binary) => "longblob".into(),
        (Backend::Sqlite, Binary) => "blob".into(),
        (Backend::Postgres, Duration) => "interval".into(),
        (_, Duration) => "bigint".into(),
        (Backend::Postgres, IpAddr) => "inet".into(),
        (_, IpAddr) => "char(39)".into(),
    }
}

/// The history table, created if missing: `(id, app, name, applied_at, checksum)`.
pub fn history_table(backend: Backend) -> String {
    let column = |n: &str, ty: ColumnType, auto_increment: bool| Column {
        name: n.to_owned(),
        ty,
        nullable: false,
        default: None,
        auto_increment,
    };
    let table = Table {
        name: crate::recorder::TABLE.to_owned(),
        model: ModelKey::new("migrate", "Migration"),
        m2m_field: None,
        columns: vec![
            column("id", ColumnType::BigInt, true),
            column("app", ColumnType::Varchar(255), false),
            column("name", ColumnType::Varchar(255), false),
            column("applied_at", ColumnType::TimestampTz, false),
            checksum_column(),
        ],
        primary_key: vec!["id".into()],
        foreign_keys: Vec::new(),
        indexes: Vec::new(),
        uniques: Vec::new(),
        checks: Vec::new(),
    };
    sql::create_table(backend, &table, None).replacen(
        "CREATE TABLE",
        "CREATE TABLE IF NOT EXISTS",
        1,
    )
}

/// The history table's `checksum` column (added to tables from before it by
/// [`history_checksum_column`]).
fn checksum_column() -> Column {
    Column {
        name: "checksum".to_owned(),
        ty: ColumnType::Text,
        nullable: true,
        default: None,
        auto_increment: false,
    }
}

/// Adds the `checksum` column to a history table from before it.
pub fn history_checksum_column(backend: Backend) -> String {
    let def = sql::column_def(backend, &checksum_column(), KeyRole::None, None);
    sql::add_column(backend, crate::recorder::TABLE, &def)
}

/// The history row of `app.migration` (with its checksum, when known), values written out,
/// so that it can go in a script with other statements.
pub fn history_row(backend: Backend, app: &str, migration: &str, checksum: Option<&str>) -> String {
    let q = |s: &str| quote(backend, s);
    let checksum = checksum.map_or_else(|| "NULL".to_owned(), |c| sql::string(backend, c));
    format!(
        "INSERT INTO {} ({}, {}, {}, {}) VALUES ({}, {}, CURRENT_TIMESTAMP, {checksum})",
        q(crate::recorder::TABLE),
        q("app"),
        q("name"),
        q("applied_at"),
        q("checksum"),
        sql::string(backend, app),
        sql::string(backend, migration)
    )
}

/// Deletes the history row of `app.migration`, values written out.
pub fn history_delete(backend: Backend, app: &str, migration: &str) -> String {
    let q = |s: &str| quote(backend, s);
    format!(
        "DELETE FROM {} WHERE {} = {} AND {} = {}",
        q(crate::recorder::TABLE),
        q("app"),
        sql::string(backend, app),
        q("name"),
        sql::string(backend, migration)
    )
}

/// Statements shared by the backends that can ALTER in place (PostgreSQL and MySQL).
fn render_create(backend: Backend, table: &Table, out: &mut Vec<String>) {
    out.push(sql::create_table(backend, table, None));
    for index in &table.indexes {
        out.push(sql::create_index(backend, &table.name, index));
    }
}

/// `ADD COLUMN`s of an in-place alter (PostgreSQL, MySQL): a one-off value fills existing
/// rows through a temporary default, which is then set to the column's own or dropped.
fn render_add_columns(b: Backend, a: &diff::Alter, out: &mut Vec<String>) {
    let table = &a.new.name;
    for (c, one_off) in &a.add_columns {
        let fill = one_off.as_ref().or(c.default.as_ref());
        let def = sql::column_def(b, c, KeyRole::None, fill);
        out.push(sql::add_column(b, table, &def));
        if one_off.is_some() {
            let rest = match &c.default {
                Some(d) => format!("SET DEFAULT {}", sql::column_literal(b, c.ty, d)),
                None => "DROP DEFAULT".to_owned(),
            };
            out.push(sql::alter_column(b, table, &c.name, &rest));
        }
    }
}

/// The additions that close an in-place alter: foreign keys, unique and check constraints,
/// indexes.
fn render_additions(b: Backend, a: &diff::Alter, out: &mut Vec<String>) {
    let table = &a.new.name;
    let renamed_on_mysql = a
        .rename_foreign_keys
        .iter()
        .filter(|_| b == Backend::Mysql)
        .filter_map(|(_, to)| a.new.foreign_keys.iter().find(|k| k.name == *to));
    for fk in a.add_foreign_keys.iter().chain(renamed_on_mysql) {
        out.push(sql::add_foreign_key(b, table, fk));
    }
    for u in &a.add_uniques {
        out.push(sql::add_unique(b, table, &u.name, &u.columns));
    }
    for (n, expr) in &a.add_checks {
        out.push(sql::add_check(b, &a.new, n, expr));
    }
    for i in &a.add_indexes {
        out.push(sql::create_index(b, table, i));
    }
}

/// The removals that open an in-place alter, under the table's old name: foreign keys,
/// unique and check constraints, indexes, then renames of indexes, unique constraints and
/// foreign keys.
fn render_removals(b: Backend, a: &diff::Alter, out: &mut Vec<String>) {
    let old = &a.old.name;
    for fk in &a.drop_foreign_keys {
        out.push(sql::drop_foreign_key(b, old, &fk.name));
    }
    for u in &a.drop_uniques {
        out.push(sql::drop_unique(b, old, &u.name));
    }
    for (n, _) in &a.drop_checks {
        out.push(sql::drop_check(b, old, n));
    }
    for i in &a.drop_indexes {
        out.push(sql::drop_index(b, old, i));
    }
    for (from, to) in &a.rename_indexes {
        let maybe_absent = a
            .old
            .indexes
            .iter()
            .any(|i| i.name == *from && i.opclass.is_some());
        out.push(sql::rename_index(b, old, from, to, maybe_absent));
    }
    for (from, to) in &a.rename_uniques {
        out.push(sql::rename_constraint(b, old, from, to));
    }
    for (from, to) in &a.rename_foreign_keys {
        // MySQL cannot rename a foreign key: it is dropped here and added back with the
        // additions.
        out.push(match b {
            Backend::Mysql => sql::drop_foreign_key(b, old, from),
            _ => sql::rename_constraint(b, old, from, to),
        });
    }
}

/// Table and column renames, then dropped columns, of an in-place alter.
fn render_renames_and_drops(b: Backend, a: &diff::Alter, out: &mut Vec<String>) {
    if a.old.name != a.new.name {
        out.push(sql::rename_table(b, &a.old.name, &a.new.name));
    }
    let table = &a.new.name;
    for (from, to) in &a.rename_columns {
        out.push(sql::rename_column(b, table, from, to));
    }
    for c in &a.drop_columns {
        out.push(sql::drop_column(b, table, &c.name));
    }
}

fn render_drop(backend: Backend, table: &Table, out: &mut Vec<String>) {
    out.push(sql::drop_table(backend, &table.name));
}

#[cfg(test)]
mod tests;
