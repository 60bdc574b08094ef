//! The schema a live database really has, read from its catalog, and its comparison with
//! what the migrations say it has (`migrate --check-schema`). The tool's own tables (the
//! history and MySQL's progress table) are left out.
//!
//! What is compared: each table the migrations manage, with its columns (type as the
//! catalog spells it, reduced to compare with ours; nullability; whether there is a
//! default), foreign keys (column, target, delete rule), indexes and unique constraints (by
//! name; on SQLite, unique constraints and plain unique indexes by their columns: SQLite
//! names a constraint's index itself, and the two are the same thing there), and check
//! constraints (by name). Tables the migrations do not know are someone else's and are not
//! reported.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{normalize, Catalog};
use crate::error::Result;
use crate::operations::{
    AddConstraint, AddField, AddIndex, AlterField, CreateModel, RemoveConstraint, RemoveField,
    RemoveIndex,
};
use crate::schema::{type_name, Backend};
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
    /// Unique constraints and indexes: names (on SQLite, a constraint's or a plain index's
    /// columns joined by `,`).
    pub uniques: BTreeSet<String>,
    /// Names of the check constraints.
    pub checks: BTreeSet<String>,
}

impl LiveSchema {
    /// The comparison view of what a catalog says.
    pub fn of_catalog(catalog: &Catalog) -> LiveSchema {
        let backend = catalog.backend;
        let mut schema = LiveSchema::default();
        for (name, table) in &catalog.tables {
            let mut info = LiveTable::default();
            for c in &table.columns {
                info.columns.insert(
                    c.name.clone(),
                    (c.ty.clone(), c.nullable, c.default.is_some()),
                );
            }
            for fk in &table.foreign_keys {
                info.foreign_keys.insert((
                    fk.columns.join(","),
                    fk.ref_table.clone(),
                    fk.ref_columns.join(","),
                    fk.on_delete.clone(),
                ));
            }
            for index in &table.indexes {
                let name = match (&index.name, backend) {
                    (_, Backend::Sqlite) if index.unique && index.plain() => {
                        sqlite_unique(&index.columns)
                    }
                    (Some(name), _) => name.clone(),
                    (None, _) => index.columns.join(","),
                };
                match index.unique {
                    true => info.uniques.insert(name),
                    false => info.indexes.insert(name),
                };
            }
            info.checks = table
                .checks
                .iter()
                .filter_map(|c| c.name.clone())
                // MariaDB adds a json_valid() check named after each json column.
                .filter(|name| !info.columns.contains_key(name))
                .collect();
            schema.tables.insert(name.clone(), info);
        }
        schema
    }

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
                    Backend::Sqlite => sqlite_unique(&u.columns),
                    _ => u.name.clone(),
                })
                .chain(table.indexes.iter().filter(|i| i.unique).map(|i| {
                    match backend == Backend::Sqlite && i.plain() {
                        true => sqlite_unique(&i.columns),
                        false => i.name.clone(),
                    }
                }))
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
            let reconcile = Reconcile {
                state,
                table,
                backend,
            };
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

/// How [`LiveTable::uniques`] knows a unique constraint, or a unique index over plain
/// columns, on SQLite: by its columns. The two are the same thing there, and the schema
/// editor makes one either way (a constraint in `CREATE TABLE`, an index when it adds one
/// to a table with rows), while SQLite names a constraint's index itself.
fn sqlite_unique(columns: &[String]) -> String {
    columns.join(",")
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
    backend: Backend,
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
        // On SQLite a unique constraint or plain unique index is known by its columns: one
        // the migrations have is named as they name it.
        let name = match kind {
            Kind::Unique if self.backend == Backend::Sqlite => self
                .table
                .uniques
                .iter()
                .find(|u| sqlite_unique(&u.columns) == name)
                .map(|u| u.name.as_str())
                .or_else(|| {
                    self.table
                        .indexes
                        .iter()
                        .find(|i| i.unique && i.plain() && sqlite_unique(&i.columns) == name)
                        .map(|i| i.name.as_str())
                })
                .unwrap_or(name),
            _ => name,
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::ColumnType;
    use crate::state::{Field, Index, ModelState};

    /// On SQLite a plain unique index is known by its columns, as a unique constraint is;
    /// one that is missing is still reported by its name, as the index to add.
    #[test]
    fn a_missing_plain_unique_index_on_sqlite_is_named_as_the_index() {
        let mut state = ProjectState::new();
        state
            .add_model(ModelState {
                app: "shop".into(),
                name: "Item".into(),
                table: "shop_item".into(),
                fields: vec![Field::auto_id(), Field::new("code", ColumnType::Varchar(8))].into(),
                indexes: vec![Index::new("item_code", ["code"]).unique()].into(),
                constraints: Default::default(),
                managed: true,
            })
            .unwrap();
        let mut live = LiveSchema::expected(&state, Backend::Sqlite).unwrap();
        let table = live.tables.get_mut("shop_item").unwrap();
        assert_eq!(table.uniques, BTreeSet::from(["code".to_owned()]));
        table.uniques.clear();
        let drift = live.drift(&state, Backend::Sqlite).unwrap();
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert_eq!(
            drift[0].difference,
            "unique constraint item_code on shop_item is missing"
        );
        assert_eq!(
            drift[0].operation,
            crate::operations::Operation::from(AddIndex::new(
                "Item",
                Index::new("item_code", ["code"]).unique()
            ))
            .describe()
        );
    }
}
