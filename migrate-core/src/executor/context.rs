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
    ///
    /// A row holds the primary key and the columns that sqlx's `Any` driver reads on every
    /// backend: integers, floats, text and bytes, booleans on PostgreSQL, and relations
    /// whose key is one of those. Others (timestamps, UUIDs, decimals, JSON) are left out, since the
    /// driver would refuse the whole batch; read them with a query of your own, by key.
    /// With an integer key, each batch starts after the last key of the one before
    /// (`WHERE key > last`), so a batch costs the same at the end of a large table as at the
    /// start; other keys page with `OFFSET`.
    pub fn batches(&self, model: &str, size: usize) -> Result<Batches> {
        let m = self.model(model)?;
        let pk = m.primary_key().ok_or_else(|| Error::NotInHistory {
            what: format!("primary key of {model}"),
        })?;
        let readable = |f: &crate::state::Field| {
            use crate::fields::ColumnType::*;
            match self.state.column_type(m, f) {
                Ok(SmallInt | Integer | BigInt | Real | Double | Varchar(_) | Text | Binary) => {
                    true
                }
                // The driver reads neither SQLite's declared `boolean` nor MySQL's `tinyint`.
                Ok(Boolean) => self.backend == Backend::Postgres,
                _ => false,
            }
        };
        let columns: Vec<String> = m
            .fields
            .iter()
            .filter(|f| f.name == pk.name || readable(f))
            .map(|f| self.quote(&f.column))
            .collect();
        let integer_key = matches!(
            self.state.column_type(m, pk),
            Ok(crate::fields::ColumnType::SmallInt
                | crate::fields::ColumnType::Integer
                | crate::fields::ColumnType::BigInt)
        );
        Ok(Batches {
            select: format!(
                "SELECT {} FROM {}",
                columns.join(", "),
                self.quote(&m.table)
            ),
            key: integer_key.then(|| pk.column.to_string()),
            quoted_key: self.quote(&pk.column),
            last_key: None,
            label: m.table.to_string(),
            size: size.max(1),
            done: 0,
            in_transaction: false,
        })
    }
}

/// Rows in batches, from a query with a deterministic `ORDER BY`. When the migration is
/// not atomic, each batch is its own transaction, so a long data migration neither holds
/// one huge transaction nor loses finished batches; progress is reported as it goes.
#[derive(Debug)]
pub struct Batches {
    /// `SELECT <columns> FROM <table>`.
    select: String,
    /// The key column, when it is an integer: batches then page by key.
    key: Option<String>,
    quoted_key: String,
    last_key: Option<i64>,
    label: String,
    size: usize,
    done: u64,
    in_transaction: bool,
}

impl Batches {
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
        let (select, key, size) = (&self.select, &self.quoted_key, self.size);
        let page = match (&self.key, self.last_key) {
            (Some(_), Some(last)) => {
                format!("{select} WHERE {key} > {last} ORDER BY {key} LIMIT {size}")
            }
            (Some(_), None) => format!("{select} ORDER BY {key} LIMIT {size}"),
            (None, _) => format!("{select} ORDER BY {key} LIMIT {size} OFFSET {}", self.done),
        };
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
        if let (Some(column), Some(row)) = (&self.key, rows.last()) {
            use sqlx::Row;
            self.last_key =
                Some(
                    row.try_get::<i64, _>(column.as_str())
                        .map_err(|source| Error::Database {
                            context: format!("reading the key of a batch of {}", self.label),
                            source,
                        })?,
                );
        }
        self.done += rows.len() as u64;
        (cx.report)(Event::Progress {
            label: &self.label,
            done: self.done,
        });
        Ok(Some(rows))
    }
}
