//! The connection of a run and what every backend's strategy does with it: run one
//! statement (its error naming the migration, operation and SQL), record a migration in the
//! history table, run a Rust operation, run a batch of statements under a savepoint.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::DbConnection;

use super::context::RunContext;
use super::{exec, Event, Report};
use crate::error::{Error, Result};
use crate::migration::{Migration, MigrationKey};
use crate::operations::{Operation, RunRust};
use crate::recorder;
use crate::schema::{self, Backend, RenderedOp};
use crate::state::ProjectState;

pub(super) struct Session {
    pub conn: DbConnection,
    pub backend: Backend,
    /// Statements that need no answer (savepoints, history rows), waiting to go in front of
    /// the next SQL sent: a round trip to SQLite's worker thread costs more than most
    /// statements. Empty on the other backends.
    pub queued: Vec<Cow<'static, str>>,
    /// The history table's rows while this run holds what keeps other runs from changing
    /// them (the lock on PostgreSQL and MySQL, the open transaction on SQLite), kept up to
    /// date as it records: one query instead of one per migration.
    pub history: Option<BTreeSet<MigrationKey>>,
}

impl Session {
    /// Records `m` as applied (`forwards`) or not. A squashed migration stands for the ones
    /// it replaces: they are recorded too. One query per key, never the whole history, so
    /// that a run stays linear in migrations. `queue` puts the new rows in front of the next
    /// SQL sent instead of sending them now.
    pub async fn record(&mut self, m: &Migration, forwards: bool, queue: bool) -> Result<()> {
        for (k, checksum) in history_keys(m) {
            if self.is_recorded(&k).await? != forwards {
                self.set_recorded(&k, checksum.as_deref(), forwards, queue)
                    .await?;
            }
        }
        Ok(())
    }

    /// Records `m` (and what it replaces) as applied or not, together with `tail`, in one
    /// transaction of its own: for a backend whose DDL is not transactional, where the
    /// history rows must not be left half-written by a run that stops.
    pub async fn record_atomically(
        &mut self,
        m: &Migration,
        forwards: bool,
        tail: &str,
    ) -> Result<()> {
        let mut script = String::from("START TRANSACTION;\n");
        let mut changed = Vec::new();
        for (k, checksum) in history_keys(m) {
            if self.is_recorded(&k).await? != forwards {
                let sql = if forwards {
                    schema::history_row(self.backend, &k.app, &k.name, checksum.as_deref())
                } else {
                    schema::history_delete(self.backend, &k.app, &k.name)
                };
                script.push_str(&sql);
                script.push_str(";\n");
                changed.push(k);
            }
        }
        script.push_str(tail);
        script.push_str(";\nCOMMIT");
        if let Err(e) = exec(&mut self.conn, &script).await {
            let _ = exec(&mut self.conn, "ROLLBACK").await;
            return Err(e);
        }
        if let Some(history) = &mut self.history {
            for k in changed {
                if forwards {
                    history.insert(k);
                } else {
                    history.remove(&k);
                }
            }
        }
        Ok(())
    }

    /// Whether the history table has a row for `key`.
    pub async fn is_recorded(&mut self, key: &MigrationKey) -> Result<bool> {
        match &self.history {
            Some(history) => Ok(history.contains(key)),
            None => recorder::is_applied(&mut self.conn, self.backend, key).await,
        }
    }

    /// Adds or deletes the history row of `key`.
    async fn set_recorded(
        &mut self,
        key: &MigrationKey,
        checksum: Option<&str>,
        recorded: bool,
        queue: bool,
    ) -> Result<()> {
        if recorded && queue {
            self.queued
                .push(schema::history_row(self.backend, &key.app, &key.name, checksum).into());
        } else if recorded {
            self.send_queued().await?;
            recorder::record(&mut self.conn, self.backend, key, checksum).await?;
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

    /// Runs the Rust operation `op` of `m` in one direction.
    #[allow(clippy::too_many_arguments)]
    pub async fn run_rust(
        &mut self,
        m: &Migration,
        op: &Operation,
        r: &RunRust,
        before: &ProjectState,
        after: &ProjectState,
        forwards: bool,
        report: &mut Report<'_>,
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

    /// Runs the rendered operations of `m`, Rust operations among them. Inside the
    /// migration's transaction (`transactional`), the statements of consecutive schema
    /// operations go as one batch (one round trip instead of one per statement); outside
    /// one (a migration that is not atomic), one statement at a time.
    pub async fn run_ops(
        &mut self,
        m: &Migration,
        ops: Vec<RenderedOp>,
        forwards: bool,
        transactional: bool,
        report: &mut Report<'_>,
    ) -> Result<()> {
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
                report(Event::Sql(&sql));
                if transactional {
                    pending.push((rendered.index, sql));
                } else {
                    self.statement(m, op, &sql, false).await?;
                }
            }
        }
        self.flush(m, &mut pending).await
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
            self.statement(m, &m.operations[*i], sql, true).await?;
        }
        exec(&mut self.conn, "RELEASE SAVEPOINT migrate_batch").await
    }

    /// `sql` with the queued statements in front of it, which are thereby sent.
    pub fn behind_queued(&mut self, sql: &str) -> String {
        let mut script = String::new();
        for queued in self.queued.drain(..) {
            script.push_str(&queued);
            script.push_str(";\n");
        }
        script.push_str(sql);
        script
    }

    /// Sends the queued statements, before SQL that cannot carry them.
    pub async fn send_queued(&mut self) -> Result<()> {
        if self.queued.is_empty() {
            return Ok(());
        }
        let script = self.behind_queued("");
        exec(&mut self.conn, &script).await
    }

    /// Runs one statement of operation `op` (of a migration that runs in a transaction or
    /// not, which the error says).
    pub async fn statement(
        &mut self,
        m: &Migration,
        op: &Operation,
        sql: &str,
        transactional: bool,
    ) -> Result<()> {
        sqlx::raw_sql(&self.behind_queued(sql))
            .execute(&mut self.conn)
            .await
            .map(drop)
            .map_err(|source| Error::Statement {
                migration: m.key().to_string(),
                operation: op.describe(),
                sql: sql.to_owned(),
                transactional,
                source,
            })
    }
}

/// The history rows that applying `m` writes: its own, with its checksum, and those of the
/// migrations a squash replaces, without one (a replaced migration applied on its own keeps
/// the row, and checksum, it has; the next `migrate` gives the others their files').
fn history_keys(m: &Migration) -> Vec<(MigrationKey, Option<String>)> {
    std::iter::once((m.key(), Some(crate::checksum::checksum(m))))
        .chain(m.replaces.iter().map(|k| (k.clone(), None)))
        .collect()
}
