//! What `#[derive(Model)]` produces: the [`Model`] trait, the static [`ModelDef`] it points to,
//! and the relation field types [`ForeignKey`], [`OneToOne`] and [`ManyToMany`].

use std::fmt;
use std::marker::PhantomData;

use crate::fields::{FieldType, Value};
use crate::state::ModelState;

mod encoding;

/// A struct declared with `#[derive(Model)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "relations need a model here",
    note = "add `#[derive(Model)]` and `#[model(app = \"…\")]` to `{Self}`"
)]
pub trait Model {
    /// The app label (`#[model(app = "…")]`).
    const APP: &'static str;
    /// The model name: the struct's name.
    const NAME: &'static str;
    /// The schema this struct declares, as registered.
    const DEFINITION: &'static ModelDef;
    /// The Rust type of the primary key (`i64` for the automatic `id`).
    type PrimaryKey;
}

/// A model's schema plus the rename hints (`renamed_from`) that the autodetector reads.
/// The hints are not part of the schema: the state built by replaying migrations has none.
///
/// What the derive writes: the field types (which only the compiler knows, from each
/// field's Rust type), the choices of `#[derive(Choices)]` enums, and the rest as one
/// string, decoded on demand (`model/encoding.rs` says why and how).
///
/// Its fields are what the derive writes as a struct literal (a literal rather than a
/// constructor call, so the arrays in it live as long as the static), not an API.
#[derive(Debug)]
pub struct ModelDef {
    #[doc(hidden)]
    pub encoded: &'static str,
    #[doc(hidden)]
    pub types: &'static [FieldType],
    #[doc(hidden)]
    pub choices: &'static [&'static [Value]],
}

impl ModelDef {
    /// `(app, model name)`, read without decoding the rest.
    pub fn key(&self) -> (&'static str, &'static str) {
        encoding::key(self.encoded)
    }

    /// The schema, as a migration would create it.
    pub fn state(&self) -> ModelState {
        encoding::decode(self.encoded, self.types, self.choices)
    }

    /// `#[model(renamed_from = "Old")]`: the model's previous name in the same app.
    pub fn renamed_from(&self) -> Option<&'static str> {
        self.hints().0
    }

    /// `#[field(renamed_from = "old")]` on each renamed field.
    pub fn field_renames(&self) -> Vec<FieldRename> {
        self.hints().1
    }

    /// Both rename hints, read from the front of the definition without its fields.
    pub(crate) fn hints(&self) -> (Option<&'static str>, Vec<FieldRename>) {
        encoding::hints(self.encoded)
    }
}

/// `#[field(renamed_from = "from")]` on field `field`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRename {
    /// The field's name now.
    pub field: &'static str,
    /// Its name before.
    pub from: &'static str,
}

/// What the derive registers: a pointer to the static definition. On Linux it is a `#[used]`
/// static in the linker section [`models_section!`](crate::models_section) names (the
/// registry reads the section as an array of them, so the layout is the pointer's);
/// elsewhere it is submitted to `inventory`.
#[derive(Debug)]
#[repr(transparent)]
pub struct Registration(pub &'static ModelDef);

#[cfg(not(target_os = "linux"))]
inventory::collect!(Registration);

/// A many-to-one relation: column `<field>_id`, holding the target's primary key.
pub struct ForeignKey<T: Model>(pub T::PrimaryKey);

/// A one-to-one relation: a unique foreign key.
pub struct OneToOne<T: Model>(pub T::PrimaryKey);

/// A many-to-many relation: no column; rows live in an automatic join table.
pub struct ManyToMany<T: Model>(PhantomData<fn() -> T>);

impl<T: Model> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany(PhantomData)
    }
}

impl<T: Model> fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManyToMany<{}.{}>", T::APP, T::NAME)
    }
}

// Derives would put the bounds on `T`; the value is `T::PrimaryKey`, so the impls say so.
macro_rules! key_wrapper_impls {
    ($($wrapper:ident),*) => {$(
        impl<T: Model> Clone for $wrapper<T> where T::PrimaryKey: Clone {
            fn clone(&self) -> Self { $wrapper(self.0.clone()) }
        }
        impl<T: Model> Copy for $wrapper<T> where T::PrimaryKey: Copy {}
        impl<T: Model> PartialEq for $wrapper<T> where T::PrimaryKey: PartialEq {
            fn eq(&self, other: &Self) -> bool { self.0 == other.0 }
        }
        impl<T: Model> Eq for $wrapper<T> where T::PrimaryKey: Eq {}
        impl<T: Model> fmt::Debug for $wrapper<T> where T::PrimaryKey: fmt::Debug {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}<{}.{}>({:?})", stringify!($wrapper), T::APP, T::NAME, self.0)
            }
        }
    )*};
}

key_wrapper_impls!(ForeignKey, OneToOne);

// A relation is its key in the database and on the wire: the impls below let a model with
// relations also derive `sqlx::FromRow` (the column is `<field>_id`: `#[sqlx(rename =
// "tenant_id")]`), be bound in a query, and derive serde's traits (feature `serde`).
macro_rules! key_wrapper_io {
    ($($wrapper:ident),*) => {$(
        impl<T: Model, DB: sqlx::Database> sqlx::Type<DB> for $wrapper<T>
        where
            T::PrimaryKey: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <T::PrimaryKey as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <T::PrimaryKey as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, T: Model, DB: sqlx::Database> sqlx::Encode<'q, DB> for $wrapper<T>
        where
            T::PrimaryKey: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                self.0.encode_by_ref(buf)
            }
            fn produces(&self) -> Option<DB::TypeInfo> {
                self.0.produces()
            }
            fn size_hint(&self) -> usize {
                self.0.size_hint()
            }
        }

        impl<'r, T: Model, DB: sqlx::Database> sqlx::Decode<'r, DB> for $wrapper<T>
        where
            T::PrimaryKey: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <T::PrimaryKey as sqlx::Decode<'r, DB>>::decode(value).map($wrapper)
            }
        }

        #[cfg(feature = "serde")]
        impl<T: Model> serde::Serialize for $wrapper<T>
        where
            T::PrimaryKey: serde::Serialize,
        {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de, T: Model> serde::Deserialize<'de> for $wrapper<T>
        where
            T::PrimaryKey: serde::Deserialize<'de>,
        {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                T::PrimaryKey::deserialize(deserializer).map($wrapper)
            }
        }
    )*};
}

key_wrapper_io!(ForeignKey, OneToOne);

#[cfg(feature = "serde")]
impl<T: Model> serde::Serialize for ManyToMany<T> {
    /// Nothing: the related rows live in the join table, not in the struct.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}
