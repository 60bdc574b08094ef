//! The schema a live database really has, read from its catalog, and its comparison with
//! what the migrations say it has (`migrate --check-schema`). The tool's own tables (the
//! history and MySQL's progress table) are left out.
//!
//! What is compared: each table the migrations manage, with its columns (type as the
//! catalog spells it, reduced to compare with ours; nullability; whether there is a
//! default), foreign keys (column, target, delete rule), indexes and unique constraints (by
//! name; SQLite's unique constraints by their columns, as it names them itself), and check
//! constraints (by name). Tables the migrations do not know are someone else's and are not
//! reported.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::connection::DbConnection;
use crate::error::{Error, Result};
use crate::fields::Value;
use crate::operations::{
    AddConstraint, AddField, AddIndex, AlterField, CreateModel, RemoveConstraint, RemoveField,
    RemoveIndex,
};
use crate::schema::{literal, type_name, Backend};
use crate::state::ProjectState;

/// A database's tables, as its catalog describes them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LiveSchema {
    /// Each table by name.
    pub tables: BTreeMap<String, LiveTable>,
}

/// One table, as its catalog describes it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LiveTable {
    /// Column → (type, nullable, has a default).
    pub columns: BTreeMap<String, (String, bool, bool)>,
    /// (column, referenced table, referenced column, delete rule).
    pub foreign_keys: BTreeSet<(String, String, String, String)>,
    /// Names of the non-unique indexes.
    pub indexes: BTreeSet<String>,
    /// Unique constraints and indexes: names (on SQLite, their columns joined by `,`).
    pub uniques: BTreeSet<String>,
    /// Names of the check constraints.
    pub checks: BTreeSet<String>,
}

/// Rows of a catalog query as text (MariaDB reports some text as bytes through `Any`).
async fn rows(conn: &mut DbConnection, sql: &str) -> Result<Vec<Vec<String>>> {
    let found = sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(|source| Error::Database {
            context: "reading the database's catalog".into(),
            source,
        })?;
    Ok(found
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            r.try_get::<Option<Vec<u8>>, _>(i)
                                .ok()
                                .flatten()
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect())
}

/// An expression as text, in the catalog queries.
fn text(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Postgres => format!("({expr})::text"),
        Backend::Mysql => format!("CONVERT({expr} USING utf8mb4)"),
        Backend::Sqlite => format!("CAST({expr} AS TEXT)"),
    }
}

