//! Parses `#[model(...)]` and `#[field(...)]` into typed attributes. Nothing returns early:
//! an unknown or malformed attribute is reported to the [`Ctxt`] and parsing goes on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitStr, Path, Token, UnOp};

use crate::ctxt::Ctxt;
use crate::symbol::*;

/// The value of a set attribute, with the tokens that set it (for error spans).
pub struct Set<T> {
    pub tokens: TokenStream,
    pub value: T,
}

impl<T> ToTokens for Set<T> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.tokens.to_tokens(tokens);
    }
}

/// Stores the first setting of an attribute and reports the later ones as duplicates.
fn set<T>(cx: &Ctxt, slot: &mut Option<Set<T>>, scope: &str, meta: &ParseNestedMeta, value: T) {
    let name = path_name(&meta.path);
    if slot.is_some() {
        cx.error_spanned_by(&meta.path, format!("duplicate `#[{scope}({name})]`"));
    } else {
        *slot = Some(Set {
            tokens: meta.path.to_token_stream(),
            value,
        });
    }
}

fn path_name(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// Reports an unknown attribute and skips its value, so the ones after it are still read.
fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, what: &str, expected: &[&str]) -> syn::Result<()> {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {what} `{}`; expected one of {}",
            path_name(&meta.path),
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// A flag such as `primary_key` takes no value.
fn flag(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let name = path_name(&meta.path);
        return Err(meta.error(format!(
            "`{name}` takes no value; write it alone, as `{name}`"
        )));
    }
    Ok(())
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "expected `{}` to be a string literal",
                path_name(&meta.path)
            ),
        )),
    }
}

fn lit_bool(meta: &ParseNestedMeta) -> syn::Result<bool> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "expected `{}` to be `true` or `false`",
                path_name(&meta.path)
            ),
        )),
    }
}

fn lit_int<N>(meta: &ParseNestedMeta) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    let expr: Expr = meta.value()?.parse()?;
    match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse(),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "expected `{}` to be a positive integer",
                path_name(&meta.path)
            ),
        )),
    }
}

/// `fields = ["a", "b"]`.
fn string_list(meta: &ParseNestedMeta) -> syn::Result<Vec<LitStr>> {
    let value = meta.value()?;
    let content;
    syn::bracketed!(content in value);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// A literal default, as written in `#[field(default = …)]`.
pub enum DefaultLit {
    Bool(bool),
    Int(i64),
    /// Float literal text, sign included.
    Float(String),
    Str(String),
    /// `Uuid::new_v4`: a new UUID per row, made by the database.
    NewUuid,
    /// `Utc::now` / `OffsetDateTime::now_utc`: the time of insertion.
    Now,
}

fn default_lit(meta: &ParseNestedMeta) -> syn::Result<(Expr, DefaultLit)> {
    let expr: Expr = meta.value()?.parse()?;
    if let Expr::Path(p) = &expr {
        let segments: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        // The functions it accepts, as Django accepts a callable: each names what the
        // database computes for every row; none is ever called to write one value down.
        let computed = match segments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            [.., "Uuid", "new_v4"] => Some(DefaultLit::NewUuid),
            [.., "Utc", "now"] | [.., "OffsetDateTime", "now_utc"] => Some(DefaultLit::Now),
            _ => None,
        };
        return match computed {
            Some(value) if p.qself.is_none() => Ok((expr, value)),
            _ => Err(bad_default(&expr)),
        };
    }
    let (negative, lit) = match &expr {
        Expr::Lit(ExprLit { lit, .. }) => (false, lit),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            Expr::Lit(ExprLit { lit, .. }) => (true, lit),
            _ => return Err(bad_default(&expr)),
        },
        _ => return Err(bad_default(&expr)),
    };
    let value = match (negative, lit) {
        (false, Lit::Bool(b)) => DefaultLit::Bool(b.value),
        (false, Lit::Str(s)) => DefaultLit::Str(s.value()),
        (neg, Lit::Int(i)) => {
            let n: i64 = i.base10_parse()?;
            DefaultLit::Int(if neg { -n } else { n })
        }
        (neg, Lit::Float(f)) => DefaultLit::Float(format!(
            "{}{}",
            if neg { "-" } else { "" },
            f.base10_digits()
        )),
        _ => return Err(bad_default(&expr)),
    };
    Ok((expr, value))
}

