//! Migrations → Rust source. A migration file is printed by `doc`, a small printer in
//! rustfmt's layout, so the same migration always gives the same bytes, final as printed
//! (no formatter runs, and `cargo fmt` does not reach the files: `migrations!()` declares
//! them). Files spell out every field with the builder API of [`crate::prelude`] and never
//! name a model struct.

mod doc;

use doc::{array, atom, call, lit, Doc};

use crate::error::{Error, Result};
use crate::fields::{ColumnType, FieldType, Value};
use crate::migration::Migration;
use crate::operations::Operation;
use crate::state::{Constraint, Field, Index, ModelRef};

/// The module name of a migration file: `0002_tenant_status` → `m0002_tenant_status`.
pub fn module_name(migration_name: &str) -> String {
    format!("m{migration_name}")
}

/// The source of one migration file.
pub fn migration_file(m: &Migration) -> Result<String> {
    let app = &*m.app;
    let name = &*m.name;
    let mut chain = header(call("Migration::new", [lit(app), lit(name)]), m);
    // Acknowledged lint findings: not in the header, which the checksum covers.
    for (code, reason) in &m.allowed {
        chain = chain.method("allow", [lit(code), lit(reason)]);
    }
    let ops = m
        .operations
        .iter()
        .map(|op| Ok(operation(op, m)?.method("into", [])))
        .collect::<Result<Vec<_>>>()?;
    let chain = chain.method("operations", [array(ops)]);
    let mut out = format!(
        "//! Migration {app}.{name}, written by `migrate makemigrations`.\n\n\
         use migrate_core::prelude::*;\n\n\
         pub fn migration() -> Migration {{\n    "
    );
    chain.print(&mut out, 4, 0);
    out.push_str("\n}\n");
    Ok(out)
}

/// `chain` with the migration's header calls: initial, atomicity, dependencies, replacements.
fn header(mut chain: Doc, m: &Migration) -> Doc {
    if m.initial {
        chain = chain.method("initial", []);
    }
    if !m.atomic {
        chain = chain.method("non_atomic", []);
    }
    for (method, keys) in [
        ("depends_on", &m.dependencies),
        ("run_before", &m.run_before),
        ("replaces", &m.replaces),
    ] {
        for d in keys {
            chain = chain.method(method, [lit(&d.app), lit(&d.name)]);
        }
    }
    chain
}

/// A migration in canonical form, for its checksum: the header (initial, atomicity,
/// dependencies, replacements) and each operation as the writer would write it, on one line
/// each, so that formatting, comments and argument layout do not count. A `RunRust` is its
/// declared identity and flags.
pub(crate) fn canonical(m: &Migration) -> (String, Vec<String>) {
    let header = header(call("Migration", []), m);
    let ops = m
        .operations
        .iter()
        .map(|op| match op {
            Operation::RunRust(r) => format!(
                "RunRust({:?}, reversible: {}, elidable: {})",
                r.identity.unwrap_or("unnamed"),
                r.reverse.is_some(),
                r.elidable
            ),
            op => operation(op, m).map_or_else(|e| e.to_string(), |d| d.flat_string()),
        })
        .collect();
    (header.flat_string(), ops)
}

/// An empty migration to fill in by hand: a `RunRust` with a forward and a reverse
/// function, ready for a data migration (`makemigrations --empty`).
pub fn data_migration_template(m: &Migration) -> Result<String> {
    let empty = migration_file(m)?;
    let with_op = empty.replace(
        ".operations([])",
        ".operations([run_rust!(forwards, backwards).into()])",
    );
    Ok(with_op
        + r#"
/// Runs inside the migration's transaction. `cx.table("Model")` and
/// `cx.column("Model", "field")` give names as they were at this point of the history;
/// `cx.execute(sql)` runs SQL; `cx.batches("Model", 1000)` walks a large table.
fn forwards<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let _ = cx;
        Ok(())
    })
}

/// Undoes `forwards`, so that the migration can be unapplied.
fn backwards<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let _ = cx;
        Ok(())
    })
}
"#)
}

