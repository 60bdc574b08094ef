//! Synthetic projects, deterministic from a seed: model sets of any size and long histories,
//! as schema states and migrations in memory, and as real projects on disk (Rust models with
//! `#[derive(Model)]`, migration files written by the project's own writer).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use migrate_core::fields::foreign_key;
use migrate_core::loader::Loader;
use migrate_core::prelude::*;
use migrate_core::state::Name;
use migrate_core::{writer, FieldType, ModelState, ProjectState};

/// The seed every workload uses unless told otherwise.
pub const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A small deterministic generator (xorshift64), so every run measures the same project.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// `app007`.
pub fn app_name(a: usize) -> String {
    format!("app{a:03}")
}

fn name(s: String) -> Name {
    Cow::Owned(s)
}

fn index(name_: String, fields: &[&str]) -> Index {
    Index {
        name: name(name_),
        fields: fields.iter().map(|f| name((*f).to_owned())).collect(),
        ..Index::new("", [])
    }
}

/// A models-only project: `apps` apps of `per_app` models, 12 fields each (the automatic
/// `id`, ten of varchar, int, bool, nullable datetime, decimal, uuid and nullable text, and a
/// foreign key to an earlier model, often in another app, Protect or Cascade); every fourth
/// model has two named indexes and a unique constraint, over fields that are not text.
pub fn models(apps: usize, per_app: usize, seed: u64) -> ProjectState {
    let mut rng = Rng::new(seed);
    let mut models = Vec::with_capacity(apps * per_app);
    let mut earlier: Vec<String> = Vec::with_capacity(apps * per_app);
    for a in 0..apps {
        let app = app_name(a);
        for m in 0..per_app {
            let model = format!("Model{m:03}");
            let mut fields = vec![Field::auto_id()];
            let indexed = m % 4 == 0;
            for f in 0..10 {
                let field = name(format!("f{f}"));
                // Fields an index or constraint covers are never unbounded text, which MySQL
                // cannot index.
                let kinds = if indexed && f < 5 { 6 } else { 7 };
                fields.push(match rng.below(kinds) {
                    0 => Field::new(field, Varchar(100)),
                    1 => Field::new(field, Integer).default(0),
                    2 => Field::new(field, Boolean).default(false),
                    3 => Field::new(field, TimestampTz).null(),
                    4 => Field::new(
                        field,
                        Decimal {
                            max_digits: 12,
                            decimal_places: 2,
                        },
                    ),
                    5 => Field::new(field, Uuid),
                    _ => Field::new(field, Text).null(),
                });
            }
            if earlier.is_empty() {
                fields.push(Field::new("f10", Text));
            } else {
                let target = &earlier[rng.below(earlier.len() as u64) as usize];
                let on_delete = if rng.below(2) == 0 { Protect } else { Cascade };
                fields.push(Field::new("parent", foreign_key(target, on_delete)));
            }
            let table = format!("{app}_{}", model.to_lowercase());
            let (indexes, constraints) = if indexed {
                (
                    vec![
                        index(format!("{table}_a_idx"), &["f0"]),
                        index(format!("{table}_b_idx"), &["f1", "f2"]),
                    ],
                    vec![Constraint::Unique {
                        name: name(format!("{table}_uniq")),
                        fields: vec![name("f3".into()), name("f4".into())].into(),
                    }],
                )
            } else {
                (Vec::new(), Vec::new())
            };
            earlier.push(format!("{app}.{model}"));
            models.push(ModelState {
                table: name(table),
                app: name(app.clone()),
                name: name(model),
                fields: fields.into(),
                indexes: indexes.into(),
                constraints: constraints.into(),
                managed: true,
            });
        }
    }
    ProjectState::from_models(models).expect("the generated project is valid")
}

/// Edits one model in `every`: by turns adds a nullable field, drops the last plain field,
/// or widens a varchar (indexes the field instead when it is no varchar). `every = 20` is
/// the 5% change of the benchmark.
pub fn change(state: &ProjectState, every: usize) -> ProjectState {
    let models = state.models().enumerate().map(|(i, m)| {
        let mut m = m.clone();
        if i % every == every - 1 {
            let mut fields = m.fields.to_vec();
            match (i / every) % 3 {
                0 => fields.push(Field::new("extra", Integer).null()),
                1 => {
                    let last_plain = fields.iter().rposition(|f| {
                        matches!(f.ty, FieldType::Column(_))
                            && !f.primary_key
                            && !in_index_or_constraint(&m, &f.name)
                    });
                    if let Some(at) = last_plain {
                        fields.remove(at);
                    }
                }
                _ => {
                    let f = fields
                        .iter_mut()
                        .find(|f| f.name == "f0")
                        .expect("every model has f0");
                    match f.ty {
                        FieldType::Column(Varchar(n)) => f.ty = FieldType::Column(Varchar(n + 50)),
                        _ => f.db_index = true,
                    }
                }
            }
            m.fields = fields.into();
        }
        m
    });
    ProjectState::from_models(models.collect::<Vec<_>>()).expect("the changed project is valid")
}

