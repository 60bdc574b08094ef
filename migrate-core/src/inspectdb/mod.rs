//! `inspectdb`: models from a live database, as Django's command of the same name, but
//! managed and exact: the models' state, on the backend they were read from, describes
//! the tables as they are (each difference that remains is said), so that `makemigrations`
//! then writes an initial migration that `migrate --fake-initial` records without running.
//!
//! What is read ([`Catalog`]) becomes a [`ModelState`] per table, and each state is printed
//! as a `#[derive(Model)]` struct, one file per app:
//! - a table's app is the app of the tool's history whose name prefixes it
//!   (`catalog_product` → app `catalog`), else the one asked for;
//! - the struct's name comes from the rest of the table's name; `table = "…"` is written
//!   when the default would differ;
//! - a column's type is the Rust type whose column the tool would make the same (the
//!   inverse of the type table of [`crate::reference`]); a type with none is a `String`
//!   and said so;
//! - foreign keys to inspected tables are relations (`OneToOne` when the tool's own unique
//!   constraint is on the column); a table that is exactly an automatic many-to-many
//!   table becomes a `ManyToMany` field;
//! - indexes and constraints with the names the tool would give are the field attributes
//!   that imply them (`unique`, `db_index`, a `#[derive(Choices)]` enum for a check of
//!   values, JSON for SQLite's and MariaDB's JSON checks); any other keeps its name;
//! - defaults the tool can write are kept (`Uuid::new_v4` and `Utc::now` for the
//!   expressions it writes for them); an expression it cannot is left out and said so.
//!
//! Tables without a primary key, or with one over several columns, cannot be models: they
//! are left out and said so.

use std::collections::{BTreeMap, BTreeSet};

mod render;

use render::rust_type;

use crate::error::{Error, Result};
use crate::executor::catalog::balanced;
use crate::executor::{Catalog, CatalogColumn, CatalogForeignKey, CatalogTable, LiveSchema};
use crate::fields::{ColumnType, FieldType, OnDelete, Value};
use crate::names;
use crate::schema::{literal, type_name, Backend};
use crate::state::{Constraint, Field, Index, ModelState, Name, ProjectState};

/// What to inspect.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The app of the tables whose name starts with no app of the history.
    pub app: Option<String>,
    /// Only these tables (all when empty).
    pub tables: Vec<String>,
}

/// The models read from a database, and what they could not say.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The backend the database runs.
    pub backend: Backend,
    /// The models, by app then table.
    pub models: Vec<InspectedModel>,
    /// What the models do not reproduce, or left out, in words (also written into the
    /// files as comments).
    pub notes: Vec<String>,
}

/// One model read from a table.
#[derive(Clone, Debug)]
pub struct InspectedModel {
    /// Its state.
    pub state: ModelState,
    /// The `#[derive(Choices)]` enums of its fields: field name → enum.
    pub enums: BTreeMap<String, ChoicesEnum>,
    /// What the model does not reproduce of its table.
    pub notes: Vec<String>,
}

/// A `#[derive(Choices)]` enum made for a column checked to hold one of some values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoicesEnum {
    /// The enum's name.
    pub name: String,
    /// Each variant's name and value.
    pub variants: Vec<(String, Value)>,
}

