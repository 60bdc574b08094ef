//! PostgreSQL: everything is altered in place, inside the migration's transaction.

use super::diff::TableDiff;
use super::sql::column_literal;
use super::{
    render_add_columns, render_additions, render_create, render_drop, render_removals,
    render_renames_and_drops, sql, type_name, Backend,
};
use crate::error::Result;
use crate::state::ForeignKeyConstraint;

const B: Backend = Backend::Postgres;

pub(super) fn render(d: &TableDiff, out: &mut Vec<String>) -> Result<()> {
    match d {
        TableDiff::Create(t) => render_create(B, t, out),
        TableDiff::Drop(t) => render_drop(B, t, out),
        TableDiff::Alter(a) => {
            // A key that only becomes (or stops being) deferrable is altered in place: no
            // new check of every row, as dropping and adding it would run.
            let mut a = a.clone();
            let toggled: Vec<ForeignKeyConstraint> = a
                .add_foreign_keys
                .iter()
                .filter(|n| {
                    a.drop_foreign_keys.iter().any(|o| {
                        let same = ForeignKeyConstraint {
                            deferrable: n.deferrable,
                            ..o.clone()
                        };
                        same == **n
                    })
                })
                .cloned()
                .collect();
            a.drop_foreign_keys
                .retain(|o| !toggled.iter().any(|n| n.name == o.name));
            a.add_foreign_keys.retain(|n| !toggled.contains(n));
            let a = &*a;
            render_removals(B, a, out);
            render_renames_and_drops(B, a, out);
            render_add_columns(B, a, out);
            let table = &a.new.name;
            for (o, n, one_off) in &a.alter_columns {
                let alter = |rest: &str| sql::alter_column(B, table, &n.name, rest);
                if o.ty != n.ty {
                    let ty = type_name(B, n.ty);
                    let c = sql::quote(B, &n.name);
                    out.push(alter(&format!("TYPE {ty} USING {c}::{ty}")));
                }
                if let Some(v) = one_off {
                    out.push(sql::fill_nulls(B, table, n, v));
                }
                if o.default != n.default {
                    out.push(match &n.default {
                        Some(d) => alter(&format!("SET DEFAULT {}", column_literal(B, n.ty, d))),
                        None => alter("DROP DEFAULT"),
                    });
                }
                if o.nullable != n.nullable {
                    let set = if n.nullable { "DROP" } else { "SET" };
                    out.push(alter(&format!("{set} NOT NULL")));
                }
            }
            render_additions(B, a, out);
            for fk in &toggled {
                out.push(format!(
                    "ALTER TABLE {} ALTER CONSTRAINT {} {}",
                    sql::quote(B, &a.new.name),
                    sql::quote(B, &fk.name),
                    if fk.deferrable {
                        "DEFERRABLE INITIALLY DEFERRED"
                    } else {
                        "NOT DEFERRABLE"
                    }
                ));
            }
        }
    }
    Ok(())
}
