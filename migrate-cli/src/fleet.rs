//! `migrate --targets FILE`: one run for many databases (or PostgreSQL schemas, each a URL
//! with its `search_path`), a few at once, each with its own connection, history and lock.
//! A target that fails does not stop the others; the end is a summary, and the exit code
//! says whether every target is where it should be.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use futures_util::StreamExt;
use migrate_core::executor::{DbConnection, Executor};
use migrate_core::loader::Loader;
use migrate_core::planner::{self, Target};
use migrate_core::{Migration, MigrationKey};
use serde_json::json;

use crate::database::{runtime, shown, ConnectOpts};
use crate::{json, Project, Ui, EXIT_ERROR};

/// How one target ended.
#[derive(Debug)]
enum Outcome {
    /// Nothing was pending (one query).
    UpToDate,
    /// This many migrations were applied, and this many unapplied.
    Migrated(usize, usize),
    /// With `--check`: this many are pending.
    Pending(usize),
    /// The error, in words.
    Failed(String),
}

/// The targets of a file: one URL per line, `#` comments and blank lines left out.
fn targets(file: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the targets in {}", file.display()))?;
    let urls: Vec<String> = text
        .lines()
        .map(|l| l.split_once('#').map_or(l, |(before, _)| before).trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        anyhow::bail!("{} names no target", file.display());
    }
    Ok(urls)
}

/// What every target of one `migrate` run shares.
struct Run<'a> {
    migrations: &'a [Migration],
    target: &'a Target,
    check: bool,
    /// The schemas' database's connections, kept open from one schema to the next.
    idle: Idle,
}

/// Open connections to the `--schemas-query` database between two schemas (one per job at
/// most): a schema then costs no connection's start (TLS, a server process and its cold
/// catalog caches), which is most of what a small migration costs.
struct Idle {
    url: String,
    conns: RefCell<Vec<DbConnection>>,
}

impl Idle {
    /// An executor working in `schema`, over an idle connection or a new one.
    async fn executor(&self, schema: &str, name: &str) -> migrate_core::Result<Executor> {
        let idle = self.conns.borrow_mut().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Executor::connect(&self.url).await?.release().await?,
        };
        let mut executor = Executor::over(conn, name).await?;
        executor.use_schema(schema).await?;
        Ok(executor)
    }
}

/// One target. A schema whose history was read with the others' goes straight to the
/// run; any other target's history is read first (one query), and nothing more is done
/// when nothing is pending.
async fn one(spec: &Spec, known: Option<&Loader>, run: &Run<'_>) -> Outcome {
    let result = async {
        let mut executor = match &spec.schema {
            Some(schema) => run.idle.executor(schema, &spec.url).await?,
            None => Executor::connect(&spec.url).await?,
        };
        let outcome = migrate_one(&mut executor, known, run).await;
        match (outcome, &spec.schema) {
            (Ok(outcome), Some(_)) => {
                let conn = executor.release().await?;
                run.idle.conns.borrow_mut().push(conn);
                Ok(outcome)
            }
            (Ok(outcome), None) => executor.close().await.map(|()| outcome),
            // A connection that saw an error is not used again.
            (Err(e), _) => {
                let _ = executor.close().await;
                Err(e)
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| Outcome::Failed(crate::error_text(&e.into())))
}

/// Migrates one target, planned with `known` when its history was read already.
async fn migrate_one(
    executor: &mut Executor,
    known: Option<&Loader>,
    run: &Run<'_>,
) -> migrate_core::Result<Outcome> {
    let read;
    let loader = match known {
        Some(loader) => loader,
        None => {
            let recorded = executor.applied().await?;
            read = Loader::with_applied(run.migrations.to_vec(), &recorded)?;
            let applied = read.effective_applied(&recorded);
            match (
                planner::plan(read.graph(), &applied, run.target)?.len(),
                run.check,
            ) {
                (0, _) => return Ok(Outcome::UpToDate),
                (n, true) => return Ok(Outcome::Pending(n)),
                _ => &read,
            }
        }
    };
    let steps = executor
        .migrate(loader, run.target, false, &mut |_| {})
        .await?;
    let forwards = steps
        .iter()
        .filter(|s| s.direction == planner::Direction::Forwards)
        .count();
    Ok(Outcome::Migrated(forwards, steps.len() - forwards))
}

/// One target, and its history when it was read with others'.
struct Spec {
    url: String,
    /// The `--schemas-query` database's schema the target is.
    schema: Option<String>,
    recorded: Option<BTreeSet<MigrationKey>>,
}

/// The options that make `migrate` and `showmigrations` work on a fleet.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Work on a fleet: every database URL in FILE (one per line; `#` starts a comment), a
    /// PostgreSQL schema being a URL with `?options=-c%20search_path%3D<schema>`. A target
    /// that fails does not stop the others.
    #[arg(long, value_name = "FILE")]
    targets: Option<std::path::PathBuf>,
    /// Work on a fleet of PostgreSQL schemas of the database (--database-url): those the
    /// query returns in its first column, e.g. `SELECT schema_name FROM tenants_tenant`.
    #[arg(long, value_name = "SQL")]
    schemas_query: Option<String>,
    /// How many targets of a fleet at once (one connection each).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
}

impl FleetArgs {
    /// The fleet asked for, if any.
    pub fn fleet<'a>(&'a self, connect: &'a ConnectOpts, check: bool) -> Option<Fleet<'a>> {
        (self.targets.is_some() || self.schemas_query.is_some()).then(|| Fleet {
            file: self.targets.as_deref(),
            schemas_query: self.schemas_query.as_deref(),
            connect,
            jobs: usize::from(self.jobs),
            check,
            target: Target::All,
        })
    }
}

/// What `migrate` was asked to do to a fleet.
pub struct Fleet<'a> {
    /// `--targets FILE`.
    pub file: Option<&'a Path>,
    /// `--schemas-query SQL`.
    pub schemas_query: Option<&'a str>,
    /// The database the query runs on.
    pub connect: &'a ConnectOpts,
    /// `--jobs N`.
    pub jobs: usize,
    /// `--check`: change nothing.
    pub check: bool,
    /// Where each target goes (`migrate [APP [NAME|zero]]`).
    pub target: Target,
}