/// Reads models from `catalog`.
pub fn inspect(catalog: &Catalog, options: &Options) -> Result<Inspection> {
    let backend = catalog.backend;
    let mut notes = Vec::new();
    let wanted: Vec<&String> = catalog
        .tables
        .keys()
        .filter(|t| options.tables.is_empty() || options.tables.contains(t))
        .collect();
    for t in &options.tables {
        if !catalog.tables.contains_key(t) {
            return Err(Error::Inspect(format!("the database has no table {t}")));
        }
    }
    // Each table's app and struct name.
    let mut apps: Vec<&String> = catalog.apps.iter().collect();
    apps.sort_by_key(|a| std::cmp::Reverse(a.len()));
    let mut names: BTreeMap<&str, (String, String)> = BTreeMap::new();
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    let mut homeless = Vec::new();
    for table in &wanted {
        let found = apps
            .iter()
            .find_map(|a| Some((*a).clone()).zip(table.strip_prefix(&format!("{a}_"))));
        let (app, rest) = match (found, &options.app) {
            (Some((app, rest)), _) => (app, rest),
            (None, Some(app)) => (app.clone(), table.as_str()),
            (None, None) => {
                homeless.push(table.as_str());
                continue;
            }
        };
        let base = pascal(rest);
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert((app.clone(), name.to_lowercase())) {
            name = format!("{base}{n}");
            n += 1;
        }
        names.insert(table, (app, name));
    }
    if !homeless.is_empty() {
        return Err(Error::Inspect(format!(
            "tables {} start with no app of the database's history: name their app with --app",
            homeless.join(", ")
        )));
    }

    // Tables that cannot be models.
    for table in &wanted {
        let info = &catalog.tables[*table];
        if info.primary_key.len() != 1 {
            let why = match info.primary_key.len() {
                0 => "it has no primary key".to_owned(),
                _ => format!(
                    "its primary key has several columns ({})",
                    info.primary_key.join(", ")
                ),
            };
            notes.push(format!("table {table} is left out: {why}"));
            names.remove(table.as_str());
        }
    }

    let join_tables = join_tables(catalog, &names);
    let mut models: BTreeMap<&str, InspectedModel> = BTreeMap::new();
    for (table, (app, name)) in &names {
        if join_tables.contains_key(*table) {
            continue;
        }
        let model = Reader {
            catalog,
            names: &names,
            table,
            info: &catalog.tables[*table],
        }
        .model(app, name);
        models.insert(table, model);
    }
    for (owner, field, target) in join_tables.values() {
        let (t_app, t_name) = &names[target.as_str()];
        let mut f = Field::new(
            field.clone(),
            crate::fields::many_to_many(&format!("{t_app}.{t_name}")),
        );
        f.column = field.clone().into();
        let model = models
            .get_mut(owner.as_str())
            .expect("a join table's owner is a model");
        model.state.fields.to_mut().push(f);
    }

    let mut models: Vec<InspectedModel> = models.into_values().collect();
    models.sort_by(|a, b| (&a.state.app, &a.state.table).cmp(&(&b.state.app, &b.state.table)));
    let inspection = Inspection {
        backend,
        models,
        notes,
    };
    // What the models would make, compared with what is there.
    let state = inspection.state()?;
    let live = LiveSchema::of_catalog(catalog);
    let mut inspection = inspection;
    for drift in live.drift(&state, backend)? {
        inspection
            .notes
            .push(format!("not reproduced: {}", drift.difference));
    }
    for model in &inspection.models {
        for note in &model.notes {
            inspection
                .notes
                .push(format!("{}: {note}", model.state.table));
        }
    }
    Ok(inspection)
}

/// The automatic many-to-many tables: join table → (owner table, field, target table).
fn join_tables<'a>(
    catalog: &'a Catalog,
    names: &BTreeMap<&'a str, (String, String)>,
) -> BTreeMap<&'a str, (String, String, String)> {
    let mut out = BTreeMap::new();
    for (table, info) in &catalog.tables {
        if !names.contains_key(table.as_str()) || info.columns.len() != 3 {
            continue;
        }
        let id = info.columns.iter().find(|c| c.name == "id");
        if info.primary_key != ["id"]
            || !id.is_some_and(|c| {
                c.auto_increment && c.ty == catalog_type(catalog.backend, ColumnType::BigInt)
            })
        {
            continue;
        }
        let [a, b] = info.foreign_keys.as_slice() else {
            continue;
        };
        let single = |fk: &crate::executor::CatalogForeignKey| {
            fk.columns.len() == 1
                && fk.on_delete == "CASCADE"
                && names.contains_key(fk.ref_table.as_str())
        };
        if !single(a) || !single(b) {
            continue;
        }
        for (from, to) in [(a, b), (b, a)] {
            let (Some((_, owner)), Some((_, target))) = (
                names.get(from.ref_table.as_str()),
                names.get(to.ref_table.as_str()),
            ) else {
                continue;
            };
            let Some(field) = table.strip_prefix(&format!("{}_", from.ref_table)) else {
                continue;
            };
            let (from_col, to_col) = if from.ref_table == to.ref_table {
                let lower = owner.to_lowercase();
                (format!("from_{lower}_id"), format!("to_{lower}_id"))
            } else {
                (
                    format!("{}_id", owner.to_lowercase()),
                    format!("{}_id", target.to_lowercase()),
                )
            };
            let key_of_target = |fk: &crate::executor::CatalogForeignKey| {
                catalog.tables[&fk.ref_table].primary_key == fk.ref_columns
            };
            let unique = names::generated(table, &[&from_col, &to_col], "uniq");
            let has_unique = info.indexes.iter().any(|i| {
                i.unique
                    && i.columns == [from_col.clone(), to_col.clone()]
                    && (i.name.as_deref() == Some(&unique) || i.name.is_none())
            });
            if from.columns == [from_col.clone()]
                && to.columns == [to_col.clone()]
                && key_of_target(from)
                && key_of_target(to)
                && has_unique
                && ident(field) == field
            {
                out.insert(
                    table.as_str(),
                    (
                        from.ref_table.clone(),
                        field.to_owned(),
                        to.ref_table.clone(),
                    ),
                );
                break;
            }
        }
    }
    // A table another table's key points at is a model, not a relation's rows.
    let referenced: BTreeSet<&str> = catalog
        .tables
        .values()
        .flat_map(|t| t.foreign_keys.iter().map(|fk| fk.ref_table.as_str()))
        .collect();
    out.retain(|table, _| !referenced.contains(table));
    out
}

