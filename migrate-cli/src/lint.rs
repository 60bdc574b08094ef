//! `lint`: what pending (or named) migrations will do to a database with rows, per
//! backend; `--fix` writes the safe form where one can be written. Also the findings that
//! `makemigrations` prints for the files it just wrote and `migrate --plan` for its plan.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use migrate_core::lint::{Finding, Level, Linter, Server, Target as LintTarget};
use migrate_core::loader::{self, Loader};
use migrate_core::operations::Operation;
use migrate_core::planner::{self, Target};
use migrate_core::schema::Backend;
use migrate_core::{writer, Constraint, Migration, MigrationKey, ProjectState};
use serde_json::json;

use crate::database::{runtime, shown, ConnectOpts};
use crate::migrate::{load, load_against, Dialect};
use crate::{files, json, Project, Ui, EXIT_ERROR};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this app's migrations.
    app: Option<String>,
    /// Only this migration of APP (a unique prefix will do), applied or not.
    name: Option<String>,
    /// Judge this backend's SQL without a database: every migration (or APP's, or NAME),
    /// each from the state before it.
    #[arg(long, value_enum)]
    dialect: Option<Dialect>,
    /// Exit 1 on findings at or above this level that no `.allow(code, …)` acknowledges.
    #[arg(long, value_enum, default_value_t = FailOn::Danger)]
    fail_on: FailOn,
    /// On PostgreSQL, rewrite pending migrations that only add indexes and checks so that
    /// writes go on meanwhile (`.concurrently()`, `.validate_separately()`, `.non_atomic()`).
    #[arg(long, conflicts_with = "dialect")]
    fix: bool,
    #[command(flatten)]
    connect: ConnectOpts,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Info,
    Warning,
    Danger,
}

impl FailOn {
    fn level(self) -> Level {
        match self {
            FailOn::Info => Level::Info,
            FailOn::Warning => Level::Warning,
            FailOn::Danger => Level::Danger,
        }
    }
}

