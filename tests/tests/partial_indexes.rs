//! Partial indexes, conditional unique constraints, descending columns and unique
//! expressions, with rows in the table. PostgreSQL and SQLite build them; MySQL and MariaDB
//! have none of partial or expression indexes, and the migration is refused before it runs,
//! naming the index.

use migrate_core::fields::ColumnType::*;
use migrate_core::loader::Loader;
use migrate_core::operations::{AddIndex, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::{quote, Backend};
use migrate_core::{Field, Index, Migration, MigrationKey};
use migrate_tests::db::TestDb;
use migrate_tests::history::{sql_both_ways, written_file};

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("crm", "0001_initial")
            .initial()
            .operations([CreateModel::new("Account", "crm_account")
                .fields([
                    Field::auto_id(),
                    Field::new("email", Varchar(100)),
                    Field::new("handle", Varchar(30)),
                    Field::new("deleted", Boolean).default(false),
                    Field::new("score", Integer).default(0),
                ])
                .into()]),
        Migration::new("crm", "0002_indexes")
            .depends_on("crm", "0001_initial")
            .operations([
                AddIndex::new(
                    "Account",
                    Index::new("account_live_email_uniq", ["email"])
                        .unique()
                        .condition("NOT deleted"),
                )
                .into(),
                AddIndex::new(
                    "Account",
                    Index::new("account_score_idx", ["deleted", "score"]).descending(["score"]),
                )
                .into(),
                AddIndex::new(
                    "Account",
                    Index::new("account_handle_uniq", [])
                        .unique()
                        .expressions(["lower(handle)"]),
                )
                .into(),
            ]),
    ]
}

#[test]
fn partial_and_expression_indexes_with_rows() {
    for db in TestDb::all("crm_partial") {
        let q = |s: &str| quote(db.backend, s);
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.try_migrate(&loader, &target);
        let initial = Target::Migration(MigrationKey::new("crm", "0001_initial"));
        let insert = |email: &str, handle: &str, deleted: bool| {
            let deleted = match db.backend {
                Backend::Postgres => deleted.to_string(),
                _ => u8::from(deleted).to_string(),
            };
            db.try_execute(&format!(
                "INSERT INTO {} ({}, {}, {}) VALUES ('{email}', '{handle}', {deleted})",
                q("crm_account"),
                q("email"),
                q("handle"),
                q("deleted")
            ))
        };
        migrate(initial.clone()).unwrap();
        insert("a@x", "Ann", true).unwrap();
        insert("a@x", "Bob", false).unwrap();
        let rows = format!(
            "SELECT {}, {} FROM {} ORDER BY {}",
            q("email"),
            q("handle"),
            q("crm_account"),
            q("id")
        );
        let before = db.rows(&rows);

        let result = migrate(Target::All);
        if db.backend == Backend::Mysql {
            let err = result.unwrap_err();
            assert!(
                err.contains("index `account_live_email_uniq` of crm.Account cannot be created on MySQL/MariaDB")
                    && err.contains("no partial indexes"),
                "{err}"
            );
            assert_eq!(db.rows(&rows), before);
            let applied = db.rows(&format!(
                "SELECT {} FROM {}",
                q("name"),
                q(migrate_core::recorder::TABLE)
            ));
            assert_eq!(applied, [["0001_initial"]], "nothing of 0002 is recorded");
            continue;
        }
        result.unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert!(
            insert("a@x", "Cy", false).is_err(),
            "{}: one live a@x",
            db.backend
        );
        insert("a@x", "Dee", true).expect("deleted rows are not in the partial index");
        assert!(
            insert("c@x", "ann", false).is_err(),
            "{}: lower(handle) is unique",
            db.backend
        );
        insert("c@x", "Eve", false).unwrap();

        migrate(initial).unwrap();
        assert_eq!(db.rows(&rows).len(), 4, "{}", db.backend);
        insert("a@x", "ANN", false).expect("the indexes are gone");
    }
}

/// The file `makemigrations` writes for these indexes, and their SQL on each backend.
#[test]
fn partial_indexes_as_written_and_as_sql() {
    let migrations = migrations();
    insta::assert_snapshot!("partial_indexes_file", written_file(&migrations, 1));
    insta::assert_snapshot!("partial_indexes_sql", sql_both_ways(&migrations, 1));
}
