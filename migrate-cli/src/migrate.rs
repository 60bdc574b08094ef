//! `migrate`, `showmigrations` and `sqlmigrate`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use migrate_core::checksum;
use migrate_core::drift;
use migrate_core::executor::{backend_of, check_history, Event, PlanStates, Progress};
use migrate_core::loader::Loader;
use migrate_core::planner::{self, Direction, Step, Target};
use migrate_core::schema::{self, Backend};
use migrate_core::MigrationKey;

use crate::database::{runtime, shown, ConnectOpts};
use crate::{json, Project, Ui, EXIT_ERROR};

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Only this app (all apps when omitted).
    app: Option<String>,
    /// Forwards or backwards to this migration of APP (a unique prefix will do); `zero`
    /// unapplies all of APP.
    migration: Option<String>,
    /// Print the plan, with directions, and change nothing.
    #[arg(long)]
    plan: bool,
    /// Record the migrations as applied (or unapplied) without running their SQL.
    #[arg(long)]
    fake: bool,
    /// Record an initial migration without running it when its tables already exist as it
    /// describes them (adopting an existing database); refuse one whose tables partly exist.
    #[arg(long, conflicts_with = "fake")]
    fake_initial: bool,
    /// Exit with status 1 when there are unapplied migrations, applied ones whose files
    /// changed or are gone, or ones stopped part-way; change nothing.
    #[arg(long)]
    check: bool,
    /// Accept that applied migration APP NAME changed since it was applied, once the
    /// database matches its file: its new checksum is recorded (repeatable).
    #[arg(long, num_args = 2, value_names = ["APP", "NAME"], action = clap::ArgAction::Append)]
    accept_changed: Vec<String>,
    /// Delete history rows of migrations that a squashed migration replaces and whose
    /// files are gone.
    #[arg(long)]
    prune: bool,
    /// Compare the schema the database really has with the one its applied migrations
    /// describe; exit with status 1 on a difference. Changes nothing.
    #[arg(long)]
    check_schema: bool,
    #[command(flatten)]
    fleet: crate::fleet::FleetArgs,
    #[command(flatten)]
    connect: ConnectOpts,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Only these apps.
    apps: Vec<String>,
    /// One line per migration, in the order `migrate` would apply them.
    #[arg(long)]
    plan: bool,
    #[command(flatten)]
    fleet: crate::fleet::FleetArgs,
    #[command(flatten)]
    connect: ConnectOpts,
}

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    app: String,
    /// The migration (a unique prefix will do).
    migration: String,
    /// The SQL that unapplies it.
    #[arg(long)]
    backwards: bool,
    /// Render for this backend without connecting (default: the backend of the URL).
    #[arg(long, value_enum)]
    dialect: Option<Dialect>,
    #[command(flatten)]
    connect: ConnectOpts,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    pub(crate) fn backend(self) -> Backend {
        match self {
            Dialect::Sqlite => Backend::Sqlite,
            Dialect::Postgres => Backend::Postgres,
            Dialect::Mysql => Backend::Mysql,
        }
    }
}

pub(crate) fn load(project: Project) -> anyhow::Result<Loader> {
    load_against(project, &BTreeSet::new())
}

/// The graph as a database with this history sees it (squashed or replaced migrations).
pub(crate) fn load_against(
    project: Project,
    recorded: &BTreeSet<MigrationKey>,
) -> anyhow::Result<Loader> {
    let loader =
        Loader::with_applied(project.migrations, recorded).context("the migrations do not load")?;
    drift::leaves(&loader)?;
    Ok(loader)
}

/// Refuses an app that has no migrations, naming those that do.
fn check_app<'a>(app: &str, known: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
    let known: Vec<&str> = known.into_iter().collect();
    if !known.contains(&app) {
        anyhow::bail!("app {app} has no migrations; apps: {}", known.join(", "));
    }
    Ok(())
}

