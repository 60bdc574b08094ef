//! `makemigrations`: compare the models with the replayed migrations and write what differs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use migrate_core::autodetector::{Autodetector, Changes, RenameHints};
use migrate_core::drift;
use migrate_core::executor::{check_history, Executor};
use migrate_core::loader::Loader;
use migrate_core::questioner::{NonInteractive, Questioner};
use migrate_core::{registry, Migration, MigrationKey};

use crate::database::{runtime, shown, ConnectOpts};
use crate::questioner::Interactive;
use crate::{files, json, Project, Ui, EXIT_ERROR};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these apps (and the apps their new migrations depend on).
    apps: Vec<String>,
    /// Name the new migrations `<number>_<NAME>` instead of a name made from the operations.
    #[arg(short, long, value_parser = files::name_part)]
    name: Option<String>,
    /// Write an empty migration for each given app, to fill in by hand.
    #[arg(long)]
    empty: bool,
    /// Show what would be written without writing it (with `-v 3`, the files themselves).
    #[arg(long)]
    dry_run: bool,
    /// Exit with status 1 when the models have changes no migration records; write nothing.
    #[arg(long)]
    check: bool,
    /// Never prompt: renames only where declared with `renamed_from`, and exit with status 3
    /// when a value for existing rows is needed.
    #[arg(long, alias = "no-input")]
    noinput: bool,
    /// Join the branches of apps with several leaf migrations (after a git merge).
    #[arg(long)]
    merge: bool,
    #[command(flatten)]
    connect: ConnectOpts,
}

