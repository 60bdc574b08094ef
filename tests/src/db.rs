//! Real databases for tests: one fresh database per test on SQLite, PostgreSQL and MariaDB,
//! and the schema read back from each backend's catalog.
//!
//! A server that cannot be reached fails the test under `CI=true`; elsewhere the test skips,
//! saying so on stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use migrate_core::executor::Executor;
use migrate_core::loader::Loader;
use migrate_core::planner::Target;
use migrate_core::schema::{type_name, Backend};
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

    /// The schema as the database reports it, the history and progress tables aside.
    pub fn introspect(&self) -> Schema {
        let mut schema = Schema::default();
        let text = |s: &str| self.text(s);
        let tables: Vec<String> = match self.backend {
            Backend::Postgres => self.rows(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            ),
            Backend::Mysql => self.rows(&format!(
                "SELECT {} FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
                text("TABLE_NAME")
            )),
            Backend::Sqlite => self.rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ),
        }
        .into_iter()
        .map(|r| r[0].clone())
        .filter(|t| t != migrate_core::recorder::TABLE && t != migrate_core::recorder::PROGRESS_TABLE)
        .collect();
        for table in tables {
            let mut info = TableInfo::default();
            // The table's name as a string literal: names here may hold any character.
            let lit = migrate_core::schema::literal(
                self.backend,
                &migrate_core::Value::Str(table.clone().into()),
            );
            let columns = match self.backend {
                Backend::Postgres => self.rows(&format!(
                    "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (NOT a.attnotnull)::text, (d.adbin IS NOT NULL)::text \
                     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                     WHERE n.nspname = current_schema() AND c.relname = {lit} AND a.attnum > 0 AND NOT a.attisdropped"
                )),
                Backend::Mysql => self.rows(&format!(
                    "SELECT {}, {}, IF(IS_NULLABLE = 'YES', 'true', 'false'), IF(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL', 'false', 'true') \
                     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit}",
                    text("COLUMN_NAME"),
                    text("COLUMN_TYPE")
                )),
                Backend::Sqlite => self.rows(&format!(
                    "SELECT name, type, CASE WHEN \"notnull\" = 0 AND pk = 0 THEN 'true' ELSE 'false' END, CASE WHEN dflt_value IS NULL THEN 'false' ELSE 'true' END FROM pragma_table_info({lit})"
                )),
            };
            for c in columns {
                info.columns.insert(
                    c[0].clone(),
                    (
                        normalize(self.backend, &c[1]),
                        c[2] == "true",
                        c[3] == "true",
                    ),
                );
            }
            let fks = match self.backend {
                Backend::Postgres => self.rows(&format!(
                    "SELECT a.attname::text, cf.relname::text, af.attname::text, c.confdeltype::text FROM pg_constraint c \
                     JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class cf ON cf.oid = c.confrelid \
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                     JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
                     WHERE c.contype = 'f' AND t.relname = {lit}"
                )),
                Backend::Mysql => self.rows(&format!(
                    "SELECT {}, {}, {}, {} FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                     ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                     WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = {lit} AND k.REFERENCED_TABLE_NAME IS NOT NULL",
                    text("k.COLUMN_NAME"),
                    text("k.REFERENCED_TABLE_NAME"),
                    text("k.REFERENCED_COLUMN_NAME"),
                    text("r.DELETE_RULE")
                )),
                Backend::Sqlite => self.rows(&format!(
                    "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list({lit})"
                )),
            };
            for f in fks {
                let rule = match f[3].as_str() {
                    "a" => "NO ACTION",
                    "r" => "RESTRICT",
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "d" => "SET DEFAULT",
                    other => other,
                };
                info.foreign_keys.insert((
                    f[0].clone(),
                    f[1].clone(),
                    f[2].clone(),
                    rule.to_owned(),
                ));
            }
            let (indexes, uniques) = match self.backend {
                Backend::Postgres => (
                    self.rows(&format!(
                        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = {lit} AND indexdef NOT LIKE 'CREATE UNIQUE%'"
                    )),
                    self.rows(&format!(
                        "SELECT c.conname::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'u' AND t.relname = {lit}"
                    )),
                ),
                Backend::Mysql => (
                    self.rows(&format!(
                        "SELECT DISTINCT {} FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND NON_UNIQUE = 1",
                        text("INDEX_NAME")
                    )),
                    self.rows(&format!(
                        "SELECT DISTINCT {} FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
                        text("INDEX_NAME")
                    )),
                ),
                // SQLite names a constraint's index itself; unique constraints are known by their columns.
                Backend::Sqlite => (
                    self.rows(&format!("SELECT name FROM pragma_index_list({lit}) WHERE \"unique\" = 0")),
                    self.rows(&format!(
                        "SELECT (SELECT group_concat(name, ',') FROM pragma_index_info(l.name)) FROM pragma_index_list({lit}) l WHERE l.origin = 'u'"
                    )),
                ),
            };
            info.indexes = indexes.into_iter().map(|r| r[0].clone()).collect();
            info.uniques = uniques.into_iter().map(|r| r[0].clone()).collect();
            info.checks = match self.backend {
                Backend::Postgres => self.rows(&format!(
                    "SELECT c.conname::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'c' AND t.relname = {lit}"
                )),
                Backend::Mysql => self.rows(&format!(
                    "SELECT {} FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} AND CONSTRAINT_TYPE = 'CHECK'",
                    text("CONSTRAINT_NAME")
                )),
                Backend::Sqlite => Vec::new(),
            }
            .into_iter()
            .map(|r| r[0].clone())
            // MariaDB adds a json_valid() check named after each json column.
            .filter(|name| !info.columns.contains_key(name))
            .collect();
            if self.backend == Backend::Sqlite {
                let sql = self.rows(&format!("SELECT sql FROM sqlite_master WHERE name = {lit}"));
                let sql = &sql[0][0];
                let mut rest = sql.as_str();
                while let Some(at) = rest.find("CONSTRAINT \"") {
                    rest = &rest[at + 12..];
                    // A quoted name: `""` inside stands for `"`.
                    let mut name = String::new();
                    let mut chars = rest.char_indices().peekable();
                    let mut end = rest.len();
                    while let Some((i, c)) = chars.next() {
                        if c == '"' {
                            if chars.peek().is_some_and(|(_, n)| *n == '"') {
                                chars.next();
                            } else {
                                end = i + 1;
                                break;
                            }
                        }
                        name.push(c);
                    }
                    rest = &rest[end..];
                    if rest.trim_start().starts_with("CHECK") {
                        info.checks.insert(name);
                    }
                }
            }
            schema.tables.insert(table, info);
        }
        schema
    }
}

