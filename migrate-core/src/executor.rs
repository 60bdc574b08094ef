//! Applies a plan to a database: one lock for the run (an advisory lock on PostgreSQL,
//! `GET_LOCK` on MySQL, the immediate transaction on SQLite), then one transaction per
//! migration unless it is not atomic, with the history recorded in the same transaction.
//! On SQLite, consecutive atomic migrations share one transaction, each under a savepoint:
//! a commit costs a few fsyncs there, more than most migrations' statements. A refused
//! migration is rolled back to its savepoint and the ones before it are committed, so what
//! stays applied is what one transaction per migration would leave. MySQL cannot roll DDL
//! back, so there a migration is recorded only after all of it ran, and an error says what
//! stayed applied.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Connection, Row};

use crate::error::{Error, Result};
use crate::loader::{apply, Loader};
use crate::migration::{Migration, MigrationKey};
use crate::operations::{Operation, RunRust};
use crate::planner::{self, Direction, Step, Target};
use crate::recorder;
use crate::schema::{self, Backend, RenderedOp};
use crate::spin::spin;
use crate::state::ModelRef;
use crate::state::ProjectState;

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

#[cfg(test)]
mod redact_tests {
    use super::redact;

    #[test]
    fn every_credential_is_hidden() {
        assert_eq!(
            redact("postgres://u:S3cr3t@h:5432/db?password=S3cr3t&sslmode=require&SSLPassword=k"),
            "postgres://u:***@h:5432/db?password=***&sslmode=require&SSLPassword=***"
        );
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("mysql://h?user=a&pwd=b"), "mysql://h?user=a&pwd=***");
        assert_eq!(redact("sqlite://db.sqlite3"), "sqlite://db.sqlite3");
        assert_eq!(redact("u:p@h/db"), "u:***@h/db");
    }
}

/// The PostgreSQL advisory lock of a run. Advisory locks belong to one database, so runs
/// on other databases of the server do not wait for it.
const PG_LOCK: i64 = 7268519846528373;

/// The MySQL lock of a run: `GET_LOCK` names are server-wide, so the name is made from the
/// database and the history table (hashed: a name may have 64 characters at most).
const MYSQL_LOCK: &str =
    "CONCAT('migrate:', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', 'migrate_migrations')))";

/// What the executor reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Another run holds this database's migration lock; this one waits for it.
    WaitingForLock,
    Started(&'a Step),
    Finished(&'a Step, Duration),
    /// Another run applied (or unapplied) it first.
    Skipped(&'a Step),
    /// A data migration's batches: `done` rows of `label` so far.
    Progress {
        label: &'a str,
        done: u64,
    },
}

type Report<'r> = dyn for<'e> FnMut(Event<'e>) + 'r;

/// What a Rust data migration works with: the connection, inside the migration's
/// transaction when it is atomic, and the schema as it was at this point of the history
/// (table and column names as they were then, not as the models are today).
pub struct RunContext<'a> {
    conn: &'a mut AnyConnection,
    backend: Backend,
    state: &'a ProjectState,
    app: &'a str,
    atomic: bool,
    report: &'a mut Report<'a>,
}

impl std::fmt::Debug for RunContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("backend", &self.backend)
            .field("app", &self.app)
            .field("atomic", &self.atomic)
            .finish()
    }
}

