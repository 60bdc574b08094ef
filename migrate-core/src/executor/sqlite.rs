//! SQLite: foreign keys off while migrating (a table rebuild's `DROP TABLE` must not
//! cascade), consecutive atomic migrations in one `BEGIN IMMEDIATE` transaction (which is
//! also the run's lock), a savepoint each, and `PRAGMA foreign_key_check` before a
//! migration counts as done. A refused migration is rolled back to its savepoint and the
//! ones before it are committed, which is what one transaction per migration would leave,
//! at one commit (a few fsyncs) instead of one per migration. Statements that need no answer
//! (savepoints, history rows) ride in front of the next SQL sent: each round trip to sqlx's
//! worker thread costs more than most statements.

use super::exec;
use super::session::Session;
use super::Report;
use crate::error::{Error, Result};
use crate::migration::{Migration, MigrationKey};
use crate::operations::Operation;
use crate::recorder;
use crate::schema::RenderedOp;

const SAVEPOINT: &str = "SAVEPOINT migrate_migration";
const RELEASE: &str = "RELEASE SAVEPOINT migrate_migration";

/// The open transaction of the run's consecutive atomic migrations, if any.
#[derive(Debug, Default)]
pub(super) struct Group {
    open: Option<Vec<MigrationKey>>,
}

impl Group {
    /// Runs `m` in one direction (its rendered operations, or none when faked) and records
    /// it. Returns `false` when another run got there first.
    pub async fn run(
        &mut self,
        s: &mut Session,
        m: &Migration,
        ops: Option<Vec<RenderedOp>>,
        forwards: bool,
        report: &mut Report<'_>,
    ) -> Result<bool> {
        if m.atomic {
            return self.run_grouped(s, m, ops, forwards, report).await;
        }
        self.commit(s).await?;
        // Not atomic, so outside a transaction.
        let state = recorder::table_state(&mut s.conn, s.backend).await?;
        recorder::ensure_table(&mut s.conn, s.backend, state).await?;
        exec(&mut s.conn, "PRAGMA foreign_keys = OFF").await?;
        let result = self.run_in(s, m, ops, forwards, report).await;
        exec(&mut s.conn, "PRAGMA foreign_keys = ON").await?;
        result
    }

    /// Runs an atomic migration in the open transaction (opened if none is), under a
    /// savepoint that a failure rolls back to.
    async fn run_grouped(
        &mut self,
        s: &mut Session,
        m: &Migration,
        ops: Option<Vec<RenderedOp>>,
        forwards: bool,
        report: &mut Report<'_>,
    ) -> Result<bool> {
        if self.open.is_none() {
            // Checked with `foreign_key_check` after each migration. (The pragma is a no-op
            // inside a transaction, so it comes first.)
            exec(&mut s.conn, "PRAGMA foreign_keys = OFF").await?;
            // Immediate: the write lock is taken now, so a second run waits here, before it
            // checks what is applied.
            exec(&mut s.conn, "BEGIN IMMEDIATE").await?;
            self.open = Some(Vec::new());
            // Read again under the write lock: another run may have gone first.
            let (state, rows) = recorder::history(&mut s.conn, s.backend).await?;
            recorder::ensure_table(&mut s.conn, s.backend, state).await?;
            s.history = Some(rows.into_keys().collect());
        }
        s.queued.push(SAVEPOINT.into());
        match self.run_in(s, m, ops, forwards, report).await {
            Ok(done) => {
                s.queued.push(RELEASE.into());
                if let (true, Some(group)) = (done, &mut self.open) {
                    group.push(m.key());
                }
                Ok(done)
            }
            // It failed before sending anything: the savepoint was never opened.
            Err(e) if s.queued.last().is_some_and(|q| q == SAVEPOINT) => {
                s.queued.pop();
                Err(e)
            }
            Err(e) => {
                let _ = exec(&mut s.conn, "ROLLBACK TO SAVEPOINT migrate_migration").await;
                let _ = exec(&mut s.conn, RELEASE).await;
                Err(e)
            }
        }
    }

    async fn run_in(
        &mut self,
        s: &mut Session,
        m: &Migration,
        ops: Option<Vec<RenderedOp>>,
        forwards: bool,
        report: &mut Report<'_>,
    ) -> Result<bool> {
        let key = m.key();
        // Two runs can plan at once on SQLite: the history is read again under the lock.
        if s.is_recorded(&key).await? == forwards {
            return Ok(false);
        }
        let fake = ops.is_none();
        if let Some(ops) = ops {
            s.run_ops(m, ops, forwards, m.atomic, report).await?;
        }
        // In a group the history rows go in front of the foreign key check, in one round
        // trip; the migration's savepoint takes them back if the check fails.
        let grouped = self.open.is_some();
        if grouped {
            s.record(m, forwards, true).await?;
        }
        if !fake && may_break_foreign_keys(m, forwards) {
            let rows = sqlx::raw_sql(&s.behind_queued("PRAGMA foreign_key_check"))
                .fetch_all(&mut s.conn)
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
            s.send_queued().await?;
        } else {
            s.record(m, forwards, false).await?;
        }
        Ok(true)
    }

    /// Commits the open transaction, if any. If the commit fails, none of its migrations is
    /// applied, and the error names them.
    pub async fn commit(&mut self, s: &mut Session) -> Result<()> {
        let Some(group) = self.open.take() else {
            return Ok(());
        };
        s.history = None;
        // COMMIT releases the savepoints still open.
        s.queued.clear();
        let committed = exec(&mut s.conn, "COMMIT").await;
        if committed.is_err() {
            // A refused COMMIT can leave the transaction open.
            let _ = exec(&mut s.conn, "ROLLBACK").await;
        }
        let restored = exec(&mut s.conn, "PRAGMA foreign_keys = ON").await;
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
}