fn in_index_or_constraint(m: &ModelState, field: &str) -> bool {
    m.indexes
        .iter()
        .any(|i| i.fields.iter().any(|f| f == field))
        || m.constraints.iter().any(|c| match c {
            Constraint::Unique { fields, .. } => fields.iter().any(|f| f == field),
            Constraint::Check { .. } => false,
        })
}

/// A long history: `apps` apps of `per_app` migrations each. Every app starts with a model
/// `Thing` (with a foreign key to the previous app's `Thing`), then each migration is a
/// small change set: add a field, widen a varchar, add a field with its index, drop a field,
/// rename one, or create a model that points at `Thing`.
pub fn history(apps: usize, per_app: usize) -> Vec<Migration> {
    let mut migrations = Vec::with_capacity(apps * per_app);
    for a in 0..apps {
        let app = app_name(a);
        let mut previous: Option<String> = None;
        // Nullable integer fields added so far and not indexed: the ones a step may drop.
        let mut droppable: Vec<String> = Vec::new();
        for n in 1..=per_app {
            let migration_name = if n == 1 {
                "0001_initial".to_owned()
            } else {
                format!("{n:04}_step")
            };
            let mut m = Migration::new(app.clone(), migration_name.clone());
            if let Some(p) = &previous {
                m = m.depends_on(app.clone(), p.clone());
            } else {
                m = m.initial();
                if a > 0 {
                    m = m.depends_on(app_name(a - 1), "0001_initial");
                }
            }
            let added = || Field::new(name(format!("f{n}")), Integer).null();
            let ops: Vec<Operation> = match n {
                1 => {
                    let mut fields = vec![Field::auto_id(), Field::new("label", Varchar(50))];
                    if a > 0 {
                        let prev = format!("{}.Thing", app_name(a - 1));
                        fields.push(Field::new("prev", foreign_key(&prev, Protect)));
                    }
                    vec![CreateModel::new("Thing", format!("{app}_thing"))
                        .fields(fields)
                        .into()]
                }
                n if n % 10 == 0 => {
                    vec![
                        CreateModel::new(name(format!("Part{n:04}")), format!("{app}_part{n:04}"))
                            .fields([
                                Field::auto_id(),
                                Field::new("title", Varchar(40)),
                                Field::new("thing", foreign_key("Thing", Cascade)),
                            ])
                            .into(),
                    ]
                }
                n if n % 3 == 0 => {
                    vec![
                        AlterField::new("Thing", Field::new("label", Varchar(50 + n as u32)))
                            .into(),
                    ]
                }
                n if n % 7 == 0 => vec![
                    AddField::new("Thing", added()).into(),
                    AddIndex::new(
                        "Thing",
                        index(format!("{app}_f{n}_idx"), &[&format!("f{n}")]),
                    )
                    .into(),
                ],
                n if n % 11 == 0 && !droppable.is_empty() => {
                    let field = droppable.pop().expect("checked");
                    vec![RemoveField::new("Thing", name(field)).into()]
                }
                n if n % 13 == 0 && !droppable.is_empty() => {
                    let old = droppable.pop().expect("checked");
                    let new = format!("{old}_renamed");
                    droppable.push(new.clone());
                    vec![RenameField::new("Thing", name(old), name(new)).into()]
                }
                n => {
                    droppable.push(format!("f{n}"));
                    vec![AddField::new("Thing", added()).into()]
                }
            };
            migrations.push(m.operations(ops));
            previous = Some(migration_name);
        }
    }
    migrations
}

/// The state at the end of `migrations`.
pub fn replay(migrations: &[Migration]) -> anyhow::Result<ProjectState> {
    Ok(Loader::new(migrations.to_vec())?.project_state()?)
}

/// How a model is written: as the user writes it, or the same struct without our derive, for
/// the build benchmark's comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `#[derive(Model)]` with its attributes.
    Model,
    /// The plain struct: no derive, no attributes, a foreign key as its `i64` key.
    Plain,
    /// The plain struct with serde's `Serialize` and `Deserialize` derives.
    Serde,
}