/// The type as this backend's catalog spells the column the tool makes for `ty`.
fn catalog_type(backend: Backend, ty: ColumnType) -> String {
    crate::executor::normalize_type(backend, &type_name(backend, ty))
}

/// Reads one table into a model.
struct Reader<'a> {
    catalog: &'a Catalog,
    names: &'a BTreeMap<&'a str, (String, String)>,
    table: &'a str,
    info: &'a CatalogTable,
}

impl Reader<'_> {
    fn backend(&self) -> Backend {
        self.catalog.backend
    }

    fn generated(&self, column: &str, suffix: &str) -> String {
        names::generated(self.table, &[column], suffix)
    }

    fn model(&self, app: &str, name: &str) -> InspectedModel {
        let backend = self.backend();
        let table = self.table;
        let info = self.info;
        let mut notes = Vec::new();
        let mut enums = BTreeMap::new();
        let pk = &info.primary_key[0];
        // Implied by a field: consumed as the fields are read.
        let mut used_indexes: BTreeSet<usize> = BTreeSet::new();
        let mut used_checks: BTreeSet<usize> = BTreeSet::new();
        let mut fields: Vec<Field> = Vec::new();
        let mut field_of: BTreeMap<String, String> = BTreeMap::new();
        let mut idents: BTreeSet<String> = BTreeSet::new();
        for column in &info.columns {
            // The automatic `id` the derive adds needs no field.
            if column.name == "id"
                && pk == "id"
                && column.auto_increment
                && column.ty == catalog_type(backend, ColumnType::BigInt)
            {
                field_of.insert("id".into(), "id".into());
                idents.insert("id".into());
                fields.insert(0, Field::auto_id());
                continue;
            }
            let fk = info
                .foreign_keys
                .iter()
                .find(|fk| fk.columns == [column.name.clone()]);
            let target = fk.and_then(|fk| {
                let target = self.names.get(fk.ref_table.as_str())?;
                let target_pk = &self.catalog.tables[&fk.ref_table].primary_key;
                (*target_pk == fk.ref_columns).then_some((fk, target))
            });
            if let (Some(fk), None) = (fk, target) {
                notes.push(format!(
                    "column {} refers to {}({}), which is not a model here: kept as a plain column",
                    column.name,
                    fk.ref_table,
                    fk.ref_columns.join(", ")
                ));
            }
            // The field's name: a relation's without `_id`.
            let base = match target {
                Some(_) => column
                    .name
                    .strip_suffix("_id")
                    .unwrap_or(&column.name)
                    .to_owned(),
                None => column.name.clone(),
            };
            let mut field_name = ident(&base);
            let mut n = 2;
            while !idents.insert(field_name.clone()) {
                field_name = format!("{}_{n}", ident(&base));
                n += 1;
            }
            field_of.insert(column.name.clone(), field_name.clone());
            let unique_index = info.indexes.iter().position(|i| {
                i.unique
                    && i.plain()
                    && i.columns == [column.name.clone()]
                    && i.name
                        .as_deref()
                        .is_none_or(|n| n == self.generated(&column.name, "uniq"))
            });
            let mut field = match target {
                Some((fk, (t_app, t_name))) => {
                    let on_delete = match fk.on_delete.as_str() {
                        "CASCADE" => OnDelete::Cascade,
                        "SET NULL" if column.nullable => OnDelete::SetNull,
                        "SET DEFAULT" if column.default.is_some() => OnDelete::SetDefault,
                        "RESTRICT" => OnDelete::Protect,
                        _ => OnDelete::DoNothing,
                    };
                    let to = format!("{t_app}.{t_name}");
                    let ty = match unique_index {
                        Some(_) => crate::fields::one_to_one(&to, on_delete),
                        None => crate::fields::foreign_key(&to, on_delete),
                    };
                    let mut f = Field::new(field_name.clone(), ty);
                    f.deferrable = fk.deferred;
                    if let Some(note) = self.foreign_key_name(fk, &column.name) {
                        notes.push(note);
                    }
                    if on_delete.sql() != fk.on_delete {
                        notes.push(format!(
                            "column {}: on delete {} is declared as {:?}",
                            column.name, fk.on_delete, on_delete
                        ));
                    }
                    f
                }
                None => {
                    let ty = self.column_type(column, &mut used_checks, &mut notes);
                    let mut f = Field::new(field_name.clone(), ty);
                    if let Some((values, check)) = self.choices(column, ty) {
                        used_checks.insert(check);
                        let enum_name = format!("{name}{}", pascal(&field_name));
                        let variants = variants(&values);
                        enums.insert(
                            field_name.clone(),
                            ChoicesEnum {
                                name: enum_name,
                                variants,
                            },
                        );
                        f.choices = values.into();
                    }
                    if let Some(i) = unique_index {
                        if column.name != *pk {
                            f.unique = true;
                        }
                        used_indexes.insert(i);
                    }
                    f
                }
            };
            if let (Some(i), FieldType::OneToOne { .. }) = (unique_index, &field.ty) {
                used_indexes.insert(i);
            }
            field.column = column.name.clone().into();
            field.null = column.nullable;
            if column.name == *pk {
                field.primary_key = true;
                field.null = false;
                field.auto = column.auto_increment;
            }
            if let Some(expr) = &column.default {
                match self.default(expr, &field) {
                    Some(value) => field.default = Some(value),
                    None => notes.push(format!(
                        "column {}: its default `{expr}` is not one a model can declare; left out",
                        column.name
                    )),
                }
            }
            // Its own index, by the tool's name.
            let idx = self.generated(&column.name, "idx");
            if let Some(i) = info.indexes.iter().position(|i| {
                !i.unique
                    && i.plain()
                    && i.columns == [column.name.clone()]
                    && i.name.as_deref() == Some(&idx)
            }) {
                used_indexes.insert(i);
                if matches!(field.ty, FieldType::Column(_)) {
                    field.db_index = true;
                }
            } else if matches!(field.ty, FieldType::ForeignKey { .. }) {
                let q = |s: &str| crate::schema::quote(backend, s);
                notes.push(format!(
                    "column {} has no index of its own, which the model's foreign key implies; \
                     create it with: CREATE INDEX {} ON {} ({})",
                    column.name,
                    q(&idx),
                    q(table),
                    q(&column.name)
                ));
            }
            // PostgreSQL's pattern-ops index, which the tool adds by itself.
            let like = self.generated(&column.name, "like");
            if let Some(i) = info
                .indexes
                .iter()
                .position(|i| i.name.as_deref() == Some(&like))
            {
                used_indexes.insert(i);
            }
            fields.push(field);
        }

        let (indexes, constraints) = self.named(&used_indexes, &used_checks, &field_of, &mut notes);
        InspectedModel {
            state: ModelState {
                app: app.to_owned().into(),
                name: name.to_owned().into(),
                table: table.to_owned().into(),
                fields: fields.into(),
                indexes: indexes.into(),
                constraints: constraints.into(),
                managed: true,
            },
            enums,
            notes,
        }
    }

    /// The indexes and constraints no field implies (those not `used`), which keep their
    /// names; `field_of` maps each column to its field.
    fn named(
        &self,
        used_indexes: &BTreeSet<usize>,
        used_checks: &BTreeSet<usize>,
        field_of: &BTreeMap<String, String>,
        notes: &mut Vec<String>,
    ) -> (Vec<Index>, Vec<Constraint>) {
        let mut indexes = Vec::new();
        let mut constraints = Vec::new();
        for (k, index) in self.info.indexes.iter().enumerate() {
            if used_indexes.contains(&k) {
                continue;
            }
            let Some(fields_of) = index
                .columns
                .iter()
                .map(|c| field_of.get(c).cloned())
                .collect::<Option<Vec<String>>>()
            else {
                notes.push(format!(
                    "index {} covers a column the model does not have; left out",
                    index.name.as_deref().unwrap_or("(unnamed)")
                ));
                continue;
            };
            let name = index.name.clone().unwrap_or_else(|| {
                let cols: Vec<&str> = index.columns.iter().map(String::as_str).collect();
                names::generated(self.table, &cols, "uniq")
            });
            if index.name.is_none() {
                notes.push(format!(
                    "the unique constraint on ({}) has no name; the model calls it {name}",
                    index.columns.join(", ")
                ));
            }
            let names_of = |v: Vec<String>| -> std::borrow::Cow<'static, [Name]> {
                v.into_iter().map(Name::from).collect()
            };
            if index.unique && index.constraint && index.plain() {
                constraints.push(Constraint::Unique {
                    name: name.into(),
                    fields: names_of(fields_of),
                });
                continue;
            }
            let descending = index
                .descending
                .iter()
                .filter_map(|c| field_of.get(c).cloned())
                .collect();
            indexes.push(Index {
                name: name.into(),
                fields: names_of(fields_of),
                unique: index.unique,
                descending: names_of(descending),
                condition: index.condition.clone().map(Name::from),
                expressions: names_of(index.expressions.clone()),
            });
        }
        for (k, check) in self.info.checks.iter().enumerate() {
            if used_checks.contains(&k) {
                continue;
            }
            match &check.name {
                Some(name) => constraints.push(Constraint::Check {
                    name: name.clone().into(),
                    expr: check.expr.clone().into(),
                }),
                None => notes.push(format!(
                    "a check without a name, ({}), is left out: name it in the model",
                    check.expr
                )),
            }
        }
        (indexes, constraints)
    }

    /// When a foreign key has a name the tool would not give it: how to rename it. A
    /// migration that changes or removes the field drops the key by the tool's name
    /// (SQLite rebuilds the table instead, so names do not matter there).
    fn foreign_key_name(&self, fk: &CatalogForeignKey, column: &str) -> Option<String> {
        let backend = self.backend();
        let name = fk.name.as_deref()?;
        let implied = self.generated(column, "fk");
        if backend == Backend::Sqlite || name == implied {
            return None;
        }
        let q = |s: &str| crate::schema::quote(backend, s);
        let list = |v: &[String]| v.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
        let sql = match backend {
            Backend::Postgres => format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                q(self.table),
                q(name),
                q(&implied)
            ),
            // MySQL cannot rename a foreign key: it is dropped and made again at once.
            _ => format!(
                "ALTER TABLE {} DROP FOREIGN KEY {}, ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                q(self.table),
                q(name),
                q(&implied),
                list(&fk.columns),
                q(&fk.ref_table),
                list(&fk.ref_columns),
                fk.on_delete
            ),
        };
        Some(format!(
            "foreign key {name} on column {column} has a name the tool would not give it, and a \
             migration that changes or removes the field drops {implied}; rename it first with: {sql}"
        ))
    }

    /// The column type of a column that is not a relation.
    fn column_type(
        &self,
        column: &CatalogColumn,
        used_checks: &mut BTreeSet<usize>,
        notes: &mut Vec<String>,
    ) -> ColumnType {
        let backend = self.backend();
        // JSON kept as text, known by the check the tool (SQLite) or MariaDB puts on it.
        let json_check = match backend {
            Backend::Sqlite => Some(self.generated(&column.name, "json")),
            Backend::Mysql => Some(column.name.clone()),
            Backend::Postgres => None,
        };
        if let Some(k) = self
            .info
            .checks
            .iter()
            .position(|c| c.name == json_check && c.expr.to_lowercase().contains("json_valid"))
        {
            used_checks.insert(k);
            return ColumnType::Json;
        }
        let exact = column_type(backend, &column.ty);
        // A 16-byte UUID is a blob on SQLite: a key or a new-UUID default says which.
        if backend == Backend::Sqlite && exact == Some(ColumnType::Binary) {
            let new_uuid = column
                .default
                .as_deref()
                .is_some_and(|d| same_expr(d, &literal(backend, &Value::NewUuid)));
            if column.name == self.info.primary_key[0] || new_uuid {
                return ColumnType::Uuid;
            }
        }
        if let Some(ty) = exact {
            return ty;
        }
        let (ty, guess) = nearest_type(backend, &column.ty);
        notes.push(format!("column {} is {}; {guess}", column.name, column.ty));
        ty
    }

    /// The values a check of the tool's name allows the column, when they are a
    /// `#[derive(Choices)]` enum's: (values, the check's position).
    fn choices(&self, column: &CatalogColumn, ty: ColumnType) -> Option<(Vec<Value>, usize)> {
        let name = self.generated(&column.name, "check");
        let k = self
            .info
            .checks
            .iter()
            .position(|c| c.name.as_deref() == Some(&name))?;
        let expr = &self.info.checks[k].expr;
        let strings = string_literals(expr);
        let values: Vec<Value> = match ty {
            ColumnType::Varchar(n) if !strings.is_empty() => {
                let longest = strings.iter().map(|s| s.chars().count()).max()?;
                if longest != n as usize {
                    return None;
                }
                strings.into_iter().map(|s| Value::Str(s.into())).collect()
            }
            ColumnType::Integer => integer_literals(expr, &column.name)
                .into_iter()
                .map(Value::Int)
                .collect(),
            _ => return None,
        };
        let unique: BTreeSet<String> = values.iter().map(Value::to_string).collect();
        (!values.is_empty() && unique.len() == values.len()).then_some((values, k))
    }

    /// The default a model can declare for `expr` on `field`.
    fn default(&self, expr: &str, field: &Field) -> Option<Value> {
        let backend = self.backend();
        let ty = match &field.ty {
            FieldType::Column(ty) => *ty,
            // A key's default: of the target's key type; only literals are kept.
            _ => ColumnType::Text,
        };
        if same_expr(expr, &literal(backend, &Value::NewUuid))
            || same_expr(expr, "gen_random_uuid()")
        {
            return (ty == ColumnType::Uuid).then_some(Value::NewUuid);
        }
        let now = [
            "current_timestamp",
            "current_timestamp()",
            "current_timestamp(6)",
            "now()",
        ];
        if now.iter().any(|n| same_expr(expr, n)) {
            return matches!(ty, ColumnType::TimestampTz | ColumnType::Timestamp)
                .then_some(Value::Now);
        }
        let bare = strip_casts(expr);
        let value = if let Some(s) = unquote(&bare) {
            match ty {
                ColumnType::Text | ColumnType::Varchar(_) => Value::Str(s.into()),
                _ => number(&s)?,
            }
        } else if bare.eq_ignore_ascii_case("true") || bare.eq_ignore_ascii_case("false") {
            Value::Bool(bare.eq_ignore_ascii_case("true"))
        } else if let Some(n) = number(&bare) {
            n
        } else if backend == Backend::Mysql
            && matches!(ty, ColumnType::Text | ColumnType::Varchar(_))
        {
            // MySQL 8 does not quote a string default.
            Value::Str(expr.to_owned().into())
        } else {
            return None;
        };
        // Checked against the field's type, as the derive checks it.
        match (ty, &value) {
            (ColumnType::Boolean, Value::Int(0 | 1)) => Some(Value::Bool(value == Value::Int(1))),
            (ColumnType::Boolean, Value::Bool(_)) => Some(value),
            (ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt, Value::Int(_)) => {
                Some(value)
            }
            (
                ColumnType::Real | ColumnType::Double | ColumnType::Decimal { .. },
                Value::Int(_) | Value::Number(_),
            ) => Some(value),
            (ColumnType::Text, Value::Str(_)) => Some(value),
            (ColumnType::Varchar(n), Value::Str(s)) if s.chars().count() <= n as usize => {
                if !field.choices.is_empty() && !field.choices.contains(&value) {
                    return None;
                }
                Some(value)
            }
            _ => None,
        }
    }
}