/// Reads every table of the database the connection is on.
pub(super) async fn read(conn: &mut DbConnection, backend: Backend) -> Result<LiveSchema> {
    let text = |s: &str| text(backend, s);
    let mut schema = LiveSchema::default();
    let tables: Vec<String> = match backend {
        Backend::Postgres => rows(conn,
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ).await?,
        Backend::Mysql => rows(conn, &format!(
            "SELECT {} FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
            text("TABLE_NAME")
        )).await?,
        Backend::Sqlite => rows(conn,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        ).await?,
    }
    .into_iter()
    .map(|r| r[0].clone())
    .filter(|t| t != crate::recorder::TABLE && t != crate::recorder::PROGRESS_TABLE)
    .collect();
    for table in tables {
        let mut info = LiveTable::default();
        // The table's name as a string literal: names here may hold any character.
        let lit = literal(backend, &Value::Str(table.clone().into()));
        let columns = match backend {
            Backend::Postgres => rows(conn, &format!(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (NOT a.attnotnull)::text, (d.adbin IS NOT NULL)::text \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE n.nspname = current_schema() AND c.relname = {lit} AND a.attnum > 0 AND NOT a.attisdropped"
            )).await?,
            Backend::Mysql => rows(conn, &format!(
                "SELECT {}, {}, IF(IS_NULLABLE = 'YES', 'true', 'false'), IF(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL', 'false', 'true') \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit}",
                text("COLUMN_NAME"),
                text("COLUMN_TYPE")
            )).await?,
            Backend::Sqlite => rows(conn, &format!(
                "SELECT name, type, CASE WHEN \"notnull\" = 0 AND pk = 0 THEN 'true' ELSE 'false' END, CASE WHEN dflt_value IS NULL THEN 'false' ELSE 'true' END FROM pragma_table_info({lit})"
            )).await?,
        };
        for c in columns {
            info.columns.insert(
                c[0].clone(),
                (normalize(backend, &c[1]), c[2] == "true", c[3] == "true"),
            );
        }
        let fks = match backend {
            Backend::Postgres => rows(conn, &format!(
                "SELECT a.attname::text, cf.relname::text, af.attname::text, c.confdeltype::text FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class cf ON cf.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
                 WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = {lit}"
            )).await?,
            Backend::Mysql => rows(conn, &format!(
                "SELECT {}, {}, {}, {} FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = {lit} AND k.REFERENCED_TABLE_NAME IS NOT NULL",
                text("k.COLUMN_NAME"),
                text("k.REFERENCED_TABLE_NAME"),
                text("k.REFERENCED_COLUMN_NAME"),
                text("r.DELETE_RULE")
            )).await?,
            Backend::Sqlite => rows(conn, &format!(
                "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list({lit})"
            )).await?,
        };
        for f in fks {
            let rule = match f[3].as_str() {
                "a" => "NO ACTION",
                "r" => "RESTRICT",
                "c" => "CASCADE",
                "n" => "SET NULL",
                "d" => "SET DEFAULT",
                other => other,
            };
            info.foreign_keys
                .insert((f[0].clone(), f[1].clone(), f[2].clone(), rule.to_owned()));
        }
        let (indexes, uniques) = match backend {
            Backend::Postgres => (
                rows(conn, &format!(
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = {lit} AND indexdef NOT LIKE 'CREATE UNIQUE%'"
                )).await?,
                rows(conn, &format!(
                    "SELECT c.conname::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE c.contype = 'u' AND n.nspname = current_schema() AND t.relname = {lit} \
                     UNION SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename = {lit} \
                     AND i.indexdef LIKE 'CREATE UNIQUE%' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
                )).await?,
            ),
            Backend::Mysql => (
                rows(conn, &format!(
                    "SELECT DISTINCT {} FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND NON_UNIQUE = 1",
                    text("INDEX_NAME")
                )).await?,
                rows(conn, &format!(
                    "SELECT DISTINCT {} FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
                    text("INDEX_NAME")
                )).await?,
            ),
            // SQLite names a constraint's index itself; unique constraints are known by
            // their columns, unique indexes by name.
            Backend::Sqlite => (
                rows(conn, &format!("SELECT name FROM pragma_index_list({lit}) WHERE \"unique\" = 0")).await?,
                rows(conn, &format!(
                    "SELECT CASE WHEN l.origin = 'u' THEN (SELECT group_concat(name, ',') FROM pragma_index_info(l.name)) ELSE l.name END \
                     FROM pragma_index_list({lit}) l WHERE l.\"unique\" = 1 AND l.origin <> 'pk'"
                )).await?,
            ),
        };
        info.indexes = indexes.into_iter().map(|r| r[0].clone()).collect();
        info.uniques = uniques.into_iter().map(|r| r[0].clone()).collect();
        info.checks = match backend {
            Backend::Postgres => rows(conn, &format!(
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE c.contype = 'c' AND n.nspname = current_schema() AND t.relname = {lit}"
            )).await?,
            Backend::Mysql => rows(conn, &format!(
                "SELECT {} FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND CONSTRAINT_TYPE = 'CHECK'",
                text("CONSTRAINT_NAME")
            )).await?,
            Backend::Sqlite => {
                let sql = rows(conn, &format!("SELECT sql FROM sqlite_master WHERE name = {lit}")).await?;
                // A table dropped since it was listed has no checks left to read.
                let sql = sql.first().and_then(|r| r.first()).map_or("", String::as_str);
                sqlite_checks(sql).into_iter().map(|c| vec![c]).collect()
            }
        }
        .into_iter()
        .map(|r| r[0].clone())
        // MariaDB adds a json_valid() check named after each json column.
        .filter(|name| !info.columns.contains_key(name))
        .collect();
        schema.tables.insert(table, info);
    }
    Ok(schema)
}

/// The names of the `CONSTRAINT "…" CHECK` clauses of an SQLite `CREATE TABLE`.
fn sqlite_checks(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("CONSTRAINT \"") {
        rest = &rest[at + 12..];
        // A quoted name: `""` inside stands for `"`.
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    chars.next();
                } else {
                    end = i + 1;
                    break;
                }
            }
            name.push(c);
        }
        rest = &rest[end..];
        if rest.trim_start().starts_with("CHECK") {
            out.push(name);
        }
    }
    out
}

/// A type as the catalog spells it, reduced to compare with what the tool asks for.
fn normalize(backend: Backend, raw: &str) -> String {
    let mut t = raw.to_lowercase().replace(' ', "");
    match backend {
        Backend::Postgres => {
            t = t.replace("charactervarying", "varchar");
            if let Some(n) = t.strip_prefix("character(") {
                t = format!("char({n}");
            }
        }
        Backend::Mysql => {
            if t == "tinyint(1)" {
                return "bool".into();
            }
            for int in ["smallint", "bigint", "int"] {
                if let Some(rest) = t.strip_prefix(&format!("{int}(")) {
                    if rest.ends_with(')')
                        && rest[..rest.len() - 1].chars().all(|c| c.is_ascii_digit())
                    {
                        t = int.to_owned();
                    }
                }
            }
            // MariaDB's json is longtext with a json_valid() check.
            if t == "json" {
                t = "longtext".into();
            }
        }
        Backend::Sqlite => {}
    }
    t
}

