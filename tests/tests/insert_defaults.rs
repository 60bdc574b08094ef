//! Defaults computed at insert time (`default = Uuid::new_v4`, `default = Utc::now`): the
//! database makes the value for each row, for new rows and for the rows already there when
//! the column is added. Unlike a value computed once, a new unique UUID column on a table
//! with rows works.

use std::collections::BTreeSet;

use migrate_core::fields::{ColumnType::*, Value};
use migrate_core::loader::Loader;
use migrate_core::operations::{AddField, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::{quote, Backend};
use migrate_core::{Field, Migration, MigrationKey};
use migrate_tests::db::TestDb;
use migrate_tests::history::{sql_both_ways, written_file};

fn token() -> Field {
    Field::new("token", Uuid).unique().default(Value::NewUuid)
}

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("lib", "0001_initial")
            .initial()
            .operations([CreateModel::new("Item", "lib_item")
                .fields([Field::auto_id(), Field::new("name", Text)])
                .into()]),
        Migration::new("lib", "0002_item_token_item_seen_at")
            .depends_on("lib", "0001_initial")
            .operations([
                AddField::new("Item", token()).into(),
                AddField::new(
                    "Item",
                    Field::new("seen_at", TimestampTz).default(Value::Now),
                )
                .into(),
            ]),
    ]
}

#[test]
fn each_row_gets_its_own_value_old_rows_and_new() {
    for db in TestDb::all("lib_insert_defaults") {
        let q = |s: &str| quote(db.backend, s);
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        let initial = Target::Migration(MigrationKey::new("lib", "0001_initial"));
        let insert = |names: &[&str]| {
            let values: Vec<String> = names.iter().map(|n| format!("('{n}')")).collect();
            db.execute(&format!(
                "INSERT INTO {} ({}) VALUES {}",
                q("lib_item"),
                q("name"),
                values.join(", ")
            ));
        };
        migrate(initial.clone());
        insert(&["a", "b", "c"]);

        migrate(Target::All);
        insert(&["d"]);
        let rows = db.values(&format!(
            "SELECT {}, {}, {} FROM {} ORDER BY {}",
            q("name"),
            db.uuid_text(&q("token")),
            db.text(&q("seen_at")),
            q("lib_item"),
            q("id")
        ));
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_deref().unwrap()).collect();
        assert_eq!(names, ["a", "b", "c", "d"], "{}", db.backend);
        let tokens: BTreeSet<&str> = rows.iter().map(|r| r[1].as_deref().unwrap()).collect();
        assert_eq!(
            tokens.len(),
            4,
            "{}: one UUID per row: {rows:?}",
            db.backend
        );
        for t in &tokens {
            assert_eq!(t.len(), 36, "{}: {t}", db.backend);
            // Version 4 (random) where the backend makes one; MySQL's UUID() is version 1.
            let version = if db.backend == Backend::Mysql {
                '1'
            } else {
                '4'
            };
            assert_eq!(t.chars().nth(14), Some(version), "{}: {t}", db.backend);
            if db.backend != Backend::Mysql {
                assert!("89ab".contains(t.chars().nth(19).unwrap()), "{t}");
            }
        }
        assert!(
            rows.iter().all(|r| r[2].is_some()),
            "{}: {rows:?}",
            db.backend
        );

        // Back: the columns go, the rows stay; forwards again, new values for every row.
        migrate(initial);
        let names = format!("SELECT {} FROM {} ORDER BY 1", q("name"), q("lib_item"));
        assert_eq!(
            db.rows(&names),
            [["a"], ["b"], ["c"], ["d"]],
            "{}",
            db.backend
        );
        migrate(Target::All);
        let distinct = format!(
            "SELECT {} FROM (SELECT COUNT(DISTINCT {}) AS n FROM {}) c",
            db.text("n"),
            q("token"),
            q("lib_item")
        );
        assert_eq!(db.rows(&distinct), [["4"]], "{}", db.backend);
    }
}

/// The file `makemigrations` writes names the default, never a value computed once; and
/// its SQL on each backend, both ways.
#[test]
fn an_insert_time_default_as_written_and_as_sql() {
    let migrations = migrations();
    let file = written_file(&migrations, 1);
    assert!(file.contains(".default(Value::NewUuid)"), "{file}");
    assert!(file.contains(".default(Value::Now)"), "{file}");
    insta::assert_snapshot!("insert_defaults_file", file);
    insta::assert_snapshot!("insert_defaults_sql", sql_both_ways(&migrations, 1));
}
