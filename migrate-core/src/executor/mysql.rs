//! MySQL and MariaDB: DDL commits statement by statement, so a migration is not atomic
//! here, and a run that is killed or refused part-way leaves some of its statements applied.
//! Progress is kept per statement, durably: before each statement (or Rust operation) of a
//! migration, the companion table `migrate_progress` says which migration, which direction,
//! and how many of its steps are done, in the same round trip as the statement. A later run
//! continues from there in the same direction; the step that was running when the run
//! stopped may or may not have taken effect, so it is run again, and the server's "already
//! there" answers (a duplicate column, a missing column to drop, ...) count it as done. The
//! history rows (a squash's too) and the deletion of the progress row go in one transaction
//! (both tables are InnoDB), so a stop cannot leave them half-written.
//! The run's lock (`GET_LOCK`, named after the database and history table) covers it all.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::DbConnection;

use super::session::Session;
use super::{exec, Event, Report};
use crate::error::{Error, PartialStep, Result};
use crate::migration::{Migration, MigrationKey};
use crate::operations::{Backend, Operation};
use crate::schema::{self, RenderedOp};
use crate::state::ProjectState;

const B: Backend = Backend::Mysql;

use crate::recorder::PROGRESS_TABLE as PROGRESS;

/// The run's lock: `GET_LOCK` names are server-wide, so the name is made from the database
/// and the history table (hashed: a name may have 64 characters at most).
const LOCK: &str =
    "CONCAT('migrate:', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', 'migrate_migrations')))";

pub(super) fn lock_queries() -> (String, String) {
    (
        format!("SELECT GET_LOCK({LOCK}, 0)"),
        format!("SELECT GET_LOCK({LOCK}, 3600)"),
    )
}

pub(super) fn unlock_query() -> String {
    format!("SELECT RELEASE_LOCK({LOCK})")
}

/// How far a migration got in a run that stopped part-way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The direction it was going.
    pub forwards: bool,
    /// Steps (statements and Rust operations) done.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
    /// Set when the run was undoing what a run the other way had done part-way (how many
    /// steps that run had done, and whether the operation it stopped in is completed
    /// first): the steps are then those of `give_up`.
    pub reverting: Option<(usize, bool)>,
    /// The step after `done` was refused, so it is known not to have run; otherwise the run
    /// stopped while it may have been running.
    pub settled: bool,
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database {
        context: context.to_owned(),
        source,
    }
}

pub(super) async fn ensure_progress_table(conn: &mut DbConnection) -> Result<()> {
    let q = |s: &str| schema::quote(B, s);
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({} varchar(255) NOT NULL, {} varchar(255) NOT NULL, {} varchar(9) NOT NULL, {} int NOT NULL, {} int NOT NULL, {} int NOT NULL, {} int NOT NULL, {} int NOT NULL, PRIMARY KEY ({}, {}))",
        q(PROGRESS),
        q("app"),
        q("name"),
        q("direction"),
        q("done"),
        q("total"),
        q("reverting"),
        q("completing"),
        q("settled"),
        q("app"),
        q("name")
    );
    exec(conn, &sql).await
}

