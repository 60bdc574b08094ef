//! The SQL-level view of a state: tables with typed columns, keys, indexes and constraints,
//! including the ones a model implies (join tables, foreign-key indexes, `unique` fields).
//!
//! Schema editors render from this view, and drift detection compares a live database with
//! it, so both agree on what a model means in SQL.

use std::fmt;

use super::{Constraint, ModelKey, ModelState, ProjectState};
use crate::error::Result;
use crate::fields::{ColumnType, FieldType, OnDelete, Value};
use crate::names;
use crate::operations::Backend;

/// A table of the schema: a model's, or an automatic many-to-many join table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// The model the table stores, or whose many-to-many field owns this join table.
    pub model: ModelKey,
    /// For an automatic join table, the many-to-many field it stores.
    pub m2m_field: Option<String>,
    /// The columns, in field order.
    pub columns: Vec<Column>,
    /// The primary key's columns.
    pub primary_key: Vec<String>,
    /// The foreign keys.
    pub foreign_keys: Vec<ForeignKeyConstraint>,
    /// The indexes, the implied ones included.
    pub indexes: Vec<TableIndex>,
    /// The unique constraints (named ones and those of `unique` fields).
    pub uniques: Vec<TableUnique>,
    /// `(name, condition)` of each check constraint.
    pub checks: Vec<(String, CheckExpr)>,
}

/// The condition of a check constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckExpr {
    /// An SQL expression, as the user wrote it.
    Sql(String),
    /// The column holds one of these values (a field's choices); each backend writes the
    /// column and the values in its own quoting.
    OneOf {
        /// The column.
        column: String,
        /// The values it may hold.
        values: Vec<Value>,
    },
    /// The column holds valid JSON (SQLite, which stores JSON as text).
    JsonValid {
        /// The column.
        column: String,
    },
}

impl fmt::Display for CheckExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckExpr::Sql(sql) => f.write_str(sql),
            CheckExpr::OneOf { column, values } => {
                let values: Vec<String> = values.iter().map(Value::to_string).collect();
                write!(f, "{column} in ({})", values.join(", "))
            }
            CheckExpr::JsonValid { column } => write!(f, "json_valid({column})"),
        }
    }
}

/// A column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether it takes NULL.
    pub nullable: bool,
    /// The database default.
    pub default: Option<Value>,
    /// Filled in by the database (an auto-increment primary key).
    pub auto_increment: bool,
}

/// A foreign key constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKeyConstraint {
    /// Its name.
    pub name: String,
    /// The referencing column.
    pub column: String,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced column.
    pub ref_column: String,
    /// What deleting the referenced row does.
    pub on_delete: OnDelete,
    /// Checked at commit instead of by each statement (where the backend can).
    pub deferrable: bool,
}

/// An index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableIndex {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// The operator class of its one column (PostgreSQL's `varchar_pattern_ops` and
    /// `text_pattern_ops`, for `LIKE 'prefix%'`).
    pub opclass: Option<&'static str>,
    /// The columns among `columns` ordered descending.
    pub descending: Vec<String>,
    /// SQL expressions indexed after the columns.
    pub expressions: Vec<String>,
    /// The SQL condition of a partial index.
    pub condition: Option<String>,
}

impl TableIndex {
    /// Whether it covers columns only, each ascending, without a condition.
    pub fn plain(&self) -> bool {
        self.condition.is_none() && self.expressions.is_empty() && self.descending.is_empty()
    }
}

/// A unique constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableUnique {
    /// Its name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<String>,
}

impl ProjectState {
    /// Every table the tool manages: each managed model's table, followed by its join
    /// tables. Unmanaged models' tables belong to someone else and are left out.
    pub fn tables(&self) -> Result<Vec<Table>> {
        self.tables_for(None)
    }

    /// [`tables`](Self::tables) as `backend` has them (`None`: what every backend has):
    /// PostgreSQL adds a pattern-ops index to each indexed, unique or key `varchar`/`text`
    /// column (as Django does, so `LIKE 'x%'` can use an index); SQLite checks that a JSON
    /// column holds JSON (`JSON_VALID`, as Django does); MySQL has no deferred keys.
    pub fn tables_for(&self, backend: Option<Backend>) -> Result<Vec<Table>> {
        let mut tables = Vec::with_capacity(self.len());
        for model in self.models().filter(|m| m.managed) {
            self.model_tables(backend, model, &mut tables)?;
        }
        Ok(tables)
    }

