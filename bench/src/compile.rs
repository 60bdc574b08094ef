//! `migrate-bench compile [S] [M] [L] [--release] [--runs N] [--crates plain,serde,derive,derive+migrations]`: how long the models crate of a
//! generated project takes to build, dependencies already built, written four ways:
//!
//! - `plain`: the structs alone (a foreign key as its `i64` key), the floor;
//! - `serde`: the same structs with serde's `Serialize` and `Deserialize` derives, the anchor
//!   (a derive users already accept on every struct);
//! - `derive`: the models as users write them, `#[derive(Model)]`;
//! - `derive+migrations`: the same with their initial migrations, compiled in by
//!   `migrations!()`.
//!
//! For each, the crate's full build (`cargo clean -p` of it first, so incremental caches do
//! not help) and a one-model edit (a nullable field added to, then taken from, the last
//! model, as the suite's `L-edit1`; incremental in debug, as cargo's default profiles are).
//! The crates live under `target/bench/compile/` and share one target directory, so
//! dependencies are built once per feature set.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use migrate_bench::generate::{self, Project, Style, SEED};
use migrate_bench::measure::{self, Sample, Summary};
use migrate_core::autodetector::{Autodetector, RenameHints};
use migrate_core::questioner::NonInteractive;
use migrate_core::ProjectState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Plain,
    Serde,
    Derive,
    DeriveMigrations,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Plain,
        Variant::Serde,
        Variant::Derive,
        Variant::DeriveMigrations,
    ];

    fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Serde => "serde",
            Variant::Derive => "derive",
            Variant::DeriveMigrations => "derive+migrations",
        }
    }

    fn style(self) -> Style {
        match self {
            Variant::Plain => Style::Plain,
            Variant::Serde => Style::Serde,
            Variant::Derive | Variant::DeriveMigrations => Style::Model,
        }
    }

    /// The crate's dependencies, as `Cargo.toml` lines.
    fn dependencies(self, ws: &Path) -> String {
        let types = |serde: bool| {
            let (chrono, uuid, decimal) = if serde {
                (
                    r#", "serde""#,
                    r#", features = ["serde"]"#,
                    r#", features = ["serde"]"#,
                )
            } else {
                ("", "", "")
            };
            format!(
                "chrono = {{ version = \"0.4\", default-features = false, features = [\"std\", \"clock\"{chrono}] }}\n\
                 uuid = {{ version = \"1\"{uuid} }}\nrust_decimal = {{ version = \"1\"{decimal} }}\n"
            )
        };
        match self {
            Variant::Plain => types(false),
            Variant::Serde => format!(
                "{}serde = {{ version = \"1\", features = [\"derive\"] }}\n",
                types(true)
            ),
            Variant::Derive | Variant::DeriveMigrations => format!(
                "{}migrate-core = {{ path = \"{}\" }}\n",
                types(false),
                ws.join("migrate-core").display()
            ),
        }
    }
}

/// One generated crate: a project without a binary.
#[derive(Debug)]
struct Crate {
    project: Project,
    variant: Variant,
}

impl Crate {
    fn write_models(&self, models: &ProjectState) -> anyhow::Result<()> {
        self.project.write_models_as(models, self.variant.style())
    }
}

/// Writes the crate of `variant` for `models` under `parent`.
fn create(
    parent: &Path,
    size: &str,
    variant: Variant,
    models: &ProjectState,
    ws: &Path,
) -> anyhow::Result<Crate> {
    let name = format!(
        "compile-{}-{}",
        size.to_lowercase(),
        variant.label().replace('+', "-")
    );
    let project = Project {
        root: parent.join(&name),
        name,
    };
    if project.root.exists() {
        std::fs::remove_dir_all(&project.root)?;
    }
    project.write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             # Its own workspace, not a member of the one around it.\n[workspace]\n\n\
             [dependencies]\n{}",
            project.name,
            variant.dependencies(ws)
        ),
    )?;
    std::fs::copy(ws.join("Cargo.lock"), project.root.join("Cargo.lock"))
        .context("copying Cargo.lock")?;
    let mut lib = String::from("pub mod models;\n");
    if variant == Variant::DeriveMigrations {
        lib.push_str(
            "\npub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();\n",
        );
        project.write(
            "build.rs",
            "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
        )?;
        let changes = Autodetector {
            from: &ProjectState::new(),
            to: models,
            hints: &RenameHints::default(),
            leaves: &BTreeMap::new(),
        }
        .changes(&mut NonInteractive::default())?;
        project.write_migrations(&changes.migrations)?;
    }
    project.write("src/lib.rs", &lib)?;
    let krate = Crate { project, variant };
    krate.write_models(models)?;
    Ok(krate)
}