/// The column type whose column this backend's catalog spells `ty`, among those the tool
/// makes; ambiguous spellings read as the first type in this list that gives them (SQLite's
/// `integer` is `i64`, MySQL's `bigint` an `i64` rather than a duration).
pub fn column_type(backend: Backend, ty: &str) -> Option<ColumnType> {
    use ColumnType::*;
    let args = |prefix: &str| -> Option<Vec<u32>> {
        let inner = ty
            .strip_prefix(prefix)?
            .strip_prefix('(')?
            .strip_suffix(')')?;
        inner.split(',').map(|n| n.trim().parse().ok()).collect()
    };
    if let Some([n]) = args("varchar").as_deref() {
        return Some(Varchar(*n));
    }
    for prefix in ["numeric", "decimal"] {
        if let Some([p, s]) = args(prefix).as_deref() {
            let decimal = Decimal {
                max_digits: u16::try_from(*p).ok()?,
                decimal_places: u16::try_from(*s).ok()?,
            };
            return (catalog_type(backend, decimal) == ty).then_some(decimal);
        }
    }
    [
        BigInt,
        Integer,
        SmallInt,
        Boolean,
        Real,
        Double,
        Text,
        Binary,
        TimestampTz,
        Timestamp,
        Date,
        Time,
        Uuid,
        Json,
        Duration,
        IpAddr,
    ]
    .into_iter()
    // A duration is only told apart from an integer by PostgreSQL's `interval`.
    .filter(|t| *t != Duration || backend == Backend::Postgres)
    .find(|t| catalog_type(backend, *t) == ty)
}