impl RunContext<'_> {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The historical schema.
    pub fn state(&self) -> &ProjectState {
        self.state
    }

    /// The connection, for queries with bound parameters (`sqlx::query(…).bind(…)`).
    pub fn connection(&mut self) -> &mut AnyConnection {
        self.conn
    }

    fn model(&self, model: &str) -> Result<&crate::state::ModelState> {
        let from = crate::state::ModelKey::new(self.app.to_owned(), String::new());
        let key = self
            .state
            .resolve(&from, "(data migration)", &ModelRef::parse(model))
            .map_err(|_| Error::NotInHistory {
                what: format!("model {model}"),
            })?;
        Ok(self.state.model(&key).expect("resolved keys exist"))
    }

    /// The table of `Model` (of this migration's app) or `app.Model`, as it was then.
    pub fn table(&self, model: &str) -> Result<String> {
        Ok(self.model(model)?.table.to_string())
    }

    /// The column of a field, as it was then.
    pub fn column(&self, model: &str, field: &str) -> Result<String> {
        let m = self.model(model)?;
        m.field(field)
            .map(|f| f.column.to_string())
            .ok_or_else(|| Error::NotInHistory {
                what: format!("field {model}.{field}"),
            })
    }

    /// An identifier quoted for this backend.
    pub fn quote(&self, ident: &str) -> String {
        schema::quote(self.backend, ident)
    }

    /// The `n`th bind placeholder (from 1): `$n` on PostgreSQL, `?` elsewhere.
    pub fn placeholder(&self, n: usize) -> String {
        match self.backend {
            Backend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    }

    /// Runs SQL without parameters (several statements allowed); returns the rows affected.
    pub async fn execute(&mut self, sql: &str) -> Result<u64> {
        sqlx::raw_sql(sql)
            .execute(&mut *self.conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(|source| Error::Database {
                context: format!("data migration statement `{sql}`"),
                source,
            })
    }

    /// The rows of `Model` in primary-key order, `size` at a time.
    pub fn batches(&self, model: &str, size: usize) -> Result<Batches> {
        let m = self.model(model)?;
        let pk = m.primary_key().ok_or_else(|| Error::NotInHistory {
            what: format!("primary key of {model}"),
        })?;
        let sql = format!(
            "SELECT * FROM {} ORDER BY {}",
            self.quote(&m.table),
            self.quote(&pk.column)
        );
        Ok(Batches::new(sql, m.table.to_string(), size))
    }
}

/// Rows in batches, from a query with a deterministic `ORDER BY`. When the migration is
/// not atomic, each batch is its own transaction, so a long data migration neither holds
/// one huge transaction nor loses finished batches; progress is reported as it goes.
#[derive(Debug)]
pub struct Batches {
    sql: String,
    label: String,
    size: usize,
    done: u64,
    in_transaction: bool,
}

impl Batches {
    pub fn new(sql: String, label: String, size: usize) -> Self {
        Batches {
            sql,
            label,
            size: size.max(1),
            done: 0,
            in_transaction: false,
        }
    }

    /// The next batch, or `None` when all rows were seen. Work done on a batch before
    /// asking for the next one is committed with it when the migration is not atomic.
    pub async fn next(
        &mut self,
        cx: &mut RunContext<'_>,
    ) -> Result<Option<Vec<sqlx::any::AnyRow>>> {
        if !cx.atomic && self.in_transaction {
            exec(cx.conn, "COMMIT").await?;
            self.in_transaction = false;
        }
        let page = format!("{} LIMIT {} OFFSET {}", self.sql, self.size, self.done);
        let rows = sqlx::query(&page)
            .fetch_all(&mut *cx.conn)
            .await
            .map_err(|source| Error::Database {
                context: format!("reading a batch of {}", self.label),
                source,
            })?;
        if rows.is_empty() {
            return Ok(None);
        }
        if !cx.atomic {
            exec(cx.conn, "BEGIN").await?;
            self.in_transaction = true;
        }
        self.done += rows.len() as u64;
        (cx.report)(Event::Progress {
            label: &self.label,
            done: self.done,
        });
        Ok(Some(rows))
    }
}

pub struct Executor {
    conn: AnyConnection,
    backend: Backend,
    url: String,
    /// On SQLite, the migrations run in the open transaction; `None` when none is open.
    group: Option<Vec<MigrationKey>>,
    /// Statements that need no answer (savepoints, history rows), waiting to go in front of
    /// the next SQL sent: a round trip to SQLite's worker thread costs more than most
    /// statements.
    queued: Vec<Cow<'static, str>>,
    /// The history table's rows while this run holds what keeps other runs from changing
    /// them (the lock on PostgreSQL and MySQL, the open transaction on SQLite), kept up to
    /// date as it records: one query instead of one per migration.
    history: Option<BTreeSet<MigrationKey>>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("backend", &self.backend)
            .field("url", &redact(&self.url))
            .finish()
    }
}

