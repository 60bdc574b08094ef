//! Emits data, not behaviour: a `static` model definition built from `migrate_core` types,
//! the `Model` impl pointing at it, and its registration (a static in a linker section on
//! Linux, `inventory` elsewhere). On error, the errors
//! plus a stub `Model` impl, so that relations to this struct raise no follow-on errors.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr, Path};

use crate::ast::{Category, FieldInput, Kind, ModelInput, Rel};
use crate::attr::{ConstraintKind, DefaultLit};
use crate::check;
use crate::ctxt::Ctxt;

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

/// The string literal `Cow::Borrowed("…")`.
fn cow(p: &TokenStream, s: &str) -> TokenStream {
    quote!(#p::Cow::Borrowed(#s))
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
    let auto_id = model
        .primary_key()
        .is_none()
        .then(|| quote!(#p::Field::auto_id(),));
    let fields = model.fields.iter().map(|f| field(f, &p));

    let indexes = model.attrs.indexes.iter().map(|i| {
        let name = cow(&p, &i.name.as_ref().expect("checked").value());
        let names: Vec<String> = i.fields.iter().map(LitStr::value).collect();
        let fields = names.iter().map(|f| cow(&p, f.trim_start_matches('-')));
        let descending = names
            .iter()
            .filter_map(|f| f.strip_prefix('-'))
            .map(|f| cow(&p, f));
        let unique = i.unique;
        let condition = match &i.condition {
            Some(c) => {
                let c = cow(&p, &c.value());
                quote!(#p::Some(#c))
            }
            None => quote!(#p::None),
        };
        let expressions = i.expressions.iter().map(|e| cow(&p, &e.value()));
        quote!(#p::Index {
            name: #name,
            fields: #p::Cow::Borrowed(&[#(#fields),*]),
            unique: #unique,
            descending: #p::Cow::Borrowed(&[#(#descending),*]),
            condition: #condition,
            expressions: #p::Cow::Borrowed(&[#(#expressions),*]),
        })
    });
    let constraints = model.attrs.constraints.iter().map(|c| {
        let name = cow(&p, &c.name.as_ref().expect("checked").value());
        match &c.kind {
            ConstraintKind::Unique(fields) => {
                let fields = fields.iter().map(|f| cow(&p, &f.value()));
                quote!(#p::Constraint::Unique { name: #name, fields: #p::Cow::Borrowed(&[#(#fields),*]) })
            }
            ConstraintKind::Check(expr) => {
                let expr = cow(&p, &expr.as_ref().expect("checked").value());
                quote!(#p::Constraint::Check { name: #name, expr: #expr })
            }
        }
    });
    let renamed_from = option(
        &p,
        model.attrs.renamed_from.as_ref().map(|r| r.value.value()),
    );
    let managed = model.attrs.managed.as_ref().is_none_or(|m| m.value);
    let field_renames = model.fields.iter().filter_map(|f| {
        let from = f.attrs.renamed_from.as_ref()?.value.value();
        let field = f.name();
        Some(quote!(#p::FieldRename { field: #field, from: #from }))
    });

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
                state: #p::ModelState {
                    app: #p::Cow::Borrowed(#app),
                    name: #p::Cow::Borrowed(#name),
                    table: #p::Cow::Borrowed(#table),
                    fields: #p::Cow::Borrowed(&[#auto_id #(#fields),*]),
                    indexes: #p::Cow::Borrowed(&[#(#indexes),*]),
                    constraints: #p::Cow::Borrowed(&[#(#constraints),*]),
                    managed: #managed,
                },
                renamed_from: #renamed_from,
                field_renames: &[#(#field_renames),*],
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

fn option(p: &TokenStream, value: Option<String>) -> TokenStream {
    match value {
        Some(v) => quote!(#p::Some(#v)),
        None => quote!(#p::None),
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

/// One `Field { … }` literal. Type-level facts come from the Rust type, with spans on the
/// field's type so that an unsupported type or a non-model target is reported there.
fn field(f: &FieldInput, p: &TokenStream) -> TokenStream {
    let a = &f.attrs;
    let name = f.name();
    let ty = field_type(f, p);
    let column = match (&a.db_column, f.ty.relation()) {
        (Some(c), _) => c.value.value(),
        (None, Some(Rel::ForeignKey | Rel::OneToOne)) => format!("{name}_id"),
        (None, _) => name.clone(),
    };
    let default = match a.default.as_ref().map(|d| &d.value.1) {
        None => quote!(#p::None),
        Some(DefaultLit::Bool(b)) => quote!(#p::Some(#p::Value::Bool(#b))),
        Some(DefaultLit::Int(i)) => quote!(#p::Some(#p::Value::Int(#i))),
        Some(DefaultLit::Float(s)) => {
            let s = cow(p, s);
            quote!(#p::Some(#p::Value::Number(#s)))
        }
        Some(DefaultLit::Str(s)) => {
            let s = cow(p, s);
            quote!(#p::Some(#p::Value::Str(#s)))
        }
        Some(DefaultLit::NewUuid) => quote!(#p::Some(#p::Value::NewUuid)),
        Some(DefaultLit::Now) => quote!(#p::Some(#p::Value::Now)),
    };
    let null = f.ty.nullable;
    let primary_key = a.primary_key.is_some();
    let auto = a.auto.is_some();
    let unique = a.unique.is_some();
    let db_index = a.db_index.is_some();
    let auto_now_add = a.auto_now_add.is_some();
    let auto_now = a.auto_now.is_some();
    let deferrable = a.deferrable.is_some();
    // Only a type the derive does not know can be an enum with choices: the others cost no
    // lookup in the expansion.
    let choices = match &f.ty.kind {
        Kind::Scalar {
            ty,
            category: Category::Other,
        } => {
            quote_spanned!(ty.span()=> <#ty as #p::ColumnValue>::CHOICES)
        }
        _ => quote!(&[]),
    };
    // The order `__private::field` reads them in, lowest bit first.
    let flags: u8 = [
        null,
        primary_key,
        auto,
        unique,
        db_index,
        auto_now_add,
        auto_now,
        deferrable,
    ]
    .iter()
    .enumerate()
    .map(|(bit, set)| u8::from(*set) << bit)
    .sum();
    quote!(#p::field(#name, #column, #ty, #flags, #default, #choices))
}

/// A `Model` impl that satisfies the trait without registering anything, emitted next to
/// the errors so that relations to this struct compile and only the real errors show.
fn fallback(input: &DeriveInput, model: Option<&ModelInput>, krate: &Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &input.ident;
    let name = syn::ext::IdentExt::unraw(ident).to_string();
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
                    state: #p::ModelState {
                        app: #p::Cow::Borrowed(""),
                        name: #p::Cow::Borrowed(#name),
                        table: #p::Cow::Borrowed(""),
                        fields: #p::Cow::Borrowed(&[]),
                        indexes: #p::Cow::Borrowed(&[]),
                        constraints: #p::Cow::Borrowed(&[]),
                        managed: true,
                    },
                    renamed_from: #p::None,
                    field_renames: &[],
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
