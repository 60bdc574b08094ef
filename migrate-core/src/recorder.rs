//! The history table, like `django_migrations`: one row `(app, name, applied_at)` per
//! applied migration, created by the first run that records one.

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::migration::MigrationKey;
use crate::schema::{self, Backend};

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

pub async fn ensure_table(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    sqlx::raw_sql(&schema::history_table(backend))
        .execute(&mut *conn)
        .await
        .map_err(db("creating the history table"))?;
    Ok(())
}

/// Whether the history table exists. Only a run that records creates it, as in Django: a
/// command that only reads the history leaves the database as it found it.
async fn has_table(conn: &mut AnyConnection, backend: Backend) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"),
        Backend::Postgres => format!("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{TABLE}'"),
        Backend::Mysql => format!("SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{TABLE}'"),
    };
    let rows = sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("looking for the history table"))?;
    Ok(!rows.is_empty())
}

/// The recorded migrations: none when the history table does not exist yet.
pub async fn applied(conn: &mut AnyConnection, backend: Backend) -> Result<BTreeSet<MigrationKey>> {
    if !has_table(conn, backend).await? {
        return Ok(BTreeSet::new());
    }
    let q = |s: &str| schema::quote(backend, s);
    let rows = sqlx::query(&format!(
        "SELECT {}, {} FROM {}",
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
            Ok(MigrationKey::new(app, name))
        })
        .collect()
}

pub async fn is_applied(
    conn: &mut AnyConnection,
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

pub async fn record(conn: &mut AnyConnection, backend: Backend, key: &MigrationKey) -> Result<()> {
    sqlx::raw_sql(&schema::history_row(backend, &key.app, &key.name))
        .execute(&mut *conn)
        .await
        .map_err(db("recording a migration"))?;
    Ok(())
}

pub async fn unrecord(
    conn: &mut AnyConnection,
    backend: Backend,
    key: &MigrationKey,
) -> Result<()> {
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
