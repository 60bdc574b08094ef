//! SQLite: renames, index changes and plain nullable columns are done in place; anything
//! else rebuilds the table (new table, copy every row, drop, rename, recreate indexes), as
//! Django does.

use super::diff::{Alter, TableDiff};
use super::sql::column_literal;
use super::{quote, render_create, render_drop, sql, Backend, KeyRole};
use crate::error::Result;

const B: Backend = Backend::Sqlite;

pub(super) fn render(d: &TableDiff, out: &mut Vec<String>) -> Result<()> {
    match d {
        TableDiff::Create(t) => render_create(B, t, out),
        TableDiff::Drop(t) => render_drop(B, t, out),
        TableDiff::Alter(a) if in_place(a) => alter_in_place(a, out),
        TableDiff::Alter(a) => rebuild(a, out),
    }
    Ok(())
}

/// Whether SQLite's own ALTER TABLE can do all of it.
fn in_place(a: &Alter) -> bool {
    a.drop_foreign_keys.is_empty()
        && a.add_foreign_keys.is_empty()
        && a.drop_uniques.is_empty()
        && a.add_uniques.is_empty()
        && a.drop_checks.is_empty()
        && a.add_checks.is_empty()
        && a.drop_columns.is_empty()
        && a.alter_columns.is_empty()
        && a.add_columns
            .iter()
            .all(|(c, one_off)| c.nullable && c.default.is_none() && one_off.is_none())
}

fn alter_in_place(a: &Alter, out: &mut Vec<String>) {
    for i in &a.drop_indexes {
        out.push(sql::drop_index(B, &a.old.name, i));
    }
    for (from, _) in &a.rename_indexes {
        out.push(sql::drop_index_named(B, &a.old.name, from));
    }
    if a.old.name != a.new.name {
        out.push(sql::rename_table(B, &a.old.name, &a.new.name));
    }
    let table = &a.new.name;
    for (from, to) in &a.rename_columns {
        out.push(sql::rename_column(B, table, from, to));
    }
    for (c, _) in &a.add_columns {
        let def = sql::column_def(B, c, KeyRole::None, None);
        out.push(sql::add_column(B, table, &def));
    }
    let renamed: Vec<&str> = a.rename_indexes.iter().map(|(_, to)| to.as_str()).collect();
    for i in a
        .new
        .indexes
        .iter()
        .filter(|i| renamed.contains(&i.name.as_str()))
    {
        out.push(sql::create_index(B, table, i));
    }
    for i in &a.add_indexes {
        out.push(sql::create_index(B, table, i));
    }
}

/// The twelve-step rebuild, inside the migration's transaction: every row is copied, each
/// column from its old (possibly renamed) column, a new column from its one-off value or
/// default, a column becoming NOT NULL with its NULLs replaced by the one-off value.
fn rebuild(a: &Alter, out: &mut Vec<String>) {
    let q = |s: &str| quote(B, s);
    let temp = format!("new__{}", a.new.name);
    out.push(sql::create_table(B, &a.new, Some(&temp)));
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for c in &a.new.columns {
        let source = match a.source_of(&c.name) {
            Some(old) => {
                let one_off = a
                    .alter_columns
                    .iter()
                    .find(|(_, n, _)| n.name == c.name)
                    .and_then(|(_, _, v)| v.as_ref());
                match one_off {
                    Some(v) => format!("COALESCE({}, {})", q(old), column_literal(B, c.ty, v)),
                    None => q(old),
                }
            }
            None => {
                let one_off = a
                    .add_columns
                    .iter()
                    .find(|(n, _)| n.name == c.name)
                    .and_then(|(_, v)| v.as_ref());
                match one_off.or(c.default.as_ref()) {
                    Some(v) => column_literal(B, c.ty, v),
                    None => "NULL".to_owned(),
                }
            }
        };
        targets.push(q(&c.name));
        sources.push(source);
    }
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        q(&temp),
        targets.join(", "),
        sources.join(", "),
        q(&a.old.name)
    ));
    out.push(sql::drop_table(B, &a.old.name));
    out.push(sql::rename_table(B, &temp, &a.new.name));
    for i in &a.new.indexes {
        out.push(sql::create_index(B, &a.new.name, i));
    }
}