/// For a type the tool does not make: the nearest one, and what to say of it.
fn nearest_type(backend: Backend, ty: &str) -> (ColumnType, String) {
    use ColumnType::*;
    let near = |t: ColumnType| {
        let rust = rust_type(t, None);
        (
            t,
            format!(
                "declared as `{rust}`, whose column is {}",
                type_name(backend, t)
            ),
        )
    };
    let has = |s: &str| ty.contains(s);
    if let Some(n) = ty
        .strip_prefix("char(")
        .or_else(|| ty.strip_prefix("character("))
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
    {
        return near(Varchar(n));
    }
    match () {
        _ if has("bigint") || has("int8") => near(BigInt),
        _ if has("smallint") || has("tinyint") || has("int2") => near(SmallInt),
        _ if has("int") => near(if backend == Backend::Sqlite {
            BigInt
        } else {
            Integer
        }),
        _ if has("bool") => near(Boolean),
        _ if has("double") || has("float8") => near(Double),
        _ if has("real") || has("float") => near(if backend == Backend::Sqlite {
            Double
        } else {
            Real
        }),
        _ if has("timestamptz") || has("withtimezone") => near(TimestampTz),
        _ if has("datetime") || has("timestamp") => near(TimestampTz),
        _ if ty == "date" => near(Date),
        _ if has("time") => near(Time),
        _ if has("json") => near(Json),
        _ if has("blob") || has("binary") || has("bytea") => near(Binary),
        _ if has("char") || has("text") || has("clob") => near(Text),
        _ => (
            Text,
            "a type with no Rust type here: declared as `String`, a guess".to_owned(),
        ),
    }
}