impl LiveSchema {
    /// What the catalog of a database in `state` on `backend` would say.
    pub fn expected(state: &ProjectState, backend: Backend) -> Result<LiveSchema> {
        Ok(Self::of_tables(&state.tables_for(Some(backend))?, backend))
    }

    /// What the catalog says of `tables` (a state's, on `backend`).
    fn of_tables(tables: &[crate::state::Table], backend: Backend) -> LiveSchema {
        let mut schema = LiveSchema::default();
        for table in tables {
            let mut info = LiveTable::default();
            let sole_key = table.primary_key.len() == 1;
            for c in &table.columns {
                let auto_sqlite = backend == Backend::Sqlite && c.auto_increment && sole_key;
                let ty = if auto_sqlite {
                    "integer".to_owned()
                } else {
                    type_name(backend, c.ty)
                };
                info.columns.insert(
                    c.name.clone(),
                    (normalize(backend, &ty), c.nullable, c.default.is_some()),
                );
            }
            for fk in &table.foreign_keys {
                info.foreign_keys.insert((
                    fk.column.clone(),
                    fk.ref_table.clone(),
                    fk.ref_column.clone(),
                    fk.on_delete.sql().to_owned(),
                ));
            }
            info.indexes = table
                .indexes
                .iter()
                .filter(|i| !i.unique)
                .map(|i| i.name.clone())
                .collect();
            info.uniques = table
                .uniques
                .iter()
                .map(|u| match backend {
                    Backend::Sqlite => u.columns.join(","),
                    _ => u.name.clone(),
                })
                .chain(
                    table
                        .indexes
                        .iter()
                        .filter(|i| i.unique)
                        .map(|i| i.name.clone()),
                )
                .collect();
            info.checks = table.checks.iter().map(|(n, _)| n.clone()).collect();
            schema.tables.insert(table.name.clone(), info);
        }
        schema
    }

    /// How `self` (a live database) differs from what its migrations say (`state`, on
    /// `backend`), for the tables the state manages: each difference, and the operation
    /// that would bring the database to the migrations, in `makemigrations`' words.
    pub fn drift(&self, state: &ProjectState, backend: Backend) -> Result<Vec<Drift>> {
        let tables = state.tables_for(Some(backend))?;
        let expected = LiveSchema::of_tables(&tables, backend);
        let mut out = Vec::new();
        for table in &tables {
            let want = &expected.tables[&table.name];
            let reconcile = Reconcile { state, table };
            let name = &table.name;
            let Some(have) = self.tables.get(name) else {
                out.push(reconcile.table_missing());
                continue;
            };
            for (column, (ty, null, default)) in &want.columns {
                let Some((have_ty, have_null, have_default)) = have.columns.get(column) else {
                    out.push(reconcile.column(
                        format!("column {name}.{column} is missing"),
                        column,
                        true,
                    ));
                    continue;
                };
                let mut say =
                    |difference: String| out.push(reconcile.column(difference, column, false));
                if have_ty != ty {
                    say(format!(
                        "column {name}.{column} is {have_ty}; the migrations say {ty}"
                    ));
                }
                if have_null != null {
                    let says = |n: bool| if n { "NULL" } else { "NOT NULL" };
                    say(format!(
                        "column {name}.{column} is {}; the migrations say {}",
                        says(*have_null),
                        says(*null)
                    ));
                }
                if have_default != default {
                    let says = |d: bool| if d { "a default" } else { "no default" };
                    say(format!(
                        "column {name}.{column} has {}; the migrations say {}",
                        says(*have_default),
                        says(*default)
                    ));
                }
            }
            for column in have
                .columns
                .keys()
                .filter(|c| !want.columns.contains_key(*c))
            {
                out.push(reconcile.extra_column(column));
            }
            let sets = [
                (Kind::Index, &want.indexes, &have.indexes),
                (Kind::Unique, &want.uniques, &have.uniques),
                (Kind::Check, &want.checks, &have.checks),
            ];
            for (kind, want, have) in sets {
                for missing in want.difference(have) {
                    out.push(reconcile.named(kind, missing, true));
                }
                for extra in have.difference(want) {
                    out.push(reconcile.named(kind, extra, false));
                }
            }
            for (fks, missing) in [
                (want.foreign_keys.difference(&have.foreign_keys), true),
                (have.foreign_keys.difference(&want.foreign_keys), false),
            ] {
                for fk in fks {
                    let difference = format!(
                        "foreign key {name}.{} -> {}.{} (on delete {}) {}",
                        fk.0,
                        fk.1,
                        fk.2,
                        fk.3,
                        if missing {
                            "is missing"
                        } else {
                            "is not in the migrations"
                        }
                    );
                    out.push(reconcile.column(difference, &fk.0, false));
                }
            }
        }
        Ok(out)
    }
}

