//! The history table, like `django_migrations`: one row `(app, name, applied_at, checksum)`
//! per applied migration, created by the first run that records one. A table from before
//! the `checksum` column gets it from the next `migrate` (`ensure_table`); its rows are
//! given their files' checksums then (`Executor::migrate`).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::executor::DbConnection;

use crate::error::{Error, Result};
use crate::migration::MigrationKey;
use crate::schema::{self, Backend};

/// The history table: one row per applied migration.
pub const TABLE: &str = "migrate_migrations";

/// The companion table where MySQL runs keep how far each migration got
/// (`executor/mysql.rs`).
pub const PROGRESS_TABLE: &str = "migrate_progress";

fn db(context: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |source| Error::Database {
        context: context.to_owned(),
        source,
    }
}

fn placeholders(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    }
}

/// What the history table is like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableState {
    /// No history table yet.
    Missing,
    /// A table from before checksums were kept.
    WithoutChecksum,
    /// The table as this version makes it.
    Current,
}

/// Creates the history table, or adds the `checksum` column to one from before it (`state`
/// is what the caller found, under the run's lock); nothing when it is current.
pub async fn ensure_table(
    conn: &mut DbConnection,
    backend: Backend,
    state: TableState,
) -> Result<()> {
    match state {
        TableState::Current => Ok(()),
        TableState::Missing => sqlx::raw_sql(&schema::history_table(backend))
            .execute(&mut *conn)
            .await
            .map(drop)
            .map_err(db("creating the history table")),
        TableState::WithoutChecksum => {
            let added = sqlx::raw_sql(&schema::history_checksum_column(backend))
                .execute(&mut *conn)
                .await;
            // A concurrent run may have added it first.
            if added.is_err() && table_state(conn, backend).await? != TableState::Current {
                added.map_err(db("adding the checksum column to the history table"))?;
            }
            Ok(())
        }
    }
}

/// Whether the history table exists and has its `checksum` column, in one query. Only a run
/// that records creates the table, as in Django: a command that only reads the history
/// leaves the database as it found it. PostgreSQL's is looked up in its catalog, not in
/// `information_schema`, whose views read every table of every schema (slow in a database
/// of a thousand tenants' schemas).
pub async fn table_state(conn: &mut DbConnection, backend: Backend) -> Result<TableState> {
    let sql = match backend {
        Backend::Sqlite => format!(
            "SELECT (SELECT count(*) FROM pragma_table_info('{TABLE}') WHERE name = 'checksum') \
             FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"
        ),
        Backend::Postgres => format!(
            "SELECT (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid \
             AND a.attname = 'checksum' AND NOT a.attisdropped) FROM pg_class c \
             WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.{TABLE}')"
        ),
        Backend::Mysql => format!(
            "SELECT (SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() \
             AND table_name = '{TABLE}' AND column_name = 'checksum') \
             FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{TABLE}'"
        ),
    };
    let row = sqlx::query(&sql)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db("looking for the history table"))?;
    Ok(match row {
        None => TableState::Missing,
        Some(row) => {
            let n = row
                .try_get::<i64, _>(0)
                .or_else(|_| row.try_get::<i32, _>(0).map(i64::from))
                .map_err(db("looking for the history table"))?;
            match n {
                0 => TableState::WithoutChecksum,
                _ => TableState::Current,
            }
        }
    })
}

/// The history table's state and its rows with their checksums (`None` for rows from
/// before checksums were kept). On PostgreSQL and MySQL this is one query: the rows are
/// read, and the server's "no such table" (or "no such column") says what is missing. On
/// SQLite, whose open transaction a failed statement would not harm but whose errors carry
/// no such code, the catalog is asked first.
pub async fn history(
    conn: &mut DbConnection,
    backend: Backend,
) -> Result<(TableState, BTreeMap<MigrationKey, Option<String>>)> {
    let context = "reading the history table";
    let state = match backend {
        Backend::Sqlite => table_state(conn, backend).await?,
        _ => match read(conn, backend, true).await {
            Ok(rows) => return Ok((TableState::Current, rows)),
            Err(e) if is_missing(&e, backend, false) => TableState::Missing,
            Err(e) if is_missing(&e, backend, true) => TableState::WithoutChecksum,
            Err(e) => return Err(db(context)(e)),
        },
    };
    let rows = match state {
        TableState::Missing => BTreeMap::new(),
        s => read(conn, backend, s == TableState::Current)
            .await
            .map_err(db(context))?,
    };
    Ok((state, rows))
}

/// Whether `e` is the server saying the history table (or, with `column`, its checksum
/// column) does not exist: SQLSTATE `42P01`/`42703` on PostgreSQL, `42S02`/`42S22` on MySQL.
fn is_missing(e: &sqlx::Error, backend: Backend, column: bool) -> bool {
    let code = match (backend, column) {
        (Backend::Postgres, false) => "42P01",
        (Backend::Postgres, true) => "42703",
        (Backend::Mysql, false) => "42S02",
        (Backend::Mysql, true) => "42S22",
        (Backend::Sqlite, _) => return false,
    };
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some(code))
}

