//! The connection a run goes over: one the executor opened from a URL, or one borrowed from
//! the application's own pool (returned to it when the run ends). Either way it is a driver
//! connection behind sqlx's `AnyConnectionBackend`, so every query the executor, the
//! recorder and a data migration send is the same `Any` query. (sqlx's `AnyConnection`
//! cannot be made from a connection that already exists, which a pool hands out.)

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use futures_core::stream::BoxStream;
use futures_util::{stream, FutureExt, StreamExt};
use sqlx::any::{Any, AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Describe, Either, Execute};
use sqlx_core::any::AnyConnectionBackend;

use crate::schema::Backend;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A database connection of a migration run. A data migration reaches it through
/// [`RunContext::connection`](super::RunContext::connection) and queries it as it would an
/// `AnyConnection`: `sqlx::query("…").execute(cx.connection())`.
pub struct DbConnection {
    inner: Box<dyn AnyConnectionBackend>,
}

impl fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConnection")
            .field("backend", &self.inner.name())
            .finish()
    }
}

impl DbConnection {
    /// A driver's connection (`PgConnection`, `MySqlConnection`, `SqliteConnection`).
    pub fn new(conn: impl AnyConnectionBackend) -> Self {
        DbConnection {
            inner: Box::new(conn),
        }
    }

    /// A connection of the application's pool, which goes back to the pool when the run
    /// ends.
    pub fn pooled<DB>(conn: PoolConnection<DB>) -> Self
    where
        DB: Database,
        DB::Connection: AnyConnectionBackend,
    {
        DbConnection::new(Pooled(conn))
    }

    /// sqlx's name for the driver (`PostgreSQL`, `MySQL`, `SQLite`).
    pub fn driver(&self) -> &str {
        self.inner.name()
    }

    /// Which backend the driver speaks.
    pub fn backend(&self) -> Option<Backend> {
        match self.inner.name() {
            "PostgreSQL" => Some(Backend::Postgres),
            "MySQL" => Some(Backend::Mysql),
            "SQLite" => Some(Backend::Sqlite),
            _ => None,
        }
    }

    /// Closes the connection (a pooled one goes back to its pool).
    pub async fn close(self) -> sqlx::Result<()> {
        self.inner.close().await
    }
}

impl<'c> sqlx::Executor<'c> for &'c mut DbConnection {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        mut query: E,
    ) -> BoxStream<'e, sqlx::Result<Either<AnyQueryResult, AnyRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match query.take_arguments().map_err(sqlx::Error::Encode) {
            Ok(arguments) => self
                .inner
                .fetch_many(query.sql(), query.persistent(), arguments),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        mut query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<AnyRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match query.take_arguments().map_err(sqlx::Error::Encode) {
            Ok(arguments) => self
                .inner
                .fetch_optional(query.sql(), query.persistent(), arguments),
            Err(e) => async { Err(e) }.boxed(),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<AnyStatement<'q>>>
    where
        'c: 'e,
    {
        self.inner.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, sqlx::Result<Describe<Any>>>
    where
        'c: 'e,
    {
        self.inner.describe(sql)
    }
}

/// A pool's connection as a backend of its own: everything goes to the driver's connection
/// inside, and closing it hands it back to the pool.
#[derive(Debug)]
struct Pooled<DB: Database>(PoolConnection<DB>);

impl<DB> AnyConnectionBackend for Pooled<DB>
where
    DB: Database,
    DB::Connection: AnyConnectionBackend,
{
    fn name(&self) -> &str {
        (*self.0).name()
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, sqlx::Result<()>> {
        // Dropping a pool's connection returns it to the pool.
        async move {
            drop(self);
            Ok(())
        }
        .boxed()
    }

    fn close_hard(self: Box<Self>) -> BoxFuture<'static, sqlx::Result<()>> {
        let Pooled(conn) = *self;
        async move { conn.close().await }.boxed()
    }

    fn ping(&mut self) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::ping(&mut *self.0)
    }

    fn begin(&mut self, statement: Option<Cow<'static, str>>) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::begin(&mut *self.0, statement)
    }

    fn commit(&mut self) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::commit(&mut *self.0)
    }

    fn rollback(&mut self) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::rollback(&mut *self.0)
    }

    fn start_rollback(&mut self) {
        AnyConnectionBackend::start_rollback(&mut *self.0)
    }

    fn get_transaction_depth(&self) -> usize {
        AnyConnectionBackend::get_transaction_depth(&*self.0)
    }

    fn cached_statements_size(&self) -> usize {
        AnyConnectionBackend::cached_statements_size(&*self.0)
    }

    fn clear_cached_statements(&mut self) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::clear_cached_statements(&mut *self.0)
    }

    fn shrink_buffers(&mut self) {
        AnyConnectionBackend::shrink_buffers(&mut *self.0)
    }

    fn flush(&mut self) -> BoxFuture<'_, sqlx::Result<()>> {
        AnyConnectionBackend::flush(&mut *self.0)
    }

    fn should_flush(&self) -> bool {
        AnyConnectionBackend::should_flush(&*self.0)
    }

    fn fetch_many<'q>(
        &'q mut self,
        query: &'q str,
        persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxStream<'q, sqlx::Result<Either<AnyQueryResult, AnyRow>>> {
        AnyConnectionBackend::fetch_many(&mut *self.0, query, persistent, arguments)
    }

    fn fetch_optional<'q>(
        &'q mut self,
        query: &'q str,
        persistent: bool,
        arguments: Option<AnyArguments<'q>>,
    ) -> BoxFuture<'q, sqlx::Result<Option<AnyRow>>> {
        AnyConnectionBackend::fetch_optional(&mut *self.0, query, persistent, arguments)
    }

    fn prepare_with<'c, 'q: 'c>(
        &'c mut self,
        sql: &'q str,
        parameters: &[AnyTypeInfo],
    ) -> BoxFuture<'c, sqlx::Result<AnyStatement<'q>>> {
        AnyConnectionBackend::prepare_with(&mut *self.0, sql, parameters)
    }

    fn describe<'q>(&'q mut self, sql: &'q str) -> BoxFuture<'q, sqlx::Result<Describe<Any>>> {
        AnyConnectionBackend::describe(&mut *self.0, sql)
    }
}
