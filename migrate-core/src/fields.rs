//! The field-type vocabulary shared by the derive's output and by migration files: SQL-level
//! column types, literal defaults, relations and their `on_delete` actions.
//!
//! Every type here is constructible in a `const` context, so a model definition can be a
//! `static` that costs nothing at start-up.

use std::borrow::Cow;
use std::fmt;

use crate::state::ModelRef;

/// A backend-neutral SQL column type. Each backend's schema editor maps it to its own
/// spelling (for example `Uuid` is `uuid` on PostgreSQL and `binary(16)` on MySQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `smallint` (`i16`).
    SmallInt,
    /// `integer` (`i32`).
    Integer,
    /// `bigint` (`i64`).
    BigInt,
    /// `boolean` (`bool`).
    Boolean,
    /// Single-precision float (`f32`).
    Real,
    /// Double-precision float (`f64`).
    Double,
    /// `decimal(max_digits, decimal_places)` (`rust_decimal::Decimal`).
    Decimal {
        /// Digits in all.
        max_digits: u16,
        /// Digits after the decimal point.
        decimal_places: u16,
    },
    /// `varchar(n)` (`String` with `max_length`).
    Varchar(u32),
    /// Unbounded text (`String`).
    Text,
    /// `uuid::Uuid`.
    Uuid,
    /// A timestamp with time zone (`chrono::DateTime<Utc>`, `time::OffsetDateTime`).
    TimestampTz,
    /// A timestamp without time zone (`chrono::NaiveDateTime`, `time::PrimitiveDateTime`).
    Timestamp,
    /// `chrono::NaiveDate`, `time::Date`.
    Date,
    /// `chrono::NaiveTime`, `time::Time`.
    Time,
    /// JSON (`serde_json::Value`).
    Json,
    /// Binary data (`Vec<u8>`).
    Binary,
    /// A length of time (`std::time::Duration`, chrono's `TimeDelta`, `time::Duration`):
    /// `interval` on PostgreSQL, a `bigint` count of microseconds elsewhere (as Django's
    /// `DurationField`).
    Duration,
    /// An IPv4 or IPv6 address (`std::net::IpAddr`, `Ipv4Addr`, `Ipv6Addr`): `inet` on
    /// PostgreSQL, `char(39)` text elsewhere (as Django's `GenericIPAddressField`).
    IpAddr,
}

impl ColumnType {
    /// Applies `#[field(max_length = n)]`: a text column becomes `varchar(n)`.
    ///
    /// The derive rejects `max_length` on types it knows are not strings; this `const`
    /// panic is the backstop for other types, and fails the build, not the program.
    pub const fn with_max_length(self, n: u32) -> ColumnType {
        match self {
            ColumnType::Text | ColumnType::Varchar(_) => ColumnType::Varchar(n),
            _ => panic!("`max_length` applies only to string fields"),
        }
    }

    /// Applies `#[field(max_digits = p, decimal_places = s)]` to a decimal column.
    pub const fn with_precision(self, max_digits: u16, decimal_places: u16) -> ColumnType {
        match self {
            ColumnType::Decimal { .. } => ColumnType::Decimal {
                max_digits,
                decimal_places,
            },
            _ => panic!("`max_digits` and `decimal_places` apply only to decimal fields"),
        }
    }

    /// Whether an auto-increment key can have this type.
    pub const fn is_integer(self) -> bool {
        matches!(
            self,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
        )
    }
}

impl fmt::Display for ColumnType {
    /// A neutral, SQL-like spelling used in messages and state dumps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Decimal {
                max_digits,
                decimal_places,
            } => write!(f, "decimal({max_digits}, {decimal_places})"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Binary => f.write_str("binary"),
            ColumnType::Duration => f.write_str("duration"),
            ColumnType::IpAddr => f.write_str("inet"),
        }
    }
}

/// A column default given as a literal (`#[field(default = 0)]`), or the current time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float or decimal literal, kept as written so that it compares exactly.
    Number(Cow<'static, str>),
    /// A string literal.
    Str(Cow<'static, str>),
    /// The time of insertion (`auto_now_add`, `auto_now`, `default = Utc::now`).
    Now,
    /// A new random UUID for each row (`default = Uuid::new_v4`), made by the database when
    /// a row is inserted without one, and for each row already there when the column is
    /// added: never one value shared by every row.
    NewUuid,
}

impl Value {
    /// Whether the database computes it for each row as it is written (the current time, a
    /// new UUID) rather than storing a constant.
    pub fn is_computed(&self) -> bool {
        matches!(self, Value::Now | Value::NewUuid)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Number(n) => f.write_str(n),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Now => f.write_str("now()"),
            Value::NewUuid => f.write_str("new_uuid()"),
        }
    }
}