/// The history table's rows, with their checksums when `checksums` (else `None`).
async fn read(
    conn: &mut DbConnection,
    backend: Backend,
    checksums: bool,
) -> sqlx::Result<BTreeMap<MigrationKey, Option<String>>> {
    let q = |s: &str| schema::quote(backend, s);
    let checksum = if checksums {
        q("checksum")
    } else {
        "NULL".to_owned()
    };
    let rows = sqlx::query(&format!(
        "SELECT {}, {}, {checksum} FROM {}",
        q("app"),
        q("name"),
        q(TABLE)
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let app: String = r.try_get(0)?;
            let name: String = r.try_get(1)?;
            let checksum = if checksums { text(r, 2)? } else { None };
            Ok((MigrationKey::new(app, name), checksum))
        })
        .collect()
}

/// A text column, also when the driver reports it as bytes (MariaDB's text through sqlx's
/// Any driver).
pub(crate) fn text(
    row: &sqlx::any::AnyRow,
    i: usize,
) -> std::result::Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(i).or_else(|_| {
        row.try_get::<Option<Vec<u8>>, _>(i)
            .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
    })
}

/// Sets the checksum of `key`'s row.
pub async fn set_checksum(
    conn: &mut DbConnection,
    backend: Backend,
    key: &MigrationKey,
    checksum: &str,
) -> Result<()> {
    let q = |s: &str| schema::quote(backend, s);
    let s = |v: &str| schema::string(backend, v);
    sqlx::raw_sql(&format!(
        "UPDATE {} SET {} = {} WHERE {} = {} AND {} = {}",
        q(TABLE),
        q("checksum"),
        s(checksum),
        q("app"),
        s(&key.app),
        q("name"),
        s(&key.name)
    ))
    .execute(&mut *conn)
    .await
    .map_err(db("recording a checksum"))?;
    Ok(())
}

/// The recorded migrations: none when the history table does not exist yet.
pub async fn applied(conn: &mut DbConnection, backend: Backend) -> Result<BTreeSet<MigrationKey>> {
    Ok(history(conn, backend).await?.1.into_keys().collect())
}

/// The applied migrations of each of `schemas` of a PostgreSQL database: which of them
/// have a history table (one query), then every row of those (one `UNION ALL` query).
pub async fn schema_histories(
    conn: &mut DbConnection,
    schemas: &[String],
) -> Result<std::collections::BTreeMap<String, BTreeSet<MigrationKey>>> {
    use sqlx::Row;
    let backend = Backend::Postgres;
    let lit = |s: &str| schema::literal(backend, &crate::fields::Value::Str(s.to_owned().into()));
    let mut out: std::collections::BTreeMap<String, BTreeSet<MigrationKey>> = schemas
        .iter()
        .map(|s| (s.clone(), BTreeSet::new()))
        .collect();
    if schemas.is_empty() {
        return Ok(out);
    }
    let list: Vec<String> = schemas.iter().map(|s| lit(s)).collect();
    let with_table = sqlx::query(&format!(
        "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = {} AND c.relkind IN ('r', 'p', 'v', 'f') AND n.nspname IN ({})",
        lit(TABLE),
        list.join(", ")
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("reading the history tables"))?;
    let with_table: Vec<String> = with_table
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .collect();
    if with_table.is_empty() {
        return Ok(out);
    }
    let q = |s: &str| schema::quote(backend, s);
    let union: Vec<String> = with_table
        .iter()
        .map(|s| {
            format!(
                "SELECT {} AS s, {}::text AS a, {}::text AS n FROM {}.{}",
                lit(s),
                q("app"),
                q("name"),
                q(s),
                q(TABLE)
            )
        })
        .collect();
    let rows = sqlx::query(&union.join(" UNION ALL "))
        .fetch_all(&mut *conn)
        .await
        .map_err(db("reading the history tables"))?;
    for r in rows {
        let (s, a, n): (String, String, String) = (
            r.try_get(0).unwrap_or_default(),
            r.try_get(1).unwrap_or_default(),
            r.try_get(2).unwrap_or_default(),
        );
        out.entry(s).or_default().insert(MigrationKey::new(a, n));
    }
    Ok(out)
}

/// Whether `key` has a row in the history table.
pub async fn is_applied(
    conn: &mut DbConnection,
    backend: Backend,
    key: &MigrationKey,
) -> Result<bool> {
    let q = |s: &str| schema::quote(backend, s);
    let (p1, p2) = placeholders(backend);
    let rows = sqlx::query(&format!(
        "SELECT 1 FROM {} WHERE {} = {p1} AND {} = {p2}",
        q(TABLE),
        q("app"),
        q("name")
    ))
    .bind(key.app.to_string())
    .bind(key.name.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(db("reading the history table"))?;
    Ok(!rows.is_empty())
}

/// Adds `key`'s row to the history table.
pub async fn record(
    conn: &mut DbConnection,
    backend: Backend,
    key: &MigrationKey,
    checksum: Option<&str>,
) -> Result<()> {
    sqlx::raw_sql(&schema::history_row(backend, &key.app, &key.name, checksum))
        .execute(&mut *conn)
        .await
        .map_err(db("recording a migration"))?;
    Ok(())
}

/// Deletes `key`'s row from the history table.
pub async fn unrecord(conn: &mut DbConnection, backend: Backend, key: &MigrationKey) -> Result<()> {
    let q = |s: &str| schema::quote(backend, s);
    let (p1, p2) = placeholders(backend);
    sqlx::query(&format!(
        "DELETE FROM {} WHERE {} = {p1} AND {} = {p2}",
        q(TABLE),
        q("app"),
        q("name")
    ))
    .bind(key.app.to_string())
    .bind(key.name.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db("unrecording a migration"))?;
    Ok(())
}