/// A model as the user writes it: a struct with `#[derive(Model)]`, or the same struct in
/// another `style`.
fn model_source(m: &ModelState, style: Style, out: &mut String) -> anyhow::Result<()> {
    let mut attrs = vec![format!("app = \"{}\"", m.app)];
    if m.table != format!("{}_{}", m.app, m.name.to_lowercase()) {
        attrs.push(format!("table = \"{}\"", m.table));
    }
    let list = |fields: &[Name]| {
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
        quoted.join(", ")
    };
    if !m.indexes.is_empty() {
        let each: Vec<String> = m
            .indexes
            .iter()
            .map(|i| {
                let unique = if i.unique { ", unique" } else { "" };
                format!(
                    "index(name = \"{}\", fields = [{}]{unique})",
                    i.name,
                    list(&i.fields)
                )
            })
            .collect();
        attrs.push(format!("indexes({})", each.join(", ")));
    }
    if !m.constraints.is_empty() {
        let each: Vec<String> = m
            .constraints
            .iter()
            .map(|c| match c {
                Constraint::Unique { name, fields } => {
                    format!("unique(name = \"{name}\", fields = [{}])", list(fields))
                }
                Constraint::Check { name, expr } => {
                    format!("check(name = \"{name}\", expr = \"{expr}\")")
                }
            })
            .collect();
        attrs.push(format!("constraints({})", each.join(", ")));
    }
    match style {
        Style::Model => {
            writeln!(out, "#[derive(Model)]")?;
            writeln!(out, "#[model({})]", attrs.join(", "))?;
        }
        Style::Plain => {}
        Style::Serde => writeln!(out, "#[derive(serde::Serialize, serde::Deserialize)]")?,
    }
    writeln!(out, "pub struct {} {{", m.name)?;
    for f in m.fields.iter() {
        if f.name == "id" && f.primary_key && f.auto {
            continue; // the automatic key
        }
        let mut attrs = Vec::new();
        if f.primary_key {
            attrs.push("primary_key".to_owned());
        }
        if f.unique {
            attrs.push("unique".to_owned());
        }
        if f.db_index {
            attrs.push("db_index".to_owned());
        }
        if let Some(default) = &f.default {
            attrs.push(format!("default = {default}"));
        }
        let ty = match &f.ty {
            FieldType::Column(c) => match c {
                Integer => "i32".to_owned(),
                BigInt => "i64".to_owned(),
                Boolean => "bool".to_owned(),
                Text => "String".to_owned(),
                Uuid => "Uuid".to_owned(),
                TimestampTz => "DateTime<Utc>".to_owned(),
                Varchar(n) => {
                    attrs.push(format!("max_length = {n}"));
                    "String".to_owned()
                }
                Decimal {
                    max_digits,
                    decimal_places,
                } => {
                    attrs.push(format!(
                        "max_digits = {max_digits}, decimal_places = {decimal_places}"
                    ));
                    "Decimal".to_owned()
                }
                other => bail!("the generator does not write {other} fields"),
            },
            FieldType::ForeignKey { .. } if style != Style::Model => "i64".to_owned(),
            FieldType::ForeignKey { to, on_delete } => {
                attrs.push(format!("on_delete = {on_delete:?}"));
                let app = to.app.as_deref().unwrap_or(&m.app);
                format!("ForeignKey<crate::models::{app}::{}>", to.model)
            }
            other => bail!("the generator does not write {other:?} fields"),
        };
        let ty = if f.null { format!("Option<{ty}>") } else { ty };
        if !attrs.is_empty() && style == Style::Model {
            writeln!(out, "    #[field({})]", attrs.join(", "))?;
        }
        writeln!(out, "    pub {}: {ty},", f.name)?;
    }
    writeln!(out, "}}\n")?;
    Ok(())
}

/// `src/models/<app>.rs` for every app of `state`, written in `style`.
pub fn models_sources(
    state: &ProjectState,
    style: Style,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for m in state.models() {
        let out = files.entry(m.app.to_string()).or_insert_with(|| {
            let ours = match style {
                Style::Model => "use migrate_core::{ForeignKey, Model};\n",
                Style::Plain | Style::Serde => "",
            };
            format!(
                "//! App `{}`, generated by migrate-bench.\n\n#![allow(unused_imports)]\n\n\
                 use chrono::{{DateTime, Utc}};\n{ours}\
                 use rust_decimal::Decimal;\nuse uuid::Uuid;\n\n",
                m.app
            )
        });
        model_source(m, style, out)?;
    }
    Ok(files)
}

/// A project on disk, its own cargo workspace depending on this repository's crates, with a
/// binary `migrate-<name>`.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub name: String,
}

