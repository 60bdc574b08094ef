//! MySQL and MariaDB: altered in place. Their DDL is not transactional: each statement
//! commits, so the executor records a migration only once all of it has run.

use super::diff::TableDiff;
use super::{
    render_add_columns, render_additions, render_create, render_drop, render_removals,
    render_renames_and_drops, sql, Backend, KeyRole,
};
use crate::error::{Error, Result};

const B: Backend = Backend::Mysql;

pub(super) fn render(d: &TableDiff, out: &mut Vec<String>) -> Result<()> {
    unsupported(d)?;
    match d {
        TableDiff::Create(t) => render_create(B, t, out),
        TableDiff::Drop(t) => render_drop(B, t, out),
        TableDiff::Alter(a) => {
            render_removals(B, a, out);
            render_renames_and_drops(B, a, out);
            render_add_columns(B, a, out);
            let table = &a.new.name;
            let sole_key = a.new.primary_key.len() == 1;
            for (_, n, one_off) in &a.alter_columns {
                if let Some(v) = one_off {
                    out.push(sql::fill_nulls(B, table, n, v));
                }
                // MODIFY restates the whole column: an auto-increment key must say so again,
                // or it loses its AUTO_INCREMENT.
                let role = if sole_key && a.new.primary_key[0] == n.name {
                    KeyRole::KeptKey
                } else {
                    KeyRole::None
                };
                let def = sql::column_def(B, n, role, n.default.as_ref());
                out.push(format!(
                    "ALTER TABLE {} MODIFY COLUMN {def}",
                    sql::quote(B, table)
                ));
            }
            render_additions(B, a, out);
        }
    }
    Ok(())
}

/// MySQL and MariaDB index columns only, over every row: an index with a condition or an
/// expression is refused before anything runs, naming it.
fn unsupported(d: &TableDiff) -> Result<()> {
    let (table, indexes) = match d {
        TableDiff::Create(t) => (t, &t.indexes),
        TableDiff::Alter(a) => (&a.new, &a.add_indexes),
        TableDiff::Drop(_) => return Ok(()),
    };
    for index in indexes {
        let problem = if index.condition.is_some() {
            "it has a condition, and these backends have no partial indexes"
        } else if !index.expressions.is_empty() {
            "it indexes expressions, which MariaDB cannot (write them as generated columns and index those)"
        } else {
            continue;
        };
        return Err(Error::UnsupportedIndex {
            model: table.model.to_string(),
            index: index.name.clone(),
            problem,
        });
    }
    Ok(())
}
