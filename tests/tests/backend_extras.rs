//! What a model means on one backend only, as Django does it: on PostgreSQL an indexed,
//! unique or key string column also gets a pattern-ops index (`LIKE 'x%'` can use it); on
//! SQLite a JSON column only takes valid JSON.

use migrate_core::fields::ColumnType::*;
use migrate_core::loader::Loader;
use migrate_core::operations::{AlterField, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::{quote, Backend};
use migrate_core::{Field, Migration, MigrationKey};
use migrate_tests::db::TestDb;
use migrate_tests::history::sql_both_ways;

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("docs", "0001_initial")
            .initial()
            .operations([CreateModel::new("Page", "docs_page")
                .fields([
                    Field::auto_id(),
                    Field::new("slug", Varchar(50)).unique(),
                    Field::new("title", Text).db_index(),
                    Field::new("meta", Json).null(),
                ])
                .into()]),
        // No longer unique: the pattern-ops index goes with the constraint.
        Migration::new("docs", "0002_alter_page_slug")
            .depends_on("docs", "0001_initial")
            .operations([AlterField::new("Page", Field::new("slug", Varchar(50))).into()]),
    ]
}

#[test]
fn pattern_ops_indexes_and_json_checks() {
    for db in TestDb::all("docs_backend_extras") {
        let q = |s: &str| quote(db.backend, s);
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        let initial = Target::Migration(MigrationKey::new("docs", "0001_initial"));
        let insert = |slug: &str, meta: &str| {
            db.try_execute(&format!(
                "INSERT INTO {} ({}, {}, {}) VALUES ('{slug}', 'A', {meta})",
                q("docs_page"),
                q("slug"),
                q("title"),
                q("meta"),
            ))
        };
        let like_indexes = || {
            match db.backend {
            Backend::Postgres => db.rows(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'docs_page' AND indexname LIKE '%like' ORDER BY 1",
            ),
            _ => Vec::new(),
        }
        };

        migrate(initial.clone());
        insert("a", "'{\"lang\": \"en\"}'").unwrap();
        insert("b", "NULL").unwrap();
        // SQLite by the check; MariaDB's json type brings its own json_valid() check, and
        // PostgreSQL's jsonb parses what it stores.
        let bad = insert("c", "'{not json'");
        assert!(bad.is_err(), "{}: invalid JSON is refused", db.backend);
        let indexes = like_indexes();
        if db.backend == Backend::Postgres {
            assert_eq!(indexes.len(), 2, "{indexes:?}");
            assert!(
                indexes[0][0].contains("(slug varchar_pattern_ops)"),
                "{indexes:?}"
            );
            assert!(
                indexes[1][0].contains("(title text_pattern_ops)"),
                "{indexes:?}"
            );
        }

        if db.backend == Backend::Postgres {
            // A database made before the tool wrote these indexes has none to drop.
            let slug = db.rows(
                "SELECT indexname::text FROM pg_indexes WHERE indexname LIKE 'docs_page_slug%like'",
            );
            db.execute(&format!("DROP INDEX {}", q(&slug[0][0])));
        }
        migrate(Target::All);
        assert_eq!(
            like_indexes().len(),
            usize::from(db.backend == Backend::Postgres)
        );
        let rows = format!("SELECT {} FROM {} ORDER BY 1", q("slug"), q("docs_page"));
        assert_eq!(db.rows(&rows).len(), 2, "{}", db.backend);
        assert!(
            insert("d", "'[1'").is_err(),
            "{}: still checked",
            db.backend
        );

        migrate(initial);
        assert_eq!(
            like_indexes().len(),
            if db.backend == Backend::Postgres {
                2
            } else {
                0
            }
        );
        assert_eq!(db.rows(&rows).len(), 2, "{}", db.backend);
    }
}

/// Both migrations as SQL on each backend, both ways: the `_like` indexes on PostgreSQL
/// only, the JSON check on SQLite only.
#[test]
fn backend_extras_as_sql() {
    let migrations = migrations();
    let sql = format!(
        "{}{}",
        sql_both_ways(&migrations, 0),
        sql_both_ways(&migrations, 1)
    );
    insta::assert_snapshot!("backend_extras_sql", sql);
}
