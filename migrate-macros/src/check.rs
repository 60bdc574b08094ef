//! Rules that span attributes, types and fields, checked after parsing. One function per
//! rule; each reports to the [`Ctxt`] and never stops the others.

use std::collections::HashMap;

use syn::LitStr;

use crate::ast::{Category, FieldInput, ModelInput, Rel};
use crate::attr::{ConstraintKind, DefaultLit};
use crate::ctxt::Ctxt;

pub fn check(cx: &Ctxt, model: &ModelInput) {
    check_app(cx, model);
    check_primary_key(cx, model);
    for field in &model.fields {
        check_column_attrs(cx, field);
        check_relation(cx, field);
        check_default(cx, field);
    }
    check_index_fields(cx, model);
    check_unique_names(cx, model);
    check_sql_names(cx, model);
}

/// PostgreSQL keeps the first 63 bytes of a name (and silently drops the rest); MySQL
/// refuses names over 64.
const MAX_NAME_BYTES: usize = 63;

/// What is wrong with `name` as a table, column, index or constraint name on some backend.
fn sql_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("must not be empty".into())
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!(
            "is {} bytes long; PostgreSQL keeps only the first {MAX_NAME_BYTES} and MySQL refuses more than 64",
            name.len()
        ))
    } else if name.contains('\0') {
        Some("contains a NUL character, which no database accepts in a name".into())
    } else if name.chars().any(|c| u32::from(c) > 0xFFFF) {
        Some("contains a character outside the Basic Multilingual Plane (such as an emoji), which MySQL and MariaDB cannot store in a name".into())
    } else if name.ends_with(' ') {
        Some("ends with a space, which MySQL and MariaDB refuse in a name".into())
    } else {
        None
    }
}

/// Every name the model puts in the database works on every backend: the ones written in
/// attributes are reported on the attribute, the ones derived from Rust names on the struct
/// or field, with the attribute that would set them. Names the tool generates (implied
/// indexes, foreign keys, join tables) are shortened with a hash instead.
fn check_sql_names(cx: &Ctxt, model: &ModelInput) {
    let written = |lit: &LitStr, what: &str| {
        if let Some(problem) = sql_name_problem(&lit.value()) {
            cx.error_spanned_by(lit, format!("{what} `{}` {problem}", lit.value()));
        }
    };
    match (&model.attrs.table, &model.attrs.app) {
        (Some(table), _) => written(&table.value, "table name"),
        (None, Some(app)) => {
            let table = format!("{}_{}", app.value.value(), model.name().to_lowercase());
            if let Some(problem) = sql_name_problem(&table) {
                cx.error_spanned_by(
                    model.ident,
                    format!("table name `{table}` {problem}; set `#[model(table = \"…\")]`"),
                );
            }
        }
        (None, None) => {}
    }
    for field in &model.fields {
        if field.ty.relation() == Some(Rel::ManyToMany) {
            continue;
        }
        match &field.attrs.db_column {
            Some(column) => written(&column.value, "column name"),
            None => {
                let mut column = field.name();
                if field.ty.relation().is_some() {
                    column.push_str("_id");
                }
                if let Some(problem) = sql_name_problem(&column) {
                    cx.error_spanned_by(
                        field.ident,
                        format!(
                            "column name `{column}` {problem}; set `#[field(db_column = \"…\")]`"
                        ),
                    );
                }
            }
        }
    }
    let names = model
        .attrs
        .indexes
        .iter()
        .map(|i| &i.name)
        .chain(model.attrs.constraints.iter().map(|c| &c.name));
    for lit in names.flatten() {
        // Empty names are reported by `check_unique_names`.
        if !lit.value().is_empty() {
            written(lit, "name");
        }
    }
}