/// What the database does to referencing rows when the referenced row is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OnDelete {
    /// Delete the referencing rows too.
    Cascade,
    /// Refuse to delete a row that is referenced (Django's `PROTECT`; `ON DELETE RESTRICT`).
    Protect,
    /// Refuse to delete a row that is referenced (`ON DELETE RESTRICT`).
    Restrict,
    /// Set the referencing column to NULL (the field must be `Option`).
    SetNull,
    /// Set the referencing column to its default (the field needs one).
    SetDefault,
    /// `ON DELETE NO ACTION`: the deletion fails if rows still refer to it when the statement
    /// (or, for a deferred constraint, the transaction) ends.
    DoNothing,
}

impl OnDelete {
    /// Every action, in the order messages list them.
    pub const ALL: [OnDelete; 6] = [
        OnDelete::Cascade,
        OnDelete::Protect,
        OnDelete::Restrict,
        OnDelete::SetNull,
        OnDelete::SetDefault,
        OnDelete::DoNothing,
    ];

    /// The name as written in `#[field(on_delete = …)]`.
    pub const fn name(self) -> &'static str {
        match self {
            OnDelete::Cascade => "Cascade",
            OnDelete::Protect => "Protect",
            OnDelete::Restrict => "Restrict",
            OnDelete::SetNull => "SetNull",
            OnDelete::SetDefault => "SetDefault",
            OnDelete::DoNothing => "DoNothing",
        }
    }

    /// The SQL referential action. `Protect` is enforced by the database as `RESTRICT`
    /// (Django enforces it in Python; without an ORM the database is the only guard).
    pub const fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Protect | OnDelete::Restrict => "RESTRICT",
            OnDelete::SetNull => "SET NULL",
            OnDelete::SetDefault => "SET DEFAULT",
            OnDelete::DoNothing => "NO ACTION",
        }
    }
}

impl From<ColumnType> for FieldType {
    fn from(ty: ColumnType) -> Self {
        FieldType::Column(ty)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i.into())
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl Value {
    /// A float or decimal literal, kept as written: `Value::number("0.5")`.
    pub fn number(literal: &'static str) -> Self {
        Value::Number(Cow::Borrowed(literal))
    }
}

/// A foreign key to `"app.Model"`.
#[inline(never)] // out of line, as `Field::new`
pub fn foreign_key(to: &str, on_delete: OnDelete) -> FieldType {
    FieldType::ForeignKey {
        to: ModelRef::parse(to),
        on_delete,
    }
}

/// A one-to-one relation to `"app.Model"`.
pub fn one_to_one(to: &str, on_delete: OnDelete) -> FieldType {
    FieldType::OneToOne {
        to: ModelRef::parse(to),
        on_delete,
    }
}

/// A many-to-many relation to `"app.Model"`, with an automatic join table.
pub fn many_to_many(to: &str) -> FieldType {
    FieldType::ManyToMany {
        to: ModelRef::parse(to),
        through: None,
    }
}

/// A many-to-many relation to `"app.Model"` whose rows are those of the model `through`
/// (`"app.Membership"`, with a foreign key to each side and columns of its own).
pub fn many_to_many_through(to: &str, through: &str) -> FieldType {
    FieldType::ManyToMany {
        to: ModelRef::parse(to),
        through: Some(ModelRef::parse(through)),
    }
}

/// What a model field is: a plain column, or a relation to another model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A column of the given type.
    Column(ColumnType),
    /// A `<field>_id` column referencing the target's primary key.
    ForeignKey {
        /// The referenced model.
        to: ModelRef,
        /// What a deletion of the referenced row does.
        on_delete: OnDelete,
    },
    /// A foreign key that is also unique.
    OneToOne {
        /// The referenced model.
        to: ModelRef,
        /// What a deletion of the referenced row does.
        on_delete: OnDelete,
    },
    /// No column: an automatic join table `<table>_<field>`, or the table of a model of
    /// the user's own (`through`), which the relation only names.
    ManyToMany {
        /// The related model.
        to: ModelRef,
        /// The model whose rows are the relation's (Django's `through`); `None` for an
        /// automatic join table.
        through: Option<ModelRef>,
    },
}