/// A difference between a live database and its migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// What differs, in words.
    pub difference: String,
    /// The operation that would bring the database to the migrations, as `makemigrations`
    /// words it (`Add field phone to customer`).
    pub operation: String,
}

#[derive(Clone, Copy)]
enum Kind {
    Index,
    Unique,
    Check,
}

/// Words the operations that reconcile one table's differences.
struct Reconcile<'a> {
    state: &'a ProjectState,
    table: &'a crate::state::Table,
}

impl Reconcile<'_> {
    fn model(&self) -> &crate::state::ModelState {
        self.state
            .model(&self.table.model)
            .expect("the state's tables belong to its models")
    }

    /// The field stored in `column` (for a join table, its many-to-many field).
    fn field_of(&self, column: &str) -> Option<&crate::state::Field> {
        let model = self.model();
        match &self.table.m2m_field {
            Some(m2m) => model.field(m2m),
            None => model
                .fields
                .iter()
                .find(|f| f.ty.has_column() && f.column == column),
        }
    }

    fn drift(difference: String, operation: impl Into<crate::operations::Operation>) -> Drift {
        Drift {
            difference,
            operation: operation.into().describe(),
        }
    }

    fn table_missing(&self) -> Drift {
        let model = self.model();
        let difference = format!("table {} is missing", self.table.name);
        match self.table.m2m_field.as_deref().and_then(|f| model.field(f)) {
            Some(field) => {
                Self::drift(difference, AddField::new(model.name.clone(), field.clone()))
            }
            None => Self::drift(
                difference,
                CreateModel::new(model.name.clone(), model.table.clone()),
            ),
        }
    }

    /// A difference in `column`: its field is added (`missing`) or altered.
    fn column(&self, difference: String, column: &str, missing: bool) -> Drift {
        let model = self.model().name.clone();
        match self.field_of(column) {
            Some(f) if missing && self.table.m2m_field.is_none() => {
                Self::drift(difference, AddField::new(model, f.clone()))
            }
            Some(f) => Self::drift(difference, AlterField::new(model, f.clone())),
            None => Self::drift(difference, RemoveField::new(model, column.to_owned())),
        }
    }

    fn extra_column(&self, column: &str) -> Drift {
        let difference = format!(
            "column {}.{column} is not in the migrations",
            self.table.name
        );
        Self::drift(
            difference,
            RemoveField::new(self.model().name.clone(), column.to_owned()),
        )
    }

    /// A missing or extra index, unique or check constraint: a named one of the model is
    /// added or removed; one a field implies (its key, `unique`, `db_index`, choices) comes
    /// with the field.
    fn named(&self, kind: Kind, name: &str, missing: bool) -> Drift {
        let what = match kind {
            Kind::Index => "index",
            Kind::Unique => "unique constraint",
            Kind::Check => "check constraint",
        };
        let difference = format!(
            "{what} {name} on {} {}",
            self.table.name,
            if missing {
                "is missing"
            } else {
                "is not in the migrations"
            }
        );
        let model = self.model();
        let m = model.name.clone();
        if let Some(index) = model.indexes.iter().find(|i| i.name == name) {
            return match missing {
                true => Self::drift(difference, AddIndex::new(m, index.clone())),
                false => Self::drift(difference, RemoveIndex::new(m, name.to_owned())),
            };
        }
        if let Some(c) = model.constraints.iter().find(|c| c.name() == name) {
            return match missing {
                true => Self::drift(difference, AddConstraint::new(m, c.clone())),
                false => Self::drift(difference, RemoveConstraint::new(m, name.to_owned())),
            };
        }
        // Implied by a field: the column it covers.
        let column = self
            .table
            .indexes
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| i.columns.first().cloned())
            .or_else(|| {
                self.table
                    .uniques
                    .iter()
                    .find(|u| u.name == name || u.columns.join(",") == name)
                    .and_then(|u| u.columns.first().cloned())
            })
            .or_else(|| {
                self.table
                    .checks
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, e)| match e {
                        crate::state::CheckExpr::OneOf { column, .. }
                        | crate::state::CheckExpr::JsonValid { column } => Some(column.clone()),
                        crate::state::CheckExpr::Sql(_) => None,
                    })
            });
        match column.as_deref().and_then(|c| self.field_of(c)) {
            Some(f) => Self::drift(difference, AlterField::new(m, f.clone())),
            None => match kind {
                Kind::Index => Self::drift(difference, RemoveIndex::new(m, name.to_owned())),
                Kind::Unique | Kind::Check => {
                    Self::drift(difference, RemoveConstraint::new(m, name.to_owned()))
                }
            },
        }
    }
}