/// Every migration that a run left part-way: none when the table does not exist.
pub(super) async fn read_progress(
    conn: &mut DbConnection,
) -> Result<BTreeMap<MigrationKey, Progress>> {
    let exists = sqlx::query(&format!(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {}",
        string(PROGRESS)
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("looking for the progress table"))?;
    if exists.is_empty() {
        return Ok(BTreeMap::new());
    }
    let q = |s: &str| schema::quote(B, s);
    let rows = sqlx::query(&format!(
        "SELECT {}, {}, {}, CAST({} AS signed), CAST({} AS signed), CAST({} AS signed), CAST({} AS signed), CAST({} AS signed) FROM {}",
        q("app"),
        q("name"),
        q("direction"),
        q("done"),
        q("total"),
        q("reverting"),
        q("completing"),
        q("settled"),
        q(PROGRESS)
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("reading the progress table"))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let text = |i: usize| -> Result<String> {
            crate::recorder::text(&row, i)
                .map(Option::unwrap_or_default)
                .map_err(db("reading the progress table"))
        };
        let number =
            |i: usize| -> Result<i64> { row.try_get(i).map_err(db("reading the progress table")) };
        let count = |i: usize| -> Result<usize> { Ok(usize::try_from(number(i)?).unwrap_or(0)) };
        out.insert(
            MigrationKey::new(text(0)?, text(1)?),
            Progress {
                forwards: text(2)? == "forwards",
                done: count(3)?,
                total: count(4)?,
                reverting: usize::try_from(number(5)?)
                    .ok()
                    .map(|k| (k, number(6).unwrap_or(0) != 0)),
                settled: number(7)? != 0,
            },
        );
    }
    Ok(out)
}

fn string(v: &str) -> String {
    schema::string(B, v)
}

/// Where a run of `key` stands: `done` steps of `total` in one direction (of a give-up when
/// `reverting`), the next step perhaps running.
struct Mark<'k> {
    key: &'k MigrationKey,
    forwards: bool,
    total: usize,
    reverting: Option<(usize, bool)>,
}

impl Mark<'_> {
    /// The progress row saying that `done` steps are done.
    fn at(&self, done: usize) -> String {
        let q = |s: &str| schema::quote(B, s);
        let direction = if self.forwards {
            "forwards"
        } else {
            "backwards"
        };
        let (reverting, completing) = self
            .reverting
            .map_or((-1, 0), |(k, c)| (k as i64, i64::from(c)));
        let columns = [
            "direction",
            "done",
            "total",
            "reverting",
            "completing",
            "settled",
        ];
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{} = VALUES({})", q(c), q(c)))
            .collect();
        format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, {done}, {}, {reverting}, {completing}, 0) ON DUPLICATE KEY UPDATE {}",
            q(PROGRESS),
            q("app"),
            q("name"),
            q(columns[0]),
            q(columns[1]),
            q(columns[2]),
            q(columns[3]),
            q(columns[4]),
            q(columns[5]),
            string(&self.key.app),
            string(&self.key.name),
            string(direction),
            self.total,
            updates.join(", ")
        )
    }

    /// The step after those done was refused: it did not run.
    fn settled(&self) -> String {
        let q = |s: &str| schema::quote(B, s);
        format!(
            "UPDATE {} SET {} = 1 WHERE {} = {} AND {} = {}",
            q(PROGRESS),
            q("settled"),
            q("app"),
            string(&self.key.app),
            q("name"),
            string(&self.key.name)
        )
    }
}

fn unmark(key: &MigrationKey) -> String {
    let q = |s: &str| schema::quote(B, s);
    format!(
        "DELETE FROM {} WHERE {} = {} AND {} = {}",
        q(PROGRESS),
        q("app"),
        string(&key.app),
        q("name"),
        string(&key.name)
    )
}

/// One step of a migration as it runs here: a statement, or a Rust operation.
enum Unit<'a> {
    Sql { op: usize, sql: &'a str },
    Rust { rendered: &'a RenderedOp },
}

impl Unit<'_> {
    /// The index of the operation the step belongs to.
    fn op(&self) -> usize {
        match self {
            Unit::Sql { op, .. } => *op,
            Unit::Rust { rendered } => rendered.index,
        }
    }
}

fn units(ops: &[RenderedOp]) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    for rendered in ops {
        if rendered.states.is_some() {
            out.push(Unit::Rust { rendered });
        } else {
            out.extend(rendered.statements.iter().map(|sql| Unit::Sql {
                op: rendered.index,
                sql,
            }));
        }
    }
    out
}