/// The app label is required, and becomes part of `app.Model` references and table names.
fn check_app(cx: &Ctxt, model: &ModelInput) {
    match &model.attrs.app {
        None => cx.error_spanned_by(
            model.ident,
            "missing `#[model(app = \"…\")]`: every model belongs to an app",
        ),
        Some(app) => {
            let label = app.value.value();
            let valid = label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                cx.error_spanned_by(
                    &app.value,
                    format!("app label `{label}` must be lowercase letters, digits and `_`"),
                );
            } else if matches!(label.as_str(), "self" | "super" | "crate" | "_") {
                // Other keywords (`type`, `mod`) become raw identifiers (`r#type`).
                cx.error_spanned_by(
                    &app.value,
                    format!("app label `{label}` cannot name the app's migrations module"),
                );
            }
        }
    }
    if let Some(table) = &model.attrs.table {
        if table.value.value().is_empty() {
            cx.error_spanned_by(&table.value, "`table` must not be empty");
        }
    }
}

/// One primary key at most; without one the model gets an automatic `id`, which must not
/// collide with a declared field. A key is never nullable.
fn check_primary_key(cx: &Ctxt, model: &ModelInput) {
    let mut first: Option<&FieldInput> = None;
    for field in &model.fields {
        let Some(pk) = &field.attrs.primary_key else {
            continue;
        };
        match first {
            Some(f) => cx.error_spanned_by(
                pk,
                format!(
                    "`#[field(primary_key)]` is already set on field `{}`",
                    f.name()
                ),
            ),
            None => first = Some(field),
        }
        if field.ty.nullable {
            cx.error_spanned_by(pk, "a primary key cannot be nullable (`Option<…>`)");
        }
    }
    if first.is_none() {
        if let Some(id) = model.fields.iter().find(|f| f.name() == "id") {
            cx.error_spanned_by(
                id.ident,
                "field `id` clashes with the automatic primary key; mark it `#[field(primary_key)]` or rename it",
            );
        }
    }
}

/// Type-specific attributes go on the types they describe.
fn check_column_attrs(cx: &Ctxt, field: &FieldInput) {
    let a = &field.attrs;
    let category = field.ty.category();
    let known_other = |c: Category| category.is_some_and(|k| k != c && k != Category::Other);
    if let Some(attr) = &a.max_length {
        if known_other(Category::String) || category.is_none() {
            cx.error_spanned_by(attr, "`max_length` applies only to `String` fields");
        } else if attr.value == 0 {
            cx.error_spanned_by(attr, "`max_length` must be at least 1");
        }
    }
    for attr in [&a.auto_now_add, &a.auto_now].into_iter().flatten() {
        if known_other(Category::Temporal) || category.is_none() {
            cx.error_spanned_by(
                attr,
                format!(
                    "`{}` applies only to date and time fields (chrono's DateTime<Utc>, NaiveDateTime, NaiveDate, NaiveTime; time's OffsetDateTime, PrimitiveDateTime, Date, Time)",
                    attr.tokens
                ),
            );
        }
    }
    for attr in [&a.max_digits, &a.decimal_places].into_iter().flatten() {
        if known_other(Category::Decimal) || category.is_none() {
            cx.error_spanned_by(
                attr,
                format!("`{}` applies only to `Decimal` fields", attr.tokens),
            );
        }
    }
    match (&a.max_digits, &a.decimal_places) {
        (Some(d), Some(p)) if p.value > d.value => {
            cx.error_spanned_by(p, "`decimal_places` cannot exceed `max_digits`")
        }
        (None, None) if category == Some(Category::Decimal) => cx.error_spanned_by(
            &field.original.ty,
            "`Decimal` fields need `#[field(max_digits = …, decimal_places = …)]`",
        ),
        (Some(_), None) | (None, Some(_)) if category == Some(Category::Decimal) => cx
            .error_spanned_by(
                &field.original.ty,
                "`Decimal` fields need both `max_digits` and `decimal_places`",
            ),
        _ => {}
    }
    if let Some(auto) = &a.auto {
        if known_other(Category::Integer) || category.is_none() {
            cx.error_spanned_by(
                auto,
                "`auto` applies only to integer fields (i16, i32, i64)",
            );
        } else if a.primary_key.is_none() {
            cx.error_spanned_by(
                auto,
                "`auto` needs `primary_key`: only a primary key auto-increments",
            );
        }
    }
}

