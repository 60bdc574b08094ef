//! Migrations → Rust source. Builds a `syn::File` with `quote!` and prints it with
//! prettyplease, so the same migration always gives the same bytes; the files are final as
//! printed (see [`root_index`] for how they stay out of rustfmt's way). Files spell out every
//! field with the builder API of [`crate::prelude`] and never name a model struct.

use proc_macro2::TokenStream;
use quote::quote;

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
    let mut chain = quote!(Migration::new(#app, #name));
    if m.initial {
        chain = quote!(#chain.initial());
    }
    if !m.atomic {
        chain = quote!(#chain.non_atomic());
    }
    for d in &m.dependencies {
        let (a, n) = (&*d.app, &*d.name);
        chain = quote!(#chain.depends_on(#a, #n));
    }
    for d in &m.run_before {
        let (a, n) = (&*d.app, &*d.name);
        chain = quote!(#chain.run_before(#a, #n));
    }
    for d in &m.replaces {
        let (a, n) = (&*d.app, &*d.name);
        chain = quote!(#chain.replaces(#a, #n));
    }
    let ops = m
        .operations
        .iter()
        .map(|op| operation(op, m))
        .collect::<Result<Vec<_>>>()?;
    let chain = quote!(#chain.operations([#(#ops.into()),*]));
    let header = format!(
        " Migration {}.{}, written by `migrate makemigrations`.",
        app, name
    );
    Ok(unparse(quote! {
        #![doc = #header]

        use migrate_core::prelude::*;

        pub fn migration() -> Migration {
            #chain
        }
    }))
}

/// An empty migration to fill in by hand: a `RunRust` with a forward and a reverse
/// function, ready for a data migration (`makemigrations --empty`).
pub fn data_migration_template(m: &Migration) -> Result<String> {
    let empty = migration_file(m)?;
    let with_op = empty.replace(
        ".operations([])",
        ".operations([RunRust::new(forwards).reverse(backwards).into()])",
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

/// `<app>/mod.rs`: one module per migration file, in name order, and `all()`.
pub fn app_index(app: &str, migration_names: &[String]) -> String {
    let mut names = migration_names.to_vec();
    names.sort();
    let modules: Vec<syn::Ident> = names
        .iter()
        .map(|n| syn::Ident::new(&module_name(n), proc_macro2::Span::call_site()))
        .collect();
    let header = format!(" The migrations of app `{app}`, written by `migrate makemigrations`.");
    unparse(quote! {
        #![doc = #header]

        #(pub mod #modules;)*

        /// Every migration of this app.
        pub fn all() -> Vec<migrate_core::Migration> {
            vec![#(#modules::migration()),*]
        }
    })
}

/// `mod.rs` of the migrations directory: one module per app, and `all()`.
///
/// The app modules are `#[rustfmt::skip]`: rustfmt then leaves every file below them as the
/// writer printed it, so `cargo fmt --check` passes without running rustfmt on each write
/// (a process per file made `makemigrations` take seconds on large projects).
pub fn root_index(apps: &[String]) -> String {
    let mut apps = apps.to_vec();
    apps.sort();
    let modules: Vec<syn::Ident> = apps
        .iter()
        .map(|a| syn::Ident::new(a, proc_macro2::Span::call_site()))
        .collect();
    let body = if modules.is_empty() {
        quote!(Vec::new())
    } else {
        quote! {
            let mut all = Vec::new();
            #(all.extend(#modules::all());)*
            all
        }
    };
    unparse(quote! {
        #![doc = " The project's migrations, one module per app, written by `migrate makemigrations`."]

        #(#[rustfmt::skip] pub mod #modules;)*

        /// Every migration of the project.
        pub fn all() -> Vec<migrate_core::Migration> {
            #body
        }
    })
}

/// Prints the file, with a blank line between top-level items of different kinds (the
/// header, the imports or modules, each function) as a person would leave them. Doc comments
/// and attributes belong to the item below them.
fn unparse(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the writer emits valid Rust");
    let text = prettyplease::unparse(&file);
    let kind = |line: &str| {
        line.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::with_capacity(text.len() + 16);
    let mut previous: Option<String> = None;
    // Where the doc comments and attributes of the next item start in `out`.
    let mut prefix_at: Option<usize> = None;
    for line in text.lines() {
        let top_level = !line.starts_with(' ') && !line.starts_with('}') && !line.is_empty();
        if top_level && (line.starts_with("///") || line.starts_with("#[")) {
            prefix_at.get_or_insert(out.len());
        } else if top_level {
            let this = kind(line);
            if previous.as_ref().is_some_and(|p| *p != this) {
                out.insert(prefix_at.unwrap_or(out.len()), '\n');
            }
            prefix_at = None;
            previous = Some(this);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn operation(op: &Operation, m: &Migration) -> Result<TokenStream> {
    Ok(match op {
        Operation::CreateModel(c) => {
            let (name, table) = (&*c.name, &*c.table);
            let fields = c.fields.iter().map(field);
            let mut t = quote!(CreateModel::new(#name, #table).fields([#(#fields),*]));
            if !c.indexes.is_empty() {
                let indexes = c.indexes.iter().map(index);
                t = quote!(#t.indexes([#(#indexes),*]));
            }
            if !c.constraints.is_empty() {
                let constraints = c.constraints.iter().map(constraint);
                t = quote!(#t.constraints([#(#constraints),*]));
            }
            t
        }
        Operation::DeleteModel(d) => {
            let name = &*d.name;
            quote!(DeleteModel::new(#name))
        }
        Operation::RenameModel(r) => {
            let (old, new) = (&*r.old_name, &*r.new_name);
            quote!(RenameModel::new(#old, #new))
        }
        Operation::AlterModelTable(a) => {
            let (name, table) = (&*a.name, &*a.table);
            quote!(AlterModelTable::new(#name, #table))
        }
        Operation::AddField(a) => {
            let (model, f) = (&*a.model, field(&a.field));
            let t = quote!(AddField::new(#model, #f));
            with_one_off(t, &a.one_off_default)
        }
        Operation::RemoveField(r) => {
            let (model, name) = (&*r.model, &*r.name);
            quote!(RemoveField::new(#model, #name))
        }
        Operation::AlterField(a) => {
            let (model, f) = (&*a.model, field(&a.field));
            let t = quote!(AlterField::new(#model, #f));
            with_one_off(t, &a.one_off_default)
        }
        Operation::RenameField(r) => {
            let (model, old, new) = (&*r.model, &*r.old_name, &*r.new_name);
            quote!(RenameField::new(#model, #old, #new))
        }
        Operation::AddIndex(a) => {
            let (model, i) = (&*a.model, index(&a.index));
            quote!(AddIndex::new(#model, #i))
        }
        Operation::RemoveIndex(r) => {
            let (model, name) = (&*r.model, &*r.name);
            quote!(RemoveIndex::new(#model, #name))
        }
        Operation::RenameIndex(r) => {
            let (model, old, new) = (&*r.model, &*r.old_name, &*r.new_name);
            quote!(RenameIndex::new(#model, #old, #new))
        }
        Operation::AddConstraint(a) => {
            let (model, c) = (&*a.model, constraint(&a.constraint));
            quote!(AddConstraint::new(#model, #c))
        }
        Operation::RemoveConstraint(r) => {
            let (model, name) = (&*r.model, &*r.name);
            quote!(RemoveConstraint::new(#model, #name))
        }
        Operation::RunSql(r) => {
            let sql = &r.sql;
            let mut t = quote!(RunSql::new(#sql));
            if let Some(rev) = &r.reverse_sql {
                t = quote!(#t.reverse(#rev));
            }
            for (backend, sql, rev) in &r.variants {
                let backend =
                    syn::Ident::new(&format!("{backend:?}"), proc_macro2::Span::call_site());
                let rev = match rev {
                    Some(r) => quote!(Some(#r)),
                    None => quote!(None),
                };
                t = quote!(#t.on(Backend::#backend, #sql, #rev));
            }
            if r.elidable {
                t = quote!(#t.elidable());
            }
            t
        }
        Operation::RunRust(_) => {
            return Err(Error::Unwritable {
                migration: m.key().to_string(),
                operation: op.describe(),
            })
        }
    })
}

fn with_one_off(t: TokenStream, value: &Option<Value>) -> TokenStream {
    match value {
        Some(v) => {
            let v = value_tokens(v);
            quote!(#t.one_off_default(#v))
        }
        None => t,
    }
}

fn field(f: &Field) -> TokenStream {
    let name = &*f.name;
    let ty = field_type(&f.ty);
    let mut t = quote!(Field::new(#name, #ty));
    if f.column != Field::new(f.name.clone(), f.ty.clone()).column {
        let column = &*f.column;
        t = quote!(#t.db_column(#column));
    }
    let flags = [
        (f.null, quote!(null)),
        (f.primary_key, quote!(primary_key)),
        (f.auto, quote!(auto)),
        (f.unique, quote!(unique)),
        (f.db_index, quote!(db_index)),
        (f.auto_now_add, quote!(auto_now_add)),
        (f.auto_now, quote!(auto_now)),
    ];
    for (set, method) in flags {
        if set {
            t = quote!(#t.#method());
        }
    }
    if let Some(d) = &f.default {
        let v = value_tokens(d);
        t = quote!(#t.default(#v));
    }
    t
}

fn field_type(ty: &FieldType) -> TokenStream {
    let target = |to: &ModelRef| to.to_string();
    match ty {
        FieldType::Column(c) => column_type(*c),
        FieldType::ForeignKey { to, on_delete } => {
            let (to, od) = (target(to), ident(on_delete.name()));
            quote!(foreign_key(#to, #od))
        }
        FieldType::OneToOne { to, on_delete } => {
            let (to, od) = (target(to), ident(on_delete.name()));
            quote!(one_to_one(#to, #od))
        }
        FieldType::ManyToMany { to } => {
            let to = target(to);
            quote!(many_to_many(#to))
        }
    }
}

fn column_type(c: ColumnType) -> TokenStream {
    match c {
        ColumnType::Decimal {
            max_digits,
            decimal_places,
        } => {
            let (d, p) = (
                unsuffixed(max_digits.into()),
                unsuffixed(decimal_places.into()),
            );
            quote!(Decimal { max_digits: #d, decimal_places: #p })
        }
        ColumnType::Varchar(n) => {
            let n = unsuffixed(n.into());
            quote!(Varchar(#n))
        }
        other => ident(&format!("{other:?}")),
    }
}

fn value_tokens(v: &Value) -> TokenStream {
    match v {
        Value::Bool(b) => quote!(#b),
        Value::Int(i) => {
            let lit = unsuffixed(i.unsigned_abs());
            if *i < 0 {
                quote!(-#lit)
            } else {
                quote!(#lit)
            }
        }
        Value::Number(n) => {
            let n = &**n;
            quote!(Value::number(#n))
        }
        Value::Str(s) => {
            let s = &**s;
            quote!(#s)
        }
        Value::Now => quote!(Value::Now),
    }
}

fn index(i: &Index) -> TokenStream {
    let name = &*i.name;
    let fields = i.fields.iter().map(|f| &**f);
    let t = quote!(Index::new(#name, [#(#fields),*]));
    if i.unique {
        quote!(#t.unique())
    } else {
        t
    }
}

fn constraint(c: &Constraint) -> TokenStream {
    match c {
        Constraint::Unique { name, fields } => {
            let name = &**name;
            let fields = fields.iter().map(|f| &**f);
            quote!(Constraint::unique(#name, [#(#fields),*]))
        }
        Constraint::Check { name, expr } => {
            let (name, expr) = (&**name, &**expr);
            quote!(Constraint::check(#name, #expr))
        }
    }
}

fn unsuffixed(n: u64) -> proc_macro2::Literal {
    proc_macro2::Literal::u64_unsuffixed(n)
}

fn ident(s: &str) -> TokenStream {
    let i = syn::Ident::new(s, proc_macro2::Span::call_site());
    quote!(#i)
}

#[cfg(test)]
mod tests;