fn bad_default(expr: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        "expected `default` to be a literal (a number, a string, `true` or `false`) or a value made for each row: `Uuid::new_v4`, `Utc::now`, `OffsetDateTime::now_utc`",
    )
}

/// `index(name = "…", fields = [...], unique)`.
pub struct IndexAttr {
    pub path: Path,
    pub name: Option<LitStr>,
    /// Field names, `-` in front for descending order.
    pub fields: Vec<LitStr>,
    pub unique: bool,
    pub condition: Option<LitStr>,
    pub expressions: Vec<LitStr>,
}

/// `unique(name = "…", fields = [...])` or `check(name = "…", expr = "…")`.
pub struct ConstraintAttr {
    pub path: Path,
    pub kind: ConstraintKind,
    pub name: Option<LitStr>,
}

pub enum ConstraintKind {
    Unique(Vec<LitStr>),
    Check(Option<LitStr>),
}

/// Everything in the struct's `#[model(...)]` attributes.
#[derive(Default)]
pub struct ModelAttrs {
    pub app: Option<Set<LitStr>>,
    pub table: Option<Set<LitStr>>,
    pub renamed_from: Option<Set<LitStr>>,
    pub krate: Option<Set<Path>>,
    pub managed: Option<Set<bool>>,
    pub indexes: Vec<IndexAttr>,
    pub constraints: Vec<ConstraintAttr>,
}

impl ModelAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = ModelAttrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(MODEL)) {
            let result = attr.parse_nested_meta(|meta| {
                let Some(ident) = meta.path.get_ident().map(|i| i.to_string()) else {
                    return unknown(cx, &meta, "model attribute", MODEL_ATTRS);
                };
                match ident.as_str() {
                    // #[model(app = "customers")]
                    APP => set(cx, &mut out.app, MODEL, &meta, lit_str(&meta)?),
                    // #[model(table = "customer")]
                    TABLE => set(cx, &mut out.table, MODEL, &meta, lit_str(&meta)?),
                    // #[model(renamed_from = "Client")]
                    RENAMED_FROM => set(cx, &mut out.renamed_from, MODEL, &meta, lit_str(&meta)?),
                    // #[model(managed = false)]
                    MANAGED => set(cx, &mut out.managed, MODEL, &meta, lit_bool(&meta)?),
                    // #[model(crate = "my::reexport::migrate_core")]
                    CRATE => {
                        let path = lit_str(&meta)?.parse::<Path>()?;
                        set(cx, &mut out.krate, MODEL, &meta, path)
                    }
                    // #[model(indexes(index(name = "…", fields = ["a", "b"], unique)))]
                    INDEXES => meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident(INDEX) {
                            out.indexes.push(parse_index(cx, &inner)?);
                            Ok(())
                        } else {
                            unknown(cx, &inner, "entry in `indexes`", &[INDEX])
                        }
                    })?,
                    // #[model(constraints(unique(name = "…", fields = [..]), check(name = "…", expr = "…")))]
                    CONSTRAINTS => meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident(UNIQUE) || inner.path.is_ident(CHECK) {
                            match parse_constraint(cx, &inner)? {
                                Parsed::Constraint(c) => out.constraints.push(c),
                                Parsed::Index(i) => out.indexes.push(i),
                            }
                            Ok(())
                        } else {
                            unknown(cx, &inner, "constraint", &[UNIQUE, CHECK])
                        }
                    })?,
                    _ => return unknown(cx, &meta, "model attribute", MODEL_ATTRS),
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        out
    }
}