/// Relations need an `on_delete` that fits them; many-to-many fields have no column.
fn check_relation(cx: &Ctxt, field: &FieldInput) {
    let a = &field.attrs;
    match field.ty.relation() {
        None => {
            if let Some(through) = &a.through {
                cx.error_spanned_by(through, "`through` applies only to `ManyToMany<T>` fields");
            }
            if let Some(on_delete) = &a.on_delete {
                cx.error_spanned_by(
                    on_delete,
                    "`on_delete` applies only to `ForeignKey<T>` and `OneToOne<T>` fields",
                );
            }
            if let Some(deferrable) = &a.deferrable {
                cx.error_spanned_by(
                    deferrable,
                    "`deferrable` applies only to `ForeignKey<T>` and `OneToOne<T>` fields",
                );
            }
        }
        Some(Rel::ForeignKey | Rel::OneToOne) if a.through.is_some() => {
            cx.error_spanned_by(
                a.through.as_ref().expect("checked"),
                "`through` applies only to `ManyToMany<T>` fields",
            );
        }
        Some(Rel::ManyToMany) => {
            if field.ty.nullable {
                cx.error_spanned_by(
                    &field.original.ty,
                    "a `ManyToMany<T>` field cannot be `Option`: it has no column",
                );
            }
            let tokens = |s: Option<&dyn quote::ToTokens>| s.map(|t| t.to_token_stream());
            let column_attrs = [
                (tokens(a.primary_key.as_ref().map(|s| s as _)), "primary_key"),
                (tokens(a.unique.as_ref().map(|s| s as _)), "unique"),
                (tokens(a.db_index.as_ref().map(|s| s as _)), "db_index"),
                (tokens(a.on_delete.as_ref().map(|s| s as _)), "on_delete"),
                (tokens(a.deferrable.as_ref().map(|s| s as _)), "deferrable"),
                (tokens(a.default.as_ref().map(|s| s as _)), "default"),
                (tokens(a.db_column.as_ref().map(|s| s as _)), "db_column"),
            ];
            for (attr, name) in column_attrs {
                if let Some(attr) = attr {
                    cx.error_spanned_by(
                        attr,
                        format!("`{name}` does not apply to a `ManyToMany<T>` field: it has no column"),
                    );
                }
            }
        }
        Some(rel) => match &a.on_delete {
            None => cx.error_spanned_by(
                &field.original.ty,
                format!(
                    "`{}` needs `#[field(on_delete = …)]`: one of Cascade, Protect, Restrict, SetNull, SetDefault, DoNothing",
                    if rel == Rel::ForeignKey { "ForeignKey<T>" } else { "OneToOne<T>" }
                ),
            ),
            Some(action) if action.value == "SetNull" && !field.ty.nullable => {
                cx.error_spanned_by(
                    &action.value,
                    "`on_delete = SetNull` needs a nullable field: use `Option<…>`",
                )
            }
            Some(action) if action.value == "SetDefault" && a.default.is_none() => {
                cx.error_spanned_by(
                    &action.value,
                    "`on_delete = SetDefault` needs `#[field(default = …)]`",
                )
            }
            Some(_) => {}
        },
    }
}

