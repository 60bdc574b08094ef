//! Applies a plan to a database: a lock for the run, then each planned migration through
//! the strategy of its backend, each in its own module:
//! - `sqlite.rs`: consecutive atomic migrations in one immediate transaction (the lock),
//!   a savepoint each, foreign keys checked before a migration counts as done;
//! - `postgres.rs`: an advisory lock, one transaction per atomic migration;
//! - `mysql.rs`: `GET_LOCK`, statement by statement (DDL commits there), with durable
//!   progress so that a run stopped part-way is continued by the next one.
//!
//! What they share is in `session.rs` (statements, the history rows, Rust operations) and
//! `context.rs` (what a data migration sees). This module plans, renders ahead and reports.

pub(crate) mod catalog;
mod connection;
mod context;
mod introspect;
mod mysql;
mod postgres;
mod session;
mod sqlite;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::error::{Error, Result};
use crate::loader::{apply, Loader};
use crate::migration::{Migration, MigrationKey, Migrations};
use crate::planner::{self, Direction, Step, Target};
use crate::recorder;
use crate::schema::{self, Backend, RenderedOp};
use crate::spin::spin;
use crate::state::ProjectState;

pub use connection::DbConnection;
pub use context::{Batches, KeyRange, KeyRanges, RunContext};
pub use mysql::Progress;
use session::Session;

pub use catalog::{
    normalize as normalize_type, Catalog, CatalogCheck, CatalogColumn, CatalogForeignKey,
    CatalogIndex, CatalogTable,
};
pub use introspect::{Drift, LiveSchema, LiveTable};

impl Migrations {
    /// Applies every pending migration over a connection of the application's own pool,
    /// as `migrate` does with no argument: under the run's lock (a second instance starting
    /// at the same time waits, then finds nothing to do), after checking the applied
    /// migrations against their files. Returns the migrations it applied, in order; the
    /// connection goes back to the pool with the settings it had.
    ///
    /// ```no_run
    /// # static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();
    /// # async fn start(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = sqlx::PgPool::connect(url).await?;
    /// let applied = MIGRATIONS.run(&pool).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// [The reference](crate::reference#migrations-in-code) has an example that runs.
    ///
    /// The autodetector is not reached from here: a binary that only migrates does not link
    /// it (of the writer, only the canonical form that checksums are taken over).
    pub async fn run<DB>(&self, pool: &sqlx::Pool<DB>) -> Result<Vec<MigrationKey>>
    where
        DB: sqlx::Database,
        DB::Connection: sqlx_core::any::AnyConnectionBackend,
    {
        let conn = pool.acquire().await.map_err(|source| Error::Database {
            context: "taking a connection from the pool".into(),
            source,
        })?;
        let mut executor =
            Executor::over(DbConnection::pooled(conn), "the pool's database").await?;
        let applied = executor.apply_all(self.all()).await;
        let closed = executor.close().await;
        let applied = applied?;
        closed?;
        Ok(applied)
    }
}

impl Executor {
    /// Applies every pending migration of `migrations` (what `migrate` with no argument
    /// does) and returns the ones applied.
    pub async fn apply_all(&mut self, migrations: Vec<Migration>) -> Result<Vec<MigrationKey>> {
        let recorded: BTreeSet<MigrationKey> =
            self.history(&mut |_| {}).await?.into_keys().collect();
        let loader = Loader::with_applied(migrations, &recorded)?;
        crate::drift::leaves(&loader)?;
        let mut applied = Vec::new();
        let mut report = |event: Event<'_>| {
            if let Event::Finished(step, _) = event {
                applied.push(step.key.clone());
            }
        };
        self.migrate(&loader, &Target::All, false, &mut report)
            .await?;
        Ok(applied)
    }
}

/// Opens a connection with the backend's driver, or says it is not compiled in.
async fn open(backend: Backend, url: &str) -> Result<sqlx::Result<DbConnection>> {
    use sqlx::Connection;
    Ok(match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => sqlx::SqliteConnection::connect(url)
            .await
            .map(DbConnection::new),
        #[cfg(feature = "postgres")]
        Backend::Postgres => sqlx::PgConnection::connect(url)
            .await
            .map(DbConnection::new),
        #[cfg(feature = "mysql")]
        Backend::Mysql => sqlx::MySqlConnection::connect(url)
            .await
            .map(DbConnection::new),
        #[allow(unreachable_patterns)]
        _ => {
            return Err(Error::NoDriver {
                backend: backend.name(),
            })
        }
    })
}