fn parse_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<IndexAttr> {
    let mut name = None;
    let mut fields = None;
    let mut unique = None;
    let mut condition = None;
    let mut expressions = None;
    meta.parse_nested_meta(|m| {
        if m.path.is_ident(NAME) {
            set(cx, &mut name, INDEX, &m, lit_str(&m)?);
        } else if m.path.is_ident(FIELDS) {
            set(cx, &mut fields, INDEX, &m, string_list(&m)?);
        } else if m.path.is_ident(UNIQUE) {
            flag(&m)?;
            set(cx, &mut unique, INDEX, &m, ());
        } else if m.path.is_ident(CONDITION) {
            set(cx, &mut condition, INDEX, &m, lit_str(&m)?);
        } else if m.path.is_ident(EXPRESSIONS) {
            set(cx, &mut expressions, INDEX, &m, string_list(&m)?);
        } else {
            unknown(
                cx,
                &m,
                "index attribute",
                &[NAME, FIELDS, UNIQUE, CONDITION, EXPRESSIONS],
            )?;
        }
        Ok(())
    })?;
    Ok(IndexAttr {
        path: meta.path.clone(),
        name: name.map(|n| n.value),
        fields: fields.map(|f| f.value).unwrap_or_default(),
        unique: unique.is_some(),
        condition: condition.map(|c| c.value),
        expressions: expressions.map(|e| e.value).unwrap_or_default(),
    })
}

/// A `constraints(…)` entry: a constraint, or a unique constraint with a condition or
/// expressions, which is a unique index in the database (as Django makes it).
pub enum Parsed {
    Constraint(ConstraintAttr),
    Index(IndexAttr),
}