impl FieldType {
    /// The referenced model, for relations.
    pub fn target(&self) -> Option<&ModelRef> {
        match self {
            FieldType::Column(_) => None,
            FieldType::ForeignKey { to, .. }
            | FieldType::OneToOne { to, .. }
            | FieldType::ManyToMany { to, .. } => Some(to),
        }
    }

    /// Every model the field refers to: its target, and a many-to-many's `through` model.
    pub fn refs(&self) -> impl Iterator<Item = &ModelRef> {
        let through = match self {
            FieldType::ManyToMany { through, .. } => through.as_ref(),
            _ => None,
        };
        self.target().into_iter().chain(through)
    }

    /// [`refs`](Self::refs), to change them.
    pub fn refs_mut(&mut self) -> Vec<&mut ModelRef> {
        match self {
            FieldType::Column(_) => Vec::new(),
            FieldType::ForeignKey { to, .. } | FieldType::OneToOne { to, .. } => vec![to],
            FieldType::ManyToMany { to, through } => {
                let mut out = vec![to];
                out.extend(through.as_mut());
                out
            }
        }
    }

    /// Whether the field is stored as a column of its model's table.
    pub fn has_column(&self) -> bool {
        !matches!(self, FieldType::ManyToMany { .. })
    }
}

/// A Rust type that can be stored in one column. The derive reads `COLUMN_TYPE` from the
/// field's type, so an unsupported type is a compile error on that field.
///
/// Implement it for your own newtypes to store them as one of the supported column types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a model field",
    label = "unsupported field type",
    note = "supported: i16, i32, i64, bool, f32, f64, String, Vec<u8>, std::time::Duration, std::net::IpAddr/Ipv4Addr/Ipv6Addr, uuid::Uuid, chrono's DateTime<Utc>/NaiveDateTime/NaiveDate/NaiveTime/TimeDelta, time's OffsetDateTime/PrimitiveDateTime/Date/Time/Duration, a #[derive(Choices)] enum, rust_decimal::Decimal, serde_json::Value, Option<T> of those, ForeignKey<T>, OneToOne<T>, ManyToMany<T>"
)]
pub trait ColumnValue {
    /// The column type the field gets.
    const COLUMN_TYPE: ColumnType;
    /// The only values the column may hold (an enum's, from `#[derive(Choices)]`), kept by a
    /// check constraint; empty for any value of the type.
    const CHOICES: &'static [Value] = &[];
}

macro_rules! column_values {
    ($($ty:ty => $col:expr),* $(,)?) => {
        $(impl ColumnValue for $ty { const COLUMN_TYPE: ColumnType = $col; })*
    };
}

column_values! {
    i16 => ColumnType::SmallInt,
    i32 => ColumnType::Integer,
    i64 => ColumnType::BigInt,
    bool => ColumnType::Boolean,
    f32 => ColumnType::Real,
    f64 => ColumnType::Double,
    String => ColumnType::Text,
    Vec<u8> => ColumnType::Binary,
    std::time::Duration => ColumnType::Duration,
    std::net::IpAddr => ColumnType::IpAddr,
    std::net::Ipv4Addr => ColumnType::IpAddr,
    std::net::Ipv6Addr => ColumnType::IpAddr,
}

#[cfg(feature = "uuid")]
column_values! { uuid::Uuid => ColumnType::Uuid }

#[cfg(feature = "time")]
column_values! {
    time::OffsetDateTime => ColumnType::TimestampTz,
    time::PrimitiveDateTime => ColumnType::Timestamp,
    time::Date => ColumnType::Date,
    time::Time => ColumnType::Time,
    time::Duration => ColumnType::Duration,
}

#[cfg(feature = "chrono")]
column_values! {
    chrono::DateTime<chrono::Utc> => ColumnType::TimestampTz,
    chrono::NaiveDateTime => ColumnType::Timestamp,
    chrono::NaiveDate => ColumnType::Date,
    chrono::NaiveTime => ColumnType::Time,
    chrono::TimeDelta => ColumnType::Duration,
}

// The precision is always set by `#[field(max_digits, decimal_places)]`; this is a placeholder
// that `ColumnType::with_precision` replaces.
#[cfg(feature = "decimal")]
column_values! { rust_decimal::Decimal => ColumnType::Decimal { max_digits: 28, decimal_places: 10 } }

#[cfg(feature = "json")]
column_values! { serde_json::Value => ColumnType::Json }
