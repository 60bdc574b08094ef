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

/// Creates the history table, or adds the `checksum` column to one from before it.
pub async fn ensure_table(conn: &mut DbConnection, backend: Backend) -> Result<()> {
    sqlx::raw_sql(&schema::history_table(backend))
        .execute(&mut *conn)
        .await
        .map_err(db("creating the history table"))?;
    if !has_checksum_column(conn, backend).await? {
        let added = sqlx::raw_sql(&schema::history_checksum_column(backend))
            .execute(&mut *conn)
            .await;
        // A concurrent run may have added it first.
        if added.is_err() && !has_checksum_column(conn, backend).await? {
            added.map_err(db("adding the checksum column to the history table"))?;
        }
    }
    Ok(())
}

async fn has_checksum_column(conn: &mut DbConnection, backend: Backend) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT 1 FROM pragma_table_info('{TABLE}') WHERE name = 'checksum'"),
        Backend::Postgres => format!("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{TABLE}' AND column_name = 'checksum'"),
        Backend::Mysql => format!("SELECT 1 FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{TABLE}' AND column_name = 'checksum'"),
    };
    any_row(
        conn,
        &sql,
        "looking for the history table's checksum column",
    )
    .await
}

async fn any_row(conn: &mut DbConnection, sql: &str, context: &str) -> Result<bool> {
    let rows = sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(db(context))?;
    Ok(!rows.is_empty())
}

/// Whether the history table exists. Only a run that records creates it, as in Django: a
/// command that only reads the history leaves the database as it found it.
async fn has_table(conn: &mut DbConnection, backend: Backend) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"),
        Backend::Postgres => format!("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{TABLE}'"),
        Backend::Mysql => format!("SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{TABLE}'"),
    };
    any_row(conn, &sql, "looking for the history table").await
}

/// The recorded migrations with their checksums (`None` for rows from before checksums
/// were kept): none when the history table does not exist yet.
pub async fn history(
    conn: &mut DbConnection,
    backend: Backend,
) -> Result<BTreeMap<MigrationKey, Option<String>>> {
    if !has_table(conn, backend).await? {
        return Ok(BTreeMap::new());
    }
    let checksums = has_checksum_column(conn, backend).await?;
    read(conn, backend, checksums).await
}

/// The history table's rows, with their checksums when `checksums` (else `None`).
async fn read(
    conn: &mut DbConnection,
    backend: Backend,
    checksums: bool,
) -> Result<BTreeMap<MigrationKey, Option<String>>> {
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
    .await
    .map_err(db("reading the history table"))?;
    rows.iter()
        .map(|r| {
            let app: String = r.try_get(0).map_err(db("reading the history table"))?;
            let name: String = r.try_get(1).map_err(db("reading the history table"))?;
            let checksum = if checksums {
                text(r, 2).map_err(db("reading the history table"))?
            } else {
                None
            };
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
    if !has_table(conn, backend).await? {
        return Ok(BTreeSet::new());
    }
    Ok(read(conn, backend, false).await?.into_keys().collect())
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
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = {} AND table_schema IN ({})",
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