    /// The table of one model, then its join tables, as `backend` has them (see
    /// [`tables_for`](Self::tables_for)), appended to `out`.
    pub fn model_tables(
        &self,
        backend: Option<Backend>,
        model: &ModelState,
        out: &mut Vec<Table>,
    ) -> Result<()> {
        let key = model.key();
        let mut table = Table {
            name: model.table.to_string(),
            model: key.clone(),
            m2m_field: None,
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
        };
        let mut join_tables = Vec::new();
        for field in model.fields.iter() {
            let column = field.column.to_string();
            let (to, on_delete, one_to_one) = match &field.ty {
                FieldType::Column(_) => (None, OnDelete::DoNothing, false),
                FieldType::ForeignKey { to, on_delete } => (Some(to), *on_delete, false),
                FieldType::OneToOne { to, on_delete } => (Some(to), *on_delete, true),
                // The `through` model's own table holds the relation's rows.
                FieldType::ManyToMany {
                    through: Some(_), ..
                } => continue,
                FieldType::ManyToMany { to, through: None } => {
                    let target = self.resolve(&key, &field.name, to)?;
                    let target = self.model(&target).expect("resolved keys exist");
                    join_tables.push(self.join_table(model, &field.name, target)?);
                    continue;
                }
            };
            let ty = self.column_type(model, field)?;
            table.columns.push(Column {
                name: column.clone(),
                ty,
                nullable: field.null,
                default: field.db_default().cloned(),
                auto_increment: field.auto,
            });
            if field.primary_key {
                table.primary_key.push(column.clone());
            }
            let unique = !field.primary_key && (field.unique || one_to_one);
            if unique {
                table.uniques.push(TableUnique {
                    name: names::generated(&table.name, &[&column], "uniq"),
                    columns: vec![column.clone()],
                });
            }
            if !field.choices.is_empty() {
                table.checks.push((
                    names::generated(&table.name, &[&column], "check"),
                    CheckExpr::OneOf {
                        column: column.clone(),
                        values: field.choices.to_vec(),
                    },
                ));
            }
            if let Some(to) = to {
                let target = self.resolve(&key, &field.name, to)?;
                let target = self.model(&target).expect("resolved keys exist");
                table.foreign_keys.push(foreign_key(
                    &table.name,
                    &column,
                    target,
                    on_delete,
                    field.deferrable && backend != Some(Backend::Mysql),
                ));
            }
            let pattern_ops = match ty {
                ColumnType::Varchar(_) => Some("varchar_pattern_ops"),
                ColumnType::Text => Some("text_pattern_ops"),
                _ => None,
            };
            let indexed = field.primary_key || unique || field.db_index || to.is_some();
            if let (Some(Backend::Postgres), Some(opclass), true) = (backend, pattern_ops, indexed)
            {
                table.indexes.push(TableIndex {
                    name: names::generated(&table.name, &[&column], "like"),
                    columns: vec![column.clone()],
                    unique: false,
                    opclass: Some(opclass),
                    ..TableIndex::default()
                });
            }
            if backend == Some(Backend::Sqlite) && ty == ColumnType::Json {
                table.checks.push((
                    names::generated(&table.name, &[&column], "json"),
                    CheckExpr::JsonValid {
                        column: column.clone(),
                    },
                ));
            }
            // Foreign keys are indexed by default, as in Django; a unique column already is.
            if !field.primary_key && !unique && (field.db_index || to.is_some()) {
                table.indexes.push(TableIndex {
                    name: names::generated(&table.name, &[&column], "idx"),
                    columns: vec![column],
                    ..TableIndex::default()
                });
            }
        }
        let columns_of = |fields: &[super::Name]| -> Vec<String> {
            fields
                .iter()
                .map(|f| {
                    model
                        .field(f)
                        .map_or_else(|| f.to_string(), |f| f.column.to_string())
                })
                .collect()
        };
        for index in model.indexes.iter() {
            table.indexes.push(TableIndex {
                name: index.name.to_string(),
                columns: columns_of(&index.fields),
                unique: index.unique,
                descending: columns_of(&index.descending),
                expressions: index.expressions.iter().map(|e| e.to_string()).collect(),
                condition: index.condition.as_ref().map(|c| c.to_string()),
                opclass: None,
            });
        }
        for constraint in model.constraints.iter() {
            match constraint {
                Constraint::Unique { name, fields } => table.uniques.push(TableUnique {
                    name: name.to_string(),
                    columns: columns_of(fields),
                }),
                Constraint::Check { name, expr } => table
                    .checks
                    .push((name.to_string(), CheckExpr::Sql(expr.to_string()))),
            }
        }
        out.push(table);
        out.append(&mut join_tables);
        Ok(())
    }

