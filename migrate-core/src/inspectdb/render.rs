//! `inspectdb`'s models printed as Rust: one file per app, `#[derive(Model)]` structs and
//! their `#[derive(Choices)]` enums, laid out as rustfmt would lay them out.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{InspectedModel, Inspection};
use crate::fields::{ColumnType, FieldType, Value};
use crate::schema::Backend;
use crate::state::{Constraint, Field, Name};

impl Inspection {
    /// The source of each app's file (`<app>.rs`), then `mod.rs` declaring them.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = self
            .apps()
            .into_iter()
            .map(|app| (format!("{app}.rs"), self.source(&app)))
            .collect();
        let mut m = String::from(
            "//! Models read from the database by `inspectdb`, one module per app.\n\n",
        );
        for app in self.apps() {
            writeln!(m, "pub mod {app};").unwrap();
        }
        files.push(("mod.rs".into(), m));
        files
    }

    /// The source of one app's models.
    pub fn source(&self, app: &str) -> String {
        let models: Vec<&InspectedModel> =
            self.models.iter().filter(|m| m.state.app == app).collect();
        let backend = match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL/MariaDB",
        };
        let mut out = format!(
            "//! App `{app}`: models read from a {backend} database by `inspectdb`.\n\
             //!\n\
             //! Struct names come from table names: rename them as you like before the first\n\
             //! `makemigrations` (the table stays the same where `table` is written).\n"
        );
        // Imports, as rustfmt orders them.
        let mut krate: BTreeSet<&str> = BTreeSet::from(["Model"]);
        let mut chrono = BTreeSet::new();
        let mut others: BTreeSet<String> = BTreeSet::new();
        let mut supers: BTreeSet<String> = BTreeSet::new();
        for model in &models {
            if !model.enums.is_empty() {
                krate.insert("Choices");
            }
            for f in model.state.fields.iter() {
                let to = match &f.ty {
                    FieldType::Column(ty) => {
                        match ty {
                            ColumnType::Decimal { .. } => {
                                others.insert("rust_decimal::Decimal".into());
                            }
                            ColumnType::Uuid => {
                                others.insert("uuid::Uuid".into());
                            }
                            ColumnType::TimestampTz => {
                                chrono.extend(["DateTime", "Utc"]);
                            }
                            ColumnType::Timestamp => {
                                chrono.insert("NaiveDateTime");
                            }
                            ColumnType::Date => {
                                chrono.insert("NaiveDate");
                            }
                            ColumnType::Time => {
                                chrono.insert("NaiveTime");
                            }
                            _ => {}
                        }
                        if f.default == Some(Value::NewUuid) {
                            others.insert("uuid::Uuid".into());
                        }
                        if f.default == Some(Value::Now) {
                            chrono.insert("Utc");
                        }
                        continue;
                    }
                    FieldType::ForeignKey { to, .. } => {
                        krate.insert("ForeignKey");
                        to
                    }
                    FieldType::OneToOne { to, .. } => {
                        krate.insert("OneToOne");
                        to
                    }
                    FieldType::ManyToMany { to, .. } => {
                        krate.insert("ManyToMany");
                        to
                    }
                };
                if to.app.as_deref() != Some(app) {
                    supers.insert(format!(
                        "super::{}::{}",
                        to.app.as_deref().unwrap_or(app),
                        to.model
                    ));
                }
            }
        }
        let mut uses: Vec<String> = Vec::new();
        if !chrono.is_empty() {
            let list: Vec<&str> = chrono.into_iter().collect();
            uses.push(match list.as_slice() {
                [one] => format!("chrono::{one}"),
                _ => format!("chrono::{{{}}}", list.join(", ")),
            });
        }
        let list: Vec<&str> = krate.into_iter().collect();
        uses.push(match list.as_slice() {
            [one] => format!("migrate_core::{one}"),
            _ => format!("migrate_core::{{{}}}", list.join(", ")),
        });
        uses.extend(others);
        uses.sort();
        out.push('\n');
        for u in uses {
            writeln!(out, "use {u};").unwrap();
        }
        if !supers.is_empty() {
            out.push('\n');
            for s in supers {
                writeln!(out, "use {s};").unwrap();
            }
        }
        for model in models {
            out.push('\n');
            out.push_str(&render_model(model));
        }
        out
    }
}

