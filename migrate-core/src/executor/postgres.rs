//! PostgreSQL: a session advisory lock for the run (advisory locks belong to one database),
//! then one transaction per atomic migration, its history row inside; the statements of
//! consecutive schema operations go as one batch under a savepoint.

use super::session::Session;
use super::{exec, Report};
use crate::error::Result;
use crate::migration::Migration;
use crate::schema::RenderedOp;

/// The advisory lock key of a run.
pub(super) const LOCK: i64 = 7268519846528373;

/// The lock of the schema the connection works in (its `search_path`, as a tenant's URL
/// sets it with `?options=-c%20search_path%3Dtenant_1`): each schema has its own history
/// table, so runs on two schemas of one database need not wait for each other. The default
/// `public` keeps the key older versions take.
fn key() -> String {
    format!(
        "CASE WHEN current_schema() = 'public' THEN {LOCK} ELSE {LOCK} # hashtextextended(current_schema(), 0) END"
    )
}

/// Takes the lock without waiting, then with waiting: the queries for `Executor::lock`.
pub(super) fn lock_queries() -> (String, String) {
    let key = key();
    (
        format!("SELECT CAST(pg_try_advisory_lock({key}) AS integer)"),
        format!("SELECT 1 FROM pg_advisory_lock({key}) AS l"),
    )
}

pub(super) fn unlock_query() -> String {
    format!("SELECT pg_advisory_unlock({})", key())
}

/// Runs `m` in one direction (its rendered operations, or none when faked) and records it.
/// Returns `false` when it was already done.
pub(super) async fn run(
    s: &mut Session,
    m: &Migration,
    ops: Option<Vec<RenderedOp>>,
    forwards: bool,
    report: &mut Report<'_>,
) -> Result<bool> {
    if s.is_recorded(&m.key()).await? == forwards {
        return Ok(false);
    }
    if !m.atomic {
        if let Some(ops) = ops {
            s.run_ops(m, ops, forwards, false, report).await?;
        }
        s.record(m, forwards, false).await?;
        return Ok(true);
    }
    exec(&mut s.conn, "BEGIN").await?;
    let mut result = match ops {
        Some(ops) => s.run_ops(m, ops, forwards, true, report).await,
        None => Ok(()),
    };
    if result.is_ok() {
        result = s.record(m, forwards, false).await;
    }
    match result {
        Ok(()) => exec(&mut s.conn, "COMMIT").await.map(|()| true),
        Err(e) => {
            let _ = exec(&mut s.conn, "ROLLBACK").await;
            Err(e)
        }
    }
}