/// Whether two SQL expressions are the same, up to case, spaces and outer parentheses.
fn same_expr(a: &str, b: &str) -> bool {
    let squash = |s: &str| -> String {
        let mut s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
            s = s[1..s.len() - 1].to_owned();
        }
        s
    };
    squash(a) == squash(b)
}

/// `'x'::character varying` → `'x'`; `(0)::numeric` → `0`; outer parentheses removed.
fn strip_casts(expr: &str) -> String {
    let mut s = expr.trim().to_owned();
    loop {
        let before = s.clone();
        if s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
            s = s[1..s.len() - 1].trim().to_owned();
        }
        // A trailing `::type`, outside quotes.
        if let Some(at) = s.rfind("::") {
            if balanced(&s[..at])
                && !s[..at].ends_with('\\')
                && s[at + 2..]
                    .chars()
                    .all(|c| c.is_alphanumeric() || " _(),[]".contains(c))
                && s[..at].matches('\'').count() % 2 == 0
            {
                s = s[..at].trim().to_owned();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// The text of one SQL string literal (`'it''s'`), or `None`.
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Only doubled inside one literal.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// An integer or decimal literal.
fn number(s: &str) -> Option<Value> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Int(i));
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.')?;
    (!int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit()))
    .then(|| Value::Number(s.to_owned().into()))
}