/// The Rust type of a column of type `ty` (a choices enum's name when given).
pub(super) fn rust_type(ty: ColumnType, choices: Option<&str>) -> String {
    use ColumnType::*;
    if let Some(name) = choices {
        return name.to_owned();
    }
    match ty {
        SmallInt => "i16",
        Integer => "i32",
        BigInt => "i64",
        Boolean => "bool",
        Real => "f32",
        Double => "f64",
        Decimal { .. } => "Decimal",
        Varchar(_) | Text => "String",
        Uuid => "Uuid",
        TimestampTz => "DateTime<Utc>",
        Timestamp => "NaiveDateTime",
        Date => "NaiveDate",
        Time => "NaiveTime",
        Json => "serde_json::Value",
        Binary => "Vec<u8>",
        Duration => "std::time::Duration",
        IpAddr => "std::net::IpAddr",
    }
    .to_owned()
}

/// A Rust string literal.
fn string(s: &str) -> String {
    format!("{s:?}")
}

/// `snake_case`, as the derive would spell a variant's value: `PastDue` → `past_due`. The
/// same rule as `snake_case` in `migrate-macros/src/choices.rs`, written again because the
/// macros crate cannot depend on this one; they must agree, since a variant written without
/// `#[choices(rename = …)]` is stored as the derive spells it (`tests/inspectdb.rs` checks
/// the values of the shop's enum, generated and compiled).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An attribute's arguments: `name = value`, or `name(…)` around more of them.
enum Meta {
    Leaf(String),
    List(&'static str, Vec<Meta>),
}

impl Meta {
    fn flat(&self) -> String {
        match self {
            Meta::Leaf(s) => s.clone(),
            Meta::List(name, args) => {
                let args: Vec<String> = args.iter().map(Meta::flat).collect();
                format!("{name}({})", args.join(", "))
            }
        }
    }

    /// Laid out as rustfmt lays out attributes: on one line when the arguments of each
    /// list take at most 70 columns and the line at most 100, else one argument per line
    /// (rustfmt's `attr_fn_like_width` and `max_width`).
    fn layout(&self, indent: usize, around: usize) -> String {
        let flat = self.flat();
        let Meta::List(name, args) = self else {
            return flat;
        };
        let width = flat.len() - name.len() - 2;
        if width <= 70 && indent + flat.len() + around <= 100 {
            return flat;
        }
        // A sole list argument opens on the same line (rustfmt's overflow).
        if let [only @ Meta::List(..)] = args.as_slice() {
            return format!("{name}({})", only.layout(indent, around + 1));
        }
        let pad = " ".repeat(indent + 4);
        let inner: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let comma = usize::from(k + 1 < args.len());
                format!("{pad}{}", a.layout(indent + 4, comma))
            })
            .collect();
        format!("{name}(\n{}\n{})", inner.join(",\n"), " ".repeat(indent))
    }
}

/// `#[…]` on its own line at `indent`.
fn attribute(meta: Meta, indent: usize) -> String {
    format!("{}#[{}]\n", " ".repeat(indent), meta.layout(indent, 3))
}

