//! One model's schema as plain data: its fields, indexes and constraints.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::fields::{ColumnType, FieldType, OnDelete, Value};

/// A name stored in the state: borrowed from a `static` model definition, or owned when
/// built at run time (a migration replayed, a rename).
pub type Name = Cow<'static, str>;

/// The identity of a model in a project: its app and its name (the struct's name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelKey {
    /// The app label.
    pub app: Name,
    /// The model's name.
    pub model: Name,
}

impl ModelKey {
    /// The key of `app.model`.
    pub fn new(app: impl Into<Name>, model: impl Into<Name>) -> Self {
        ModelKey {
            app: app.into(),
            model: model.into(),
        }
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.app, self.model)
    }
}

/// A reference to a model from a relation field: `app.Model`, or a bare `Model` that is
/// looked up in the referencing app first and then in the whole project.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelRef {
    /// The app, when written (`app.Model`).
    pub app: Option<Name>,
    /// The model's name.
    pub model: Name,
}

impl ModelRef {
    /// A qualified reference, as the derive emits it.
    pub const fn new(app: &'static str, model: &'static str) -> Self {
        ModelRef {
            app: Some(Cow::Borrowed(app)),
            model: Cow::Borrowed(model),
        }
    }

    /// Parses `"app.Model"` or `"Model"`.
    pub fn parse(s: &str) -> Self {
        match s.split_once('.') {
            Some((app, model)) => ModelRef {
                app: Some(app.to_owned().into()),
                model: model.to_owned().into(),
            },
            None => ModelRef {
                app: None,
                model: s.to_owned().into(),
            },
        }
    }

    /// The key, when the app is known.
    pub fn key(&self) -> Option<ModelKey> {
        self.app
            .as_ref()
            .map(|app| ModelKey::new(app.clone(), self.model.clone()))
    }
}

impl From<&ModelKey> for ModelRef {
    fn from(key: &ModelKey) -> Self {
        ModelRef {
            app: Some(key.app.clone()),
            model: key.model.clone(),
        }
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.app {
            Some(app) => write!(f, "{app}.{}", self.model),
            None => f.write_str(&self.model),
        }
    }
}

/// One field of a model. Relation fields keep the target as a reference; the column type
/// of a foreign key is the target's primary key type, resolved by [`ProjectState`](super::ProjectState).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// The Rust field name, which migrations and indexes refer to.
    pub name: Name,
    /// The database column (`<name>_id` for foreign keys unless `db_column` says otherwise).
    /// Unused for many-to-many fields.
    pub column: Name,
    /// A column type, or a relation.
    pub ty: FieldType,
    /// Nullable (`Option<T>`).
    pub null: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// Auto-increment (only on an integer primary key).
    pub auto: bool,
    /// Unique on its own.
    pub unique: bool,
    /// Has an index of its own.
    pub db_index: bool,
    /// The database default.
    pub default: Option<Value>,
    /// Defaults to the time of insertion.
    pub auto_now_add: bool,
    /// Meant to be the time of the last save; with no ORM save to update it, the database defaults it to the time of insertion.
    pub auto_now: bool,
    /// A foreign key checked when the transaction commits (`DEFERRABLE INITIALLY DEFERRED`
    /// on PostgreSQL and SQLite; MySQL checks every key at once), so rows may be written
    /// out of key order inside one transaction. Off: checked by each statement.
    pub deferrable: bool,
    /// The only values the column may hold (a `#[derive(Choices)]` enum's), kept by a check
    /// constraint; empty for any value of its type.
    pub choices: Cow<'static, [Value]>,
}

impl Field {
    /// A non-null, unindexed column named like the field (`<name>_id` for a relation).
    // The builders that migration files call are kept out of line: an initial migration
    // calls them thousands of times in one function, and inlined there they made LLVM's
    // release build of the files almost three times as slow (ARCHITECTURE.md, `writer.rs`).
    #[inline(never)]
    pub fn new(name: impl Into<Name>, ty: impl Into<FieldType>) -> Self {
        let name = name.into();
        let ty = ty.into();
        let column = match ty {
            FieldType::ForeignKey { .. } | FieldType::OneToOne { .. } => {
                format!("{name}_id").into()
            }
            _ => name.clone(),
        };
        Field {
            name,
            column,
            ty,
            null: false,
            primary_key: false,
            auto: false,
            unique: false,
            db_index: false,
            default: None,
            auto_now_add: false,
            auto_now: false,
            deferrable: false,
            choices: Cow::Borrowed(&[]),
        }
    }