pub fn run(project: Project, args: Args, ui: Ui, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let dir = project.dir.clone();
    // Without a database, or for a named migration: every migration in order, each from
    // the state before it. Otherwise the pending ones, from the applied state, with the
    // server's version and sizes.
    let (backend, server, loader, start, database) = match args.dialect {
        Some(d) => (d.backend(), None, load(project)?, BTreeSet::new(), None),
        None => {
            let rt = runtime()?;
            let url = args.connect.url();
            let mut executor = args
                .connect
                .connect(&rt, ui.verbosity > 0 && !ui.json)
                .context(
                "lint reads the database's history and sizes; without a database, pass --dialect",
            )?;
            let applied = rt.block_on(executor.applied())?;
            let server = rt.block_on(executor.server())?;
            let backend = executor.backend();
            rt.block_on(executor.close())?;
            let loader = load_against(project, &applied)?;
            let start = match args.name {
                Some(_) => BTreeSet::new(),
                None => applied,
            };
            (backend, Some(server), loader, start, Some(shown(&url)))
        }
    };
    let order = planner::plan(loader.graph(), &start, &Target::All)?;
    let only: Option<MigrationKey> = match (&args.app, &args.name) {
        (Some(app), Some(name)) => Some(planner::find(loader.graph(), app, name)?),
        _ => None,
    };
    if let Some(app) = &args.app {
        if !loader.graph().app_leaves().contains_key(app.as_str()) {
            anyhow::bail!("app {app} has no migrations");
        }
    }
    let mut state = loader.state_of(&start)?;
    let target = LintTarget {
        backend,
        server: server.as_ref(),
    };
    // With a database, one linter over the pending migrations: a table one of them makes
    // is new when a later one changes it.
    let mut shared = Linter::new(target);
    let mut findings: Vec<Finding> = Vec::new();
    let mut linted: Vec<MigrationKey> = Vec::new();
    for step in &order {
        let m = loader.get(&step.key).expect("planned migrations exist");
        let wanted = match (&only, &args.app) {
            (Some(key), _) => *key == step.key,
            (None, Some(app)) => m.app == *app,
            (None, None) => true,
        };
        let found = match (database.is_some(), &only, wanted) {
            // Every pending migration, so that the tables the run makes are known.
            (true, None, _) => shared.migration(m, &mut state)?,
            (_, _, true) => Linter::new(target).migration(m, &mut state)?,
            (_, _, false) => {
                loader::apply(m, &mut state)?;
                Vec::new()
            }
        };
        if wanted {
            findings.extend(found);
            linted.push(step.key.clone());
        }
    }
    let fixed = match args.fix {
        true => fix(&loader, &linted, &findings, backend, &dir)?,
        false => Vec::new(),
    };
    let fail_on = args.fail_on.level();
    let failing = findings
        .iter()
        .filter(|f| f.level >= fail_on && f.allowed.is_none())
        .count();
    if ui.json {
        let doc = json!({
            "database": database,
            "dialect": backend.name(),
            "server": server.as_ref().and_then(|s| s.version.clone()),
            "migrations": linted.iter().map(json::key).collect::<Vec<_>>(),
            "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
            "fixed": fixed.iter().map(|(k, p)| { let mut j = json::key(k); j["path"] = p.display().to_string().into(); j }).collect::<Vec<_>>(),
            "fail_on": fail_on.name(),
            "ok": failing == 0,
        });
        json::write(out, doc)?;
    } else {
        write_text(
            out,
            &loader,
            &findings,
            &linted,
            backend,
            server.as_ref(),
            ui,
        )?;
        for (key, path) in &fixed {
            writeln!(out, "Rewrote {key} ({}): its indexes are built and its checks validated while writes go on; rebuild the binary to use it", path.display())?;
        }
        if ui.verbosity > 0 || failing > 0 {
            let count = |l: Level| findings.iter().filter(|f| f.level == l).count();
            let allowed = findings.iter().filter(|f| f.allowed.is_some()).count();
            writeln!(
                out,
                "{} migration(s) on {}: {} danger, {} warning, {} info ({allowed} acknowledged){}",
                linted.len(),
                backend.name(),
                count(Level::Danger),
                count(Level::Warning),
                count(Level::Info),
                match failing {
                    0 => String::new(),
                    n => format!("; {n} at or above {} not acknowledged", fail_on.name()),
                }
            )?;
        }
    }
    Ok(match failing {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_ERROR),
    })
}

/// A finding for `--format json`.
pub fn finding_json(f: &Finding) -> serde_json::Value {
    let mut j = json::key(&f.migration);
    j["code"] = f.code.into();
    j["level"] = f.level.name().into();
    j["operation"] = f.operation.clone().into();
    j["table"] = f.table.clone().into();
    j["message"] = f.message.clone().into();
    j["safe"] = f.safe.clone().into();
    j["rows"] = f.size.and_then(|s| s.rows).into();
    j["bytes"] = f.size.and_then(|s| s.bytes).into();
    j["duration"] = f.duration().into();
    j["allowed"] = f.allowed.clone().into();
    j
}