/// A default's literal must fit the field's type, where the type is known.
fn check_default(cx: &Ctxt, field: &FieldInput) {
    let Some(default) = &field.attrs.default else {
        return;
    };
    let (expr, lit) = &default.value;
    let Some(category) = field.ty.category() else {
        return;
    };
    let fits = matches!(
        (category, lit),
        (Category::Other, _)
            | (Category::Integer, DefaultLit::Int(_))
            | (
                Category::Float | Category::Decimal,
                DefaultLit::Int(_) | DefaultLit::Float(_)
            )
            | (Category::Bool, DefaultLit::Bool(_))
            | (
                Category::String | Category::Temporal | Category::Uuid,
                DefaultLit::Str(_)
            )
            | (Category::Uuid, DefaultLit::NewUuid)
            | (Category::Temporal, DefaultLit::Now)
    );
    match lit {
        _ if fits => {}
        DefaultLit::NewUuid => cx.error_spanned_by(
            expr,
            "`Uuid::new_v4` gives each row a new UUID; it applies only to `Uuid` fields",
        ),
        DefaultLit::Now => cx.error_spanned_by(
            expr,
            "this default is the time of insertion; it applies only to date and time fields",
        ),
        _ => cx.error_spanned_by(expr, "this default does not fit the field's type"),
    }
    if let (Some(max), DefaultLit::Str(s)) = (&field.attrs.max_length, lit) {
        if s.chars().count() > max.value as usize {
            cx.error_spanned_by(
                expr,
                format!("this default is longer than `max_length = {}`", max.value),
            );
        }
    }
}

/// Index and constraint fields must be fields of this model that have a column.
fn check_index_fields(cx: &Ctxt, model: &ModelInput) {
    let implicit_id = model.primary_key().is_none();
    // `ordered`: an index, whose fields may say `-field` for descending order.
    let check_list = |fields: &[LitStr], owner: &dyn quote::ToTokens, what: &str, ordered: bool| {
        if fields.is_empty() {
            cx.error_spanned_by(
                owner,
                format!("{what} needs `fields = [\"…\"]` with at least one field"),
            );
        }
        for lit in fields {
            let value = lit.value();
            let name = match value.strip_prefix('-') {
                Some(name) if ordered => name.to_owned(),
                _ => value,
            };
            match model.fields.iter().find(|f| f.name() == name) {
                None if implicit_id && name == "id" => {}
                None => cx.error_spanned_by(lit, format!("no field `{name}` in this model")),
                Some(f) if f.ty.relation() == Some(Rel::ManyToMany) => cx.error_spanned_by(
                    lit,
                    format!("field `{name}` is many-to-many and has no column to index"),
                ),
                Some(_) => {}
            }
        }
    };
    for index in &model.attrs.indexes {
        // An index over expressions alone names no field.
        if !index.fields.is_empty() || index.expressions.is_empty() {
            check_list(&index.fields, &index.path, "an index", true);
        }
        for text in index.condition.iter().chain(&index.expressions) {
            if text.value().trim().is_empty() {
                cx.error_spanned_by(text, "an empty SQL expression");
            }
        }
    }
    for constraint in &model.attrs.constraints {
        match &constraint.kind {
            ConstraintKind::Unique(fields) => {
                check_list(fields, &constraint.path, "a unique constraint", false)
            }
            ConstraintKind::Check(None) => cx.error_spanned_by(
                &constraint.path,
                "a check constraint needs `expr = \"…\"`, an SQL condition",
            ),
            ConstraintKind::Check(Some(_)) => {}
        }
    }
}

/// Indexes and constraints are named, and the names are unique (the database requires it).
fn check_unique_names(cx: &Ctxt, model: &ModelInput) {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let names = model
        .attrs
        .indexes
        .iter()
        .map(|i| (&i.name, &i.path))
        .chain(model.attrs.constraints.iter().map(|c| (&c.name, &c.path)));
    for (name, path) in names {
        match name {
            None => cx.error_spanned_by(
                path,
                format!("`{}` needs `name = \"…\"`", quote::quote!(#path)),
            ),
            Some(lit) => {
                let value = lit.value();
                if value.is_empty() {
                    cx.error_spanned_by(lit, "the name must not be empty");
                } else if seen.insert(value.clone(), ()).is_some() {
                    cx.error_spanned_by(
                        lit,
                        format!("duplicate index or constraint name `{value}`"),
                    );
                }
            }
        }
    }
}