/// The URL of schema `schema` of the PostgreSQL database at `url`: its `search_path` set
/// in the connection's options.
fn schema_url(url: &str, schema: &str) -> anyhow::Result<String> {
    // Unquoted, PostgreSQL folds a name to lowercase: only names that stay what they are.
    let plain = schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain {
        anyhow::bail!(
            "schema {schema:?}: a tenant's schema name is lowercase letters, digits and `_`, at most 63"
        );
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

impl Fleet<'_> {
    /// Every target: the file's, then the schemas the query returns, with their histories
    /// (read for all the schemas at once).
    fn targets(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<Vec<Spec>> {
        let mut specs: Vec<Spec> = match self.file {
            Some(file) => targets(file)?
                .into_iter()
                .map(|url| Spec {
                    url,
                    schema: None,
                    recorded: None,
                })
                .collect(),
            None => Vec::new(),
        };
        if let Some(query) = self.schemas_query {
            let url = self.connect.url();
            if migrate_core::executor::backend_of(&url)? != migrate_core::schema::Backend::Postgres
            {
                anyhow::bail!("--schemas-query needs a PostgreSQL database (--database-url)");
            }
            let mut executor = self.connect.connect(rt, false)?;
            let schemas = rt
                .block_on(executor.query_texts(query))
                .with_context(|| format!("running --schemas-query on {}", shown(&url)))?;
            let urls = schemas
                .iter()
                .map(|schema| schema_url(&url, schema))
                .collect::<anyhow::Result<Vec<String>>>()?;
            let mut histories = rt.block_on(executor.schema_histories(&schemas))?;
            rt.block_on(executor.close())?;
            for (schema, url) in schemas.into_iter().zip(urls) {
                let recorded = histories.remove(&schema);
                specs.push(Spec {
                    url,
                    schema: Some(schema),
                    recorded,
                });
            }
        }
        if specs.is_empty() {
            anyhow::bail!("the fleet has no target");
        }
        Ok(specs)
    }

    pub fn run(&self, project: Project, ui: Ui, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
        let (jobs, check) = (self.jobs, self.check);
        // The files must load before any target is touched.
        Loader::new(project.migrations.clone()).context("the migrations do not load")?;
        let rt = runtime()?;
        let specs = self.targets(&rt)?;
        // Targets whose history is known already: nothing pending means nothing to do, with
        // the loader and the pending count worked out once per distinct history.
        let mut known: BTreeMap<&BTreeSet<MigrationKey>, (Loader, usize)> = BTreeMap::new();
        for recorded in specs.iter().filter_map(|s| s.recorded.as_ref()) {
            if !known.contains_key(recorded) {
                let loader = Loader::with_applied(project.migrations.clone(), recorded)?;
                let applied = loader.effective_applied(recorded);
                let n = planner::plan(loader.graph(), &applied, &self.target)?.len();
                known.insert(recorded, (loader, n));
            }
        }
        let run = Run {
            migrations: &project.migrations,
            target: &self.target,
            check,
            idle: Idle {
                url: self.connect.url(),
                conns: RefCell::new(Vec::new()),
            },
        };
        let (run, known) = (&run, &known);
        let outcomes: Vec<(usize, Outcome)> = rt.block_on(
            futures_util::stream::iter(specs.iter().enumerate())
                .map(|(i, spec)| async move {
                    let known = spec.recorded.as_ref().map(|r| &known[r]);
                    let outcome = match (known, check) {
                        (Some((_, 0)), _) => Outcome::UpToDate,
                        (Some((_, n)), true) => Outcome::Pending(*n),
                        (known, _) => one(spec, known.map(|(l, _)| l), run).await,
                    };
                    (i, outcome)
                })
                .buffer_unordered(jobs)
                .collect(),
        );
        for conn in run.idle.conns.take() {
            let _ = rt.block_on(conn.close());
        }
        let mut outcomes = outcomes;
        outcomes.sort_by_key(|(i, _)| *i);
        let failed = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
            .count();
        let pending = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Pending(_)))
            .count();
        if ui.json {
            let targets: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|(i, o)| {
                    let (status, detail) = match o {
                        Outcome::UpToDate => ("up_to_date", json!(null)),
                        Outcome::Migrated(f, b) => {
                            ("migrated", json!({ "migrations": f, "unapplied": b }))
                        }
                        Outcome::Pending(n) => ("pending", json!({ "migrations": n })),
                        Outcome::Failed(e) => ("failed", json!({ "error": e })),
                    };
                    let mut v = json!({ "target": shown(&specs[*i].url), "status": status });
                    if !detail.is_null() {
                        for (k, d) in detail.as_object().expect("an object") {
                            v[k] = d.clone();
                        }
                    }
                    v
                })
                .collect();
            json::write(
                out,
                json!({ "targets": targets, "ok": failed == 0 && pending == 0 }),
            )?;
        } else {
            for (i, o) in &outcomes {
                let url = shown(&specs[*i].url);
                match o {
                    Outcome::UpToDate if ui.verbosity > 1 => writeln!(out, "  {url}: up to date")?,
                    Outcome::UpToDate => {}
                    Outcome::Migrated(f, b) if ui.verbosity > 0 => match (f, b) {
                        (f, 0) => writeln!(out, "  {url}: {f} migration(s) applied")?,
                        (0, b) => writeln!(out, "  {url}: {b} migration(s) unapplied")?,
                        (f, b) => writeln!(out, "  {url}: {f} applied, {b} unapplied")?,
                    },
                    Outcome::Migrated(..) => {}
                    Outcome::Pending(n) => writeln!(out, "  {url}: {n} migration(s) unapplied")?,
                    Outcome::Failed(e) => writeln!(out, "  {url}: FAILED: {e}")?,
                }
            }
            let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| f(o)).count();
            writeln!(
            out,
            "{} target(s): {} migrated, {} up to date, {} with unapplied migrations, {failed} failed",
            outcomes.len(),
            count(|o| matches!(o, Outcome::Migrated(..))),
            count(|o| matches!(o, Outcome::UpToDate)),
            pending,
        )?;
        }
        Ok(match failed + pending {
            0 => ExitCode::SUCCESS,
            _ => ExitCode::from(EXIT_ERROR),
        })
    }

    /// `showmigrations` of a fleet: for each app, how many targets are at which of its
    /// migrations (the last applied, in the graph's order), and the targets that could not
    /// be read.
    pub fn show(
        &self,
        project: Project,
        apps: &[String],
        ui: Ui,
        out: &mut dyn Write,
    ) -> anyhow::Result<ExitCode> {
        Loader::new(project.migrations.clone()).context("the migrations do not load")?;
        let rt = runtime()?;
        let specs = self.targets(&rt)?;
        let histories = self.histories(&rt, &specs);
        // Per app: its last applied migration → how many targets; once per distinct history.
        let mut at: BTreeMap<String, BTreeMap<Option<String>, usize>> = BTreeMap::new();
        let mut last_of: BTreeMap<BTreeSet<MigrationKey>, BTreeMap<String, Option<String>>> =
            BTreeMap::new();
        let mut failed = Vec::new();
        for (i, read) in histories {
            let recorded = match read {
                Ok(r) => r,
                Err(e) => {
                    failed.push((shown(&specs[i].url), e));
                    continue;
                }
            };
            if !last_of.contains_key(&recorded) {
                let loader = Loader::with_applied(project.migrations.clone(), &recorded)?;
                let applied = loader.effective_applied(&recorded);
                let mut last: BTreeMap<String, Option<String>> = loader
                    .graph()
                    .app_leaves()
                    .into_keys()
                    .map(|a| (a.to_owned(), None))
                    .collect();
                for key in loader.graph().topological_order() {
                    if applied.contains(key) {
                        last.insert(key.app.to_string(), Some(key.name.to_string()));
                    }
                }
                last_of.insert(recorded.clone(), last);
            }
            for (app, name) in &last_of[&recorded] {
                if apps.is_empty() || apps.contains(app) {
                    *at.entry(app.clone())
                        .or_default()
                        .entry(name.clone())
                        .or_default() += 1;
                }
            }
        }
        if ui.json {
            let apps: Vec<serde_json::Value> = at
                .iter()
                .map(|(app, names)| {
                    let names: Vec<serde_json::Value> = names
                        .iter()
                        .rev()
                        .map(|(name, n)| json!({ "migration": name, "targets": n }))
                        .collect();
                    json!({ "app": app, "at": names })
                })
                .collect();
            json::write(
                out,
                json!({ "targets": specs.len(), "apps": apps, "failed": failed_json(&failed) }),
            )?;
        } else {
            for (app, names) in &at {
                writeln!(out, "{app}")?;
                for (name, n) in names.iter().rev() {
                    let name = name.as_deref().unwrap_or("(none applied)");
                    writeln!(out, "  {name}: {n} target(s)")?;
                }
            }
            for (target, error) in &failed {
                writeln!(out, "  {target}: FAILED: {error}")?;
            }
            writeln!(
                out,
                "{} target(s), {} unreadable",
                specs.len(),
                failed.len()
            )?;
        }
        Ok(match failed.len() {
            0 => ExitCode::SUCCESS,
            _ => ExitCode::from(EXIT_ERROR),
        })
    }
}

