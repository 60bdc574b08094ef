//! Emits data, not behaviour: a `static` model definition (the field types, which only the
//! compiler can resolve, and everything else as one string, `encode.rs`), the `Model` impl
//! pointing at it, and its registration (a static in a linker section on Linux, `inventory`
//! elsewhere). On error, the errors plus a stub `Model` impl, so that relations to this
//! struct raise no follow-on errors.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr, Path};

use crate::ast::{Category, FieldInput, Kind, ModelInput, Rel};
use crate::attr::{ConstraintKind, DefaultLit};
use crate::check;
use crate::ctxt::Ctxt;
use crate::encode::Encoder;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = ModelInput::from_ast(&cx, input);
    if let Some(model) = &model {
        check::check(&cx, model);
    }
    let krate = model
        .as_ref()
        .and_then(|m| m.attrs.krate.as_ref())
        .map(|k| k.value.clone())
        .unwrap_or_else(|| syn::parse_quote!(::migrate_core));
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand(&model, &krate),
        (Err(errors), model) => {
            let mut out = errors.to_compile_error();
            out.extend(fallback(input, model.as_ref(), &krate));
            out
        }
        (Ok(()), None) => unreachable!("a struct that could not be read reports an error"),
    }
}

fn expand(model: &ModelInput, krate: &Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = model.ident;
    let name = model.name();
    let app = model.attrs.app.as_ref().expect("checked").value.value();
    let table = match &model.attrs.table {
        Some(t) => t.value.value(),
        None => format!("{app}_{}", name.to_lowercase()),
    };

    let pk_ty = match model.primary_key() {
        Some(f) => f.original.ty.to_token_stream(),
        None => quote!(i64),
    };

    let managed = model.attrs.managed.as_ref().is_none_or(|m| m.value);
    let auto_id = model.primary_key().is_none();
    let mut e = Encoder::model(&app, &name, &table, managed, auto_id);
    e.opt(
        model
            .attrs
            .renamed_from
            .as_ref()
            .map(|r| r.value.value())
            .as_deref(),
    );
    let renames: Vec<(String, String)> = model
        .fields
        .iter()
        .filter_map(|f| Some((f.name(), f.attrs.renamed_from.as_ref()?.value.value())))
        .collect();
    e.num(renames.len());
    for (field, from) in &renames {
        e.str(field).str(from);
    }
    e.num(model.fields.len());
    let mut choices = Vec::new();
    for f in &model.fields {
        field(&mut e, f);
        // Only a type the derive does not know can be an enum with choices: the others cost
        // no lookup in the expansion.
        if let Kind::Scalar {
            ty,
            category: Category::Other,
        } = &f.ty.kind
        {
            choices.push(quote_spanned!(ty.span()=> <#ty as #p::ColumnValue>::CHOICES));
            e.num(1);
        } else {
            e.num(0);
        }
    }
    let types = model.fields.iter().map(|f| field_type(f, &p));

    e.num(model.attrs.indexes.len());
    for i in &model.attrs.indexes {
        e.str(&i.name.as_ref().expect("checked").value());
        e.num(u8::from(i.unique)).num(i.fields.len());
        for f in &i.fields {
            e.str(&f.value());
        }
        e.opt(i.condition.as_ref().map(LitStr::value).as_deref());
        e.num(i.expressions.len());
        for x in &i.expressions {
            e.str(&x.value());
        }
    }
    e.num(model.attrs.constraints.len());
    for c in &model.attrs.constraints {
        let name = c.name.as_ref().expect("checked").value();
        match &c.kind {
            ConstraintKind::Unique(fields) => {
                e.str("u").str(&name).num(fields.len());
                for f in fields {
                    e.str(&f.value());
                }
            }
            ConstraintKind::Check(expr) => {
                e.str("c").str(&name);
                e.str(&expr.as_ref().expect("checked").value());
            }
        }
    }
    let encoded = e.finish();

    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl #p::Model for #ident {
                const APP: &'static str = #app;
                const NAME: &'static str = #name;
                const DEFINITION: &'static #p::ModelDef = &__MIGRATE_MODEL_DEF;
                type PrimaryKey = #pk_ty;
            }

            static __MIGRATE_MODEL_DEF: #p::ModelDef = #p::ModelDef {
                encoded: #encoded,
                types: &[#(#types),*],
                choices: &[#(#choices),*],
            };

            // The registry's reader says why the section on Linux (`registry.rs`).
            #[cfg(target_os = "linux")]
            #[used]
            #[unsafe(link_section = #p::models_section!())]
            static __MIGRATE_REGISTRATION: #p::Registration = #p::Registration(&__MIGRATE_MODEL_DEF);
            #[cfg(not(target_os = "linux"))]
            #p::inventory::submit! { #p::Registration(&__MIGRATE_MODEL_DEF) }
        };
    }
}