/// Every string literal in an SQL expression, in order.
fn string_literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            s.push(c);
        }
        out.push(s);
    }
    out
}

/// Every integer literal in an SQL expression that stands alone (not part of a name), in
/// order; the column's own name left out.
fn integer_literals(expr: &str, column: &str) -> Vec<i64> {
    let expr = expr.replace(column, " ");
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = (chars[i].is_ascii_digit()
            || (chars[i] == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        let text: String = chars[i..j].iter().collect();
        if let Ok(n) = text.parse() {
            out.push(n);
        }
        i = j;
    }
    out
}

/// The variants of an enum for `values`: each value's name in `PascalCase`.
fn variants(values: &[Value]) -> Vec<(String, Value)> {
    let mut taken = BTreeSet::new();
    values
        .iter()
        .map(|v| {
            let base = match v {
                Value::Int(i) if *i < 0 => format!("Minus{}", i.unsigned_abs()),
                Value::Int(i) => format!("V{i}"),
                Value::Str(s) => pascal(s),
                other => pascal(&other.to_string()),
            };
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}{n}");
                n += 1;
            }
            (name, v.clone())
        })
        .collect()
}

/// `order_line` → `OrderLine`: ASCII letters and digits, starting with a letter.
fn pascal(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'T');
    }
    out
}

/// A column's name as a Rust field name: lowercase ASCII letters, digits and `_`, not a
/// keyword.
fn ident(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        out = "field".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "f_");
    }
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match",
        "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "try", "type", "unsafe", "use", "where", "while", "yield", "abstract", "become",
        "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        out.push_str("_field");
    }
    out
}

impl Inspection {
    /// The validated state of the models.
    pub fn state(&self) -> Result<ProjectState> {
        ProjectState::from_models(self.models.iter().map(|m| m.state.clone()))
    }