#[derive(Debug)]
struct Options {
    sizes: Vec<&'static str>,
    release: bool,
    runs: usize,
    variants: Vec<Variant>,
}

fn options(args: &[String], sizes: &[(&'static str, usize, usize)]) -> anyhow::Result<Options> {
    let mut options = Options {
        sizes: Vec::new(),
        release: false,
        runs: 1,
        variants: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--release" => options.release = true,
            "--runs" => options.runs = it.next().context("--runs N")?.parse()?,
            "--crates" => {
                for label in it
                    .next()
                    .context("--crates plain,serde,derive,…")?
                    .split(',')
                {
                    match Variant::ALL.iter().find(|v| v.label() == label) {
                        Some(v) => options.variants.push(*v),
                        None => bail!(
                            "unknown crate {label}: plain, serde, derive or derive+migrations"
                        ),
                    }
                }
            }
            size => match sizes.iter().find(|(s, _, _)| *s == size) {
                Some((s, _, _)) => options.sizes.push(s),
                None => {
                    bail!("unknown argument {size}: S, M, L, --release, --runs N or --crates A,B")
                }
            },
        }
    }
    if options.sizes.is_empty() {
        options.sizes = sizes.iter().map(|(s, _, _)| *s).collect();
    }
    if options.variants.is_empty() {
        options.variants = Variant::ALL.to_vec();
    }
    Ok(options)
}

/// The median of `runs` samples of `f`, and the largest peak memory.
fn sampled(runs: usize, f: impl FnMut(usize) -> anyhow::Result<Sample>) -> anyhow::Result<Summary> {
    let samples = (0..runs.max(1))
        .map(f)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Summary::of(&samples))
}

pub fn run(
    ws: &Path,
    args: &[String],
    sizes: &[(&'static str, usize, usize)],
) -> anyhow::Result<()> {
    let options = options(args, sizes)?;
    let work = ws.join("target/bench/compile");
    let target_dir = work.join("target");
    let logs = work.join("logs");
    let profile = if options.release { "release" } else { "debug" };
    let cargo = |krate: &Crate, args: &[&str]| {
        let mut command = Command::new(crate::cargo());
        command
            .args(args)
            .current_dir(&krate.project.root)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env_remove("CARGO_INCREMENTAL")
            .env_remove("RUSTFLAGS");
        command
    };
    let build = |krate: &Crate, label: &str| {
        let mut command = cargo(krate, &["build", "--lib", "--quiet"]);
        if options.release {
            command.arg("--release");
        }
        measure::run_once(command.into(), &logs, label)
    };
    println!("| size | crate | {profile}: full build | peak rss | one-model edit |");
    println!("|---|---|---|---|---|");
    for size in &options.sizes {
        let &(_, apps, per_app) = sizes.iter().find(|(s, _, _)| s == size).expect("known");
        let models = generate::models(apps, per_app, SEED);
        for &variant in &options.variants {
            let krate = create(&work, size, variant, &models, ws)?;
            let label = format!("{}-{profile}", krate.project.name);
            // Dependencies, and a first build of the crate.
            build(&krate, &format!("{label}-warm"))?;
            let full = sampled(options.runs, |i| {
                let mut clean = cargo(&krate, &["clean", "--quiet", "-p", &krate.project.name]);
                if options.release {
                    clean.arg("--release");
                }
                measure::run_once(clean.into(), &logs, &format!("{label}-clean"))?;
                build(&krate, &format!("{label}-full{i}"))
            })?;
            // The edit and its undoing alternate, so every build sees a change.
            let edited = generate::change(&models, models.len());
            let edit = sampled(options.runs * 2, |i| {
                krate.write_models(if i % 2 == 0 { &edited } else { &models })?;
                build(&krate, &format!("{label}-edit{i}"))
            })?;
            krate.write_models(&models)?;
            println!(
                "| {size} ({} models) | {} | {} | {} | {} |",
                models.len(),
                variant.label(),
                crate::seconds(full.median),
                crate::mib(full.max_rss_kib),
                crate::seconds(edit.median),
            );
        }
    }
    Ok(())
}
