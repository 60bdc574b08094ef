//! SQLite: renames, index changes, nullable columns and columns with a constant default,
//! unique constraints added (as unique indexes) and dropping a plain column are done in
//! place; anything else rebuilds the table (new table, copy every row, drop, rename,
//! recreate indexes), as Django does.

use std::collections::BTreeSet;

use super::diff::{Alter, Hints, TableDiff};
use super::sql::column_literal;
use super::{quote, render_create, render_drop, sql, Backend, KeyRole, RenderedOp};
use crate::error::Result;
use crate::operations::Operation;
use crate::state::{ModelKey, ProjectState};

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
        && a.drop_checks.is_empty()
        && a.add_checks.is_empty()
        && a.drop_columns.iter().all(|c| droppable(a, c))
        && a.alter_columns.is_empty()
        && a.add_columns
            .iter()
            .all(|(c, one_off)| addable(c, one_off.as_ref()))
}

/// Whether `ALTER TABLE … ADD COLUMN` can add `c`, filling existing rows as the rebuild
/// would: a nullable column without a default (NULL everywhere), or one whose default is a
/// constant (that value everywhere, NOT NULL or not). A computed default (the current time,
/// a new UUID per row), which SQLite refuses there, or a one-off value for existing rows
/// that differs from the default, needs the rebuild.
fn addable(c: &crate::state::Column, one_off: Option<&crate::fields::Value>) -> bool {
    match (&c.default, one_off) {
        (None, None) => c.nullable,
        (Some(default), None) => !default.is_computed(),
        (_, Some(_)) => false,
    }
}

/// Whether `ALTER TABLE … DROP COLUMN` (SQLite 3.35) can drop `c`. SQLite refuses a column
/// that is in the primary key, unique, indexed, a foreign key, or named by a check. The state
/// knows all of those; an index left on the table with an expression or a condition, or any
/// check (its SQL is not read here), rebuilds instead.
fn droppable(a: &Alter, c: &crate::state::Column) -> bool {
    let name = &c.name;
    let mut kept_indexes = a
        .old
        .indexes
        .iter()
        .filter(|i| !a.drop_indexes.iter().any(|d| d.name == i.name));
    !a.old.primary_key.contains(name)
        && !a.old.uniques.iter().any(|u| u.columns.contains(name))
        && a.old.foreign_keys.iter().all(|f| &f.column != name)
        && a.old.checks.is_empty()
        && kept_indexes
            .all(|i| !i.columns.contains(name) && i.expressions.is_empty() && i.condition.is_none())
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
    for c in &a.drop_columns {
        out.push(sql::drop_column(B, table, &c.name));
    }
    for (c, _) in &a.add_columns {
        let def = sql::column_def(B, c, KeyRole::None, c.default.as_ref());
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
    // A unique constraint added to a table with rows is a unique index: the same thing to
    // SQLite, made without copying the table. A rebuild writes it into `CREATE TABLE`
    // again, so which form a table has depends on its history, and dropping one rebuilds.
    for u in &a.add_uniques {
        let index = crate::state::TableIndex {
            name: u.name.clone(),
            columns: u.columns.clone(),
            unique: true,
            ..Default::default()
        };
        out.push(sql::create_index(B, table, &index));
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

/// Consecutive operations that each rebuild the same table rebuild it once, from the state
/// before the first to the state after the last (issue 21: a rebuild copies every row). Only
/// field and constraint operations on the model's own table join, each on fields (and
/// constraints) the others leave alone, none renaming a column: then one rebuild leaves the
/// rows as the rebuilds one after the other would. The first operation (in the order they
/// run) gets the statements; the others get none.
pub(super) fn merge_rebuilds(
    app: &str,
    ops: &[Operation],
    states: &[ProjectState],
    backwards: bool,
    rendered: &mut [RenderedOp],
) -> Result<()> {
    let mut i = 0;
    while i < rendered.len() {
        let Some(model) = rebuilds(app, ops, states, &rendered[i]) else {
            i += 1;
            continue;
        };
        let mut touched: BTreeSet<String> = touches(&ops[rendered[i].index]);
        let mut j = i + 1;
        while j < rendered.len()
            && rebuilds(app, ops, states, &rendered[j]).as_ref() == Some(&model)
        {
            let more = touches(&ops[rendered[j].index]);
            if !touched.is_disjoint(&more) {
                break;
            }
            touched.extend(more);
            j += 1;
        }
        if j - i > 1 {
            let (a, b) = (rendered[i].index, rendered[j - 1].index);
            let (first, last) = (a.min(b), a.max(b));
            let (before, after) = (&states[first], &states[last + 1]);
            let op = &ops[first];
            let statements = if backwards {
                super::render(B, app, op, after, before, &Hints::default())?
            } else {
                let mut hints = Hints::default();
                for op in &ops[first..=last] {
                    hints
                        .one_offs
                        .extend(super::hints(app, op, before, after).one_offs);
                }
                super::render(B, app, op, before, after, &hints)?
            };
            rendered[i].statements = statements;
            for r in &mut rendered[i + 1..j] {
                r.statements.clear();
                r.in_rebuild_before = true;
            }
        }
        i = j;
    }
    Ok(())
}

/// The model whose own table `r` rebuilds, when it is an operation that may share that
/// rebuild with its neighbours.
fn rebuilds(
    app: &str,
    ops: &[Operation],
    states: &[ProjectState],
    r: &RenderedOp,
) -> Option<ModelKey> {
    let op = &ops[r.index];
    let (before, after) = (&states[r.index], &states[r.index + 1]);
    let key = ModelKey::new(app.to_owned(), op.model_name()?.to_owned());
    let (old, new) = (before.model(&key)?, after.model(&key)?);
    let column = |m: &crate::state::ModelState, name: &str| {
        m.field(name)
            .filter(|f| f.ty.has_column() && !f.primary_key)
            .map(|f| f.column.clone())
    };
    let joins = match op {
        Operation::AddField(a) => column(new, &a.field.name).is_some(),
        Operation::RemoveField(r) => column(old, &r.name).is_some(),
        Operation::AlterField(a) => {
            let from = column(old, &a.field.name);
            from.is_some() && from == column(new, &a.field.name)
        }
        Operation::AddConstraint(_) | Operation::RemoveConstraint(_) => true,
        _ => false,
    };
    let copy = format!("CREATE TABLE {}", quote(B, &format!("new__{}", new.table)));
    (joins && old.table == new.table && r.statements.iter().any(|s| s.starts_with(&copy)))
        .then_some(key)
}

/// The fields and constraints an operation changes.
fn touches(op: &Operation) -> BTreeSet<String> {
    let name = match op {
        Operation::AddField(a) => format!("field {}", a.field.name),
        Operation::RemoveField(r) => format!("field {}", r.name),
        Operation::AlterField(a) => format!("field {}", a.field.name),
        Operation::AddConstraint(a) => format!("constraint {}", a.constraint.name()),
        Operation::RemoveConstraint(r) => format!("constraint {}", r.name),
        _ => String::new(),
    };
    BTreeSet::from([name])
}