pub fn run(
    project: Project,
    args: Args,
    ui: Ui,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(project.migrations).context("the migrations do not load")?;
    if args.merge {
        if ui.json {
            anyhow::bail!(
                "makemigrations --merge has no JSON output; run it without --format json"
            );
        }
        let mut sink = std::io::sink();
        return merge(
            &project.dir,
            &loader,
            &args,
            if ui.verbosity == 0 { &mut sink } else { out },
        );
    }
    check_database_history(&loader, &args.connect)?;
    let leaves = drift::leaves(&loader)?;
    let from = loader
        .project_state()
        .context("the migrations do not replay")?;
    // Past its state and leaves the history is not needed: freed before the models' state
    // and the autodetector's working copies are made, so the two never add up.
    drop(loader);
    let definitions = registry::definitions();
    let to =
        registry::state_of(definitions.iter().copied()).context("the models are inconsistent")?;
    let known: BTreeSet<&str> = to
        .apps()
        .into_iter()
        .chain(leaves.keys().map(|a| &**a))
        .collect();
    if let Some(unknown) = args.apps.iter().find(|a| !known.contains(a.as_str())) {
        anyhow::bail!(
            "no app `{unknown}` among the models or migrations; apps: {}",
            known.into_iter().collect::<Vec<_>>().join(", ")
        );
    }

    let mut warnings = Vec::new();
    let mut changes = if args.empty {
        if args.apps.is_empty() {
            anyhow::bail!("--empty needs the apps to write an empty migration for");
        }
        empty_migrations(&args.apps, &leaves)
    } else {
        let hints = RenameHints::from_definitions(definitions);
        let detector = Autodetector {
            from: &from,
            to: &to,
            hints: &hints,
            leaves: &leaves,
        };
        // JSON is for programs: nobody to ask.
        let mut changes = if args.noinput || args.check || ui.json {
            let mut q = NonInteractive::default();
            let changes = detector.changes(&mut q);
            warnings = q.warnings;
            if !ui.json {
                for warning in &warnings {
                    writeln!(out, "warning: {warning}")?;
                }
            }
            changes?
        } else {
            let mut q = Interactive { input, out };
            detector.changes(&mut q as &mut dyn Questioner)?
        };
        keep_apps(&mut changes, &args.apps);
        changes
    };
    if let Some(name) = &args.name {
        rename(&mut changes, name);
    }
    // What the new migrations will do to a database with rows, on the configured backend.
    let backend = migrate_core::executor::backend_of(&args.connect.url())?;
    let findings = crate::lint::of_run(
        &changes.migrations,
        &from,
        migrate_core::lint::Target {
            backend,
            server: None,
        },
    )?;
    if ui.json {
        return write_json(&project.dir, &changes, &args, &warnings, &findings, out);
    }

    if changes.is_empty() {
        if ui.verbosity > 0 {
            match args.apps.as_slice() {
                [] => writeln!(out, "No changes detected")?,
                [app] => writeln!(out, "No changes detected in app '{app}'")?,
                apps => writeln!(out, "No changes detected in apps '{}'", apps.join("', '"))?,
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        writeln!(out, "Changes that no migration records:")?;
        write!(out, "{}", drift::describe(&changes))?;
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: &std::path::Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();
    if ui.verbosity > 0 {
        let mut last_app = None;
        for m in &changes.migrations {
            if last_app != Some(&m.app) {
                writeln!(out, "Migrations for '{}':", m.app)?;
                last_app = Some(&m.app);
            }
            writeln!(out, "  {}", shown(&files::migration_path(&project.dir, m)))?;
            for op in &m.operations {
                writeln!(out, "    - {}", op.describe())?;
            }
            crate::lint::write_under(out, &findings, &m.key())?;
        }
        if !findings.is_empty() {
            writeln!(
                out,
                "On {} with rows in the tables, the lines marked ! deserve a look (`migrate lint` lists them; `.allow(code, reason)` in a file acknowledges one).",
                backend.name()
            )?;
        }
    }
    if args.dry_run {
        if ui.verbosity >= 3 {
            for m in &changes.migrations {
                writeln!(out, "// {}", shown(&files::migration_path(&project.dir, m)))?;
                write!(out, "{}", migrate_core::writer::migration_file(m)?)?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    write_files(&project.dir, &changes, &args)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the new migrations (with `--empty`, as templates to fill in).
fn write_files(dir: &std::path::Path, changes: &Changes, args: &Args) -> anyhow::Result<()> {
    let empty = if args.empty {
        files::Empty::Template
    } else {
        files::Empty::AsIs
    };
    files::write_migrations(dir, &changes.migrations, empty)?;
    Ok(())
}

/// As Django's `makemigrations`: when a database is configured (or the default SQLite file
/// exists), its history must agree with the files (no migration applied before one it
/// depends on), or new migrations would be written on top of a history that cannot be
/// migrated. A database that cannot be reached is only a warning: writing files needs none.
fn check_database_history(loader: &Loader, connect: &ConnectOpts) -> anyhow::Result<()> {
    let Some(url) = connect.existing() else {
        return Ok(());
    };
    let rt = runtime()?;
    let recorded = rt.block_on(async {
        let mut executor = Executor::connect(&url).await?;
        let applied = executor.applied().await;
        let _ = executor.close().await;
        applied
    });
    match recorded {
        Ok(recorded) => {
            check_history(loader, &loader.effective_applied(&recorded)).with_context(|| {
                format!(
                    "the migration history of {} disagrees with the files",
                    shown(&url)
                )
            })
        }
        Err(err) => {
            eprintln!(
                "warning: the migration history of {} could not be checked: {}",
                shown(&url),
                crate::error_text(&err.into())
            );
            Ok(())
        }
    }
}

/// `--format json`: the migrations (written, or with `--check` / `--dry-run` not), and the
/// renames it declined that looked likely; `--check` exits 1 when there are any.
fn write_json(
    dir: &std::path::Path,
    changes: &Changes,
    args: &Args,
    warnings: &[String],
    findings: &[migrate_core::lint::Finding],
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let write = !(args.check || args.dry_run || changes.is_empty());
    if write {
        write_files(dir, changes, args)?;
    }
    let migrations: Vec<serde_json::Value> = changes
        .migrations
        .iter()
        .map(|m| {
            let mut v = json::key(&m.key());
            v["path"] = files::migration_path(dir, m).display().to_string().into();
            v["operations"] = m
                .operations
                .iter()
                .map(|op| serde_json::json!({ "description": op.describe() }))
                .collect::<Vec<_>>()
                .into();
            v
        })
        .collect();
    json::write(
        out,
        serde_json::json!({
            "migrations": migrations,
            "written": write,
            "warnings": warnings,
            "findings": findings.iter().map(crate::lint::finding_json).collect::<Vec<_>>(),
        }),
    )?;
    Ok(if args.check && !changes.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

fn merge(
    dir: &std::path::Path,
    loader: &Loader,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let conflicts: Vec<String> = loader
        .graph()
        .conflicts()
        .into_keys()
        .filter(|app| args.apps.is_empty() || args.apps.iter().any(|a| a == app))
        .map(str::to_owned)
        .collect();
    if conflicts.is_empty() {
        writeln!(out, "No conflicts detected to merge.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut merges = Vec::new();
    for app in &conflicts {
        if let Some(m) = migrate_core::merge::merge_migration(loader, app)? {
            writeln!(out, "Merging {app}")?;
            for d in &m.dependencies {
                writeln!(out, "  Branch {}", d.name)?;
            }
            merges.push(m);
        }
    }
    if !args.dry_run {
        for path in files::write_migrations(dir, &merges, files::Empty::AsIs)? {
            writeln!(out, "Created new merge migration {}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn empty_migrations(
    apps: &[String],
    leaves: &BTreeMap<migrate_core::state::Name, MigrationKey>,
) -> Changes {
    let migrations = apps
        .iter()
        .map(|app| {
            let leaf = leaves.get(app.as_str());
            let number = leaf
                .and_then(|l| Migration::number(&l.name))
                .map_or(1, |n| n + 1);
            let mut m = Migration::new(app.clone(), format!("{number:04}_auto"));
            match leaf {
                Some(l) => m.dependencies.push(l.clone()),
                None => m.initial = true,
            }
            m
        })
        .collect();
    Changes { migrations }
}

/// Keeps the given apps' migrations and those they depend on (Django's trim to apps).
fn keep_apps(changes: &mut Changes, apps: &[String]) {
    if apps.is_empty() {
        return;
    }
    let mut keep: BTreeSet<MigrationKey> = changes
        .migrations
        .iter()
        .filter(|m| apps.iter().any(|a| *a == m.app))
        .map(Migration::key)
        .collect();
    // Migrations come in dependency order, so one backwards pass closes over dependencies.
    for m in changes.migrations.iter().rev() {
        if keep.contains(&m.key()) {
            keep.extend(m.dependencies.iter().cloned());
        }
    }
    changes.migrations.retain(|m| keep.contains(&m.key()));
}

/// `--name`: `<number>_<name>` for every new migration, dependencies renamed to match.
fn rename(changes: &mut Changes, name: &str) {
    let renamed: BTreeMap<MigrationKey, MigrationKey> = changes
        .migrations
        .iter()
        .map(|m| {
            let number = Migration::number(&m.name).unwrap_or(1);
            (
                m.key(),
                MigrationKey::new(m.app.clone(), format!("{number:04}_{name}")),
            )
        })
        .collect();
    for m in &mut changes.migrations {
        m.name = renamed[&m.key()].name.clone();
        for d in &mut m.dependencies {
            if let Some(new) = renamed.get(d) {
                *d = new.clone();
            }
        }
    }
}