impl Executor {
    /// Connects; an SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = backend_of(url)?;
        sqlx::any::install_default_drivers();
        let mut full = url.to_owned();
        if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            full.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let mut conn = AnyConnection::connect(&full)
            .await
            .map_err(|source| Error::Database {
                context: format!("connecting to {}", redact(url)),
                source,
            })?;
        if backend == Backend::Sqlite {
            // A second run waits for the first one's transaction (which spans the run's
            // atomic migrations) instead of failing: up to an hour, as MySQL's lock does.
            exec(&mut conn, "PRAGMA busy_timeout = 3600000").await?;
        }
        Ok(Executor {
            conn,
            backend,
            url: url.to_owned(),
            group: None,
            queued: Vec::new(),
            history: None,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The recorded migrations, read under the lock (`report` hears if it has to wait).
    pub async fn applied(
        &mut self,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<BTreeSet<MigrationKey>> {
        self.lock(report).await?;
        let applied = recorder::applied(&mut self.conn, self.backend).await;
        let unlocked = self.unlock().await;
        let applied = applied?;
        unlocked?;
        Ok(applied)
    }

    /// The recorded migrations, for callers that hold the lock.
    async fn applied_locked(&mut self) -> Result<BTreeSet<MigrationKey>> {
        recorder::applied(&mut self.conn, self.backend).await
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
        let result = if self.backend == Backend::Sqlite {
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
        let recorded = self.applied_locked().await?;
        let applied = loader.effective_applied(&recorded);
        check_history(loader, &applied)?;
        if self.backend != Backend::Sqlite {
            self.history = Some(recorded);
        }
        let steps = planner::plan(loader.graph(), &applied, target)?;
        check_reversible(loader, &steps)?;
        if !steps.is_empty() && self.backend != Backend::Sqlite {
            // Under the lock: PostgreSQL's `CREATE TABLE IF NOT EXISTS` is not safe against
            // a concurrent one. (SQLite creates it in the transaction of the first migration.)
            recorder::ensure_table(&mut self.conn, self.backend).await?;
        }
        // A fake run records the plan without SQL, so it needs no states either.
        if !fake {
            let states = PlanStates::new(loader, &applied, &steps)?;
            *ahead.borrow_mut() = Some(Prerender::new(self.backend, loader, states, &steps));
        }
        let mut outcome = Ok(());
        for step in &steps {
            let m = loader.get(&step.key).expect("planned from the graph");
            report(Event::Started(step));
            let started = Instant::now();
            // The borrow ends here: while `run` waits, the spin renders ahead through the cell.
            let ops = ahead.borrow_mut().as_mut().map(Prerender::next).transpose();
            let ran = match ops {
                Ok(ops) => self.run(m, ops, step.direction, report).await,
                Err(e) => Err(e),
            };
            match ran {
                Ok(true) => report(Event::Finished(step, started.elapsed())),
                Ok(false) => report(Event::Skipped(step)),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // After a failure too: the migrations before the refused one stay applied.
        let committed = self.commit_group().await;
        self.history = None;
        outcome?;
        committed?;
        self.check_replacements(loader).await?;
        Ok(steps)
    }

    /// Records a squashed migration once every migration it replaces is applied, so later
    /// runs use it (Django's `check_replacements`).
    async fn check_replacements(&mut self, loader: &Loader) -> Result<()> {
        let recorded = self.applied_locked().await?;
        for (squashed, replaced) in loader.replacements() {
            if !recorded.contains(squashed) && replaced.iter().all(|r| recorded.contains(r)) {
                recorder::record(&mut self.conn, self.backend, squashed).await?;
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
                recorder::unrecord(&mut self.conn, self.backend, replaced).await?;
                pruned.push(replaced.clone());
            }
        }
        Ok(pruned)
    }

    /// Takes the run's lock, telling `report` first when another run holds it.
    async fn lock(&mut self, report: &mut Report<'_>) -> Result<()> {
        let (try_lock, wait) = match self.backend {
            Backend::Postgres => (
                format!("SELECT CAST(pg_try_advisory_lock({PG_LOCK}) AS integer)"),
                format!("SELECT 1 FROM (SELECT pg_advisory_lock({PG_LOCK})) AS l"),
            ),
            Backend::Mysql => (
                format!("SELECT GET_LOCK({MYSQL_LOCK}, 0)"),
                format!("SELECT GET_LOCK({MYSQL_LOCK}, 3600)"),
            ),
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
            .fetch_one(&mut self.conn)
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
        match self.backend {
            Backend::Postgres => {
                exec(
                    &mut self.conn,
                    &format!("SELECT pg_advisory_unlock({PG_LOCK})"),
                )
                .await
            }
            Backend::Mysql => {
                exec(
                    &mut self.conn,
                    &format!("SELECT RELEASE_LOCK({MYSQL_LOCK})"),
                )
                .await
            }
            Backend::Sqlite => Ok(()),
        }
    }

    /// Whether `m` runs in a transaction: atomic, on a database whose DDL is transactional.
    fn transactional(&self, m: &Migration) -> bool {
        m.atomic && self.backend != Backend::Mysql
    }

    /// Runs one migration in one direction: its rendered operations, or none when faked.
    /// Returns `false` when another run got there first.
    async fn run(
        &mut self,
        m: &Migration,
        ops: Option<Vec<RenderedOp>>,
        direction: Direction,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<bool> {
        let key = m.key();
        let transactional = self.transactional(m);
        if transactional && self.backend == Backend::Sqlite {
            return self.run_grouped(m, key, ops, direction, report).await;
        }
        self.commit_group().await?;
        if self.backend == Backend::Sqlite {
            // Not atomic here, so outside a transaction.
            recorder::ensure_table(&mut self.conn, self.backend).await?;
            // Table rebuilds drop tables that others point at; without this the drop would
            // cascade. Checked again with `foreign_key_check` before commit.
            exec(&mut self.conn, "PRAGMA foreign_keys = OFF").await?;
        }
        if transactional {
            exec(&mut self.conn, "BEGIN").await?;
        }
        let result = self.run_in(m, &key, ops, direction, report).await;
        let result = match result {
            Ok(true) if transactional => exec(&mut self.conn, "COMMIT").await.map(|()| true),
            Ok(false) if transactional => exec(&mut self.conn, "ROLLBACK").await.map(|()| false),
            Ok(done) => Ok(done),
            Err(e) => {
                if transactional {
                    let _ = exec(&mut self.conn, "ROLLBACK").await;
                }
                Err(e)
            }
        };
        if self.backend == Backend::Sqlite {
            exec(&mut self.conn, "PRAGMA foreign_keys = ON").await?;
        }
        result
    }

    /// Runs an atomic migration on SQLite in the open transaction (opened if none is),
    /// under a savepoint that a failure rolls back to.
    async fn run_grouped(
        &mut self,
        m: &Migration,
        key: MigrationKey,
        ops: Option<Vec<RenderedOp>>,
        direction: Direction,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<bool> {
        if self.group.is_none() {
            // Table rebuilds drop tables that others point at; without this the drop would
            // cascade. Checked with `foreign_key_check` after each migration. (The pragma
            // is a no-op inside a transaction, so it comes first.)
            exec(&mut self.conn, "PRAGMA foreign_keys = OFF").await?;
            // Immediate: the write lock is taken now, so a second run waits here, before it
            // checks what is applied.
            exec(&mut self.conn, "BEGIN IMMEDIATE").await?;
            self.group = Some(Vec::new());
            recorder::ensure_table(&mut self.conn, self.backend).await?;
            // Read again under the write lock: another run may have gone first.
            self.history = Some(recorder::applied(&mut self.conn, self.backend).await?);
        }
        self.queued.push(SAVEPOINT.into());
        match self.run_in(m, &key, ops, direction, report).await {
            Ok(done) => {
                self.queued.push(RELEASE.into());
                if let (true, Some(group)) = (done, &mut self.group) {
                    group.push(key);
                }
                Ok(done)
            }
            // It failed before sending anything: the savepoint was never opened.
            Err(e) if self.queued.last().is_some_and(|q| q == SAVEPOINT) => {
                self.queued.pop();
                Err(e)
            }
            Err(e) => {
                let _ = exec(&mut self.conn, "ROLLBACK TO SAVEPOINT migrate_migration").await;
                let _ = exec(&mut self.conn, RELEASE).await;
                Err(e)
            }
        }
    }

    /// Commits the open SQLite transaction, if any. If the commit fails, none of its
    /// migrations is applied, and the error names them.
    async fn commit_group(&mut self) -> Result<()> {
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        self.history = None;
        // COMMIT releases the savepoints still open.
        self.queued.clear();
        let committed = exec(&mut self.conn, "COMMIT").await;
        if committed.is_err() {
            // A refused COMMIT can leave the transaction open.
            let _ = exec(&mut self.conn, "ROLLBACK").await;
        }
        let restored = exec(&mut self.conn, "PRAGMA foreign_keys = ON").await;
        committed.map_err(|e| match e {
            Error::Database { source, .. } if !group.is_empty() => Error::Database {
                context: format!(
                    "committing {}; none of them is applied",
                    group
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                source,
            },
            e => e,
        })?;
        restored
    }

    async fn run_in(
        &mut self,
        m: &Migration,
        key: &MigrationKey,
        ops: Option<Vec<RenderedOp>>,
        direction: Direction,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<bool> {
        let fake = ops.is_none();
        let forwards = direction == Direction::Forwards;
        // Under the lock this only changes for SQLite, where two runs can plan at once.
        if self.is_recorded(key).await? == forwards {
            return Ok(false);
        }
        if let Some(ops) = ops {
            // In an atomic migration on a database with transactional DDL, the statements of
            // consecutive schema operations go to the server as one batch: one round trip
            // instead of one per statement.
            let batched = self.transactional(m);
            let mut pending: Vec<(usize, String)> = Vec::new();
            for rendered in ops {
                let op = &m.operations[rendered.index];
                if let (Operation::RunRust(r), Some((before, after))) = (op, &rendered.states) {
                    self.flush(m, &mut pending).await?;
                    self.run_rust(m, op, r, before, after, forwards, report)
                        .await?;
                    continue;
                }
                for sql in rendered.statements {
                    if batched {
                        pending.push((rendered.index, sql));
                    } else {
                        self.statement(m, op, &sql).await?;
                    }
                }
            }
            self.flush(m, &mut pending).await?;
        }
        // In an SQLite group the history rows go in front of the foreign key check, in one
        // round trip; the migration's savepoint takes them back if the check fails.
        let grouped = self.group.is_some();
        if grouped {
            self.record(m, key, forwards).await?;
        }
        if !fake && self.backend == Backend::Sqlite && may_break_foreign_keys(m, forwards) {
            let rows = sqlx::raw_sql(&self.behind_queued("PRAGMA foreign_key_check"))
                .fetch_all(&mut self.conn)
                .await
                .map_err(|source| Error::Database {
                    context: format!("checking foreign keys after {key}"),
                    source,
                })?;
            if !rows.is_empty() {
                return Err(Error::ForeignKeyCheck {
                    migration: key.to_string(),
                    rows: rows.len(),
                });
            }
        }
        if grouped {
            // When there was no check to carry them.
            self.send_queued().await?;
        } else {
            self.record(m, key, forwards).await?;
        }
        Ok(true)
    }

    /// Records `m` as applied (`forwards`) or not. A squashed migration stands for the ones
    /// it replaces: they are recorded too. One query per key, never the whole history, so
    /// that a run stays linear in migrations.
    async fn record(&mut self, m: &Migration, key: &MigrationKey, forwards: bool) -> Result<()> {
        for k in std::iter::once(key).chain(&m.replaces) {
            if self.is_recorded(k).await? != forwards {
                self.set_recorded(k, forwards).await?;
            }
        }
        Ok(())
    }

    /// Whether the history table has a row for `key`.
    async fn is_recorded(&mut self, key: &MigrationKey) -> Result<bool> {
        match &self.history {
            Some(history) => Ok(history.contains(key)),
            None => recorder::is_applied(&mut self.conn, self.backend, key).await,
        }
    }

    /// Adds or deletes the history row of `key`. In an SQLite group, the row is added with
    /// the next statements sent.
    async fn set_recorded(&mut self, key: &MigrationKey, recorded: bool) -> Result<()> {
        if recorded && self.group.is_some() {
            self.queued
                .push(schema::history_row(self.backend, &key.app, &key.name).into());
        } else if recorded {
            self.send_queued().await?;
            recorder::record(&mut self.conn, self.backend, key).await?;
        } else {
            self.send_queued().await?;
            recorder::unrecord(&mut self.conn, self.backend, key).await?;
        }
        if let Some(history) = &mut self.history {
            if recorded {
                history.insert(key.clone());
            } else {
                history.remove(key);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_rust(
        &mut self,
        m: &Migration,
        op: &Operation,
        r: &RunRust,
        before: &ProjectState,
        after: &ProjectState,
        forwards: bool,
        report: &mut dyn FnMut(Event<'_>),
    ) -> Result<()> {
        let f = if forwards { Some(r.forward) } else { r.reverse };
        let f = f.ok_or_else(|| Error::Irreversible {
            migration: m.key().to_string(),
            operation: op.describe(),
        })?;
        // Forwards it sees the schema before it; backwards, the schema it left.
        let state = if forwards { before } else { after };
        self.send_queued().await?;
        let mut cx = RunContext {
            conn: &mut self.conn,
            backend: self.backend,
            state,
            app: &m.app,
            atomic: m.atomic,
            report,
        };
        let result = f(&mut cx).await;
        if !m.atomic {
            // Close the last batch's transaction, if a batch helper opened one.
            let _ = exec(&mut self.conn, "COMMIT").await;
        }
        result.map_err(|source| Error::RustOperation {
            migration: m.key().to_string(),
            message: source.to_string(),
        })
    }

    /// Runs the batched statements (operation index, SQL) as one script. When the server
    /// refuses it, the batch is undone to a savepoint and replayed statement by statement,
    /// so that the error names the operation and the statement, as unbatched runs do.
    async fn flush(&mut self, m: &Migration, pending: &mut Vec<(usize, String)>) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(pending);
        // A line of its own ends each statement, even one that ends in a `--` comment. The
        // savepoint is part of the script: one round trip in all.
        let statements = std::iter::once("SAVEPOINT migrate_batch")
            .chain(batch.iter().map(|(_, sql)| sql.as_str()))
            .chain(std::iter::once("RELEASE SAVEPOINT migrate_batch"))
            .collect::<Vec<_>>()
            .join("\n;\n");
        let script = self.behind_queued(&statements);
        let Err(refused) = sqlx::raw_sql(&script).execute(&mut self.conn).await else {
            return Ok(());
        };
        if exec(&mut self.conn, "ROLLBACK TO SAVEPOINT migrate_batch")
            .await
            .is_err()
        {
            // The connection is gone or the transaction is aborted past the savepoint:
            // report why the batch failed, since no statement can be replayed.
            return Err(Error::Database {
                context: format!("running the statements of migration {}", m.key()),
                source: refused,
            });
        }
        for (i, sql) in &batch {
            self.statement(m, &m.operations[*i], sql).await?;
        }
        exec(&mut self.conn, "RELEASE SAVEPOINT migrate_batch").await
    }

    /// `sql` with the queued statements in front of it, which are thereby sent.
    fn behind_queued(&mut self, sql: &str) -> String {
        let mut script = String::new();
        for queued in self.queued.drain(..) {
            script.push_str(&queued);
            script.push_str(";\n");
        }
        script.push_str(sql);
        script
    }

    /// Sends the queued statements, before SQL that cannot carry them.
    async fn send_queued(&mut self) -> Result<()> {
        if self.queued.is_empty() {
            return Ok(());
        }
        let script = self.behind_queued("");
        exec(&mut self.conn, &script).await
    }

    /// Runs one statement of operation `op`.
    async fn statement(&mut self, m: &Migration, op: &Operation, sql: &str) -> Result<()> {
        sqlx::raw_sql(&self.behind_queued(sql))
            .execute(&mut self.conn)
            .await
            .map(drop)
            .map_err(|source| Error::Statement {
                migration: m.key().to_string(),
                operation: op.describe(),
                sql: sql.to_owned(),
                transactional: self.transactional(m),
                source,
            })
    }
}

const SAVEPOINT: &str = "SAVEPOINT migrate_migration";
const RELEASE: &str = "RELEASE SAVEPOINT migrate_migration";

async fn exec(conn: &mut AnyConnection, sql: &str) -> Result<()> {
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(|source| Error::Database {
            context: format!("running `{sql}`"),
            source,
        })
}

/// Whether running `m` can leave rows pointing at rows that do not exist, so that SQLite,
/// which migrates with foreign keys off, must check them after it. Creating tables (empty)
/// and indexes cannot; everything else may: a rebuild copies rows, a dropped table leaves
/// the rows that pointed at it, raw SQL and Rust can do anything. The check reads every
/// table's keys (Django runs it after every migration): skipping it where it cannot find
/// anything is a tenth of applying a new project's initial migrations.
fn may_break_foreign_keys(m: &Migration, forwards: bool) -> bool {
    !forwards
        || m.operations.iter().any(|op| {
            !matches!(
                op,
                Operation::CreateModel(_)
                    | Operation::AddIndex(_)
                    | Operation::RemoveIndex(_)
                    | Operation::RenameIndex(_)
            )
        })
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
    fn only_creating_tables_and_indexes_skips_the_foreign_key_check() {
        use crate::prelude::*;
        let create = || -> Operation {
            CreateModel::new("Thing", "inventory_thing")
                .fields([Field::auto_id()])
                .into()
        };
        let initial = Migration::new("inventory", "0001_initial").operations([create()]);
        assert!(!may_break_foreign_keys(&initial, true));
        assert!(
            may_break_foreign_keys(&initial, false),
            "unapplied, it drops a table"
        );
        let with_sql = Migration::new("inventory", "0001_initial").operations([
            create(),
            RunSql::new("INSERT INTO inventory_thing DEFAULT VALUES").into(),
        ]);
        assert!(may_break_foreign_keys(&with_sql, true));
    }

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