/// Findings grouped by migration, for people.
fn write_text(
    out: &mut dyn Write,
    loader: &Loader,
    findings: &[Finding],
    linted: &[MigrationKey],
    backend: Backend,
    server: Option<&Server>,
    ui: Ui,
) -> anyhow::Result<()> {
    for key in linted {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.migration == *key).collect();
        // With -v 2, every migration and each operation nothing is said of.
        if mine.is_empty() && ui.verbosity < 2 {
            continue;
        }
        writeln!(
            out,
            "{key} ({}{})",
            backend.name(),
            server
                .and_then(|s| s.version.as_deref())
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        )?;
        for f in &mine {
            describe(out, f, "  ")?;
        }
        if ui.verbosity >= 2 {
            let m = loader.get(key).expect("linted migrations exist");
            for op in &m.operations {
                let described = op.describe();
                if !mine.iter().any(|f| f.operation == described) {
                    writeln!(
                        out,
                        "  ok      {described}: no rows rewritten, no lock held beyond a moment"
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// One finding on a few lines.
pub fn describe(out: &mut dyn Write, f: &Finding, indent: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{indent}{:<7} {}: {}",
        f.level.name(),
        f.code,
        f.operation
    )?;
    writeln!(out, "{indent}        {}", f.message)?;
    if let (Some(size), Some(table)) = (f.size, &f.table) {
        let rows = size
            .rows
            .map_or("an unknown number of".to_owned(), thousands);
        let bytes = size
            .bytes
            .map(|b| format!(", {}", human_bytes(b)))
            .unwrap_or_default();
        let duration = f.duration().map(|d| format!(": {d}")).unwrap_or_default();
        writeln!(
            out,
            "{indent}        {table}: about {rows} rows{bytes}{duration}"
        )?;
    }
    if let Some(safe) = &f.safe {
        writeln!(out, "{indent}        safe way: {safe}")?;
    }
    match &f.allowed {
        Some(reason) => writeln!(out, "{indent}        acknowledged: {reason}"),
        None => Ok(()),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_bytes(b: u64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = b as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{b} bytes"),
        _ => format!("{value:.0} {}", units[unit]),
    }
}

/// Rewrites, on PostgreSQL, the linted migrations that only add indexes and checks and
/// lock tables doing it, so that indexes are built concurrently and checks validated
/// separately, each statement committed on its own; the others are left for a person.
fn fix(
    loader: &Loader,
    linted: &[MigrationKey],
    findings: &[Finding],
    backend: Backend,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(MigrationKey, PathBuf)>> {
    if backend != Backend::Postgres {
        eprintln!(
            "note: lint --fix writes PostgreSQL's safe forms (CREATE INDEX CONCURRENTLY, NOT VALID + VALIDATE); {} has none to write",
            backend.name()
        );
        return Ok(Vec::new());
    }
    let mut rewritten = Vec::new();
    for key in linted {
        let fixable = findings.iter().any(|f| {
            f.migration == *key
                && matches!(f.code, "blocking-index" | "check-validation")
                && f.allowed.is_none()
        });
        if !fixable {
            continue;
        }
        let m = loader.get(key).expect("linted migrations exist");
        let only_these = m.operations.iter().all(|op| match op {
            Operation::AddIndex(_) | Operation::RemoveIndex(_) => true,
            Operation::AddConstraint(a) => matches!(a.constraint, Constraint::Check { .. }),
            _ => false,
        });
        if !only_these {
            eprintln!(
                "note: {key} does more than add indexes and checks: move those into a migration of their own, then run lint --fix again"
            );
            continue;
        }
        let mut fixed: Migration = m.clone();
        fixed.atomic = false;
        for op in &mut fixed.operations {
            match op {
                Operation::AddIndex(a) => a.concurrently = true,
                Operation::AddConstraint(a) => a.validate_separately = true,
                _ => {}
            }
        }
        let path = files::migration_path(dir, &fixed);
        files::write_all(&[(path.clone(), writer::migration_file(&fixed)?.as_str())])?;
        rewritten.push((key.clone(), path));
    }
    Ok(rewritten)
}

/// The findings (at least warnings) of migrations that run in this order from `before`:
/// the new ones of `makemigrations`, the plan of `migrate --plan`.
pub fn of_run<'m>(
    migrations: impl IntoIterator<Item = &'m Migration>,
    before: &ProjectState,
    target: LintTarget<'_>,
) -> anyhow::Result<Vec<Finding>> {
    let mut state = before.clone();
    let mut linter = Linter::new(target);
    let mut out = Vec::new();
    for m in migrations {
        out.extend(
            linter
                .migration(m, &mut state)?
                .into_iter()
                .filter(|f| f.level >= Level::Warning),
        );
    }
    Ok(out)
}

/// Under a migration of a list (`makemigrations`, `migrate --plan`): its findings.
pub fn write_under(
    out: &mut dyn Write,
    findings: &[Finding],
    key: &MigrationKey,
) -> std::io::Result<()> {
    for f in findings.iter().filter(|f| f.migration == *key) {
        describe(out, f, "    ! ")?;
    }
    Ok(())
}
