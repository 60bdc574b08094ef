//! `#[derive(Choices)]`: a fieldless enum stored in one column, as text (each variant's
//! name in snake_case, or `#[choices(rename = "…")]`) or, with `#[choices(integer)]`, as
//! its discriminant. It emits the enum's `ColumnValue` (the column type and the values a
//! model field of this type may hold, which become a check constraint) and its sqlx
//! `Type`/`Encode`/`Decode`, so the application reads and writes the same values.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path};

use crate::ctxt::Ctxt;

const CHOICES: &str = "choices";

/// What `#[choices(…)]` says on the enum.
#[derive(Default)]
struct EnumAttrs {
    integer: bool,
    krate: Option<Path>,
}

struct Variant<'a> {
    ident: &'a Ident,
    /// The text stored for it (text enums).
    value: String,
}

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = enum_attrs(&cx, input);
    let variants = variants(&cx, input, attrs.integer);
    match cx.check() {
        Ok(()) => expand(input, &attrs, &variants),
        Err(errors) => errors.to_compile_error(),
    }
}

fn enum_attrs(cx: &Ctxt, input: &DeriveInput) -> EnumAttrs {
    let mut out = EnumAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident(CHOICES)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("integer") {
                out.integer = true;
            } else if meta.path.is_ident("crate") {
                out.krate = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    "unknown `choices` attribute; expected `integer` or `crate`",
                );
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

fn variants<'a>(cx: &Ctxt, input: &'a DeriveInput, integer: bool) -> Vec<Variant<'a>> {
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "`#[derive(Choices)]` applies to enums whose variants have no fields",
        );
        return Vec::new();
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "`#[derive(Choices)]` does not support generic enums",
        );
    }
    if data.variants.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            "an enum of choices needs at least one variant",
        );
    }
    let mut out: Vec<Variant> = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            cx.error_spanned_by(
                v,
                "a choice has no fields: each variant is one stored value",
            );
        }
        let mut value = snake_case(&syn::ext::IdentExt::unraw(&v.ident).to_string());
        for attr in v.attrs.iter().filter(|a| a.path().is_ident(CHOICES)) {
            let result = attr.parse_nested_meta(|meta| {
                if !meta.path.is_ident("rename") {
                    cx.error_spanned_by(
                        &meta.path,
                        "unknown `choices` attribute on a variant; expected `rename`",
                    );
                    return Ok(());
                }
                let lit: LitStr = meta.value()?.parse()?;
                if integer {
                    cx.error_spanned_by(
                        &lit,
                        "`rename` applies to choices stored as text; these are stored as their discriminant",
                    );
                } else if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "a stored value cannot be empty");
                }
                value = lit.value();
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
        if !integer && out.iter().any(|o| o.value == value) {
            cx.error_spanned_by(&v.ident, format!("two variants are stored as `{value}`"));
        }
        out.push(Variant {
            ident: &v.ident,
            value,
        });
    }
    out
}

/// `PastDue` → `past_due`, as serde's `rename_all = "snake_case"`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
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

fn expand(input: &DeriveInput, attrs: &EnumAttrs, variants: &[Variant]) -> TokenStream {
    let krate = attrs
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::migrate_core));
    let p = quote!(#krate::__private);
    let sqlx = quote!(#p::sqlx);
    let ident = &input.ident;
    let name = ident.to_string();
    let idents: Vec<&Ident> = variants.iter().map(|v| v.ident).collect();
    let result = quote!(::core::result::Result);
    let (column_type, choices, stored, to_stored, from_stored) = if attrs.integer {
        (
            quote!(#p::ColumnType::Integer),
            quote!(#(#p::Value::Int(#ident::#idents as i64)),*),
            quote!(i32),
            quote!(match self { #(#ident::#idents => #ident::#idents as i32),* }),
            quote! {
                #(if value == #ident::#idents as i32 { return #result::Ok(#ident::#idents); })*
            },
        )
    } else {
        let values: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
        let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(1) as u32;
        (
            quote!(#p::ColumnType::Varchar(#longest)),
            quote!(#(#p::Value::Str(#p::Cow::Borrowed(#values))),*),
            quote!(&'a str),
            quote!(match self { #(#ident::#idents => #values),* }),
            quote! {
                match value {
                    #(#values => return #result::Ok(#ident::#idents),)*
                    _ => {}
                }
            },
        )
    };
    // The lifetime `'a` is the one of the encoded or decoded value: text is borrowed.
    let stored_static = if attrs.integer {
        quote!(i32)
    } else {
        quote!(str)
    };
    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl #p::ColumnValue for #ident {
                const COLUMN_TYPE: #p::ColumnType = #column_type;
                const CHOICES: &'static [#p::Value] = &[#choices];
            }

            #[automatically_derived]
            impl<DB: #sqlx::Database> #sqlx::Type<DB> for #ident
            where
                #stored_static: #sqlx::Type<DB>,
            {
                fn type_info() -> <DB as #sqlx::Database>::TypeInfo {
                    <#stored_static as #sqlx::Type<DB>>::type_info()
                }
                fn compatible(ty: &<DB as #sqlx::Database>::TypeInfo) -> bool {
                    <#stored_static as #sqlx::Type<DB>>::compatible(ty)
                }
            }

            #[automatically_derived]
            impl<'a, DB: #sqlx::Database> #sqlx::Encode<'a, DB> for #ident
            where
                #stored: #sqlx::Encode<'a, DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut <DB as #sqlx::Database>::ArgumentBuffer<'a>,
                ) -> #result<#sqlx::encode::IsNull, #sqlx::error::BoxDynError> {
                    let value: #stored = #to_stored;
                    <#stored as #sqlx::Encode<'a, DB>>::encode(value, buf)
                }
            }

            #[automatically_derived]
            impl<'a, DB: #sqlx::Database> #sqlx::Decode<'a, DB> for #ident
            where
                #stored: #sqlx::Decode<'a, DB>,
            {
                fn decode(
                    value: <DB as #sqlx::Database>::ValueRef<'a>,
                ) -> #result<Self, #sqlx::error::BoxDynError> {
                    let value = <#stored as #sqlx::Decode<'a, DB>>::decode(value)?;
                    #from_stored
                    #result::Err(::std::format!("{:?} is not a value of {}", value, #name).into())
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn variant_names_become_snake_case() {
        assert_eq!(snake_case("Active"), "active");
        assert_eq!(snake_case("PastDue"), "past_due");
        assert_eq!(snake_case("A"), "a");
    }
}
