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
    /// A row holds the primary key and the columns that sqlx's `Any` driver reads on that
    /// backend: integers, floats, text and bytes, booleans on PostgreSQL, and relations
    /// whose key is one of those. Others (timestamps, UUIDs, decimals, JSON) are left out,
    /// since the driver would refuse the whole batch: read them with a query of your own, by
    /// key. The key is always there: a UUID as text on PostgreSQL, whose `uuid` the driver
    /// does not read, and as the 16 bytes MySQL and SQLite store.
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
            .filter_map(|f| {
                let c = self.quote(&f.column);
                match (f.name == pk.name, readable(f)) {
                    (_, true) => Some(c),
                    // PostgreSQL's `uuid` (MySQL's `binary(16)` and SQLite's `blob` it reads).
                    (true, false) if self.backend == Backend::Postgres => {
                        Some(format!("CAST({c} AS text) AS {c}"))
                    }
                    (true, false) => Some(c),
                    (false, false) => None,
                }
            })
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
            size: size.max(1),
            walk: Walk::new(&m.table),
        })
    }

    /// The keys of `Model`, which must be an integer, cut into ranges of at most `size` rows
    /// in key order ([`KeyRanges`]): for updating every row with SQL, a range at a time,
    /// without reading the rows.
    pub fn key_ranges(&self, model: &str, size: usize) -> Result<KeyRanges> {
        use crate::fields::ColumnType::{BigInt, Integer, SmallInt};
        let m = self.model(model)?;
        let pk = m
            .primary_key()
            .filter(|pk| {
                matches!(
                    self.state.column_type(m, pk),
                    Ok(SmallInt | Integer | BigInt)
                )
            })
            .ok_or_else(|| Error::NotInHistory {
                what: format!("an integer primary key of {model}"),
            })?;
        Ok(KeyRanges {
            table: self.quote(&m.table),
            key: self.quote(&pk.column),
            after: None,
            size: size.max(1),
            density: None,
            uncounted: 0,
            walk: Walk::new(&m.table),
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
    size: usize,
    walk: Walk,
}

/// What batches and key ranges share: a transaction per batch when the migration is not
/// atomic (the one before is committed when the next is asked for), and progress.
#[derive(Debug)]
struct Walk {
    label: String,
    done: u64,
    in_transaction: bool,
}

impl Walk {
    fn new(label: &str) -> Self {
        Walk {
            label: label.to_owned(),
            done: 0,
            in_transaction: false,
        }
    }

    /// Commits the batch before, when there is one of its own.
    async fn finish_batch(&mut self, cx: &mut RunContext<'_>) -> Result<()> {
        if !cx.atomic && self.in_transaction {
            exec(cx.conn, "COMMIT").await?;
            self.in_transaction = false;
        }
        Ok(())
    }

    /// Opens the transaction of a batch of `rows` rows and reports progress.
    async fn start_batch(&mut self, cx: &mut RunContext<'_>, rows: u64) -> Result<()> {
        if !cx.atomic {
            exec(cx.conn, "BEGIN").await?;
            self.in_transaction = true;
        }
        self.done += rows;
        (cx.report)(Event::Progress {
            label: &self.label,
            done: self.done,
        });
        Ok(())
    }
}

impl Batches {
    /// The next batch, or `None` when all rows were seen. Work done on a batch before
    /// asking for the next one is committed with it when the migration is not atomic.
    pub async fn next(
        &mut self,
        cx: &mut RunContext<'_>,
    ) -> Result<Option<Vec<sqlx::any::AnyRow>>> {
        self.walk.finish_batch(cx).await?;
        let (select, key, size) = (&self.select, &self.quoted_key, self.size);
        let page = match (&self.key, self.last_key) {
            (Some(_), Some(last)) => {
                format!("{select} WHERE {key} > {last} ORDER BY {key} LIMIT {size}")
            }
            (Some(_), None) => format!("{select} ORDER BY {key} LIMIT {size}"),
            (None, _) => format!(
                "{select} ORDER BY {key} LIMIT {size} OFFSET {}",
                self.walk.done
            ),
        };
        let label = &self.walk.label;
        let rows = sqlx::query(&page)
            .fetch_all(&mut *cx.conn)
            .await
            .map_err(|source| Error::Database {
                context: format!("reading a batch of {label}"),
                source,
            })?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        if let Some(column) = &self.key {
            use sqlx::Row;
            let key =
                last.try_get::<i64, _>(column.as_str())
                    .map_err(|source| Error::Database {
                        context: format!("reading the key of a batch of {label}"),
                        source,
                    })?;
            self.last_key = Some(key);
        }
        self.walk.start_batch(cx, rows.len() as u64).await?;
        Ok(Some(rows))
    }
}

/// The `N` values of the one row of `sql`, read as keys (none for no row or NULL). Sent as
/// text: each range's queries differ in their literal keys, so prepared statements would be
/// made, used once and closed again, each a round trip more on MySQL.
async fn keys<const N: usize>(
    cx: &mut RunContext<'_>,
    sql: &str,
    label: &str,
) -> Result<[Option<i64>; N]> {
    use sqlx::{Executor, Row};
    // `RawSql::fetch_optional` is `fetch_one` in sqlx 0.8; the executor's is not.
    let row = (&mut *cx.conn)
        .fetch_optional(sqlx::raw_sql(sql))
        .await
        .map_err(|source| next_range_error(label, source))?;
    let mut values = [None; N];
    if let Some(row) = row {
        for (i, value) in values.iter_mut().enumerate() {
            *value = row
                .try_get::<Option<i64>, _>(i)
                .map_err(|source| next_range_error(label, source))?;
        }
    }
    Ok(values)
}

fn next_range_error(label: &str, source: sqlx::Error) -> Error {
    Error::Database {
        context: format!("finding the next key range of {label}"),
        source,
    }
}

/// One batch of [`KeyRanges`]: the rows whose key is greater than `after` and at most
/// `through`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// The last key of the range before (none for the first, which has no lower bound: a
    /// key of `i64::MIN` is a row like any other).
    pub after: Option<i64>,
    /// The last key of this range.
    pub through: i64,
}

impl KeyRange {
    /// `<column> > after AND <column> <= through` (without the first part for the first
    /// range), for a `WHERE` clause; `column` as the SQL should name it (quoted with
    /// [`RunContext::quote`]).
    pub fn condition(&self, column: &str) -> String {
        match self.after {
            Some(after) => format!("{column} > {after} AND {column} <= {}", self.through),
            None => format!("{column} <= {}", self.through),
        }
    }
}

/// How many ranges found by value may follow a counted one before one is counted again, to
/// check that the keys are still dense.
const COUNT_EVERY: u32 = 16;

/// A table's integer keys cut into ranges of at most `size` rows, for a data migration that
/// updates rows with SQL (`UPDATE … WHERE <range>`), so no row crosses to the client. One
/// transaction per range when the migration is not atomic, with progress, as [`Batches`].
///
/// A range is found in one of two ways:
/// - counted: the key `size` rows on (`LIMIT 1 OFFSET size - 1`). The range holds exactly
///   `size` rows whatever the keys, but the query reads its rows once before the update
///   does (on InnoDB the key's index is the table itself);
/// - by value: `size` key values from the range's first key, found by two index seeks, as a
///   person writes ranges by hand. Keys are unique, so the range holds at most `size` rows,
///   and exactly `size` where the keys are dense.
///
/// The first range is counted. Where a counted range spans at most twice its rows of key
/// values (at most half of them missing), the ranges after it are found by value, and one
/// in every 16 is counted again to check; elsewhere (sparse, random or time-based keys)
/// each range is counted, so a transaction never shrinks to a few rows. The last range is
/// counted. No key is left out either way. Progress counts the rows of counted ranges, and
/// for a range found by value its key values times the share of them present in the last
/// counted range (exact where the keys are dense).
#[derive(Debug)]
pub struct KeyRanges {
    table: String,
    key: String,
    after: Option<i64>,
    size: usize,
    /// Rows per key value in the last counted range, when at least a half: the next ranges
    /// are then found by value.
    density: Option<f64>,
    /// Ranges found by value since the last counted one.
    uncounted: u32,
    walk: Walk,
}

impl KeyRanges {
    /// The next range, or `None` when every key was covered. Work done on a range before
    /// asking for the next one is committed with it when the migration is not atomic.
    pub async fn next(&mut self, cx: &mut RunContext<'_>) -> Result<Option<KeyRange>> {
        self.walk.finish_batch(cx).await?;
        let (table, key, after, size) = (&self.table, &self.key, self.after, self.size);
        let label = &self.walk.label;
        let rest = match after {
            Some(after) => format!("FROM {table} WHERE {key} > {after}"),
            None => format!("FROM {table}"),
        };
        // The range's first key and the table's last, each an index seek.
        let seeks = format!(
            "SELECT (SELECT {key} {rest} ORDER BY {key} LIMIT 1), (SELECT MAX({key}) FROM {table})"
        );
        let [Some(first), Some(last)] = keys(cx, &seeks, label).await? else {
            return Ok(None);
        };
        let width = i64::try_from(size - 1).unwrap_or(i64::MAX);
        let by_value = first.saturating_add(width);
        let (through, rows) = match self.density {
            Some(density) if self.uncounted < COUNT_EVERY && by_value < last => {
                self.uncounted += 1;
                (by_value, (size as f64 * density).round() as u64)
            }
            _ => {
                let nth = format!("SELECT {key} {rest} ORDER BY {key} LIMIT 1 OFFSET {width}");
                match keys(cx, &nth, label).await? {
                    [Some(through)] => {
                        let span = i128::from(through) - i128::from(first) + 1;
                        self.density =
                            (span <= 2 * size as i128).then(|| size as f64 / span as f64);
                        self.uncounted = 0;
                        (through, size as u64)
                    }
                    [None] => {
                        let count = format!("SELECT COUNT(*) {rest}");
                        let [rows] = keys(cx, &count, label).await?;
                        (last, rows.unwrap_or(0) as u64)
                    }
                }
            }
        };
        self.after = Some(through);
        self.walk.start_batch(cx, rows).await?;
        Ok(Some(KeyRange { after, through }))
    }
}

#[cfg(test)]
mod tests {
    use super::KeyRange;

    /// The first range has no lower bound, so no key is too small to be in one (a key of
    /// `i64::MIN` once fell outside `key > i64::MIN`).
    #[test]
    fn key_ranges_leave_no_key_out() {
        let first = KeyRange {
            after: None,
            through: 10,
        };
        assert_eq!(first.condition("\"id\""), "\"id\" <= 10");
        let next = KeyRange {
            after: Some(10),
            through: i64::MAX,
        };
        assert_eq!(
            next.condition("\"id\""),
            format!("\"id\" > 10 AND \"id\" <= {}", i64::MAX)
        );
    }
}