/// One model: its enums, then its struct.
fn render_model(model: &InspectedModel) -> String {
    let state = &model.state;
    let mut out = String::new();
    for e in model.enums.values() {
        let integer = e.variants.iter().any(|(_, v)| matches!(v, Value::Int(_)));
        out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Choices)]\n");
        if integer {
            out.push_str("#[choices(integer)]\n");
        }
        writeln!(out, "pub enum {} {{", e.name).unwrap();
        for (variant, value) in &e.variants {
            match value {
                Value::Int(i) => writeln!(out, "    {variant} = {i},").unwrap(),
                Value::Str(s) if snake(variant) != *s => {
                    writeln!(out, "    #[choices(rename = {})]", string(s)).unwrap();
                    writeln!(out, "    {variant},").unwrap();
                }
                _ => writeln!(out, "    {variant},").unwrap(),
            }
        }
        out.push_str("}\n\n");
    }
    for note in &model.notes {
        writeln!(out, "// Note: {note}").unwrap();
    }
    out.push_str("#[derive(Debug, Model)]\n");
    // The model's attributes.
    let mut items = vec![format!("app = {}", string(&state.app))];
    if state.table != format!("{}_{}", state.app, state.name.to_lowercase()) {
        items.push(format!("table = {}", string(&state.table)));
    }
    let list = |names: &[Name], descending: &[Name]| -> String {
        let quoted: Vec<String> = names
            .iter()
            .map(|n| match descending.contains(n) {
                true => string(&format!("-{n}")),
                false => string(n),
            })
            .collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut indexes = Vec::new();
    for i in state.indexes.iter() {
        let mut parts = vec![format!("name = {}", string(&i.name))];
        if !i.fields.is_empty() {
            parts.push(format!("fields = {}", list(&i.fields, &i.descending)));
        }
        if !i.expressions.is_empty() {
            parts.push(format!("expressions = {}", list(&i.expressions, &[])));
        }
        if let Some(c) = &i.condition {
            parts.push(format!("condition = {}", string(c)));
        }
        if i.unique {
            parts.push("unique".into());
        }
        indexes.push(Meta::List(
            "index",
            parts.into_iter().map(Meta::Leaf).collect(),
        ));
    }
    let mut constraints = Vec::new();
    for c in state.constraints.iter() {
        constraints.push(match c {
            Constraint::Unique { name, fields } => Meta::List(
                "unique",
                vec![
                    Meta::Leaf(format!("name = {}", string(name))),
                    Meta::Leaf(format!("fields = {}", list(fields, &[]))),
                ],
            ),
            Constraint::Check { name, expr } => Meta::List(
                "check",
                vec![
                    Meta::Leaf(format!("name = {}", string(name))),
                    Meta::Leaf(format!("expr = {}", string(expr))),
                ],
            ),
        });
    }
    let mut items: Vec<Meta> = items.into_iter().map(Meta::Leaf).collect();
    if !indexes.is_empty() {
        items.push(Meta::List("indexes", indexes));
    }
    if !constraints.is_empty() {
        items.push(Meta::List("constraints", constraints));
    }
    out.push_str(&attribute(Meta::List("model", items), 0));
    writeln!(out, "pub struct {} {{", state.name).unwrap();
    // The automatic key is the derive's to add.
    for f in state.fields.iter().filter(|f| **f != Field::auto_id()) {
        let mut attrs = Vec::new();
        if f.primary_key {
            attrs.push("primary_key".to_owned());
        }
        if f.auto {
            attrs.push("auto".into());
        }
        let choices = model.enums.get(f.name.as_ref()).map(|e| e.name.as_str());
        let ty = match &f.ty {
            FieldType::Column(ty) => {
                match ty {
                    ColumnType::Varchar(n) if choices.is_none() => {
                        attrs.push(format!("max_length = {n}"));
                    }
                    ColumnType::Decimal {
                        max_digits,
                        decimal_places,
                    } => attrs.push(format!(
                        "max_digits = {max_digits}, decimal_places = {decimal_places}"
                    )),
                    _ => {}
                }
                rust_type(*ty, choices)
            }
            FieldType::ForeignKey { to, .. } => format!("ForeignKey<{}>", to.model),
            FieldType::OneToOne { to, .. } => format!("OneToOne<{}>", to.model),
            FieldType::ManyToMany { to, .. } => format!("ManyToMany<{}>", to.model),
        };
        if let FieldType::ForeignKey { on_delete, .. } | FieldType::OneToOne { on_delete, .. } =
            &f.ty
        {
            attrs.push(format!("on_delete = {on_delete:?}"));
            if f.deferrable {
                attrs.push("deferrable".into());
            }
        }
        if f.unique {
            attrs.push("unique".into());
        }
        if f.db_index {
            attrs.push("db_index".into());
        }
        if let Some(d) = &f.default {
            attrs.push(format!(
                "default = {}",
                match d {
                    Value::NewUuid => "Uuid::new_v4".to_owned(),
                    Value::Now => "Utc::now".to_owned(),
                    Value::Str(s) => string(s),
                    other => other.to_string(),
                }
            ));
        }
        if f.column != Field::new(f.name.clone(), f.ty.clone()).column {
            attrs.push(format!("db_column = {}", string(&f.column)));
        }
        if !attrs.is_empty() {
            let attrs = Meta::List("field", attrs.into_iter().map(Meta::Leaf).collect());
            out.push_str(&attribute(attrs, 4));
        }
        let ty = match f.null {
            true => format!("Option<{ty}>"),
            false => ty,
        };
        writeln!(out, "    pub {}: {ty},", f.name).unwrap();
    }
    out.push_str("}\n");
    out
}
