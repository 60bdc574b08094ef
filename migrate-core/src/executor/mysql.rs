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

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::session::Session;
use super::{exec, Event, Report};
use crate::error::{Error, PartialStep, Result};
use crate::migration::{Migration, MigrationKey};
use crate::operations::{Backend, Operation};
use crate::schema::{self, RenderedOp};

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
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database {
        context: context.to_owned(),
        source,
    }
}

pub(super) async fn ensure_progress_table(conn: &mut AnyConnection) -> Result<()> {
    let q = |s: &str| schema::quote(B, s);
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({} varchar(255) NOT NULL, {} varchar(255) NOT NULL, {} varchar(9) NOT NULL, {} int NOT NULL, {} int NOT NULL, PRIMARY KEY ({}, {}))",
        q(PROGRESS),
        q("app"),
        q("name"),
        q("direction"),
        q("done"),
        q("total"),
        q("app"),
        q("name")
    );
    exec(conn, &sql).await
}

/// Every migration that a run left part-way: none when the table does not exist.
pub(super) async fn read_progress(
    conn: &mut AnyConnection,
) -> Result<BTreeMap<MigrationKey, Progress>> {
    let exists = sqlx::query(&format!(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {}",
        schema::literal(B, &crate::Value::Str(PROGRESS.into()))
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("looking for the progress table"))?;
    if exists.is_empty() {
        return Ok(BTreeMap::new());
    }
    let q = |s: &str| schema::quote(B, s);
    let rows = sqlx::query(&format!(
        "SELECT {}, {}, {}, CAST({} AS signed), CAST({} AS signed) FROM {}",
        q("app"),
        q("name"),
        q("direction"),
        q("done"),
        q("total"),
        q(PROGRESS)
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("reading the progress table"))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let text = |i: usize| -> Result<String> {
            row.try_get::<String, _>(i)
                .or_else(|_| {
                    row.try_get::<Vec<u8>, _>(i)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })
                .map_err(db("reading the progress table"))
        };
        let number = |i: usize| -> Result<usize> {
            let n: i64 = row.try_get(i).map_err(db("reading the progress table"))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        out.insert(
            MigrationKey::new(text(0)?, text(1)?),
            Progress {
                forwards: text(2)? == "forwards",
                done: number(3)?,
                total: number(4)?,
            },
        );
    }
    Ok(out)
}

/// Marks `key` as `done` steps into its run in one direction.
fn mark(key: &MigrationKey, forwards: bool, done: usize, total: usize) -> String {
    let q = |s: &str| schema::quote(B, s);
    let s = |v: &str| schema::literal(B, &crate::Value::Str(v.to_owned().into()));
    let direction = if forwards { "forwards" } else { "backwards" };
    format!(
        "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES ({}, {}, {}, {done}, {total}) ON DUPLICATE KEY UPDATE {} = VALUES({}), {} = VALUES({}), {} = VALUES({})",
        q(PROGRESS),
        q("app"),
        q("name"),
        q("direction"),
        q("done"),
        q("total"),
        s(&key.app),
        s(&key.name),
        s(direction),
        q("direction"),
        q("direction"),
        q("done"),
        q("done"),
        q("total"),
        q("total")
    )
}

fn unmark(key: &MigrationKey) -> String {
    let q = |s: &str| schema::quote(B, s);
    let s = |v: &str| schema::literal(B, &crate::Value::Str(v.to_owned().into()));
    format!(
        "DELETE FROM {} WHERE {} = {} AND {} = {}",
        q(PROGRESS),
        q("app"),
        s(&key.app),
        q("name"),
        s(&key.name)
    )
}

/// One step of a migration as it runs here: a statement, or a Rust operation.
enum Unit<'a> {
    Sql { op: usize, sql: &'a str },
    Rust { rendered: &'a RenderedOp },
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
    let total = units.len();
    let start = match progress {
        None => 0,
        Some(p) if p.forwards == forwards => {
            report(Event::Resumed {
                done: p.done,
                total,
            });
            p.done.min(total)
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
    for (i, unit) in units.iter().enumerate().skip(start) {
        let marked = mark(&key, forwards, i, total);
        // The step a stopped run was on may have taken effect.
        let in_doubt = progress.is_some() && i == start;
        match unit {
            Unit::Sql { op, sql } => {
                let script = format!("{marked};\n{sql}");
                if let Err(source) = sqlx::raw_sql(&script).execute(&mut s.conn).await {
                    if in_doubt && already_there(&source) {
                        continue;
                    }
                    return Err(refused(
                        m,
                        &units,
                        i,
                        &m.operations[*op],
                        sql,
                        forwards,
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
                s.run_rust(m, op, r, before, after, forwards, report)
                    .await?;
            }
        }
    }
    // The history rows (the squashed ones too) and the end of the progress row, at once.
    s.record_atomically(m, forwards, &unmark(&key)).await?;
    Ok(true)
}

/// The error of a refused statement: what stayed applied, and how to go on.
fn refused(
    m: &Migration,
    units: &[Unit<'_>],
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