/// MySQL's answers that mean a DDL statement's effect is already there: the table, column,
/// index or key it creates exists, or the one it drops or renames is gone.
#[cfg(feature = "mysql")]
fn already_there(e: &sqlx::Error) -> bool {
    let Some(error) = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
    else {
        return false;
    };
    match error.number() {
        // table exists, unknown table, unknown column, duplicate column, duplicate key name,
        // can't drop (no such column or key), no such table, key does not exist,
        // duplicate foreign key or constraint name
        1050 | 1051 | 1054 | 1060 | 1061 | 1091 | 1146 | 1176 | 1826 | 4031 => true,
        // InnoDB's "can't create table" for a foreign key whose name exists (errno 121)
        1005 => error.message().contains("errno: 121"),
        _ => false,
    }
}

/// Without the MySQL driver there is no MySQL run to continue.
#[cfg(not(feature = "mysql"))]
fn already_there(_: &sqlx::Error) -> bool {
    false
}

/// Runs `m` in one direction (its rendered operations, or none when faked), continuing
/// from `progress` when an earlier run stopped part-way, and records it. Returns `false`
/// when it was already done.
pub(super) async fn run(
    s: &mut Session,
    m: &Migration,
    ops: Option<Vec<RenderedOp>>,
    forwards: bool,
    progress: Option<&Progress>,
    report: &mut Report<'_>,
) -> Result<bool> {
    let key = m.key();
    if s.is_recorded(&key).await? == forwards {
        if progress.is_some() {
            // Left by a version that did not record in one transaction: finish recording.
            s.record_atomically(m, forwards, &unmark(&key)).await?;
        }
        return Ok(false);
    }
    let Some(ops) = ops else {
        s.record_atomically(m, forwards, &unmark(&key)).await?;
        return Ok(true);
    };
    let units = units(&ops);
    let units: Vec<&Unit> = units.iter().collect();
    let resume = match progress {
        None => None,
        Some(p) if p.forwards == forwards && p.reverting.is_none() => {
            report(Event::Resumed {
                done: p.done,
                total: units.len(),
            });
            Some(p)
        }
        Some(p) => {
            return Err(Error::PartialOtherWay {
                migration: key.to_string(),
                forwards: p.forwards,
                done: p.done,
                total: p.total,
            })
        }
    };
    let mark = Mark {
        key: &key,
        forwards,
        total: units.len(),
        reverting: None,
    };
    run_units(s, m, &units, &mark, resume, report).await?;
    // The history rows (the squashed ones too) and the end of the progress row, at once.
    s.record_atomically(m, forwards, &unmark(&key)).await?;
    Ok(true)
}