fn parse_constraint(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Parsed> {
    let is_check = meta.path.is_ident(CHECK);
    let scope = if is_check { CHECK } else { UNIQUE };
    let mut name = None;
    let mut fields = None;
    let mut expr = None;
    let mut condition = None;
    let mut expressions = None;
    meta.parse_nested_meta(|m| {
        if m.path.is_ident(NAME) {
            set(cx, &mut name, scope, &m, lit_str(&m)?);
        } else if !is_check && m.path.is_ident(FIELDS) {
            set(cx, &mut fields, scope, &m, string_list(&m)?);
        } else if !is_check && m.path.is_ident(CONDITION) {
            set(cx, &mut condition, scope, &m, lit_str(&m)?);
        } else if !is_check && m.path.is_ident(EXPRESSIONS) {
            set(cx, &mut expressions, scope, &m, string_list(&m)?);
        } else if is_check && m.path.is_ident(EXPR) {
            set(cx, &mut expr, scope, &m, lit_str(&m)?);
        } else {
            let expected: &[&str] = if is_check {
                &[NAME, EXPR]
            } else {
                &[NAME, FIELDS, CONDITION, EXPRESSIONS]
            };
            unknown(cx, &m, &format!("`{scope}` attribute"), expected)?;
        }
        Ok(())
    })?;
    let name = name.map(|n| n.value);
    let fields = fields.map(|f| f.value).unwrap_or_default();
    if condition.is_some() || expressions.is_some() {
        return Ok(Parsed::Index(IndexAttr {
            path: meta.path.clone(),
            name,
            fields,
            unique: true,
            condition: condition.map(|c| c.value),
            expressions: expressions.map(|e| e.value).unwrap_or_default(),
        }));
    }
    let kind = if is_check {
        ConstraintKind::Check(expr.map(|e| e.value))
    } else {
        ConstraintKind::Unique(fields)
    };
    Ok(Parsed::Constraint(ConstraintAttr {
        path: meta.path.clone(),
        kind,
        name,
    }))
}

/// Everything in one field's `#[field(...)]` attributes.
#[derive(Default)]
pub struct FieldAttrs {
    pub primary_key: Option<Set<()>>,
    pub auto: Option<Set<()>>,
    pub unique: Option<Set<()>>,
    pub db_index: Option<Set<()>>,
    pub auto_now_add: Option<Set<()>>,
    pub auto_now: Option<Set<()>>,
    pub max_length: Option<Set<u32>>,
    pub max_digits: Option<Set<u16>>,
    pub decimal_places: Option<Set<u16>>,
    pub default: Option<Set<(Expr, DefaultLit)>>,
    pub db_column: Option<Set<LitStr>>,
    pub renamed_from: Option<Set<LitStr>>,
    pub on_delete: Option<Set<syn::Ident>>,
    pub deferrable: Option<Set<()>>,
    pub through: Option<Set<Path>>,
}

impl FieldAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(FIELD)) {
            let result = attr.parse_nested_meta(|meta| {
                let Some(ident) = meta.path.get_ident().map(|i| i.to_string()) else {
                    return unknown(cx, &meta, "field attribute", FIELD_ATTRS);
                };
                let flag_slot = match ident.as_str() {
                    // #[field(primary_key)]
                    PRIMARY_KEY => Some(&mut out.primary_key),
                    // #[field(auto)]: auto-increment, on an integer primary key
                    AUTO => Some(&mut out.auto),
                    // #[field(unique)]
                    UNIQUE => Some(&mut out.unique),
                    // #[field(db_index)]
                    DB_INDEX => Some(&mut out.db_index),
                    // #[field(auto_now_add)]
                    AUTO_NOW_ADD => Some(&mut out.auto_now_add),
                    // #[field(auto_now)]
                    AUTO_NOW => Some(&mut out.auto_now),
                    // #[field(deferrable)]: a foreign key checked at commit
                    DEFERRABLE => Some(&mut out.deferrable),
                    _ => None,
                };
                if let Some(slot) = flag_slot {
                    flag(&meta)?;
                    set(cx, slot, FIELD, &meta, ());
                    return Ok(());
                }
                match ident.as_str() {
                    // #[field(max_length = 20)]
                    MAX_LENGTH => set(cx, &mut out.max_length, FIELD, &meta, lit_int(&meta)?),
                    // #[field(max_digits = 10)]
                    MAX_DIGITS => set(cx, &mut out.max_digits, FIELD, &meta, lit_int(&meta)?),
                    // #[field(decimal_places = 2)]
                    DECIMAL_PLACES => {
                        set(cx, &mut out.decimal_places, FIELD, &meta, lit_int(&meta)?)
                    }
                    // #[field(default = 0)], #[field(default = "draft")]
                    DEFAULT => set(cx, &mut out.default, FIELD, &meta, default_lit(&meta)?),
                    // #[field(db_column = "phone")]
                    DB_COLUMN => set(cx, &mut out.db_column, FIELD, &meta, lit_str(&meta)?),
                    // #[field(renamed_from = "old_name")]
                    RENAMED_FROM => set(cx, &mut out.renamed_from, FIELD, &meta, lit_str(&meta)?),
                    // #[field(through = Membership)]: a many-to-many's own join model
                    THROUGH => {
                        let path: Path = meta.value()?.parse()?;
                        set(cx, &mut out.through, FIELD, &meta, path)
                    }
                    // #[field(on_delete = Cascade)]
                    ON_DELETE => {
                        let path: Path = meta.value()?.parse()?;
                        let action = path.segments.last().map(|s| s.ident.clone());
                        match action {
                            Some(a) if ON_DELETE_ACTIONS.contains(&a.to_string().as_str()) => {
                                set(cx, &mut out.on_delete, FIELD, &meta, a)
                            }
                            _ => {
                                cx.error_spanned_by(
                                    &path,
                                    format!(
                                        "unknown on_delete action `{}`; expected one of {}",
                                        path_name(&path),
                                        ON_DELETE_ACTIONS.join(", ")
                                    ),
                                );
                                // Still counts as set: "missing on_delete" would only repeat this.
                                if let Some(a) = action {
                                    set(cx, &mut out.on_delete, FIELD, &meta, a);
                                }
                            }
                        }
                    }
                    _ => return unknown(cx, &meta, "field attribute", FIELD_ATTRS),
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        out
    }
}