/// The backend a database URL names.
pub fn backend_of(url: &str) -> Result<Backend> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "mysql" | "mariadb" => Ok(Backend::Mysql),
        _ => Err(Error::UnsupportedUrl { url: redact(url) }),
    }
}

/// The URL with every credential replaced by `***`, for messages: the password of the user
/// info, and query parameters that carry a secret (`password`, `sslpassword`, `pass`,
/// `pwd`, `secret`, `token`, whatever their case).
pub fn redact(url: &str) -> String {
    // Without a scheme (a mistyped URL), the rest is read the same way.
    let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
    let (before_query, query) = rest
        .split_once('?')
        .map_or((rest, None), |(b, q)| (b, Some(q)));
    let (authority, path) = before_query
        .split_once('/')
        .map_or((before_query, None), |(a, p)| (a, Some(p)));
    let mut out = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => out.push_str(&format!("{user}:***@{host}")),
            None => out.push_str(&format!("{userinfo}@{host}")),
        },
        None => out.push_str(authority),
    }
    if let Some(path) = path {
        out.push('/');
        out.push_str(path);
    }
    if let Some(query) = query {
        let secret = |key: &str| {
            let key = key.to_ascii_lowercase();
            ["pass", "pwd", "secret", "token"]
                .iter()
                .any(|s| key.contains(s))
        };
        let params: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if secret(key) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// What the executor reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Another run holds this database's migration lock; this one waits for it.
    WaitingForLock,
    /// The migration just started continues where a stopped run left it: `done` of its
    /// `total` steps were done (the last of them perhaps only in part).
    Resumed {
        /// Steps done.
        done: usize,
        /// Steps in the migration.
        total: usize,
    },
    /// The migration just started is being taken back to where it was before a run the
    /// other way stopped part-way in it, after `done` of `total` steps.
    Reverting {
        /// Steps done.
        done: usize,
        /// Steps in the migration.
        total: usize,
    },
    /// A Rust operation that a stopped run was in runs again from its start: it keeps no
    /// progress of its own (MySQL).
    RustRerun,
    /// A migration is about to run.
    Started(&'a Step),
    /// A migration ran and was recorded (or unrecorded), in this time.
    Finished(&'a Step, Duration),
    /// Another run applied (or unapplied) it first.
    Skipped(&'a Step),
    /// An initial migration whose tables were already there was recorded without running
    /// (`--fake-initial`).
    Faked(&'a Step),
    /// A statement of a migration is about to be sent, as the schema editor (or a `RunSql`)
    /// wrote it; the run's own bookkeeping (history rows, savepoints, progress) is not
    /// reported, nor what a Rust operation runs.
    Sql(&'a str),
    /// A data migration's batches: `done` rows of `label` so far.
    Progress {
        /// What the batches are of.
        label: &'a str,
        /// Rows done so far.
        done: u64,
    },
}

pub(crate) type Report<'r> = dyn for<'e> FnMut(Event<'e>) + 'r;

/// A migration run over one connection: it locks, checks the history, plans and applies
/// (see [`Executor::migrate`]). [`Migrations::run`](crate::Migrations::run) drives one
/// over an application's pool.
pub struct Executor {
    session: Session,
    /// The session settings the run changed, as they were (SQLite's pragmas), restored by
    /// [`Executor::close`].
    restore: String,
    url: String,
    /// SQLite's open transaction of consecutive atomic migrations.
    group: sqlite::Group,
    /// On MySQL, the migrations that a stopped run left part-way, read under the lock.
    progress: BTreeMap<MigrationKey, Progress>,
    /// Applied migrations whose changed files the next run accepts.
    accepted: BTreeSet<MigrationKey>,
    /// Record initial migrations whose tables already exist instead of running them
    /// (`migrate --fake-initial`).
    fake_initial: bool,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("backend", &self.session.backend)
            .field("url", &redact(&self.url))
            .finish()
    }
}

impl Executor {
    /// Connects; an SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = backend_of(url)?;
        let mut full = url.to_owned();
        if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            full.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let conn = open(backend, &full)
            .await?
            .map_err(|source| Error::Database {
                context: format!("connecting to {}", redact(url)),
                source,
            })?;
        Executor::over(conn, url).await
    }

    /// Runs over a connection of the application's (a pool's, say); `name` is what a
    /// message calls the database.
    pub async fn over(mut conn: DbConnection, name: &str) -> Result<Self> {
        let backend = conn.backend().ok_or_else(|| Error::UnknownBackend {
            name: name.to_owned(),
            driver: conn.driver().to_owned(),
        })?;
        let mut restore = String::new();
        if backend == Backend::Sqlite {
            // What a pool's connection goes back to its pool with.
            for pragma in ["busy_timeout", "foreign_keys"] {
                let row = sqlx::query(&format!("PRAGMA {pragma}"))
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|source| Error::Database {
                        context: format!("reading PRAGMA {pragma}"),
                        source,
                    })?;
                let value: i64 = row.try_get(0).unwrap_or_default();
                restore.push_str(&format!("PRAGMA {pragma} = {value};\n"));
            }
            // A second run waits for the first one's transaction (which spans the run's
            // atomic migrations) instead of failing: up to an hour, as MySQL's lock does.
            exec(&mut conn, "PRAGMA busy_timeout = 3600000").await?;
        }
        Ok(Executor {
            restore,
            session: Session {
                conn,
                backend,
                queued: Vec::new(),
                history: None,
            },
            url: name.to_owned(),
            group: sqlite::Group::default(),
            progress: BTreeMap::new(),
            accepted: BTreeSet::new(),
            fake_initial: false,
        })
    }

    /// Closes the connection (a pool's goes back to its pool, with the settings it had).
    pub async fn close(mut self) -> Result<()> {
        if !self.restore.is_empty() {
            exec(&mut self.session.conn, &self.restore).await?;
        }
        self.session
            .conn
            .close()
            .await
            .map_err(|source| Error::Database {
                context: "closing the connection".into(),
                source,
            })
    }

    /// Gives the connection back, with the settings it had, to run over again later (a
    /// fleet's next schema, say).
    pub async fn release(mut self) -> Result<DbConnection> {
        if !self.restore.is_empty() {
            exec(&mut self.session.conn, &self.restore).await?;
        }
        Ok(self.session.conn)
    }

    /// Works in PostgreSQL schema `schema` from now on (its `search_path`): a tenant's
    /// history table, lock and tables are that schema's.
    pub async fn use_schema(&mut self, schema: &str) -> Result<()> {
        if self.session.backend != Backend::Postgres {
            return Err(Error::NoSchemas {
                schema: schema.to_owned(),
            });
        }
        let sql = format!(
            "SET search_path TO {}",
            schema::quote(Backend::Postgres, schema)
        );
        exec(&mut self.session.conn, &sql).await
    }

    /// The backend of the connection.
    pub fn backend(&self) -> Backend {
        self.session.backend
    }

    /// The migrations that a stopped run left part-way (MySQL keeps this; the others apply
    /// a migration in one transaction), read under the lock.
    pub async fn partial(&mut self) -> Result<BTreeMap<MigrationKey, Progress>> {
        if self.session.backend != Backend::Mysql {
            return Ok(BTreeMap::new());
        }
        self.lock(&mut |_| {}).await?;
        let progress = mysql::read_progress(&mut self.session.conn).await;
        let unlocked = self.unlock().await;
        let progress = progress?;
        unlocked?;
        Ok(progress)
    }

    /// The recorded migrations, for callers that hold the lock.
    async fn applied_locked(&mut self) -> Result<BTreeSet<MigrationKey>> {
        recorder::applied(&mut self.session.conn, self.session.backend).await
    }

    /// Plans against the current history, under the lock, and applies the plan.
    pub async fn migrate(
        &mut self,
        loader: &Loader,
        target: &Target,
        fake: bool,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Step>> {
        self.lock(report).await?;
        let ahead = RefCell::new(None);
        let result = if self.session.backend == Backend::Sqlite {
            // SQLite answers from sqlx's worker thread, one message per statement: wait for
            // it awake, rendering the next migrations meanwhile.
            let render_ahead = || {
                ahead
                    .try_borrow_mut()
                    .is_ok_and(|mut a| a.as_mut().is_some_and(Prerender::render_ahead))
            };
            let run = self.migrate_locked(loader, target, fake, &ahead, report);
            spin(run, render_ahead).await
        } else {
            self.migrate_locked(loader, target, fake, &ahead, report)
                .await
        };
        let unlocked = self.unlock().await;
        let steps = result?;
        unlocked?;
        Ok(steps)
    }

    async fn migrate_locked<'l>(
        &mut self,
        loader: &'l Loader,
        target: &Target,
        fake: bool,
        ahead: &RefCell<Option<Prerender<'l>>>,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Step>> {
        let (state, history) =
            recorder::history(&mut self.session.conn, self.session.backend).await?;
        let state = self.check_checksums(loader, &history, state).await?;
        let recorded: BTreeSet<MigrationKey> = history.into_keys().collect();
        let applied = loader.effective_applied(&recorded);
        check_history(loader, &applied)?;
        let backend = self.session.backend;
        if backend != Backend::Sqlite {
            self.session.history = Some(recorded);
        }
        if backend == Backend::Mysql {
            self.progress = mysql::read_progress(&mut self.session.conn).await?;
        }
        let steps = planner::plan(loader.graph(), &applied, target)?;
        check_reversible(loader, &steps)?;
        if !steps.is_empty() && backend != Backend::Sqlite {
            // Under the lock: PostgreSQL's `CREATE TABLE IF NOT EXISTS` is not safe against
            // a concurrent one. (SQLite creates it in the transaction of the first migration.)
            recorder::ensure_table(&mut self.session.conn, backend, state).await?;
            if backend == Backend::Mysql {
                mysql::ensure_progress_table(&mut self.session.conn).await?;
            }
        }
        if backend == Backend::Mysql && !fake {
            self.give_up_partial(loader, &applied, target, &steps, report)
                .await?;
        }
        // A fake run records the plan without SQL, so it needs no states either.
        if !fake {
            let states = PlanStates::new(loader, &applied, &steps)?;
            *ahead.borrow_mut() = Some(Prerender::new(backend, loader, states, &steps));
        }
        // What the database has before the run, for `--fake-initial`.
        let live = match self.fake_initial && !fake {
            true => Some(self.live_schema().await?),
            false => None,
        };
        let mut done = applied.clone();
        let mut outcome = Ok(());
        for step in &steps {
            let m = loader.get(&step.key).expect("planned from the graph");
            report(Event::Started(step));
            let started = Instant::now();
            // The borrow ends here: while `run` waits, the spin renders ahead through the cell.
            let mut ops = ahead.borrow_mut().as_mut().map(Prerender::next).transpose();
            let mut faked = false;
            if step.direction == Direction::Forwards {
                done.insert(step.key.clone());
                if let Some(live) = live.as_ref().filter(|_| m.initial) {
                    match already_there(loader, m, &done, live, backend) {
                        // Its tables exist as described: record it, run nothing.
                        Ok(true) => {
                            faked = true;
                            ops = Ok(None);
                        }
                        Ok(false) => {}
                        Err(e) => ops = Err(e),
                    }
                }
            }
            let ran = match ops {
                Ok(ops) => self.run(m, ops, step.direction, report).await,
                Err(e) => Err(e),
            };
            match ran {
                Ok(true) if faked => report(Event::Faked(step)),
                Ok(true) => report(Event::Finished(step, started.elapsed())),
                Ok(false) => report(Event::Skipped(step)),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // After a failure too: the migrations before the refused one stay applied.
        let committed = self.group.commit(&mut self.session).await;
        self.session.history = None;
        outcome?;
        committed?;
        self.check_replacements(loader).await?;
        Ok(steps)
    }

    /// Refuses to go on while an applied migration's file differs from what was applied
    /// (unless accepted with [`Executor::accept_changed`]); records the checksums of the
    /// accepted ones and of rows from before checksums were kept (upgrading the history
    /// table, found as `state`, first). Returns the table's state after.
    async fn check_checksums(
        &mut self,
        loader: &Loader,
        history: &BTreeMap<MigrationKey, Option<String>>,
        state: recorder::TableState,
    ) -> Result<recorder::TableState> {
        let verification = crate::checksum::verify(loader, history);
        let refused: Vec<String> = verification
            .changed
            .iter()
            .filter(|c| !self.accepted.contains(&c.key))
            .map(|c| format!("{}: {}", c.key, c.differences.join("; ")))
            .collect();
        if !refused.is_empty() {
            return Err(Error::ChangedMigrations { changed: refused });
        }
        let to_record: Vec<&MigrationKey> = verification
            .unverified
            .iter()
            .chain(self.accepted.iter().filter(|k| history.contains_key(*k)))
            .collect();
        if to_record.is_empty() {
            return Ok(state);
        }
        let (conn, backend) = (&mut self.session.conn, self.session.backend);
        recorder::ensure_table(conn, backend, state).await?;
        for key in to_record {
            if let Some(m) = loader.get(key) {
                recorder::set_checksum(conn, backend, key, &crate::checksum::checksum(m)).await?;
            }
        }
        Ok(recorder::TableState::Current)
    }

    /// The applied migrations whose files changed since and that the next `migrate` may
    /// run past: their checksums are recorded anew (`migrate --accept-changed`).
    pub fn accept_changed(&mut self, keys: impl IntoIterator<Item = MigrationKey>) {
        self.accepted.extend(keys);
    }

    /// Record each initial migration whose tables (and the columns it adds) all exist
    /// already, instead of running it, as Django's `migrate --fake-initial`; one whose
    /// tables partly exist is refused, naming what is missing.
    pub fn fake_initial(&mut self) {
        self.fake_initial = true;
    }

    /// The schema the database really has, from its catalog (see [`LiveSchema`]).
    pub async fn live_schema(&mut self) -> Result<LiveSchema> {
        Ok(LiveSchema::of_catalog(&self.catalog().await?))
    }

    /// The first column of each row of a query of the user's, as text (a fleet's
    /// `--schemas-query`).
    pub async fn query_texts(&mut self, sql: &str) -> Result<Vec<String>> {
        catalog::first_column(&mut self.session.conn, sql).await
    }

    /// The applied migrations of each of `schemas` of this PostgreSQL database, in two
    /// queries whatever their number: which have a history table, then all their rows at
    /// once. A schema without one has none applied.
    pub async fn schema_histories(
        &mut self,
        schemas: &[String],
    ) -> Result<BTreeMap<String, BTreeSet<MigrationKey>>> {
        recorder::schema_histories(&mut self.session.conn, schemas).await
    }

    /// The server's version and the size of each table, which `lint` judges by.
    pub async fn server(&mut self) -> Result<crate::lint::Server> {
        catalog::server(&mut self.session.conn, self.session.backend).await
    }

    /// Everything the database's catalog says of its tables (see [`Catalog`]), what
    /// `inspectdb` reads.
    pub async fn catalog(&mut self) -> Result<Catalog> {
        catalog::read(&mut self.session.conn, self.session.backend).await
    }

    /// The recorded migrations, read without taking the run's lock (for a check that
    /// changes nothing, such as `makemigrations`'): none when there is no history table.
    pub async fn applied(&mut self) -> Result<BTreeSet<MigrationKey>> {
        recorder::applied(&mut self.session.conn, self.session.backend).await
    }

    /// The recorded migrations with their checksums, read under the lock (`report` hears if
    /// it has to wait).
    pub async fn history(
        &mut self,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<BTreeMap<MigrationKey, Option<String>>> {
        self.lock(report).await?;
        let history = recorder::history(&mut self.session.conn, self.session.backend).await;
        let unlocked = self.unlock().await;
        let history = history?.1;
        unlocked?;
        Ok(history)
    }

    /// On MySQL, before the plan runs: takes each migration that a run left part-way and
    /// that this plan does not continue back to where it was, when the plan needs that (the
    /// target is in its app, or the plan moves a migration it depends on, or that depends on
    /// it), and first of all continues a give-up that was itself stopped.
    async fn give_up_partial(
        &mut self,
        loader: &Loader,
        applied: &BTreeSet<MigrationKey>,
        target: &Target,
        steps: &[Step],
        report: &mut Report<'_>,
    ) -> Result<()> {
        let partial: Vec<(MigrationKey, Progress)> = self
            .progress
            .iter()
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        for (key, p) in partial {
            let Some(m) = loader.get(&key) else {
                continue;
            };
            let continued = steps
                .iter()
                .any(|s| s.key == key && (s.direction == Direction::Forwards) == p.forwards);
            let needed = p.reverting.is_some()
                || (!continued && plan_needs_it_whole(loader, target, steps, &key));
            if !needed {
                continue;
            }
            // The state before `m`: what is applied, without `m` itself.
            let mut before = ProjectState::new();
            for k in loader.graph().topological_order() {
                if applied.contains(k) && *k != key {
                    apply(loader.get(k).expect("in the graph"), &mut before)?;
                }
            }
            // A give-up goes against the stopped run (its own row says its direction).
            let forwards = p.forwards == p.reverting.is_some();
            let step = Step {
                key: key.clone(),
                direction: if forwards {
                    Direction::Forwards
                } else {
                    Direction::Backwards
                },
            };
            report(Event::Started(&step));
            let started = Instant::now();
            mysql::give_up(&mut self.session, m, &before, &p, report).await?;
            report(Event::Finished(&step, started.elapsed()));
            self.progress.remove(&key);
        }
        Ok(())
    }

    /// Records a squashed migration once every migration it replaces is applied, so later
    /// runs use it (Django's `check_replacements`).
    async fn check_replacements(&mut self, loader: &Loader) -> Result<()> {
        if loader.replacements().is_empty() {
            return Ok(());
        }
        let recorded = self.applied_locked().await?;
        for (squashed, replaced) in loader.replacements() {
            if !recorded.contains(squashed) && replaced.iter().all(|r| recorded.contains(r)) {
                let checksum = loader.get(squashed).map(crate::checksum::checksum);
                recorder::record(
                    &mut self.session.conn,
                    self.session.backend,
                    squashed,
                    checksum.as_deref(),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Deletes the history rows of migrations whose files are gone and that a squashed
    /// migration replaces (`migrate --prune`). Returns what was pruned.
    pub async fn prune(
        &mut self,
        loader: &Loader,
        files: &BTreeSet<MigrationKey>,
    ) -> Result<Vec<MigrationKey>> {
        self.lock(&mut |_| {}).await?;
        let result = self.prune_locked(loader, files).await;
        let unlocked = self.unlock().await;
        let pruned = result?;
        unlocked?;
        Ok(pruned)
    }

    async fn prune_locked(
        &mut self,
        loader: &Loader,
        files: &BTreeSet<MigrationKey>,
    ) -> Result<Vec<MigrationKey>> {
        let recorded = self.applied_locked().await?;
        let mut pruned = Vec::new();
        for replaced in loader.replacements().values().flatten() {
            if recorded.contains(replaced) && !files.contains(replaced) {
                recorder::unrecord(&mut self.session.conn, self.session.backend, replaced).await?;
                pruned.push(replaced.clone());
            }
        }
        Ok(pruned)
    }

    /// Takes the run's lock, telling `report` first when another run holds it.
    async fn lock(&mut self, report: &mut Report<'_>) -> Result<()> {
        let (try_lock, wait) = match self.session.backend {
            Backend::Postgres => postgres::lock_queries(),
            Backend::Mysql => mysql::lock_queries(),
            // SQLite: the migrations run in an immediate transaction, which is the lock.
            Backend::Sqlite => return Ok(()),
        };
        if self.lock_query(&try_lock).await? == 1 {
            return Ok(());
        }
        report(Event::WaitingForLock);
        if self.lock_query(&wait).await? == 1 {
            Ok(())
        } else {
            Err(Error::Locked)
        }
    }

    async fn lock_query(&mut self, sql: &str) -> Result<i64> {
        let row = sqlx::query(sql)
            .fetch_one(&mut self.session.conn)
            .await
            .map_err(|source| Error::Database {
                context: "taking the migration lock".into(),
                source,
            })?;
        Ok(row
            .try_get::<i64, _>(0)
            .or_else(|_| row.try_get::<i32, _>(0).map(i64::from))
            .unwrap_or(0))
    }

    async fn unlock(&mut self) -> Result<()> {
        let sql = match self.session.backend {
            Backend::Postgres => postgres::unlock_query(),
            Backend::Mysql => mysql::unlock_query(),
            Backend::Sqlite => return Ok(()),
        };
        exec(&mut self.session.conn, &sql).await
    }

    /// Runs one migration in one direction through its backend's strategy: its rendered
    /// operations, or none when faked. Returns `false` when another run got there first.
    async fn run(
        &mut self,
        m: &Migration,
        ops: Option<Vec<RenderedOp>>,
        direction: Direction,
        report: &mut Report<'_>,
    ) -> Result<bool> {
        let forwards = direction == Direction::Forwards;
        let s = &mut self.session;
        match s.backend {
            Backend::Sqlite => self.group.run(s, m, ops, forwards, report).await,
            Backend::Postgres => postgres::run(s, m, ops, forwards, report).await,
            Backend::Mysql => {
                let progress = self.progress.remove(&m.key());
                mysql::run(s, m, ops, forwards, progress.as_ref(), report).await
            }
        }
    }
}

/// Whether the initial migration `m` is already in the database `live` (whose history
/// will be `done` once it is recorded): every table it creates, with its columns, and every
/// column it adds. `Ok(false)` when none of it is there; an error when only part is.
fn already_there(
    loader: &Loader,
    m: &Migration,
    done: &BTreeSet<MigrationKey>,
    live: &LiveSchema,
    backend: Backend,
) -> Result<bool> {
    use crate::operations::Operation;
    let after = loader.state_of(done)?;
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for op in &m.operations {
        let (model, only) = match op {
            Operation::CreateModel(c) => (&c.name, None),
            Operation::AddField(a) => (&a.model, Some(&a.field)),
            _ => continue,
        };
        let key = crate::state::ModelKey::new(m.app.clone(), model.clone());
        let Some(state) = after.model(&key).filter(|s| s.managed) else {
            continue;
        };
        let mut tables = Vec::new();
        after.model_tables(Some(backend), state, &mut tables)?;
        for table in tables {
            let columns = match (only, &table.m2m_field) {
                (None, _) => table.columns.iter().map(|c| c.name.clone()).collect(),
                (Some(f), Some(m2m)) if *m2m == *f.name => {
                    table.columns.iter().map(|c| c.name.clone()).collect()
                }
                (Some(f), None) if f.ty.has_column() => vec![f.column.to_string()],
                _ => continue,
            };
            wanted.push((table.name, columns));
        }
    }
    let mut present = Vec::new();
    let mut missing = Vec::new();
    let mut any = false;
    for (table, columns) in &wanted {
        match live.tables.get(table) {
            Some(t) => {
                any = true;
                let absent: Vec<&String> = columns
                    .iter()
                    .filter(|c| !t.columns.contains_key(*c))
                    .collect();
                if absent.is_empty() {
                    present.push(table.clone());
                } else {
                    let absent: Vec<&str> = absent.iter().map(|c| c.as_str()).collect();
                    missing.push(format!("{table} lacks {}", absent.join(", ")));
                }
            }
            None => missing.push(format!("{table} does not exist")),
        }
    }
    match (any, missing.is_empty()) {
        (false, _) => Ok(false),
        (true, true) => Ok(true),
        (true, false) => Err(Error::FakeInitial {
            migration: m.key().to_string(),
            present: match present.is_empty() {
                true => "some of its tables".to_owned(),
                false => present.join(", "),
            },
            missing: missing.join("; "),
        }),
    }
}

async fn exec(conn: &mut DbConnection, sql: &str) -> Result<()> {
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(|source| Error::Database {
            context: format!("running `{sql}`"),
            source,
        })
}

/// Whether a plan that does not continue the partial migration `key` needs it whole again
/// (as it was before the stopped run): the target names its app, or the plan moves one of
/// its ancestors or descendants. Otherwise it stays as it is, for a later run to continue.
fn plan_needs_it_whole(
    loader: &Loader,
    target: &Target,
    steps: &[Step],
    key: &MigrationKey,
) -> bool {
    let same_app = match target {
        Target::All => true,
        Target::App(app) | Target::Zero(app) => *app == *key.app,
        Target::Migration(k) => k.app == key.app,
    };
    if same_app {
        return true;
    }
    let related = |up: bool| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![key];
        while let Some(k) = stack.pop() {
            let next: Vec<&MigrationKey> = if up {
                loader.graph().parents(k).collect()
            } else {
                loader.graph().children(k).collect()
            };
            for n in next {
                if seen.insert(n.clone()) {
                    stack.push(n);
                }
            }
        }
        seen
    };
    let (ancestors, descendants) = (related(true), related(false));
    steps
        .iter()
        .any(|s| ancestors.contains(&s.key) || descendants.contains(&s.key))
}

/// An applied migration whose dependency is not applied means the history table and the
/// migration files disagree.
pub fn check_history(loader: &Loader, applied: &BTreeSet<MigrationKey>) -> Result<()> {
    for key in applied {
        if !loader.graph().contains(key) {
            continue;
        }
        if let Some(parent) = loader.graph().parents(key).find(|p| !applied.contains(*p)) {
            return Err(Error::InconsistentHistory {
                migration: key.to_string(),
                dependency: parent.to_string(),
            });
        }
    }
    Ok(())
}

/// A backwards plan through an operation without a reverse fails before anything runs.
fn check_reversible(loader: &Loader, steps: &[Step]) -> Result<()> {
    for step in steps.iter().filter(|s| s.direction == Direction::Backwards) {
        let m = loader.get(&step.key).expect("planned from the graph");
        if let Some(op) = m.operations.iter().find(|op| !op.reversible()) {
            return Err(Error::Irreversible {
                migration: step.key.to_string(),
                operation: op.describe(),
            });
        }
    }
    Ok(())
}

/// The state before each planned migration, in plan order. Forwards: the applied migrations
/// replayed, then each planned one applied after it ran, so that a plan holds one state at a
/// time however long it is. Backwards: the applied migrations replayed in graph order,
/// keeping the state before each one to unapply (as Django does).
#[derive(Debug)]
pub struct PlanStates<'l> {
    loader: &'l Loader,
    /// After the applied migrations and the forwards steps so far.
    forwards: ProjectState,
    backwards: BTreeMap<MigrationKey, ProjectState>,
}

impl<'l> PlanStates<'l> {
    /// The states for `steps`, given what is `applied`.
    pub fn new(
        loader: &'l Loader,
        applied: &BTreeSet<MigrationKey>,
        steps: &[Step],
    ) -> Result<Self> {
        let unapplying: BTreeSet<&MigrationKey> = steps
            .iter()
            .filter(|s| s.direction == Direction::Backwards)
            .map(|s| &s.key)
            .collect();
        let mut state = ProjectState::new();
        let mut backwards = BTreeMap::new();
        for key in loader.graph().topological_order() {
            if applied.contains(key) {
                if unapplying.contains(key) {
                    backwards.insert(key.clone(), state.clone());
                }
                apply(loader.get(key).expect("in the graph"), &mut state)?;
            }
        }
        Ok(PlanStates {
            loader,
            forwards: state,
            backwards,
        })
    }

    /// The state before `step`, which must be the next step of the plan.
    pub fn before(&self, step: &Step) -> &ProjectState {
        match step.direction {
            Direction::Forwards => &self.forwards,
            Direction::Backwards => &self.backwards[&step.key],
        }
    }

    /// Moves past `step`.
    pub fn advance(&mut self, step: &Step) -> Result<()> {
        match step.direction {
            Direction::Forwards => apply(
                self.loader.get(&step.key).expect("in the graph"),
                &mut self.forwards,
            ),
            Direction::Backwards => {
                self.backwards.remove(&step.key);
                Ok(())
            }
        }
    }
}

/// The planned migrations' operations, rendered in plan order: when asked for, or ahead of
/// that (two at most) while the database works on the migration before.
#[derive(Debug)]
struct Prerender<'l> {
    backend: Backend,
    loader: &'l Loader,
    states: PlanStates<'l>,
    unrendered: VecDeque<Step>,
    rendered: VecDeque<Result<Vec<RenderedOp>>>,
}

impl<'l> Prerender<'l> {
    fn new(backend: Backend, loader: &'l Loader, states: PlanStates<'l>, steps: &[Step]) -> Self {
        Prerender {
            backend,
            loader,
            states,
            unrendered: steps.iter().cloned().collect(),
            rendered: VecDeque::new(),
        }
    }

    /// Renders one more migration; `false` when none is left or two already wait.
    fn render_ahead(&mut self) -> bool {
        if self.rendered.len() >= 2 {
            return false;
        }
        let Some(step) = self.unrendered.pop_front() else {
            return false;
        };
        let m = self.loader.get(&step.key).expect("planned from the graph");
        let backwards = step.direction == Direction::Backwards;
        let rendered =
            schema::render_migration(self.backend, m, self.states.before(&step), backwards)
                .and_then(|ops| self.states.advance(&step).map(|()| ops));
        if rendered.is_err() {
            // The run stops at this migration.
            self.unrendered.clear();
        }
        self.rendered.push_back(rendered);
        true
    }

    /// The operations of the next planned migration.
    fn next(&mut self) -> Result<Vec<RenderedOp>> {
        if self.rendered.is_empty() {
            self.render_ahead();
        }
        self.rendered
            .pop_front()
            .expect("asked once per planned migration, never past a failed one")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/shop"),
            "postgres://app:***@db:5432/shop"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(redact("sqlite://db.sqlite3"), "sqlite://db.sqlite3");
        assert_eq!(
            redact("postgres://u:S3cr3t@h:5432/db?password=S3cr3t&sslmode=require&SSLPassword=k"),
            "postgres://u:***@h:5432/db?password=***&sslmode=require&SSLPassword=***"
        );
        assert_eq!(redact("mysql://h?user=a&pwd=b"), "mysql://h?user=a&pwd=***");
        assert_eq!(redact("u:p@ss@h/db"), "u:***@h/db");
    }

    #[test]
    fn the_url_names_the_backend() {
        assert_eq!(backend_of("postgresql://x/y").unwrap(), Backend::Postgres);
        assert_eq!(backend_of("mariadb://x/y").unwrap(), Backend::Mysql);
        assert_eq!(
            backend_of("oracle://u:pw@x/y").unwrap_err().to_string(),
            "unsupported database URL oracle://u:***@x/y; use sqlite://, postgres:// or mysql://"
        );
    }
}