/// The target of `migrate [APP] [NAME|zero]`, checked before anything is printed or run.
fn target(loader: &Loader, app: Option<&str>, migration: Option<&str>) -> anyhow::Result<Target> {
    if let Some(app) = app {
        check_app(app, loader.graph().app_leaves().into_keys())?;
    }
    Ok(match (app, migration) {
        (None, _) => Target::All,
        (Some(app), None) => Target::App(app.to_owned()),
        (Some(app), Some("zero")) => Target::Zero(app.to_owned()),
        (Some(app), Some(name)) => Target::Migration(planner::find(loader.graph(), app, name)?),
    })
}

fn transactional_note(backend: Backend) -> &'static str {
    match backend {
        Backend::Mysql => " (MySQL cannot roll back DDL: a failure part-way leaves earlier statements of that migration applied, and it unrecorded)",
        _ => "",
    }
}

pub fn migrate(
    project: Project,
    args: MigrateArgs,
    ui: Ui,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if let Some(mut fleet) = args.fleet.fleet(&args.connect, args.check) {
        let alone = [
            (args.fake, "--fake"),
            (args.fake_initial, "--fake-initial"),
            (args.prune, "--prune"),
            (args.check_schema, "--check-schema"),
            (!args.accept_changed.is_empty(), "--accept-changed"),
        ];
        if let Some((_, what)) = alone.iter().find(|(given, _)| *given) {
            anyhow::bail!("{what} is for one database, not a fleet (--targets, --schemas-query)");
        }
        // Every target goes to the same place: all, an app, a migration, or zero.
        fleet.target = target(
            &load(Project::new(project.migrations.clone(), &project.dir))?,
            args.app.as_deref(),
            args.migration.as_deref(),
        )?;
        return match args.plan {
            true => fleet.plan(project, ui, out),
            false => fleet.run(project, ui, out),
        };
    }
    // What the run did goes here: nowhere at `-v 0`. What was asked for (the plan, the
    // check) and warnings go to `out` at every verbosity.
    let mut sink = std::io::sink();
    let files: BTreeSet<MigrationKey> = project.migrations.iter().map(|m| m.key()).collect();
    let rt = runtime()?;
    let url = args.connect.url();
    let mut executor = args.connect.connect(&rt, ui.verbosity > 0 && !ui.json)?;
    let backend = executor.backend();
    let history = rt.block_on(executor.history(&mut waiting_notice(&url)))?;
    let recorded: BTreeSet<MigrationKey> = history.keys().cloned().collect();
    let loader = load_against(project, &recorded)?;
    if args.prune {
        let pruned = rt.block_on(executor.prune(&loader, &files))?;
        if ui.json {
            let keys: Vec<_> = pruned.iter().map(json::key).collect();
            json::write(out, serde_json::json!({ "pruned": keys }))?;
            return Ok(ExitCode::SUCCESS);
        }
        let out = if ui.verbosity == 0 { &mut sink } else { out };
        if pruned.is_empty() {
            writeln!(out, "No migrations to prune.")?;
        }
        for key in pruned {
            writeln!(out, "  Pruned {key}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.check_schema {
        let applied = loader.effective_applied(&recorded);
        let state = loader.state_of(&applied)?;
        let drift = rt
            .block_on(executor.live_schema())?
            .drift(&state, backend)?;
        let status = if drift.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_ERROR)
        };
        if ui.json {
            json::write(
                out,
                serde_json::json!({
                    "database": shown(&url),
                    "drift": drift
                        .iter()
                        .map(|d| serde_json::json!({
                            "difference": d.difference,
                            "operation": d.operation,
                        }))
                        .collect::<Vec<_>>(),
                    "ok": drift.is_empty(),
                }),
            )?;
        } else if drift.is_empty() {
            writeln!(out, "The database's schema matches its applied migrations.")?;
        } else {
            writeln!(
                out,
                "The database's schema differs from its applied migrations:"
            )?;
            for d in &drift {
                writeln!(out, "  - {} ({})", d.difference, d.operation)?;
            }
        }
        return Ok(status);
    }
    let target = target(&loader, args.app.as_deref(), args.migration.as_deref())?;
    if args.plan || args.check {
        let applied = loader.effective_applied(&recorded);
        check_history(&loader, &applied)?;
        let steps = planner::plan(loader.graph(), &applied, &target)?;
        let partial = rt.block_on(executor.partial())?;
        // Only here: `migrate` itself has the executor compare the checksums, under its lock.
        let verification = checksum::verify(&loader, &history);
        let pending = steps.iter().any(|s| s.direction == Direction::Forwards);
        let ok = !pending && partial.is_empty() && verification.is_clean();
        // What the planned migrations will do, when the plan only goes forwards.
        let findings = match steps.iter().all(|s| s.direction == Direction::Forwards) {
            true if args.plan => {
                let server = rt.block_on(executor.server())?;
                crate::lint::of_run(
                    steps
                        .iter()
                        .map(|s| loader.get(&s.key).expect("planned from the graph")),
                    &loader.state_of(&applied)?,
                    migrate_core::lint::Target {
                        backend,
                        server: Some(&server),
                    },
                )?
            }
            _ => Vec::new(),
        };
        let failed = if args.check && !ok {
            ExitCode::from(EXIT_ERROR)
        } else {
            ExitCode::SUCCESS
        };
        if ui.json {
            let plan: Vec<serde_json::Value> = steps
                .iter()
                .map(|s| {
                    let m = loader.get(&s.key).expect("planned from the graph");
                    let mut ops: Vec<_> = m
                        .operations
                        .iter()
                        .map(|op| {
                            serde_json::json!({
                                "description": op.describe(),
                                "reversible": op.reversible(),
                            })
                        })
                        .collect();
                    if s.direction == Direction::Backwards {
                        ops.reverse();
                    }
                    let mut v = json::key(&s.key);
                    v["direction"] = json::direction(s.direction).into();
                    v["operations"] = ops.into();
                    if args.plan {
                        v["findings"] = findings
                            .iter()
                            .filter(|f| f.migration == s.key)
                            .map(crate::lint::finding_json)
                            .collect::<Vec<_>>()
                            .into();
                    }
                    v
                })
                .collect();
            let changed: Vec<serde_json::Value> = verification
                .changed
                .iter()
                .map(|c| {
                    let mut v = json::key(&c.key);
                    v["differences"] = c.differences.clone().into();
                    v
                })
                .collect();
            let stopped: Vec<serde_json::Value> = partial
                .iter()
                .map(|(k, p)| {
                    let mut v = json::key(k);
                    v["partial"] = json::partial(Some(p));
                    v
                })
                .collect();
            json::write(
                out,
                serde_json::json!({
                    "database": shown(&url),
                    "transactional": backend != Backend::Mysql,
                    "plan": plan,
                    "changed": changed,
                    "missing": verification.missing.iter().map(json::key).collect::<Vec<_>>(),
                    "partial": stopped,
                    "ok": ok,
                }),
            )?;
            return Ok(failed);
        }
        write_verification(out, &verification)?;
        if args.check {
            if pending {
                writeln!(out, "Unapplied migrations:")?;
                for s in &steps {
                    writeln!(out, "  {}", s.key)?;
                }
            }
            if !partial.is_empty() {
                writeln!(out, "Migrations stopped part-way:")?;
                for (key, p) in &partial {
                    writeln!(out, "  {key} ({})", partial_note(p))?;
                }
            }
            return Ok(failed);
        }
        writeln!(out, "Planned operations{}:", transactional_note(backend))?;
        if steps.is_empty() {
            writeln!(out, "  No planned migration operations.")?;
        }
        for s in &steps {
            let m = loader.get(&s.key).expect("planned from the graph");
            match partial.get(&s.key) {
                Some(p) if p.forwards == (s.direction == Direction::Forwards) => writeln!(
                    out,
                    "{} (resumes: {}; the step it stopped at runs again)",
                    s.key,
                    partial_note(p)
                )?,
                _ => writeln!(out, "{}", s.key)?,
            }
            let ops: Box<dyn Iterator<Item = _>> = match s.direction {
                Direction::Forwards => Box::new(m.operations.iter()),
                Direction::Backwards => Box::new(m.operations.iter().rev()),
            };
            for op in ops {
                let prefix = if s.direction == Direction::Backwards {
                    "Undo "
                } else {
                    ""
                };
                let irreversible = if s.direction == Direction::Backwards && !op.reversible() {
                    " -> IRREVERSIBLE"
                } else {
                    ""
                };
                writeln!(out, "    {prefix}{}{irreversible}", op.describe())?;
            }
            crate::lint::write_under(out, &findings, &s.key)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut accepted = Vec::new();
    for pair in args.accept_changed.chunks(2) {
        let key = planner::find(loader.graph(), &pair[0], &pair[1])?;
        if !recorded.contains(&key) {
            anyhow::bail!(
                "--accept-changed {key}: it is not applied, so nothing was recorded of it"
            );
        }
        accepted.push(key);
    }
    executor.accept_changed(accepted);
    if args.fake_initial {
        executor.fake_initial();
    }
    let missing = checksum::missing(&loader, history.keys());
    if ui.json {
        return run_json(
            &rt,
            &mut executor,
            &loader,
            &target,
            &args,
            ui,
            &missing,
            out,
        );
    }
    if !missing.is_empty() {
        write_verification(
            out,
            &checksum::Verification {
                missing,
                ..Default::default()
            },
        )?;
    }
    let out = if ui.verbosity == 0 { &mut sink } else { out };
    writeln!(out, "Operations to perform on {}:", shown(&url))?;
    match &target {
        Target::All => writeln!(out, "  Apply all migrations")?,
        Target::App(app) => writeln!(out, "  Apply all migrations: {app}")?,
        Target::Migration(key) => writeln!(out, "  Target specific migration: {key}")?,
        Target::Zero(app) => writeln!(out, "  Unapply all migrations: {app}")?,
    }
    writeln!(out, "Running migrations:")?;
    let report = std::cell::RefCell::new(crate::progress::Report::new(
        &mut *out,
        ui.terminal,
        ui.verbosity,
        args.fake,
        waiting_text(&url),
    ));
    let mut on_event = |event: Event<'_>| report.borrow_mut().event(event);
    let run = executor.migrate(&loader, &target, args.fake, &mut on_event);
    // On a terminal, the running migration's line shows its time: a timer beside the run,
    // on this one thread, sharing the report (borrowed only while either writes). Elsewhere
    // the run goes alone.
    let steps = if ui.terminal.live {
        let ticker = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                report.borrow_mut().tick();
            }
        };
        rt.block_on(async {
            tokio::select! {
                steps = run => steps,
                never = ticker => never,
            }
        })
    } else {
        rt.block_on(run)
    };
    let steps = steps.inspect_err(|_| report.borrow_mut().failed())?;
    drop(report);
    if steps.is_empty() {
        writeln!(out, "  No migrations to apply.")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `migrate --format json`: one event per line as the run goes, then `done`; when the run
/// fails, a `failed` event names the migration it was in (the error itself goes to stderr).
#[allow(clippy::too_many_arguments)]
fn run_json(
    rt: &tokio::runtime::Runtime,
    executor: &mut migrate_core::executor::Executor,
    loader: &Loader,
    target: &Target,
    args: &MigrateArgs,
    ui: Ui,
    missing: &[MigrationKey],
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if !missing.is_empty() {
        let keys: Vec<_> = missing.iter().map(json::key).collect();
        json::write(
            out,
            serde_json::json!({ "event": "missing", "migrations": keys }),
        )?;
    }
    let mut running: Option<Step> = None;
    let mut report = |event: Event<'_>| {
        match &event {
            Event::Started(s) => running = Some((*s).clone()),
            Event::Finished(..) | Event::Faked(_) | Event::Skipped(_) => running = None,
            _ => {}
        }
        if let Some(doc) = json::event(&event, args.fake, ui.verbosity) {
            let _ = json::write(out, doc).and_then(|()| out.flush());
        }
    };
    let result = rt.block_on(executor.migrate(loader, target, args.fake, &mut report));
    match result {
        Ok(steps) => {
            json::write(
                out,
                serde_json::json!({ "event": "done", "migrations": steps.len() }),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let err = anyhow::Error::from(err);
            if let Some(s) = running {
                let doc = serde_json::json!({
                    "event": "failed",
                    "app": &*s.key.app,
                    "name": &*s.key.name,
                    "direction": json::direction(s.direction),
                    "error": crate::error_text(&err),
                });
                json::write(out, doc)?;
            }
            Err(err)
        }
    }
}

/// Applied migrations whose files changed or are gone, if any.
fn write_verification(out: &mut dyn Write, v: &checksum::Verification) -> std::io::Result<()> {
    if !v.changed.is_empty() {
        writeln!(
            out,
            "Applied migrations that changed since they were applied:"
        )?;
        for c in &v.changed {
            writeln!(out, "  {}: {}", c.key, c.differences.join("; "))?;
        }
    }
    if !v.missing.is_empty() {
        writeln!(out, "Applied migrations whose files are gone:")?;
        for key in &v.missing {
            writeln!(out, "  {key}")?;
        }
    }
    Ok(())
}

/// "3 of 5 steps applied" / "2 of 4 steps unapplied" / "being taken back: 1 of 3 steps".
fn partial_note(p: &Progress) -> String {
    if p.reverting.is_some() {
        return format!("being taken back: {} of {} steps done", p.done, p.total);
    }
    let how = if p.forwards { "applied" } else { "unapplied" };
    format!("{} of {} steps {how}", p.done, p.total)
}

fn waiting_text(url: &str) -> String {
    format!(
        "Waiting for another migrate run on {} to finish (it holds the migration lock)...",
        shown(url)
    )
}

/// Says on stderr that the command waits for another run's lock (stdout may be read by a
/// script).
fn waiting_notice(url: &str) -> impl FnMut(Event<'_>) + '_ {
    move |event| {
        if let Event::WaitingForLock = event {
            eprintln!("{}", waiting_text(url));
        }
    }
}

pub fn showmigrations(
    project: Project,
    args: ShowArgs,
    ui: Ui,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if let Some(fleet) = args.fleet.fleet(&args.connect, false) {
        if args.plan {
            anyhow::bail!("showmigrations --plan is for one database; for a fleet, migrate --plan --targets …");
        }
        return fleet.show(project, &args.apps, ui, out);
    }
    let rt = runtime()?;
    let mut executor = args.connect.connect(&rt, ui.verbosity > 0 && !ui.json)?;
    let url = args.connect.url();
    let history = rt.block_on(executor.history(&mut waiting_notice(&url)))?;
    let recorded: BTreeSet<MigrationKey> = history.keys().cloned().collect();
    let partial = rt.block_on(executor.partial())?;
    // Listing works on a conflicted graph too (branches merged in git), as in Django; it
    // says so, and how to join them.
    let loader = Loader::with_applied(project.migrations, &recorded)
        .context("the migrations do not load")?;
    for (app, leaves) in loader.graph().conflicts() {
        let names: Vec<&str> = leaves.iter().map(|k| &*k.name).collect();
        eprintln!(
            "warning: conflicting migrations in app {app}: {} are all leaves; run `makemigrations --merge` to join them",
            names.join(", ")
        );
    }
    let verification = checksum::verify(&loader, &history);
    let applied = loader.effective_applied(&recorded);
    let order = loader.graph().topological_order();
    // Stopped part-way, applied or not; and how an applied migration's file differs since.
    let status = |key: &MigrationKey| match partial.get(key) {
        Some(_) => "partial",
        None if applied.contains(key) => "applied",
        None => "unapplied",
    };
    let changed = |key: &MigrationKey| {
        verification
            .changed
            .iter()
            .find(|c| c.key == *key)
            .map_or(&[][..], |c| &c.differences[..])
    };
    // `[X]` applied, `[ ]` not, `[~]` stopped part-way (with how far it got); an applied
    // migration whose file changed since says so.
    let mark = |key: &MigrationKey| match (status(key), changed(key)) {
        ("partial", _) => ("[~]", format!(" ({})", partial_note(&partial[key]))),
        ("applied", []) => ("[X]", String::new()),
        ("applied", differences) => (
            "[X]",
            format!(" (changed since applied: {})", differences.join("; ")),
        ),
        _ => ("[ ]", String::new()),
    };
    let to_json = |key: &MigrationKey| {
        let mut v = json::key(key);
        v["status"] = status(key).into();
        v["changed"] = changed(key).into();
        v["partial"] = json::partial(partial.get(key));
        v
    };
    let wanted = |app: &str| args.apps.is_empty() || args.apps.iter().any(|a| a == app);
    if ui.json {
        for app in &args.apps {
            check_app(app, loader.graph().app_leaves().into_keys())?;
        }
        // In plan order with --plan, else by app and name, as the text lists them.
        let mut keys: Vec<&MigrationKey> =
            order.iter().copied().filter(|k| wanted(&k.app)).collect();
        if !args.plan {
            keys.sort();
        }
        let migrations: Vec<serde_json::Value> = keys.into_iter().map(to_json).collect();
        let missing: Vec<serde_json::Value> = verification.missing.iter().map(json::key).collect();
        let conflicts: Vec<&str> = loader.graph().conflicts().into_keys().collect();
        json::write(
            out,
            serde_json::json!({
                "database": shown(&url),
                "migrations": migrations,
                "missing": missing,
                "conflicts": conflicts,
            }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.plan {
        for key in order {
            if wanted(&key.app) {
                let (mark, note) = mark(key);
                writeln!(out, "{mark}  {key}{note}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    // One pass: the order is grouped by app (a filter per app would be apps × migrations).
    let mut apps: BTreeMap<&str, Vec<&MigrationKey>> = BTreeMap::new();
    for key in order {
        apps.entry(&*key.app).or_default().push(key);
    }
    for app in &args.apps {
        check_app(app, apps.keys().copied())?;
    }
    for (app, mut names) in apps {
        if !wanted(app) {
            continue;
        }
        writeln!(out, "{app}")?;
        names.sort();
        for key in names {
            let (mark, note) = mark(key);
            writeln!(out, " {mark} {}{note}", key.name)?;
        }
    }
    if !verification.missing.is_empty() {
        write_verification(
            out,
            &checksum::Verification {
                missing: verification.missing,
                ..Default::default()
            },
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sqlmigrate(
    project: Project,
    args: SqlArgs,
    ui: Ui,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let loader = load(project)?;
    let key = planner::find(loader.graph(), &args.app, &args.migration)?;
    let backend = match args.dialect {
        Some(d) => d.backend(),
        None => backend_of(&args.connect.url())?,
    };
    // The state before it: everything it depends on applied (forwards), or everything up
    // to and including it applied (backwards).
    let ancestors = planner::plan(
        loader.graph(),
        &BTreeSet::new(),
        &Target::Migration(key.clone()),
    )?;
    let mut applied: BTreeSet<MigrationKey> =
        ancestors.iter().map(|s: &Step| s.key.clone()).collect();
    if !args.backwards {
        applied.remove(&key);
    }
    let step = Step {
        key: key.clone(),
        direction: if args.backwards {
            Direction::Backwards
        } else {
            Direction::Forwards
        },
    };
    let states = PlanStates::new(&loader, &applied, std::slice::from_ref(&step))?;
    let m = loader.get(&key).expect("found in the graph");
    // MySQL commits each DDL statement on its own, whatever the migration says.
    let transactional = m.atomic && backend != Backend::Mysql;
    if ui.json {
        let rendered = schema::render_migration(backend, m, states.before(&step), args.backwards)?;
        let operations: Vec<serde_json::Value> = rendered
            .iter()
            .map(|r| {
                serde_json::json!({
                    "description": m.operations[r.index].describe(),
                    "statements": r.statements,
                })
            })
            .collect();
        let mut doc = json::key(&key);
        doc["dialect"] = backend.name().into();
        doc["direction"] = json::direction(step.direction).into();
        doc["transactional"] = transactional.into();
        doc["operations"] = operations.into();
        json::write(out, doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    let statements = schema::migration_sql(backend, m, states.before(&step), args.backwards)?;
    write!(out, "{}", schema::script(&statements, transactional))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SquashArgs {
    /// The app whose migrations to squash.
    app: String,
    /// `[FROM] TO`: the last migration to squash, after the first one when it is not the
    /// app's first (names or unique prefixes, as `0004`).
    #[arg(value_name = "MIGRATION", num_args = 1..=2, required = true)]
    range: Vec<String>,
    /// Squash without asking for confirmation.
    #[arg(long, alias = "no-input")]
    noinput: bool,
    /// The squashed migration's name after its number.
    #[arg(long, value_parser = crate::files::name_part)]
    squashed_name: Option<String>,
    /// Keep every operation as it is instead of folding them.
    #[arg(long)]
    no_optimize: bool,
}

pub fn squashmigrations(
    project: Project,
    args: SquashArgs,
    ui: Ui,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let dir = project.dir.clone();
    let loader = load(project)?;
    check_app(&args.app, loader.graph().app_leaves().into_keys())?;
    let find = |name: &str| -> anyhow::Result<MigrationKey> {
        Ok(planner::find(loader.graph(), &args.app, name)?)
    };
    let (first, last) = match args.range.as_slice() {
        [last] => (None, find(last)?),
        [first, last] => (Some(find(first)?), find(last)?),
        _ => unreachable!("clap takes one or two names"),
    };
    let squashes = migrate_core::squash::squash(
        &loader,
        first.as_ref(),
        &last,
        args.squashed_name.as_deref(),
        !args.no_optimize,
    )?;
    if !args.noinput && !confirm(&squashes, input, out)? {
        writeln!(out, "Nothing squashed.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut sink = std::io::sink();
    let out = if ui.verbosity == 0 { &mut sink } else { out };
    if squashes.len() > 1 {
        writeln!(
            out,
            "Squashing in {} parts: another app's migrations sit between them.",
            squashes.len()
        )?;
    }
    for squash in &squashes {
        writeln!(
            out,
            "Squashed {} migrations of {} ({} operations) into {} ({} operations).",
            squash.replaced_operations.len(),
            args.app,
            squash.replaced_operations.iter().sum::<usize>(),
            squash.migration.name,
            squash.migration.operations.len()
        )?;
    }
    let migrations: Vec<_> = squashes.into_iter().map(|s| s.migration).collect();
    for path in crate::files::write_migrations(&dir, &migrations, crate::files::Empty::AsIs)? {
        writeln!(out, "Created new squashed migration {}", path.display())?;
    }
    writeln!(
        out,
        "Once every database has applied it, delete the replaced files, remove `.replaces(…)` from it, and run `migrate --prune`."
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Lists what each squash replaces and asks to go on, as Django does. No answer at all (the
/// input ended, as in a script) is an error that names `--noinput`, not a silent "no".
fn confirm(
    squashes: &[migrate_core::squash::Squash],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    writeln!(out, "Will squash the following migrations:")?;
    for squash in squashes {
        for key in &squash.migration.replaces {
            writeln!(out, " - {}", key.name)?;
        }
    }
    let mut q = crate::questioner::Interactive { input, out };
    q.yes_or_no("Do you wish to proceed? [y/N] ").ok_or_else(|| {
        anyhow::anyhow!(
            "squashmigrations asks before writing and got no answer; pass --noinput to squash without asking"
        )
    })
}
