//! `migrations!()`: the migration files of a crate, found on disk when it is compiled.
//!
//! The directory (`migrations/` beside `Cargo.toml`, or the one given) holds one folder per
//! app and one `.rs` file per migration, each with a `pub fn migration() -> Migration`. The
//! expansion declares each file as a module with an absolute `#[path]` (so rustc tracks
//! edits to it) and lists their constructors. Files added or deleted are only seen when the
//! crate is compiled again: a build script printing `cargo:rerun-if-changed=migrations`
//! makes cargo do that, and the CLI warns when the binary and the directory disagree.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// `migrations!()`, `migrations!("db/migrations")`, and `crate = path` after either, for
/// crates that reach migrate-core under another name.
struct Input {
    dir: Option<LitStr>,
    krate: Option<syn::Path>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut parsed = Input {
            dir: None,
            krate: None,
        };
        if input.peek(LitStr) {
            parsed.dir = Some(input.parse()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if !input.is_empty() {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            parsed.krate = Some(input.parse()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if !input.is_empty() {
            return Err(input.error(
                "expected `migrations!()`, `migrations!(\"path/from/the/manifest\")` or \
                 `crate = path` after them",
            ));
        }
        Ok(parsed)
    }
}

/// One migration file: its app's folder and its file name.
struct File {
    app: String,
    name: String,
}

pub fn expand(input: TokenStream) -> TokenStream {
    match try_expand(input) {
        Ok(tokens) => tokens,
        Err(err) => err.to_compile_error(),
    }
}

fn try_expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: Input = syn::parse2(input)?;
    let span = input
        .dir
        .as_ref()
        .map_or_else(Span::call_site, LitStr::span);
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        syn::Error::new(
            span,
            "CARGO_MANIFEST_DIR is not set: migrations!() finds the files from the crate's \
             manifest directory, which cargo sets",
        )
    })?;
    let relative = input
        .dir
        .as_ref()
        .map_or_else(|| "migrations".to_owned(), LitStr::value);
    let dir = PathBuf::from(manifest).join(&relative);
    let files = migration_files(&dir).map_err(|e| syn::Error::new(span, e))?;
    let krate = input
        .krate
        .unwrap_or_else(|| syn::parse_quote!(::migrate_core));

    let mut modules = TokenStream::new();
    let mut entries = Vec::new();
    let mut apps = files.iter().map(|f| &f.app).collect::<Vec<_>>();
    apps.dedup();
    for (a, app) in apps.into_iter().enumerate() {
        let app_module = module_ident(app, || format_ident!("app_{a}"));
        let mut inner = TokenStream::new();
        for (f, file) in files.iter().filter(|f| &f.app == app).enumerate() {
            let stem = file.name.trim_end_matches(".rs");
            let module = module_ident(stem, || format_ident!("file_{f}"));
            let path = dir.join(app).join(&file.name);
            let path = LitStr::new(&path.to_string_lossy(), span);
            inner.extend(quote! {
                #[path = #path]
                pub mod #module;
            });
            let relative = LitStr::new(&format!("{app}/{}", file.name), span);
            entries.push(quote! {
                #krate::MigrationFile {
                    path: #relative,
                    migration: __migrate_files::#app_module::#module::migration,
                }
            });
        }
        modules.extend(quote! {
            pub mod #app_module { #inner }
        });
    }
    let dir = LitStr::new(&dir.to_string_lossy(), span);
    Ok(quote! {
        {
            #[doc(hidden)]
            #[allow(unused_imports, dead_code, clippy::all, clippy::pedantic)]
            mod __migrate_files { #modules }
            #krate::Migrations::new(#dir, &[#(#entries),*])
        }
    })
}

/// `name` as a module name when it is one, else the fallback (the module's name only shows
/// in rustc's messages; the migration's own name comes from its `migration()`).
fn module_ident(name: &str, fallback: impl FnOnce() -> Ident) -> Ident {
    match syn::parse_str::<Ident>(name) {
        Ok(ident) if !name.starts_with('_') => ident,
        _ => fallback(),
    }
}

/// The migration files under `dir`, sorted by app and name: `<app>/<name>.rs`, where folders
/// and files whose names start with `.` or `_`, `mod.rs` (an index from before discovery)
/// and anything else are not migrations. A missing directory holds none: a fresh project
/// compiles before its first `makemigrations`.
///
/// The CLI applies the same rule to compare a binary with its directory
/// (`migrate_cli::files::on_disk`).
fn migration_files(dir: &Path) -> Result<Vec<File>, String> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let read =
        |d: &Path| std::fs::read_dir(d).map_err(|e| format!("cannot read {}: {e}", d.display()));
    for app in read(dir)? {
        let app = app.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let Some(app_name) = listed(&app.file_name()) else {
            continue;
        };
        if !app.path().is_dir() {
            continue;
        }
        for file in read(&app.path())? {
            let file = file.map_err(|e| format!("cannot read {}: {e}", app.path().display()))?;
            let Some(name) = listed(&file.file_name()) else {
                continue;
            };
            if name.ends_with(".rs") && name != "mod.rs" && file.path().is_file() {
                files.push(File {
                    app: app_name.clone(),
                    name,
                });
            }
        }
    }
    files.sort_by(|a, b| (&a.app, &a.name).cmp(&(&b.app, &b.name)));
    Ok(files)
}

/// A directory entry's name, unless it is hidden (`.`) or set aside (`_`) or not UTF-8.
fn listed(name: &std::ffi::OsStr) -> Option<String> {
    let name = name.to_str()?;
    (!name.starts_with('.') && !name.starts_with('_')).then(|| name.to_owned())
}