    /// The apps, in order.
    pub fn apps(&self) -> Vec<String> {
        let apps: BTreeSet<String> = self
            .models
            .iter()
            .map(|m| m.state.app.to_string())
            .collect();
        apps.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `x_a` and `x_b`, the join table `x_a_bs` between them, and, when `pointed`, a table
    /// `x_c` whose key points at a row of the join table.
    fn catalog(pointed: bool) -> Catalog {
        use crate::executor::{CatalogForeignKey, CatalogIndex};
        let column = |name: &str| CatalogColumn {
            name: name.into(),
            ty: "integer".into(),
            nullable: false,
            default: None,
            auto_increment: name == "id",
        };
        let key = |column: &str, to: &str| CatalogForeignKey {
            name: None,
            columns: vec![column.into()],
            ref_table: to.into(),
            ref_columns: vec!["id".into()],
            on_delete: "CASCADE".into(),
            deferred: false,
        };
        let table = |columns: &[&str], keys: Vec<CatalogForeignKey>| CatalogTable {
            columns: columns.iter().map(|c| column(c)).collect(),
            primary_key: vec!["id".into()],
            foreign_keys: keys,
            indexes: Vec::new(),
            checks: Vec::new(),
        };
        let mut join = table(
            &["id", "a_id", "b_id"],
            vec![key("a_id", "x_a"), key("b_id", "x_b")],
        );
        join.indexes.push(CatalogIndex {
            name: None,
            columns: vec!["a_id".into(), "b_id".into()],
            unique: true,
            constraint: true,
            ..CatalogIndex::default()
        });
        let mut tables = BTreeMap::from([
            ("x_a".to_owned(), table(&["id"], Vec::new())),
            ("x_b".to_owned(), table(&["id"], Vec::new())),
            ("x_a_bs".to_owned(), join),
        ]);
        if pointed {
            tables.insert(
                "x_c".into(),
                table(&["id", "pair_id"], vec![key("pair_id", "x_a_bs")]),
            );
        }
        Catalog {
            backend: Backend::Sqlite,
            tables,
            apps: vec!["x".into()],
        }
    }

    #[test]
    fn a_join_table_is_a_relation_unless_a_key_points_at_it() {
        let models = |pointed| {
            let inspection = inspect(&catalog(pointed), &Options::default()).unwrap();
            inspection.state().unwrap();
            inspection
                .models
                .iter()
                .map(|m| m.state.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(models(false), ["A", "B"]);
        assert_eq!(models(true), ["A", "ABs", "B", "C"]);
    }

    #[test]
    fn names_become_rust_names() {
        assert_eq!(pascal("order_line"), "OrderLine");
        assert_eq!(pascal("2fa codes"), "T2faCodes");
        assert_eq!(ident("Type"), "type_field");
        assert_eq!(ident("my col\"x"), "my_col_x");
        assert_eq!(ident("2fa"), "f_2fa");
        assert_eq!(ident("ünï"), "n");
    }

    #[test]
    fn defaults_and_literals_are_read() {
        assert_eq!(strip_casts("'UTC'::character varying"), "'UTC'");
        assert_eq!(strip_casts("(0)::numeric"), "0");
        assert_eq!(strip_casts("'a::b'"), "'a::b'");
        assert_eq!(unquote("'it''s'").as_deref(), Some("it's"));
        assert_eq!(unquote("'a' || 'b'"), None);
        assert_eq!(number("-1.50"), Some(Value::Number("-1.50".into())));
        assert_eq!(number("1e3"), None);
        assert_eq!(
            string_literals(
                "((status)::text = ANY ((ARRAY['dr''aft'::character varying, 'x'])::text[]))"
            ),
            ["dr'aft", "x"]
        );
        assert_eq!(
            integer_literals("level1 IN (1, -9, 20)", "level1"),
            [1, -9, 20]
        );
        assert!(same_expr("(CURRENT_TIMESTAMP)", "current_timestamp"));
    }

    #[test]
    fn every_type_the_tool_makes_reads_back() {
        use ColumnType::*;
        let all = [
            SmallInt,
            Integer,
            BigInt,
            Boolean,
            Real,
            Double,
            Decimal {
                max_digits: 12,
                decimal_places: 2,
            },
            Varchar(20),
            Text,
            Uuid,
            TimestampTz,
            Timestamp,
            Date,
            Time,
            Json,
            Binary,
            Duration,
            IpAddr,
        ];
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
            for ty in all {
                let spelled = catalog_type(backend, ty);
                if backend == Backend::Sqlite && ty == Duration {
                    // SQLite's `bigint` is more often an integer than a duration: an `i64`,
                    // said in a note.
                    assert_eq!(column_type(backend, &spelled), None);
                    assert_eq!(nearest_type(backend, &spelled).0, BigInt);
                    continue;
                }
                let back = column_type(backend, &spelled).unwrap();
                // Read back as a type the backend spells the same.
                assert_eq!(catalog_type(backend, back), spelled, "{backend:?} {ty:?}");
            }
        }
        assert_eq!(column_type(Backend::Postgres, "integer"), Some(Integer));
        assert_eq!(column_type(Backend::Sqlite, "integer"), Some(BigInt));
    }
}