impl Project {
    /// Writes the skeleton of project `name` under `parent` (models and migrations empty).
    pub fn create(parent: &Path, name: &str, workspace: &Path) -> anyhow::Result<Project> {
        let root = parent.join(name);
        if root.exists() {
            std::fs::remove_dir_all(&root)
                .with_context(|| format!("removing {}", root.display()))?;
        }
        let project = Project {
            root,
            name: name.to_owned(),
        };
        let path = |krate: &str| workspace.join(krate).display().to_string();
        project.write(
            "Cargo.toml",
            &format!(
                r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

# Its own workspace, not a member of the one around it.
[workspace]

[[bin]]
name = "migrate-{name}"
path = "src/bin/migrate.rs"

[dependencies]
migrate-core = {{ path = "{core}" }}
migrate-cli = {{ path = "{cli}" }}
uuid = "1"
chrono = {{ version = "0.4", default-features = false, features = ["std", "clock"] }}
rust_decimal = "1"
serde_json = "1"
"#,
                core = path("migrate-core"),
                cli = path("migrate-cli"),
            ),
        )?;
        // The workspace's lock file pins the same versions, so the build needs no network.
        std::fs::copy(
            workspace.join("Cargo.lock"),
            project.root.join("Cargo.lock"),
        )
        .context("copying Cargo.lock")?;
        project.write(
            "src/lib.rs",
            "pub mod models;\n\npub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();\n",
        )?;
        project.write(
            "build.rs",
            "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
        )?;
        let package = name.replace('-', "_");
        project.write(
            "src/bin/migrate.rs",
            &format!(
                "fn main() -> std::process::ExitCode {{\n    migrate_cli::main({package}::MIGRATIONS)\n}}\n"
            ),
        )?;
        project.write_migrations(&[])?;
        project.write_models(&ProjectState::new())?;
        Ok(project)
    }

    /// A project `create` wrote earlier.
    pub fn open(parent: &Path, name: &str) -> anyhow::Result<Project> {
        let root = parent.join(name);
        if !root.join("Cargo.toml").is_file() {
            bail!("{} holds no generated project", root.display());
        }
        Ok(Project {
            root,
            name: name.to_owned(),
        })
    }

    pub fn write(&self, relative: &str, contents: &str) -> anyhow::Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
    }

    /// Replaces `src/models/` with the models of `state`.
    pub fn write_models(&self, state: &ProjectState) -> anyhow::Result<()> {
        self.write_models_as(state, Style::Model)
    }

    /// Replaces `src/models/` with the models of `state`, written in `style`.
    pub fn write_models_as(&self, state: &ProjectState, style: Style) -> anyhow::Result<()> {
        let dir = self.root.join("src/models");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let files = models_sources(state, style)?;
        let mut index = String::from("//! The models, one module per app.\n\n");
        for (app, source) in &files {
            writeln!(index, "pub mod {app};")?;
            self.write(&format!("src/models/{app}.rs"), source)?;
        }
        self.write("src/models/mod.rs", &index)
    }

    /// Replaces `migrations/` with `migrations`, written as `makemigrations` writes them.
    pub fn write_migrations(&self, migrations: &[Migration]) -> anyhow::Result<()> {
        let dir = self.root.join("migrations");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        for m in migrations {
            self.write(
                &format!("migrations/{}/{}.rs", m.app, writer::module_name(&m.name)),
                &writer::migration_file(m)?,
            )?;
        }
        Ok(())
    }

    /// The binary's name.
    pub fn bin(&self) -> String {
        format!("migrate-{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_projects_are_deterministic_and_sized() {
        let a = models(4, 5, SEED);
        assert_eq!(a.len(), 20);
        assert!(a.same_schema(&models(4, 5, SEED)));
        assert!(a.models().all(|m| m.fields.len() == 12));
        let changed = change(&a, 4);
        assert!(!a.same_schema(&changed));
        assert_eq!(
            a.models()
                .zip(changed.models())
                .filter(|(x, y)| x != y)
                .count(),
            5
        );
    }

    #[test]
    fn histories_replay() {
        let h = history(3, 40);
        assert_eq!(h.len(), 120);
        let state = replay(&h).unwrap();
        // Thing and a Part every ten steps, in each app.
        assert_eq!(state.len(), 3 * 5);
    }

    #[test]
    fn models_are_written_as_derive_structs() {
        let files = models_sources(&models(2, 2, SEED), Style::Model).unwrap();
        let app1 = &files["app001"];
        assert!(app1.contains("#[derive(Model)]"), "{app1}");
        assert!(app1.contains("ForeignKey<crate::models::app0"), "{app1}");
        assert!(
            app1.contains("indexes(index(name = \"app001_model000_a_idx\""),
            "{app1}"
        );
    }

    #[test]
    fn the_same_structs_are_written_without_the_derive() {
        for style in [Style::Plain, Style::Serde] {
            let app1 = &models_sources(&models(2, 2, SEED), style).unwrap()["app001"];
            assert!(!app1.contains("derive(Model)"), "{app1}");
            assert!(!app1.contains("#[field"), "{app1}");
            assert!(app1.contains("pub parent: i64,"), "{app1}");
            assert_eq!(app1.contains("serde::Serialize"), style == Style::Serde);
        }
    }
}