fn operation(op: &Operation, m: &Migration) -> Result<Doc> {
    Ok(match op {
        Operation::CreateModel(c) => {
            let mut d = two("CreateModel::new", &c.name, &c.table)
                .method("fields", [array(c.fields.iter().map(field))]);
            if !c.indexes.is_empty() {
                d = d.method("indexes", [array(c.indexes.iter().map(index))]);
            }
            if !c.constraints.is_empty() {
                d = d.method("constraints", [array(c.constraints.iter().map(constraint))]);
            }
            if !c.managed {
                d = d.method("unmanaged", []);
            }
            d
        }
        Operation::DeleteModel(d) => call("DeleteModel::new", [lit(&d.name)]),
        Operation::RenameModel(r) => two("RenameModel::new", &r.old_name, &r.new_name),
        Operation::AlterModelTable(a) => two("AlterModelTable::new", &a.name, &a.table),
        Operation::AlterModelManaged(a) => call(
            "AlterModelManaged::new",
            [lit(&a.name), atom(a.managed.to_string())],
        ),
        Operation::AddField(a) => with_one_off(
            call("AddField::new", [lit(&a.model), field(&a.field)]),
            &a.one_off_default,
        ),
        Operation::RemoveField(r) => two("RemoveField::new", &r.model, &r.name),
        Operation::AlterField(a) => with_one_off(
            call("AlterField::new", [lit(&a.model), field(&a.field)]),
            &a.one_off_default,
        ),
        Operation::RenameField(r) => {
            let d = three("RenameField::new", &r.model, &r.old_name, &r.new_name);
            match &r.db_column {
                Some(column) => d.method("db_column", [lit(column)]),
                None => d,
            }
        }
        Operation::AddIndex(a) => {
            let add = call("AddIndex::new", [lit(&a.model), index(&a.index)]);
            match a.concurrently {
                true => add.method("concurrently", []),
                false => add,
            }
        }
        Operation::RemoveIndex(r) => two("RemoveIndex::new", &r.model, &r.name),
        Operation::RenameIndex(r) => three("RenameIndex::new", &r.model, &r.old_name, &r.new_name),
        Operation::AddConstraint(a) => {
            let add = call(
                "AddConstraint::new",
                [lit(&a.model), constraint(&a.constraint)],
            );
            match a.validate_separately {
                true => add.method("validate_separately", []),
                false => add,
            }
        }
        Operation::RemoveConstraint(r) => two("RemoveConstraint::new", &r.model, &r.name),
        Operation::RunSql(r) => {
            let mut d = call("RunSql::new", [lit(&r.sql)]);
            if let Some(rev) = &r.reverse_sql {
                d = d.method("reverse", [lit(rev)]);
            }
            for (backend, sql, rev) in &r.variants {
                let rev = match rev {
                    Some(r) => call("Some", [lit(r)]),
                    None => atom("None"),
                };
                d = d.method("on", [atom(format!("Backend::{backend:?}")), lit(sql), rev]);
            }
            if r.elidable {
                d = d.method("elidable", []);
            }
            d
        }
        Operation::RunRust(_) => {
            return Err(Error::Unwritable {
                migration: m.key().to_string(),
                operation: op.describe(),
            })
        }
    })
}

fn with_one_off(d: Doc, value: &Option<Value>) -> Doc {
    match value {
        Some(v) => d.method("one_off_default", [value_doc(v)]),
        None => d,
    }
}

fn field(f: &Field) -> Doc {
    let mut d = call("Field::new", [lit(&f.name), field_type(&f.ty)]);
    if f.column != Field::new(f.name.clone(), f.ty.clone()).column {
        d = d.method("db_column", [lit(&f.column)]);
    }
    let flags = [
        (f.null, "null"),
        (f.primary_key, "primary_key"),
        (f.auto, "auto"),
        (f.unique, "unique"),
        (f.db_index, "db_index"),
        (f.auto_now_add, "auto_now_add"),
        (f.auto_now, "auto_now"),
        (f.deferrable, "deferrable"),
    ];
    for (set, method) in flags {
        if set {
            d = d.method(method, []);
        }
    }
    if let Some(v) = &f.default {
        d = d.method("default", [value_doc(v)]);
    }
    if !f.choices.is_empty() {
        d = d.method("choices", [array(f.choices.iter().map(value_doc))]);
    }
    d
}

fn field_type(ty: &FieldType) -> Doc {
    let target = |to: &ModelRef| lit(&to.to_string());
    match ty {
        FieldType::Column(c) => column_type(*c),
        FieldType::ForeignKey { to, on_delete } => {
            call("foreign_key", [target(to), atom(on_delete.name())])
        }
        FieldType::OneToOne { to, on_delete } => {
            call("one_to_one", [target(to), atom(on_delete.name())])
        }
        FieldType::ManyToMany { to, through: None } => call("many_to_many", [target(to)]),
        FieldType::ManyToMany {
            to,
            through: Some(through),
        } => call("many_to_many_through", [target(to), target(through)]),
    }
}

fn column_type(c: ColumnType) -> Doc {
    match c {
        ColumnType::Decimal {
            max_digits,
            decimal_places,
        } => Doc::Struct(
            "Decimal".into(),
            vec![
                ("max_digits".into(), atom(max_digits.to_string())),
                ("decimal_places".into(), atom(decimal_places.to_string())),
            ],
        ),
        ColumnType::Varchar(n) => call("Varchar", [atom(n.to_string())]),
        other => atom(format!("{other:?}")),
    }
}

fn value_doc(v: &Value) -> Doc {
    match v {
        Value::Bool(b) => atom(b.to_string()),
        Value::Int(i) => atom(i.to_string()),
        Value::Number(n) => call("Value::number", [lit(n)]),
        Value::Str(s) => lit(s),
        Value::Now => atom("Value::Now"),
        Value::NewUuid => atom("Value::NewUuid"),
    }
}

fn names(fields: &[crate::state::Name]) -> Doc {
    array(fields.iter().map(|f| lit(f)))
}

fn index(i: &Index) -> Doc {
    let mut d = call("Index::new", [lit(&i.name), names(&i.fields)]);
    if i.unique {
        d = d.method("unique", []);
    }
    if !i.descending.is_empty() {
        d = d.method("descending", [names(&i.descending)]);
    }
    if !i.expressions.is_empty() {
        d = d.method("expressions", [names(&i.expressions)]);
    }
    if let Some(condition) = &i.condition {
        d = d.method("condition", [lit(condition)]);
    }
    d
}

fn constraint(c: &Constraint) -> Doc {
    match c {
        Constraint::Unique { name, fields } => {
            call("Constraint::unique", [lit(name), names(fields)])
        }
        Constraint::Check { name, expr } => two("Constraint::check", name, expr),
    }
}

/// `path("a", "b")`.
fn two(path: &str, a: &str, b: &str) -> Doc {
    call(path, [lit(a), lit(b)])
}

/// `path("a", "b", "c")`.
fn three(path: &str, a: &str, b: &str, c: &str) -> Doc {
    call(path, [lit(a), lit(b), lit(c)])
}

#[cfg(test)]
mod tests;
