//! What an operation changes in SQL terms: the tables of the models it touches, before and
//! after, paired by identity (model and many-to-many field, so renamed tables pair up), and
//! within each pair the columns, keys, indexes and constraints that differ.

use crate::fields::Value;
use crate::state::{
    CheckExpr, Column, ForeignKeyConstraint, ModelKey, Table, TableIndex, TableUnique,
};

/// What the operation says that a plain comparison cannot tell: renames and one-off values.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hints {
    /// A model renamed from the first key to the second.
    pub model_rename: Option<(ModelKey, ModelKey)>,
    /// Columns of a model's own table renamed `(model, from, to)`.
    pub column_renames: Vec<(ModelKey, String, String)>,
    /// Columns of every join table renamed `(from, to)` (a renamed model's key columns).
    pub join_column_renames: Vec<(String, String)>,
    /// Values for existing rows of columns becoming (or added as) NOT NULL, by column.
    pub one_offs: Vec<(String, Value)>,
}

impl Hints {
    /// The same hints for going from "after" back to "before".
    pub fn reversed(&self) -> Hints {
        Hints {
            model_rename: self.model_rename.clone().map(|(a, b)| (b, a)),
            column_renames: self
                .column_renames
                .iter()
                .map(|(m, a, b)| (m.clone(), b.clone(), a.clone()))
                .collect(),
            join_column_renames: self
                .join_column_renames
                .iter()
                .map(|(a, b)| (b.clone(), a.clone()))
                .collect(),
            one_offs: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum TableDiff {
    Create(Table),
    Drop(Table),
    Alter(Box<Alter>),
}

/// Changes to one existing table, in the order they apply: removals first (under the old
/// table name), then the rename, then column changes, then additions.
#[derive(Clone, Debug)]
pub(crate) struct Alter {
    pub old: Table,
    pub new: Table,
    pub drop_foreign_keys: Vec<ForeignKeyConstraint>,
    pub drop_uniques: Vec<TableUnique>,
    pub drop_checks: Vec<(String, CheckExpr)>,
    pub drop_indexes: Vec<TableIndex>,
    pub rename_indexes: Vec<(String, String)>,
    /// `(from, to)`: foreign keys and unique constraints that only change their name (an
    /// implied one follows its table's and column's names), renamed where the backend can.
    pub rename_foreign_keys: Vec<(String, String)>,
    pub rename_uniques: Vec<(String, String)>,
    /// `(from, to)` column renames.
    pub rename_columns: Vec<(String, String)>,
    pub drop_columns: Vec<Column>,
    /// Added columns, with a one-off value for existing rows where the operation gave one.
    pub add_columns: Vec<(Column, Option<Value>)>,
    /// `(old, new, one-off value for existing NULLs)`.
    pub alter_columns: Vec<(Column, Column, Option<Value>)>,
    pub add_foreign_keys: Vec<ForeignKeyConstraint>,
    pub add_uniques: Vec<TableUnique>,
    pub add_checks: Vec<(String, CheckExpr)>,
    pub add_indexes: Vec<TableIndex>,
}

impl Alter {
    pub fn is_empty(&self) -> bool {
        self.old.name == self.new.name
            && self.drop_foreign_keys.is_empty()
            && self.drop_uniques.is_empty()
            && self.drop_checks.is_empty()
            && self.drop_indexes.is_empty()
            && self.rename_indexes.is_empty()
            && self.rename_foreign_keys.is_empty()
            && self.rename_uniques.is_empty()
            && self.rename_columns.is_empty()
            && self.drop_columns.is_empty()
            && self.add_columns.is_empty()
            && self.alter_columns.is_empty()
            && self.add_foreign_keys.is_empty()
            && self.add_uniques.is_empty()
            && self.add_checks.is_empty()
            && self.add_indexes.is_empty()
    }

    /// For each new column, the old column its rows come from, if any.
    pub fn source_of<'s>(&'s self, new_column: &'s str) -> Option<&'s str> {
        if let Some((from, _)) = self.rename_columns.iter().find(|(_, to)| to == new_column) {
            return Some(from);
        }
        let renamed_away = self
            .rename_columns
            .iter()
            .any(|(from, _)| from == new_column);
        (!renamed_away && self.old.columns.iter().any(|c| c.name == new_column))
            .then_some(new_column)
    }
}

type Identity = (ModelKey, Option<String>);

fn identity(t: &Table) -> Identity {
    (t.model.clone(), t.m2m_field.clone())
}

/// Pairs the tables and works out each pair's changes. Tables to create come out in the
/// order given (a model's table before its join tables); tables to drop in reverse.
pub(crate) fn diff(before: &[Table], after: &[Table], hints: &Hints) -> Vec<TableDiff> {
    let renamed = |id: &Identity| -> Identity {
        match &hints.model_rename {
            Some((from, to)) if id.0 == *from => (to.clone(), id.1.clone()),
            _ => id.clone(),
        }
    };
    let mut out = Vec::new();
    for old in before.iter().rev() {
        let id = renamed(&identity(old));
        if !after.iter().any(|t| identity(t) == id) {
            out.push(TableDiff::Drop(old.clone()));
        }
    }
    for new in after {
        let id = identity(new);
        match before.iter().find(|t| renamed(&identity(t)) == id) {
            None => out.push(TableDiff::Create(new.clone())),
            Some(old) => {
                let alter = alter(old, new, hints);
                if !alter.is_empty() {
                    out.push(TableDiff::Alter(Box::new(alter)));
                }
            }
        }
    }
    out
}

fn alter(old: &Table, new: &Table, hints: &Hints) -> Alter {
    let pairs: Vec<(&String, &String)> = match new.m2m_field {
        None => hints
            .column_renames
            .iter()
            .filter(|(model, _, _)| *model == new.model)
            .map(|(_, from, to)| (from, to))
            .collect(),
        Some(_) => hints
            .join_column_renames
            .iter()
            .map(|(f, t)| (f, t))
            .collect(),
    };
    let rename_columns: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(from, to)| {
            from != to
                && old.columns.iter().any(|c| c.name == **from)
                && new.columns.iter().any(|c| c.name == **to)
        })
        .map(|(from, to)| (from.clone(), to.clone()))
        .collect();
    // Old names as they read after the column renames, for comparing like with like.
    let after_rename = |name: &str| -> String {
        rename_columns
            .iter()
            .find(|(from, _)| from == name)
            .map_or_else(|| name.to_owned(), |(_, to)| to.clone())
    };
    let renamed_fk = |fk: &ForeignKeyConstraint| ForeignKeyConstraint {
        column: after_rename(&fk.column),
        ..fk.clone()
    };
    let renamed_cols =
        |cols: &[String]| -> Vec<String> { cols.iter().map(|c| after_rename(c)).collect() };

    let mut a = Alter {
        old: old.clone(),
        new: new.clone(),
        drop_foreign_keys: Vec::new(),
        drop_uniques: Vec::new(),
        drop_checks: Vec::new(),
        drop_indexes: Vec::new(),
        rename_indexes: Vec::new(),
        rename_foreign_keys: Vec::new(),
        rename_uniques: Vec::new(),
        rename_columns: rename_columns.clone(),
        drop_columns: Vec::new(),
        add_columns: Vec::new(),
        alter_columns: Vec::new(),
        add_foreign_keys: Vec::new(),
        add_uniques: Vec::new(),
        add_checks: Vec::new(),
        add_indexes: Vec::new(),
    };
    // Keys and indexes: same name and same definition (columns read after renames) stay.
    for fk in &old.foreign_keys {
        if !new.foreign_keys.contains(&renamed_fk(fk)) {
            a.drop_foreign_keys.push(fk.clone());
        }
    }
    for fk in &new.foreign_keys {
        if !old.foreign_keys.iter().any(|o| renamed_fk(o) == *fk) {
            a.add_foreign_keys.push(fk.clone());
        }
    }
    for u in &old.uniques {
        let same = new
            .uniques
            .iter()
            .any(|n| n.name == u.name && n.columns == renamed_cols(&u.columns));
        if !same {
            a.drop_uniques.push(u.clone());
        }
    }
    for u in &new.uniques {
        let same = old
            .uniques
            .iter()
            .any(|o| o.name == u.name && renamed_cols(&o.columns) == u.columns);
        if !same {
            a.add_uniques.push(u.clone());
        }
    }
    for c in &old.checks {
        if !new.checks.contains(c) {
            a.drop_checks.push(c.clone());
        }
    }
    for c in &new.checks {
        if !old.checks.contains(c) {
            a.add_checks.push(c.clone());
        }
    }
    let same_index = |o: &TableIndex, n: &TableIndex| {
        renamed_cols(&o.columns) == n.columns && o.unique == n.unique
    };
    for o in &old.indexes {
        if !new
            .indexes
            .iter()
            .any(|n| n.name == o.name && same_index(o, n))
        {
            a.drop_indexes.push(o.clone());
        }
    }
    for n in &new.indexes {
        if !old
            .indexes
            .iter()
            .any(|o| o.name == n.name && same_index(o, n))
        {
            a.add_indexes.push(n.clone());
        }
    }
    // What only changes its name is renamed rather than made again (a new index or unique
    // constraint is built from every row, a new foreign key checks every row, and SQLite
    // copies the table for either): `RenameIndex`, and renaming a table or a column, which
    // renames the indexes and constraints named after it.
    pair_renames(
        &mut a.drop_foreign_keys,
        &mut a.add_foreign_keys,
        |o, n| {
            let o = ForeignKeyConstraint {
                name: n.name.clone(),
                ..renamed_fk(o)
            };
            o == *n
        },
        |k| &k.name,
        &mut a.rename_foreign_keys,
    );
    pair_renames(
        &mut a.drop_uniques,
        &mut a.add_uniques,
        |o, n| renamed_cols(&o.columns) == n.columns,
        |u| &u.name,
        &mut a.rename_uniques,
    );
    pair_renames(
        &mut a.drop_indexes,
        &mut a.add_indexes,
        |o, n| {
            let o = TableIndex {
                name: n.name.clone(),
                columns: renamed_cols(&o.columns),
                descending: renamed_cols(&o.descending),
                ..o.clone()
            };
            o == *n
        },
        |i| &i.name,
        &mut a.rename_indexes,
    );
    // Columns.
    for o in &old.columns {
        let name = after_rename(&o.name);
        match new.columns.iter().find(|n| n.name == name) {
            None => a.drop_columns.push(o.clone()),
            Some(n) => {
                let o_renamed = Column {
                    name: name.clone(),
                    ..o.clone()
                };
                if o_renamed != *n {
                    let one_off = hints
                        .one_offs
                        .iter()
                        .find(|(c, _)| *c == n.name && o.nullable && !n.nullable)
                        .map(|(_, v)| v.clone());
                    a.alter_columns.push((o_renamed, n.clone(), one_off));
                }
            }
        }
    }
    for n in &new.columns {
        let exists = old.columns.iter().any(|o| after_rename(&o.name) == n.name);
        if !exists {
            let one_off = hints
                .one_offs
                .iter()
                .find(|(c, _)| *c == n.name)
                .map(|(_, v)| v.clone());
            a.add_columns.push((n.clone(), one_off));
        }
    }
    a
}

/// Moves each dropped item that `same` pairs with an added one (each used once) to
/// `renames` as `(from, to)`.
fn pair_renames<T>(
    dropped: &mut Vec<T>,
    added: &mut Vec<T>,
    same: impl Fn(&T, &T) -> bool,
    name: impl Fn(&T) -> &String,
    renames: &mut Vec<(String, String)>,
) {
    dropped.retain(|o| match added.iter().position(|n| same(o, n)) {
        Some(k) => {
            let n = added.remove(k);
            renames.push((name(o).clone(), name(&n).clone()));
            false
        }
        None => true,
    });
}

/// Foreign keys that stay, but whose own column or referenced column changes type: a
/// database that alters in place refuses to change either while the key holds (MariaDB
/// error 1833), so they are dropped before the alters and added back after.
/// Each comes with the names of its table before and after.
pub(crate) fn retyped_keys(diffs: &[TableDiff]) -> Vec<(String, String, ForeignKeyConstraint)> {
    let alters = || {
        diffs.iter().filter_map(|d| match d {
            TableDiff::Alter(a) => Some(a),
            _ => None,
        })
    };
    let retyped: Vec<(&str, &str)> = alters()
        .flat_map(|a| {
            a.alter_columns
                .iter()
                .filter(|(o, n, _)| o.ty != n.ty)
                .map(move |(_, n, _)| (a.new.name.as_str(), n.name.as_str()))
        })
        .collect();
    let mut out = Vec::new();
    for a in alters() {
        for fk in &a.new.foreign_keys {
            let touched = retyped.contains(&(fk.ref_table.as_str(), fk.ref_column.as_str()))
                || retyped.contains(&(a.new.name.as_str(), fk.column.as_str()));
            if touched && !a.add_foreign_keys.contains(fk) {
                out.push((a.old.name.clone(), a.new.name.clone(), fk.clone()));
            }
        }
    }
    out
}