/// The type-level part of a field.
fn field_type(f: &FieldInput, p: &TokenStream) -> TokenStream {
    let a = &f.attrs;
    match &f.ty.kind {
        Kind::Scalar { ty, .. } => {
            let mut column = quote_spanned!(ty.span()=> <#ty as #p::ColumnValue>::COLUMN_TYPE);
            if let Some(n) = &a.max_length {
                let n = n.value;
                column = quote!(#column.with_max_length(#n));
            }
            if let (Some(d), Some(s)) = (&a.max_digits, &a.decimal_places) {
                let (d, s) = (d.value, s.value);
                column = quote!(#column.with_precision(#d, #s));
            }
            quote!(#p::FieldType::Column(#column))
        }
        Kind::Relation { rel, target } => {
            let to = quote_spanned!(target.span()=>
                #p::ModelRef::new(<#target as #p::Model>::APP, <#target as #p::Model>::NAME)
            );
            let on_delete = a.on_delete.as_ref().map(|o| &o.value);
            match rel {
                Rel::ForeignKey => {
                    quote!(#p::FieldType::ForeignKey { to: #to, on_delete: #p::OnDelete::#on_delete })
                }
                Rel::OneToOne => {
                    quote!(#p::FieldType::OneToOne { to: #to, on_delete: #p::OnDelete::#on_delete })
                }
                Rel::ManyToMany => {
                    let through = match &a.through {
                        Some(t) => {
                            let t = &t.value;
                            quote_spanned!(t.span()=>
                                #p::Some(#p::ModelRef::new(<#t as #p::Model>::APP, <#t as #p::Model>::NAME))
                            )
                        }
                        None => quote!(#p::None),
                    };
                    quote!(#p::FieldType::ManyToMany { to: #to, through: #through })
                }
            }
        }
    }
}

/// A field's name, column, flags and default (`encoding.rs`' order; the flags in the order
/// `migrate_core`'s decoder reads them, lowest bit first).
fn field(e: &mut Encoder, f: &FieldInput) {
    let a = &f.attrs;
    let name = f.name();
    let column = match (&a.db_column, f.ty.relation()) {
        (Some(c), _) => c.value.value(),
        (None, Some(Rel::ForeignKey | Rel::OneToOne)) => format!("{name}_id"),
        (None, _) => name.clone(),
    };
    let flags: u8 = [
        f.ty.nullable,
        a.primary_key.is_some(),
        a.auto.is_some(),
        a.unique.is_some(),
        a.db_index.is_some(),
        a.auto_now_add.is_some(),
        a.auto_now.is_some(),
        a.deferrable.is_some(),
    ]
    .iter()
    .enumerate()
    .map(|(bit, set)| u8::from(*set) << bit)
    .sum();
    e.str(&name).str(&column).num(flags);
    match a.default.as_ref().map(|d| &d.value.1) {
        None => e.opt(None),
        Some(DefaultLit::Bool(b)) => e.str("b").num(u8::from(*b)),
        Some(DefaultLit::Int(i)) => e.str("i").num(i),
        Some(DefaultLit::Float(s)) => e.str("f").str(s),
        Some(DefaultLit::Str(s)) => e.str("s").str(s),
        Some(DefaultLit::NewUuid) => e.str("u"),
        Some(DefaultLit::Now) => e.str("t"),
    };
}

/// A `Model` impl that satisfies the trait without registering anything, emitted next to
/// the errors so that relations to this struct compile and only the real errors show.
fn fallback(input: &DeriveInput, model: Option<&ModelInput>, krate: &Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &input.ident;
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    // A model of no app, no table, rename or field; nothing registers it.
    let mut e = Encoder::model("", &name, "", true, false);
    e.opt(None).num(0).num(0).num(0).num(0);
    let encoded = e.finish();
    let pk_ty = model
        .and_then(|m| m.primary_key())
        .map_or_else(|| quote!(i64), |f| f.original.ty.to_token_stream());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::Model for #ident #ty_generics #where_clause {
                const APP: &'static str = "";
                const NAME: &'static str = #name;
                const DEFINITION: &'static #p::ModelDef = &#p::ModelDef {
                    encoded: #encoded,
                    types: &[],
                    choices: &[],
                };
                type PrimaryKey = #pk_ty;
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_to_string(input: syn::DeriveInput) -> String {
        prettyplease::unparse(&syn::parse2(derive(&input)).expect("the expansion parses"))
    }

    #[test]
    fn emits_a_static_definition_and_registers_it() {
        insta::assert_snapshot!(expand_to_string(syn::parse_quote! {
            #[model(app = "customers", indexes(index(name = "customer_phone_idx", fields = ["phone"])))]
            pub struct Customer {
                #[field(on_delete = Cascade)]
                pub tenant: ForeignKey<Tenant>,
                #[field(max_length = 20, renamed_from = "mobile")]
                pub phone: String,
                pub nickname: Option<String>,
            }
        }));
    }

    #[test]
    fn on_error_emits_the_errors_and_a_stub_impl() {
        insta::assert_snapshot!(expand_to_string(syn::parse_quote! {
            #[model(app = "customers")]
            pub struct Customer {
                #[field(max_length = 20)]
                pub age: i32,
            }
        }));
    }
}
