//! Real databases for tests: one fresh database per test on SQLite, PostgreSQL and MariaDB,
//! and the schema read back from each backend's catalog.
//!
//! A server that cannot be reached fails the test under `CI=true`; elsewhere the test skips,
//! saying so on stderr.

use std::path::PathBuf;

use migrate_core::executor::Executor;
use migrate_core::loader::Loader;
use migrate_core::planner::Target;
use migrate_core::schema::Backend;
use migrate_core::ProjectState;
use sqlx::{AnyConnection, Connection, Row};

/// A current-thread runtime for tests that drive sqlx themselves.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn server_url(backend: Backend) -> String {
    match backend {
        Backend::Postgres => std::env::var("MIGRATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        Backend::Mysql => std::env::var("MIGRATE_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    }
}

/// `scheme://authority/<db>` with the database replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL has a path");
    format!("{base}/{db}")
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<PathBuf>,
}

impl TestDb {
    /// A fresh, empty database named after the test; `None` (with a loud message) when
    /// the server is unreachable outside CI.
    pub fn create(backend: Backend, name: &str) -> Option<TestDb> {
        sqlx::any::install_default_drivers();
        let db = format!("migrate_t_{}", name.replace('-', "_"));
        if backend == Backend::Sqlite {
            let dir = std::env::temp_dir().join(format!("migrate-tests-{db}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
            return Some(TestDb {
                backend,
                url,
                _dir: Some(dir),
            });
        }
        let admin = server_url(backend);
        let created = runtime().block_on(async {
            let mut conn = AnyConnection::connect(&admin).await?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db}"))
                .execute(&mut conn)
                .await?;
            sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
                .execute(&mut conn)
                .await?;
            conn.close().await
        });
        match created {
            Ok(()) => Some(TestDb {
                backend,
                url: with_database(&admin, &db),
                _dir: None,
            }),
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("{backend} at {admin} is unreachable under CI=true: {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED: {backend} at {admin} is unreachable ({e}); start it (see .ci/run) to run this test");
                None
            }
        }
    }

    /// Every server this machine offers (SQLite always).
    pub fn all(name: &str) -> Vec<TestDb> {
        Backend::ALL
            .into_iter()
            .filter_map(|b| TestDb::create(b, &format!("{name}_{b}")))
            .collect()
    }

    /// The URL to connect with: an SQLite file is created if it is not there yet.
    fn connect_url(&self) -> String {
        match self.backend {
            Backend::Sqlite if !self.url.contains('?') => format!("{}?mode=rwc", self.url),
            _ => self.url.clone(),
        }
    }

    /// Runs statements.
    pub fn execute(&self, sql: &str) {
        self.try_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs statements, the database's refusal as an error.
    pub fn try_execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        runtime().block_on(async {
            let mut conn = AnyConnection::connect(&self.connect_url()).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
            conn.close().await
        })
    }

    /// `migrate` to `target` with `loader`'s migrations, as the CLI runs it; the error as
    /// its message.
    pub fn try_migrate(&self, loader: &Loader, target: &Target) -> Result<(), String> {
        runtime().block_on(async {
            let mut executor = Executor::connect(&self.url)
                .await
                .map_err(|e| e.to_string())?;
            executor
                .migrate(loader, target, false, &mut |_| {})
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }

    /// [`try_migrate`](Self::try_migrate), which must succeed.
    pub fn migrate(&self, loader: &Loader, target: &Target) {
        self.try_migrate(loader, target)
            .unwrap_or_else(|e| panic!("{}: migrate to {target:?}: {e}", self.backend));
    }

    /// Rows of a query whose columns are all text, NULL read as an empty string.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.values(sql)
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect()
    }

    /// Rows of a query whose columns are all text, NULL as `None`.
    pub fn values(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        runtime()
            .block_on(async {
                let mut conn = AnyConnection::connect(&self.connect_url()).await?;
                let rows = sqlx::query(sql).fetch_all(&mut conn).await?;
                let out = rows
                    .iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                // The Any driver reports MariaDB's text as BLOB: read bytes then.
                                r.try_get::<Option<String>, _>(i).or_else(|_| {
                                    r.try_get::<Option<Vec<u8>>, _>(i).map(|b| {
                                        b.map(|b| String::from_utf8_lossy(&b).into_owned())
                                    })
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                conn.close().await?;
                Ok::<_, sqlx::Error>(out)
            })
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// A UUID as an SQL literal for a `Uuid` column: text on PostgreSQL, its 16 bytes on
    /// SQLite and MySQL (where the column is `blob` / `binary(16)`, as sqlx encodes it).
    pub fn uuid(&self, uuid: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("'{uuid}'"),
            _ => format!("X'{}'", uuid.replace('-', "")),
        }
    }

    /// A `Uuid` column (or expression) as hyphenated lowercase text, as `rows` needs it.
    pub fn uuid_text(&self, expr: &str) -> String {
        let hex = format!("LOWER(HEX({expr}))");
        let part = |from: usize, len: usize| format!("SUBSTR({hex}, {from}, {len})");
        let parts = [
            part(1, 8),
            part(9, 4),
            part(13, 4),
            part(17, 4),
            part(21, 12),
        ];
        match self.backend {
            Backend::Postgres => format!("({expr})::text"),
            Backend::Mysql => format!("CONCAT_WS('-', {})", parts.join(", ")),
            Backend::Sqlite => parts.join(" || '-' || "),
        }
    }

    /// An SQL expression converted to text, as `rows` needs it.
    pub fn text(&self, expr: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("({expr})::text"),
            Backend::Mysql => format!("CONVERT({expr} USING utf8mb4)"),
            Backend::Sqlite => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// The schema as the database reports it, through the product's own reader
    /// (`Executor::live_schema`), the history and progress tables aside.
    pub fn introspect(&self) -> Schema {
        runtime()
            .block_on(async {
                let mut executor = Executor::connect(&self.url).await?;
                let schema = executor.live_schema().await?;
                executor.close().await?;
                Ok::<_, migrate_core::Error>(schema)
            })
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.backend))
    }
}

impl TestDb {
    /// Everything the database's catalog says, through the product's reader
    /// (`Executor::catalog`), what `inspectdb` reads.
    pub fn catalog(&self) -> migrate_core::executor::Catalog {
        runtime()
            .block_on(async {
                let mut executor = Executor::connect(&self.url).await?;
                let catalog = executor.catalog().await?;
                executor.close().await?;
                Ok::<_, migrate_core::Error>(catalog)
            })
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.backend))
    }
}

/// What a database says about its tables.
pub type Schema = migrate_core::executor::LiveSchema;

/// What the state's tables should look like in that database.
pub fn expected(state: &ProjectState, backend: Backend) -> Schema {
    Schema::expected(state, backend).expect("a valid state")
}
