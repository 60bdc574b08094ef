//! The struct read into a typed model: its attributes parsed, each field's Rust type
//! classified (nullable or not, plain column or relation).

use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, PathArguments, Type};

use crate::attr::{FieldAttrs, ModelAttrs};
use crate::ctxt::Ctxt;

pub struct ModelInput<'a> {
    pub ident: &'a Ident,
    pub attrs: ModelAttrs,
    pub fields: Vec<FieldInput<'a>>,
}

pub struct FieldInput<'a> {
    pub original: &'a syn::Field,
    pub ident: &'a Ident,
    pub ty: FieldTy<'a>,
    pub attrs: FieldAttrs,
}

/// A field's type as the derive understands it.
pub struct FieldTy<'a> {
    /// `Option<T>`.
    pub nullable: bool,
    pub kind: Kind<'a>,
}

pub enum Kind<'a> {
    /// A type stored in one column; `category` is what the derive can tell from its name.
    Scalar { ty: &'a Type, category: Category },
    /// `ForeignKey<T>`, `OneToOne<T>`, `ManyToMany<T>`.
    Relation { rel: Rel, target: &'a Type },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    ForeignKey,
    OneToOne,
    ManyToMany,
}

/// What a scalar type's name says about it. Attribute checks use it to give a precise error;
/// the column type itself always comes from the type's `ColumnValue` impl.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Integer,
    Float,
    Bool,
    String,
    Decimal,
    Temporal,
    Uuid,
    Other,
}

impl<'a> ModelInput<'a> {
    /// Reads the struct; `None` when it is not a struct with named fields.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = ModelAttrs::from_attrs(cx, &input.attrs);
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "`#[derive(Model)]` does not support generic structs",
            );
        }
        let named = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => named,
                _ => {
                    cx.error_spanned_by(
                        &input.ident,
                        "`#[derive(Model)]` needs a struct with named fields",
                    );
                    return None;
                }
            },
            _ => {
                cx.error_spanned_by(&input.ident, "`#[derive(Model)]` works on structs only");
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .map(|f| FieldInput {
                original: f,
                ident: f.ident.as_ref().expect("named field"),
                ty: FieldTy::classify(&f.ty),
                attrs: FieldAttrs::from_attrs(cx, &f.attrs),
            })
            .collect();
        Some(ModelInput {
            ident: &input.ident,
            attrs,
            fields,
        })
    }

    pub fn primary_key(&self) -> Option<&FieldInput<'a>> {
        self.fields.iter().find(|f| f.attrs.primary_key.is_some())
    }

    /// The model's name, without the `r#` of a raw identifier.
    pub fn name(&self) -> String {
        self.ident.unraw().to_string()
    }
}

impl FieldInput<'_> {
    /// The field's name as migrations and columns spell it: `r#type` is `type`.
    pub fn name(&self) -> String {
        self.ident.unraw().to_string()
    }
}

impl<'a> FieldTy<'a> {
    fn classify(ty: &'a Type) -> Self {
        if let Some(("Option", inner)) = single_generic(ty) {
            return FieldTy {
                nullable: true,
                kind: Kind::classify(inner),
            };
        }
        FieldTy {
            nullable: false,
            kind: Kind::classify(ty),
        }
    }

    pub fn category(&self) -> Option<Category> {
        match self.kind {
            Kind::Scalar { category, .. } => Some(category),
            Kind::Relation { .. } => None,
        }
    }

    pub fn relation(&self) -> Option<Rel> {
        match self.kind {
            Kind::Relation { rel, .. } => Some(rel),
            Kind::Scalar { .. } => None,
        }
    }
}

impl<'a> Kind<'a> {
    fn classify(ty: &'a Type) -> Self {
        if let Some((name, target)) = single_generic(ty) {
            let rel = match name {
                "ForeignKey" => Some(Rel::ForeignKey),
                "OneToOne" => Some(Rel::OneToOne),
                "ManyToMany" => Some(Rel::ManyToMany),
                _ => None,
            };
            if let Some(rel) = rel {
                return Kind::Relation { rel, target };
            }
        }
        let category = match last_segment(ty).as_deref() {
            Some("i16" | "i32" | "i64") => Category::Integer,
            Some("f32" | "f64") => Category::Float,
            Some("bool") => Category::Bool,
            Some("String") => Category::String,
            Some("Decimal") => Category::Decimal,
            Some("Uuid") => Category::Uuid,
            Some(
                "DateTime" | "NaiveDateTime" | "NaiveDate" | "NaiveTime" | "OffsetDateTime"
                | "PrimitiveDateTime",
            ) => Category::Temporal,
            _ => Category::Other,
        };
        Kind::Scalar { ty, category }
    }
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `Name<T>` → `("Name", T)` for a path type whose last segment has one type argument.
fn single_generic(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let (Some(inner), None) = (types.next(), types.next()) else {
        return None;
    };
    let name = match seg.ident.to_string().as_str() {
        "Option" => "Option",
        "ForeignKey" => "ForeignKey",
        "OneToOne" => "OneToOne",
        "ManyToMany" => "ManyToMany",
        _ => return None,
    };
    Some((name, inner))
}
