//! The shop migrating itself when it starts, over its own sqlx pool (no URL handed to the
//! tool, no CLI), on SQLite (an in-memory pool of one connection: the run must hand it
//! back), PostgreSQL and MariaDB; two instances starting at once apply each migration once.

use std::collections::BTreeSet;

use migrate_core::loader::Loader;
use migrate_core::schema::Backend;
use migrate_core::MigrationKey;
use migrate_tests::db::{expected, runtime, TestDb};
use sqlx::Row;

/// What a fresh database's run applies: the plan `migrate` makes (the tenants squash stands
/// for the migrations it replaces).
fn whole_plan() -> BTreeSet<MigrationKey> {
    let loader = Loader::new(shop::MIGRATIONS.all()).unwrap();
    let steps = migrate_core::planner::plan(
        loader.graph(),
        &BTreeSet::new(),
        &migrate_core::planner::Target::All,
    )
    .unwrap();
    steps.into_iter().map(|s| s.key).collect()
}

fn final_state() -> migrate_core::ProjectState {
    Loader::new(shop::MIGRATIONS.all())
        .unwrap()
        .project_state()
        .unwrap()
}

#[tokio::test]
async fn an_in_memory_sqlite_pool_of_one_connection_migrates_and_gets_its_connection_back() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let applied = shop::MIGRATIONS.run(&pool).await.unwrap();
    assert_eq!(
        applied.iter().cloned().collect::<BTreeSet<_>>(),
        whole_plan()
    );
    assert_eq!(applied.len(), whole_plan().len(), "each once: {applied:?}");

    // The same in-memory database, through the pool's only connection: the run gave it
    // back, with the settings the pool made it with.
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM catalog_product")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
    let pragma = |name: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query(&format!("PRAGMA {name}"))
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    assert_eq!(pragma("foreign_keys").await, 1);
    assert_eq!(pragma("busy_timeout").await, 5000, "sqlx's default");

    // Started again: nothing to do.
    assert_eq!(shop::MIGRATIONS.run(&pool).await.unwrap(), vec![]);
}

#[test]
fn a_sqlite_file_pool_with_foreign_keys_off_keeps_them_off() {
    let Some(db) = TestDb::create(Backend::Sqlite, "startup_sqlite_file") else {
        return;
    };
    runtime().block_on(async {
        let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(options.create_if_missing(true).foreign_keys(false))
            .await
            .unwrap();
        let applied = shop::MIGRATIONS.run(&pool).await.unwrap();
        assert_eq!(applied.len(), whole_plan().len());
        let fk: i64 = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(fk, 0, "the pool's own setting");
        pool.close().await;
    });
    assert_eq!(db.introspect(), expected(&final_state(), db.backend));
}

#[test]
fn a_postgres_pool_migrates_once_when_two_instances_start_at_once() {
    let Some(db) = TestDb::create(Backend::Postgres, "startup_postgres") else {
        return;
    };
    let start = || {
        let url = db.url.clone();
        std::thread::spawn(move || {
            runtime().block_on(async {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await
                    .unwrap();
                let applied = shop::MIGRATIONS.run(&pool).await.unwrap();
                // The application goes on with its pool.
                let one: i32 = sqlx::query("SELECT 1")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .get(0);
                assert_eq!(one, 1);
                pool.close().await;
                applied
            })
        })
    };
    let (a, b) = (start(), start());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    let mut both = a.clone();
    both.extend(b.iter().cloned());
    assert_eq!(
        both.len(),
        whole_plan().len(),
        "each migration once: {a:?} {b:?}"
    );
    assert_eq!(both.into_iter().collect::<BTreeSet<_>>(), whole_plan());
    assert_eq!(db.introspect(), expected(&final_state(), db.backend));
}

#[test]
fn a_mysql_pool_migrates_and_a_second_start_finds_nothing_to_do() {
    let Some(db) = TestDb::create(Backend::Mysql, "startup_mysql") else {
        return;
    };
    runtime().block_on(async {
        let pool = sqlx::mysql::MySqlPoolOptions::new()
            .connect(&db.url)
            .await
            .unwrap();
        let applied = shop::MIGRATIONS.run(&pool).await.unwrap();
        assert_eq!(applied.into_iter().collect::<BTreeSet<_>>(), whole_plan());
        assert_eq!(shop::MIGRATIONS.run(&pool).await.unwrap(), vec![]);
        pool.close().await;
    });
    assert_eq!(db.introspect(), expected(&final_state(), db.backend));
}