    /// The implicit `id bigint` auto-increment primary key of a model that declares none.
    pub const fn auto_id() -> Self {
        Field {
            name: Cow::Borrowed("id"),
            column: Cow::Borrowed("id"),
            ty: FieldType::Column(ColumnType::BigInt),
            null: false,
            primary_key: true,
            auto: true,
            unique: false,
            db_index: false,
            default: None,
            auto_now_add: false,
            auto_now: false,
            deferrable: false,
            choices: Cow::Borrowed(&[]),
        }
    }

    /// A foreign key field to `to`.
    pub fn foreign_key(name: impl Into<Name>, to: ModelRef, on_delete: OnDelete) -> Self {
        Field::new(name, FieldType::ForeignKey { to, on_delete })
    }

    /// Makes it nullable.
    #[inline(never)] // out of line, as `Field::new`
    pub fn null(mut self) -> Self {
        self.null = true;
        self
    }

    /// Makes it the primary key.
    #[inline(never)] // out of line, as `Field::new`
    pub fn primary_key(mut self) -> Self {
        self.primary_key = true;
        self
    }

    /// Makes it auto-increment (an integer primary key).
    #[inline(never)] // out of line, as `Field::new`
    pub fn auto(mut self) -> Self {
        self.auto = true;
        self
    }

    /// Makes it unique.
    #[inline(never)] // out of line, as `Field::new`
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Gives it an index of its own.
    #[inline(never)] // out of line, as `Field::new`
    pub fn db_index(mut self) -> Self {
        self.db_index = true;
        self
    }

    /// Stores it in `column`.
    pub fn db_column(mut self, column: impl Into<Name>) -> Self {
        self.column = column.into();
        self
    }

    /// Gives it a database default.
    #[inline(never)] // out of line, as `Field::new`
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Defaults it to the time of insertion.
    pub fn auto_now_add(mut self) -> Self {
        self.auto_now_add = true;
        self
    }

    /// Makes its foreign key checked at commit (see [`Field::deferrable`](Field#structfield.deferrable)).
    pub fn deferrable(mut self) -> Self {
        self.deferrable = true;
        self
    }

    /// Keeps its column to these values (see [`Field::choices`](Field#structfield.choices)).
    pub fn choices<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.choices = values.into_iter().map(Into::into).collect();
        self
    }

    /// Defaults it to the time of insertion (see [`Field::auto_now`](Field#structfield.auto_now)).
    pub fn auto_now(mut self) -> Self {
        self.auto_now = true;
        self
    }

    /// The default the database applies: the literal, or the current time for
    /// `auto_now_add` / `auto_now` (there is no ORM save hook to fill them in).
    pub fn db_default(&self) -> Option<&Value> {
        match &self.default {
            Some(value) => Some(value),
            None if self.auto_now_add || self.auto_now => Some(&Value::Now),
            None => None,
        }
    }
}

/// A named index over one or more fields (`#[model(indexes(index(…)))]`), or over SQL
/// expressions; partial when it has a condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Index {
    /// The index's name in the database.
    pub name: Name,
    /// The fields, by field name, in index order.
    pub fields: Cow<'static, [Name]>,
    /// A unique index.
    pub unique: bool,
    /// The fields among `fields` ordered descending (`"-field"` in the derive).
    pub descending: Cow<'static, [Name]>,
    /// Only rows where this SQL condition holds are indexed (a partial index; PostgreSQL
    /// and SQLite). A unique index with a condition is Django's conditional
    /// `UniqueConstraint`.
    pub condition: Option<Name>,
    /// SQL expressions indexed after the fields (`lower(email)`; PostgreSQL and SQLite).
    pub expressions: Cow<'static, [Name]>,
}

