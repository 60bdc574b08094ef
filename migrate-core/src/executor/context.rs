//! What a Rust data migration works with: [`RunContext`] (the connection and the schema as
//! it was) and [`Batches`] (rows a batch at a time, committed per batch when the migration
//! is not atomic).

use super::DbConnection;

use super::{exec, Event, Report};
use crate::error::{Error, Result};
use crate::schema::{self, Backend};
use crate::state::{ModelRef, ProjectState};

/// What a Rust data migration works with: the connection, inside the migration's
/// transaction when it is atomic, and the schema as it was at this point of the history
/// (table and column names as they were then, not as the models are today).
pub struct RunContext<'a> {
    pub(super) conn: &'a mut DbConnection,
    pub(super) backend: Backend,
    pub(super) state: &'a ProjectState,
    pub(super) app: &'a str,
    pub(super) atomic: bool,
    pub(super) report: &'a mut Report<'a>,
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
    /// The backend the migration runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The historical schema.
    pub fn state(&self) -> &ProjectState {
        self.state
    }

    /// The connection, for queries with bound parameters (`sqlx::query(…).bind(…)`).
    pub fn connection(&mut self) -> &mut DbConnection {
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
    /// Batches of `size` rows from `sql` (a `SELECT` ordered by primary key), reported as `label`.
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