/// Runs `units` from where `resume` says (from the start without it), marking progress
/// before each in the same round trip.
async fn run_units(
    s: &mut Session,
    m: &Migration,
    units: &[&Unit<'_>],
    mark: &Mark<'_>,
    resume: Option<&Progress>,
    report: &mut Report<'_>,
) -> Result<()> {
    let start = resume.map_or(0, |p| p.done.min(units.len()));
    for (i, unit) in units.iter().enumerate().skip(start) {
        let marked = mark.at(i);
        // The step a stopped run was on may have taken effect (unless it was refused).
        let in_doubt = resume.is_some_and(|p| !p.settled) && i == start;
        match unit {
            Unit::Sql { op, sql } => {
                report(Event::Sql(sql));
                let script = format!("{marked};\n{sql}");
                if let Err(source) = sqlx::raw_sql(&script).execute(&mut s.conn).await {
                    if in_doubt && already_there(&source) {
                        continue;
                    }
                    // Refused: this step did not run. (If the connection is gone, this is
                    // not written, and the next run treats the step as in doubt.)
                    let _ = exec(&mut s.conn, &mark.settled()).await;
                    return Err(refused(
                        m,
                        units,
                        i,
                        &m.operations[*op],
                        sql,
                        mark.forwards,
                        source,
                    ));
                }
            }
            Unit::Rust { rendered } => {
                exec(&mut s.conn, &marked).await?;
                let op = &m.operations[rendered.index];
                let (Operation::RunRust(r), Some((before, after))) = (op, &rendered.states) else {
                    unreachable!("only Rust operations carry states");
                };
                // A Rust operation keeps no progress of its own: in doubt, it runs again
                // from its start (write data migrations so that a second run is harmless).
                if in_doubt {
                    report(Event::RustRerun);
                }
                s.run_rust(m, op, r, before, after, mark.forwards, report)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Undoes what a run of `m` that stopped part-way had done (`p`), so that `m` is as it was
/// before that run: unrecorded after a forwards run, applied after a backwards one. The
/// operation it stopped in is first completed in its direction when the run stopped while
/// a step of it was perhaps running or some of its steps were done (one operation's
/// statements are undone together, by its reverse); then every operation it had completed
/// is reversed, last first. `before` is the state before `m`. Its own progress is kept like
/// any run's (`reverting`), so a stopped give-up is continued too.
pub(super) async fn give_up(
    s: &mut Session,
    m: &Migration,
    before: &ProjectState,
    p: &Progress,
    report: &mut Report<'_>,
) -> Result<()> {
    let key = m.key();
    // The direction of the stopped run (a give-up's own row goes the other way).
    let d = p.forwards != p.reverting.is_some();
    let ops_d = schema::render_migration(B, m, before, !d)?;
    let units_d = units(&ops_d);
    // What the stopped run had done, whether the operation it stopped in is completed first
    // (when a step of it was done, or perhaps running: not when it was refused at its first
    // step), and where this give-up is.
    let (k, completing, resume) = match p.reverting {
        Some((k, completing)) => (k, completing, Some(p)),
        None => {
            let k = p.done.min(units_d.len());
            let completing = k < units_d.len()
                && (!p.settled || (k > 0 && units_d[k - 1].op() == units_d[k].op()));
            (k, completing, None)
        }
    };
    let ops_back = schema::render_migration(B, m, before, d)?;
    let units_back = units(&ops_back);
    let k = k.min(units_d.len());
    let mut reversed: BTreeSet<usize> = units_d[..k].iter().map(Unit::op).collect();
    let mut steps: Vec<&Unit> = Vec::new();
    if let (true, Some(cut)) = (completing, units_d.get(k).map(Unit::op)) {
        steps.extend(units_d[k..].iter().take_while(|u| u.op() == cut));
        reversed.insert(cut);
    }
    steps.extend(units_back.iter().filter(|u| reversed.contains(&u.op())));
    report(Event::Reverting {
        done: k,
        total: units_d.len(),
    });
    let mark = Mark {
        key: &key,
        forwards: !d,
        total: steps.len(),
        reverting: Some((k, completing)),
    };
    // Its first step is the stopped run's step in doubt, unless that was refused.
    let in_doubt = Progress {
        forwards: d,
        done: 0,
        total: steps.len(),
        reverting: Some((k, completing)),
        settled: p.settled,
    };
    let resume = resume.or(completing.then_some(&in_doubt));
    run_units(s, m, &steps, &mark, resume, report).await?;
    exec(&mut s.conn, &unmark(&key)).await
}

/// The error of a refused statement: what stayed applied, and how to go on.
fn refused(
    m: &Migration,
    units: &[&Unit<'_>],
    at: usize,
    op: &Operation,
    sql: &str,
    forwards: bool,
    source: sqlx::Error,
) -> Error {
    let applied: Vec<String> = units[..at]
        .iter()
        .map(|u| match u {
            Unit::Sql { sql, .. } => (*sql).to_owned(),
            Unit::Rust { rendered } => m.operations[rendered.index].describe(),
        })
        .collect();
    Error::Partial {
        migration: m.key().to_string(),
        step: Box::new(PartialStep {
            operation: op.describe(),
            sql: sql.to_owned(),
            forwards,
            done: at,
            total: units.len(),
            applied,
        }),
        source,
    }
}