impl Index {
    /// Index `name` over `fields`.
    #[inline(never)] // out of line, as `Field::new`
    pub fn new<const N: usize>(name: impl Into<Name>, fields: [&'static str; N]) -> Self {
        Index {
            name: name.into(),
            fields: fields.into_iter().map(Name::Borrowed).collect(),
            unique: false,
            descending: Cow::Borrowed(&[]),
            condition: None,
            expressions: Cow::Borrowed(&[]),
        }
    }

    /// Makes it a unique index.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Orders these of its fields descending.
    pub fn descending<const N: usize>(mut self, fields: [&'static str; N]) -> Self {
        self.descending = fields.into_iter().map(Name::Borrowed).collect();
        self
    }

    /// Makes it partial: only rows where the SQL `condition` holds.
    pub fn condition(mut self, condition: impl Into<Name>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Indexes these SQL expressions too, after the fields.
    pub fn expressions<const N: usize>(mut self, expressions: [&'static str; N]) -> Self {
        self.expressions = expressions.into_iter().map(Name::Borrowed).collect();
        self
    }

    /// The same index under another name (what `RenameIndex` changes).
    pub fn same_but_name(&self, other: &Index) -> bool {
        Index {
            name: other.name.clone(),
            ..self.clone()
        } == *other
    }

    /// Follows a field rename: `old` becomes `new` wherever the index names it.
    pub fn rename_field(&mut self, old: &Name, new: &Name) {
        for names in [&mut self.fields, &mut self.descending] {
            if names.contains(old) {
                for n in names.to_mut() {
                    if n == old {
                        *n = new.clone();
                    }
                }
            }
        }
    }
}

/// A named table constraint (`#[model(constraints(…))]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// Rows are unique over these fields together.
    Unique {
        /// The constraint's name in the database.
        name: Name,
        /// The fields, by field name.
        fields: Cow<'static, [Name]>,
    },
    /// A boolean SQL expression every row satisfies.
    Check {
        /// The constraint's name in the database.
        name: Name,
        /// The SQL expression.
        expr: Name,
    },
}

impl Constraint {
    /// Unique constraint `name` over `fields`.
    #[inline(never)] // out of line, as `Field::new`
    pub fn unique<const N: usize>(name: impl Into<Name>, fields: [&'static str; N]) -> Self {
        Constraint::Unique {
            name: name.into(),
            fields: fields.into_iter().map(Name::Borrowed).collect(),
        }
    }

    /// Check constraint `name`: `expr` holds for every row.
    pub fn check(name: impl Into<Name>, expr: impl Into<Name>) -> Self {
        Constraint::Check {
            name: name.into(),
            expr: expr.into(),
        }
    }

    /// The constraint's name in the database.
    pub fn name(&self) -> &str {
        match self {
            Constraint::Unique { name, .. } | Constraint::Check { name, .. } => name,
        }
    }
}

/// A model's fields, in declaration order: a slice to read (it derefs to `[Field]`), found
/// by name through [`Fields::get`] in constant time past [`Fields::SCAN`] of them.
///
/// Replaying a history looks a field up by name for every field operation, and the
/// autodetector compares kept models field by field: a scan for each made a model that
/// grows to hundreds of fields quadratic (issue 21). The
/// index of names is built on the first lookup that needs it and kept up by [`push`],
/// [`replace`] and [`remove`]; any other change goes through [`to_mut`], which drops it, so
/// it never disagrees with the list. A clone starts without one (it is rebuilt when asked,
/// at the cost of the copy that made the clone).
///
/// [`push`]: Fields::push
/// [`replace`]: Fields::replace
/// [`remove`]: Fields::remove
/// [`to_mut`]: Fields::to_mut
#[derive(Default)]
pub struct Fields {
    list: Cow<'static, [Field]>,
    by_name: OnceLock<HashMap<Name, usize>>,
}

impl Fields {
    /// Up to this many fields, scanning them beats hashing the name.
    pub const SCAN: usize = 16;

    /// Fields from a `static` list.
    pub const fn borrowed(list: &'static [Field]) -> Self {
        Fields {
            list: Cow::Borrowed(list),
            by_name: OnceLock::new(),
        }
    }

    /// The position of the field called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        if self.list.len() <= Self::SCAN {
            return self.list.iter().position(|f| f.name == name);
        }
        let index = self.by_name.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.list.len());
            for (i, f) in self.list.iter().enumerate() {
                // The first of two fields of one name, as a scan would find (a state that
                // holds two is refused by validation, but lookups stay as they were).
                index.entry(f.name.clone()).or_insert(i);
            }
            index
        });
        index.get(name).copied()
    }

    /// The field called `name`.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.position(name).map(|i| &self.list[i])
    }

    /// Adds `field` at the end.
    pub fn push(&mut self, field: Field) {
        if let Some(index) = self.by_name.get_mut() {
            index.entry(field.name.clone()).or_insert(self.list.len());
        }
        self.list.to_mut().push(field);
    }

    /// Puts `field` in the place of the field called `name` (under its own name, which may
    /// differ); `false` when there is none.
    pub fn replace(&mut self, name: &str, field: Field) -> bool {
        let Some(i) = self.position(name) else {
            return false;
        };
        if field.name != name {
            if let Some(index) = self.by_name.get_mut() {
                index.remove(name);
                index.entry(field.name.clone()).or_insert(i);
            }
        }
        self.list.to_mut()[i] = field;
        true
    }

    /// Takes out the field called `name`.
    pub fn remove(&mut self, name: &str) -> Option<Field> {
        let i = self.position(name)?;
        // Every name is in the index once, so fewer entries than fields means two fields of
        // one name (a state validation would refuse); only then can one be left behind.
        let repeated = self
            .by_name
            .get()
            .is_some_and(|index| index.len() < self.list.len());
        let field = self.list.to_mut().remove(i);
        if let Some(index) = self.by_name.get_mut() {
            index.remove(name);
            for position in index.values_mut().filter(|p| **p > i) {
                *position -= 1;
            }
            // The second field of that name is found next, as a scan would.
            if let Some(j) = repeated
                .then(|| self.list.iter().position(|f| f.name == name))
                .flatten()
            {
                index.insert(field.name.clone(), j);
            }
        }
        Some(field)
    }

    /// The list to change as a whole; the index of names is dropped.
    pub fn to_mut(&mut self) -> &mut Vec<Field> {
        self.by_name = OnceLock::new();
        self.list.to_mut()
    }
}