    /// The automatic table of a many-to-many field: `<table>_<field>` with an `id` key and
    /// one cascading foreign key to each side, unique over the pair.
    fn join_table(&self, model: &ModelState, field: &str, target: &ModelState) -> Result<Table> {
        let name = join_table_name(&model.table, field);
        let (from_col, to_col) = if model.key() == target.key() {
            let lower = model.name.to_lowercase();
            (format!("from_{lower}_id"), format!("to_{lower}_id"))
        } else {
            (
                format!("{}_id", model.name.to_lowercase()),
                format!("{}_id", target.name.to_lowercase()),
            )
        };
        let mut columns = vec![Column {
            name: "id".into(),
            ty: ColumnType::BigInt,
            nullable: false,
            default: None,
            auto_increment: true,
        }];
        let mut foreign_keys = Vec::new();
        let mut indexes = Vec::new();
        for (column, side) in [(&from_col, model), (&to_col, target)] {
            let pk = side
                .primary_key()
                .expect("validated models have a primary key");
            columns.push(Column {
                name: column.clone(),
                ty: self.column_type(side, pk)?,
                nullable: false,
                default: None,
                auto_increment: false,
            });
            foreign_keys.push(foreign_key(&name, column, side, OnDelete::Cascade, false));
            indexes.push(TableIndex {
                name: names::generated(&name, &[column], "idx"),
                columns: vec![column.clone()],
                ..TableIndex::default()
            });
        }
        Ok(Table {
            uniques: vec![TableUnique {
                name: names::generated(&name, &[&from_col, &to_col], "uniq"),
                columns: vec![from_col, to_col],
            }],
            name,
            model: model.key(),
            m2m_field: Some(field.to_owned()),
            columns,
            primary_key: vec!["id".into()],
            foreign_keys,
            indexes,
            checks: Vec::new(),
        })
    }
}

/// The name of the automatic join table of many-to-many field `field` of the model whose
/// table is `table`: `<table>_<field>`, or a generated name when that is too long.
pub(crate) fn join_table_name(table: &str, field: &str) -> String {
    let name = format!("{table}_{field}");
    match name.len() > names::MAX_IDENTIFIER_LEN {
        true => names::generated(table, &[field], "m2m"),
        false => name,
    }
}

impl ModelState {
    /// The names of the tables the model has when managed: its own, then the automatic join
    /// table of each many-to-many field (without building them, as `model_tables` does).
    pub fn table_names(&self) -> Vec<String> {
        let mut out = vec![self.table.to_string()];
        for f in self.fields.iter() {
            if let FieldType::ManyToMany { through: None, .. } = f.ty {
                out.push(join_table_name(&self.table, &f.name));
            }
        }
        out
    }
}

fn foreign_key(
    table: &str,
    column: &str,
    target: &ModelState,
    on_delete: OnDelete,
    deferrable: bool,
) -> ForeignKeyConstraint {
    let ref_column = target
        .primary_key()
        .expect("validated models have a primary key")
        .column
        .to_string();
    ForeignKeyConstraint {
        name: names::generated(table, &[column], "fk"),
        column: column.to_owned(),
        ref_table: target.table.to_string(),
        ref_column,
        on_delete,
        deferrable,
    }
}

impl fmt::Display for Table {
    /// A stable, line-per-item dump, used by `schema` and by snapshot tests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.m2m_field {
            None => writeln!(f, "table {} ({})", self.name, self.model)?,
            Some(field) => writeln!(
                f,
                "table {} (join table of {}.{field})",
                self.name, self.model
            )?,
        }
        for c in &self.columns {
            write!(f, "  {} {}", c.name, c.ty)?;
            f.write_str(if c.nullable { " null" } else { " not null" })?;
            if self.primary_key.contains(&c.name) {
                f.write_str(" primary key")?;
            }
            if c.auto_increment {
                f.write_str(" auto_increment")?;
            }
            if let Some(d) = &c.default {
                write!(f, " default {d}")?;
            }
            writeln!(f)?;
        }
        for fk in &self.foreign_keys {
            writeln!(
                f,
                "  foreign key {} -> {}({}) on delete {}{} [{}]",
                fk.column,
                fk.ref_table,
                fk.ref_column,
                fk.on_delete.sql(),
                if fk.deferrable { " deferrable" } else { "" },
                fk.name
            )?;
        }
        for i in &self.indexes {
            let kind = if i.unique { "unique index" } else { "index" };
            let parts: Vec<String> = i
                .columns
                .iter()
                .map(|c| match i.descending.contains(c) {
                    true => format!("{c} desc"),
                    false => c.clone(),
                })
                .chain(i.expressions.iter().map(|e| format!("({e})")))
                .collect();
            write!(f, "  {kind} {} ({})", i.name, parts.join(", "))?;
            if let Some(opclass) = i.opclass {
                write!(f, " {opclass}")?;
            }
            match &i.condition {
                Some(c) => writeln!(f, " where {c}")?,
                None => writeln!(f)?,
            }
        }
        for u in &self.uniques {
            writeln!(f, "  unique {} ({})", u.name, u.columns.join(", "))?;
        }
        for (name, expr) in &self.checks {
            writeln!(f, "  check {name} ({expr})")?;
        }
        Ok(())
    }
}