/// What a database says about its tables.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, TableInfo>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// column → (type, nullable, has a default)
    pub columns: BTreeMap<String, (String, bool, bool)>,
    /// (column, referenced table, referenced column, on delete)
    pub foreign_keys: BTreeSet<(String, String, String, String)>,
    /// Names of the non-unique indexes.
    pub indexes: BTreeSet<String>,
    /// Unique constraints: names (on SQLite, their columns joined by `,`).
    pub uniques: BTreeSet<String>,
    pub checks: BTreeSet<String>,
}

/// A type as the catalog spells it, reduced to compare with what we asked for.
fn normalize(backend: Backend, raw: &str) -> String {
    let mut t = raw.to_lowercase().replace(' ', "");
    match backend {
        Backend::Postgres => {
            t = t.replace("charactervarying", "varchar");
        }
        Backend::Mysql => {
            if t == "tinyint(1)" {
                return "bool".into();
            }
            for int in ["smallint", "bigint", "int"] {
                if let Some(rest) = t.strip_prefix(&format!("{int}(")) {
                    if rest.ends_with(')')
                        && rest[..rest.len() - 1].chars().all(|c| c.is_ascii_digit())
                    {
                        t = int.to_owned();
                    }
                }
            }
            // MariaDB's json is longtext with a json_valid() check.
            if t == "json" {
                t = "longtext".into();
            }
        }
        Backend::Sqlite => {}
    }
    t
}

/// What the state's tables should look like in that database.
pub fn expected(state: &ProjectState, backend: Backend) -> Schema {
    let mut schema = Schema::default();
    for table in state.tables_for(Some(backend)).expect("a valid state") {
        let mut info = TableInfo::default();
        let sole_key = table.primary_key.len() == 1;
        for c in &table.columns {
            let auto_sqlite = backend == Backend::Sqlite && c.auto_increment && sole_key;
            let ty = if auto_sqlite {
                "integer".to_owned()
            } else {
                type_name(backend, c.ty)
            };
            info.columns.insert(
                c.name.clone(),
                (normalize(backend, &ty), c.nullable, c.default.is_some()),
            );
        }
        for fk in &table.foreign_keys {
            info.foreign_keys.insert((
                fk.column.clone(),
                fk.ref_table.clone(),
                fk.ref_column.clone(),
                fk.on_delete.sql().to_owned(),
            ));
        }
        info.indexes = table
            .indexes
            .iter()
            .filter(|i| !i.unique)
            .map(|i| i.name.clone())
            .collect();
        info.uniques = table
            .uniques
            .iter()
            .map(|u| match backend {
                Backend::Sqlite => u.columns.join(","),
                _ => u.name.clone(),
            })
            .chain(
                table
                    .indexes
                    .iter()
                    .filter(|i| i.unique && backend == Backend::Mysql)
                    .map(|i| i.name.clone()),
            )
            .collect();
        info.checks = table.checks.iter().map(|(n, _)| n.clone()).collect();
        schema.tables.insert(table.name.clone(), info);
    }
    schema
}