impl Fleet<'_> {
    /// Each target's applied migrations (read without its lock where not known already).
    fn histories(
        &self,
        rt: &tokio::runtime::Runtime,
        specs: &[Spec],
    ) -> Vec<(usize, Result<BTreeSet<MigrationKey>, String>)> {
        rt.block_on(
            futures_util::stream::iter(specs.iter().enumerate())
                .map(|(i, spec)| async move {
                    let read = match &spec.recorded {
                        Some(recorded) => Ok(recorded.clone()),
                        None => read_history(&spec.url).await,
                    };
                    (i, read)
                })
                .buffer_unordered(self.jobs)
                .collect(),
        )
    }

    /// `migrate --plan` of a fleet: the targets grouped by what would run on them.
    pub fn plan(&self, project: Project, ui: Ui, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
        Loader::new(project.migrations.clone()).context("the migrations do not load")?;
        let rt = runtime()?;
        let specs = self.targets(&rt)?;
        let mut groups: BTreeMap<Vec<MigrationKey>, usize> = BTreeMap::new();
        let mut plans: BTreeMap<BTreeSet<MigrationKey>, Vec<MigrationKey>> = BTreeMap::new();
        let mut failed = Vec::new();
        for (i, read) in self.histories(&rt, &specs) {
            let recorded = match read {
                Ok(r) => r,
                Err(e) => {
                    failed.push((shown(&specs[i].url), e));
                    continue;
                }
            };
            if !plans.contains_key(&recorded) {
                let loader = Loader::with_applied(project.migrations.clone(), &recorded)?;
                let applied = loader.effective_applied(&recorded);
                let steps = planner::plan(loader.graph(), &applied, &self.target)?;
                plans.insert(recorded.clone(), steps.into_iter().map(|s| s.key).collect());
            }
            *groups.entry(plans[&recorded].clone()).or_default() += 1;
        }
        if ui.json {
            let groups: Vec<serde_json::Value> = groups
                .iter()
                .map(|(keys, n)| {
                    json!({ "targets": n, "plan": keys.iter().map(json::key).collect::<Vec<_>>() })
                })
                .collect();
            json::write(
                out,
                json!({ "targets": specs.len(), "groups": groups, "failed": failed_json(&failed) }),
            )?;
        } else {
            for (keys, n) in &groups {
                match keys.as_slice() {
                    [] => writeln!(out, "{n} target(s): up to date")?,
                    keys => {
                        writeln!(out, "{n} target(s) would run {} migration(s):", keys.len())?;
                        for key in keys {
                            writeln!(out, "  {key}")?;
                        }
                    }
                }
            }
            for (target, error) in &failed {
                writeln!(out, "{target}: FAILED: {error}")?;
            }
        }
        Ok(match failed.len() {
            0 => ExitCode::SUCCESS,
            _ => ExitCode::from(EXIT_ERROR),
        })
    }
}

/// The targets that could not be read, for `--format json`.
fn failed_json(failed: &[(String, String)]) -> Vec<serde_json::Value> {
    failed
        .iter()
        .map(|(t, e)| json!({ "target": t, "error": e }))
        .collect()
}

/// A target's applied migrations, read without its lock.
async fn read_history(url: &str) -> Result<BTreeSet<MigrationKey>, String> {
    let result = async {
        let mut executor = Executor::connect(url).await?;
        let applied = executor.applied().await?;
        executor.close().await?;
        Ok::<_, migrate_core::Error>(applied)
    }
    .await;
    result.map_err(|e| crate::error_text(&e.into()))
}
