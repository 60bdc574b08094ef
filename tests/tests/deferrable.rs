//! `#[field(deferrable)]`: a foreign key checked at commit on PostgreSQL and SQLite, so a
//! transaction may write a row before the row it points at; the default key, and every key
//! on MySQL (which has no deferred checks), refuses that at the statement.

use migrate_core::fields::{foreign_key, ColumnType::*, OnDelete};
use migrate_core::loader::Loader;
use migrate_core::operations::{AlterField, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::{quote, Backend};
use migrate_core::{Field, Migration, MigrationKey};
use migrate_tests::db::{runtime, TestDb};
use migrate_tests::history::{sql_both_ways, written_file};
use sqlx::{AnyConnection, Connection};

fn author() -> Field {
    Field::new("author", foreign_key("Author", OnDelete::Cascade))
}

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("lib", "0001_initial").initial().operations([
            CreateModel::new("Author", "lib_author")
                .fields([Field::new("id", Integer).primary_key()])
                .into(),
            CreateModel::new("Book", "lib_book")
                .fields([Field::auto_id(), author()])
                .into(),
        ]),
        Migration::new("lib", "0002_deferrable")
            .depends_on("lib", "0001_initial")
            .operations([AlterField::new("Book", author().deferrable()).into()]),
    ]
}

/// A connection that checks foreign keys (SQLite needs asking).
async fn connect(url: &str, backend: Backend) -> AnyConnection {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    if backend == Backend::Sqlite {
        sqlx::raw_sql("PRAGMA foreign_keys = ON")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn
}

/// In one transaction, a book pointing at author `id`, then that author. `Ok` when it
/// commits, `Err` with where it was refused.
async fn book_before_author(url: &str, backend: Backend, id: i32) -> Result<(), String> {
    let q = |s: &str| quote(backend, s);
    let mut conn = connect(url, backend).await;
    let mut tx = conn.begin().await.unwrap();
    let book = format!(
        "INSERT INTO {} ({}) VALUES ({id})",
        q("lib_book"),
        q("author_id")
    );
    if let Err(e) = sqlx::raw_sql(&book).execute(&mut *tx).await {
        return Err(format!("the book: {e}"));
    }
    let author = format!(
        "INSERT INTO {} ({}) VALUES ({id})",
        q("lib_author"),
        q("id")
    );
    sqlx::raw_sql(&author).execute(&mut *tx).await.unwrap();
    tx.commit().await.map_err(|e| format!("the commit: {e}"))
}

#[test]
fn a_deferrable_key_is_checked_at_commit_where_the_backend_can() {
    let rt = runtime();
    for db in TestDb::all("lib_deferrable") {
        sqlx::any::install_default_drivers();
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        let initial = MigrationKey::new("lib", "0001_initial");

        migrate(Target::Migration(initial.clone()));
        let refused = rt.block_on(book_before_author(&db.url, db.backend, 1));
        assert!(refused.is_err(), "{}: checked by the statement", db.backend);

        migrate(Target::All);
        let deferred = rt.block_on(book_before_author(&db.url, db.backend, 2));
        match db.backend {
            Backend::Mysql => assert!(deferred.is_err(), "MySQL has no deferred checks"),
            _ => assert_eq!(deferred, Ok(()), "{}", db.backend),
        }
        // A dangling key is still refused, at the commit.
        let dangling = rt.block_on(async {
            let mut conn = connect(&db.url, db.backend).await;
            let mut tx = conn.begin().await.unwrap();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES (99)",
                quote(db.backend, "lib_book"),
                quote(db.backend, "author_id")
            );
            let inserted = sqlx::raw_sql(&sql).execute(&mut *tx).await;
            inserted.is_err() || tx.commit().await.is_err()
        });
        assert!(dangling, "{}: a dangling key is refused", db.backend);

        // Back again: the rows stay, the key is immediate once more.
        let books = format!("SELECT {} FROM lib_book ORDER BY 1", db.text("author_id"));
        let before = db.rows(&books);
        assert_eq!(
            before.len(),
            if db.backend == Backend::Mysql { 0 } else { 1 }
        );
        migrate(Target::Migration(initial));
        assert_eq!(db.rows(&books), before, "{}", db.backend);
        let refused = rt.block_on(book_before_author(&db.url, db.backend, 3));
        assert!(refused.is_err(), "{}: immediate again", db.backend);
    }
}

/// The file `makemigrations` writes for the change, and its SQL on each backend, both ways.
#[test]
fn a_deferrable_key_as_written_and_as_sql() {
    let migrations = migrations();
    insta::assert_snapshot!("deferrable_file", written_file(&migrations, 1));
    insta::assert_snapshot!("deferrable_sql", sql_both_ways(&migrations, 1));
}