impl std::ops::Deref for Fields {
    type Target = [Field];

    fn deref(&self) -> &[Field] {
        &self.list
    }
}

impl Clone for Fields {
    fn clone(&self) -> Self {
        Fields {
            list: self.list.clone(),
            by_name: OnceLock::new(),
        }
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.list.fmt(f)
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl Eq for Fields {}

impl std::hash::Hash for Fields {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.list.hash(state)
    }
}

impl From<Vec<Field>> for Fields {
    fn from(list: Vec<Field>) -> Self {
        Fields {
            list: Cow::Owned(list),
            by_name: OnceLock::new(),
        }
    }
}

impl From<&'static [Field]> for Fields {
    fn from(list: &'static [Field]) -> Self {
        Fields::borrowed(list)
    }
}

impl From<Cow<'static, [Field]>> for Fields {
    fn from(list: Cow<'static, [Field]>) -> Self {
        Fields {
            list,
            by_name: OnceLock::new(),
        }
    }
}

impl FromIterator<Field> for Fields {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> Self {
        Vec::from_iter(iter).into()
    }
}

/// One model as the database sees it. Field order is declaration order; it has no effect
/// on the schema but keeps `CREATE TABLE` readable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelState {
    /// The app label.
    pub app: Name,
    /// The model's name (the struct's).
    pub name: Name,
    /// The table.
    pub table: Name,
    /// The fields, in declaration order.
    pub fields: Fields,
    /// The named indexes.
    pub indexes: Cow<'static, [Index]>,
    /// The named constraints.
    pub constraints: Cow<'static, [Constraint]>,
    /// Whether the tool creates, alters and drops its tables (Django's `managed`). An
    /// unmanaged model belongs to someone else: it is in the state, relations can point at
    /// it, and no SQL ever touches its table or its join tables.
    pub managed: bool,
}

impl ModelState {
    /// `(app, name)`.
    pub fn key(&self) -> ModelKey {
        ModelKey::new(self.app.clone(), self.name.clone())
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.get(name)
    }

    /// The same fields, whatever their order (order has no meaning in the schema).
    pub fn same_fields(&self, other: &ModelState) -> bool {
        if self.fields.len() != other.fields.len() {
            return false;
        }
        self.fields.iter().all(|f| other.field(&f.name) == Some(f))
    }

    /// The same schema: name, table, managed or not, fields, indexes and constraints, each
    /// in any order.
    pub fn same_schema(&self, other: &ModelState) -> bool {
        fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        self.app == other.app
            && self.name == other.name
            && self.table == other.table
            && self.managed == other.managed
            && self.same_fields(other)
            && same_set(&self.indexes, &other.indexes)
            && same_set(&self.constraints, &other.constraints)
    }

    /// The primary key field. Every model has exactly one once validated.
    pub fn primary_key(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.primary_key)
    }
}
