//! `#[model(managed = false)]`: a table that belongs to someone else. It is in the state,
//! relations point at it, and no migration creates, alters or drops it, whatever it holds.

use migrate_core::fields::{foreign_key, ColumnType::*, OnDelete};
use migrate_core::loader::Loader;
use migrate_core::operations::{AddField, AlterModelManaged, CreateModel, RemoveField};
use migrate_core::planner::Target;
use migrate_core::schema::quote;
use migrate_core::{Field, Migration, MigrationKey};
use migrate_tests::db::TestDb;
use migrate_tests::history::every_step;

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("lib", "0001_initial").initial().operations([
            CreateModel::new("Legacy", "legacy_codes")
                .fields([
                    Field::new("id", Integer).primary_key(),
                    Field::new("code", Varchar(10)),
                    Field::new("flag", Boolean),
                ])
                .unmanaged()
                .into(),
            CreateModel::new("Book", "lib_book")
                .fields([
                    Field::auto_id(),
                    Field::new("legacy", foreign_key("lib.Legacy", OnDelete::Cascade)),
                ])
                .into(),
        ]),
        // What the owner of the table did, told to the state: no SQL (either statement
        // would fail: the table has `label` and never had `flag`).
        Migration::new("lib", "0002_legacy_label")
            .depends_on("lib", "0001_initial")
            .operations([
                AddField::new("Legacy", Field::new("label", Text).null()).into(),
                RemoveField::new("Legacy", "flag").into(),
            ]),
        // Taken over, as the state now describes it, then changed by the tool like any
        // other table.
        Migration::new("lib", "0003_take_over")
            .depends_on("lib", "0002_legacy_label")
            .operations([
                AlterModelManaged::new("Legacy", true).into(),
                AddField::new("Legacy", Field::new("note", Text).null()).into(),
            ]),
    ]
}

#[test]
fn an_unmanaged_table_keeps_its_rows_whatever_runs() {
    for db in TestDb::all("lib_unmanaged") {
        let q = |s: &str| quote(db.backend, s);
        // The table as its owner made it: it already has the label, and rows.
        db.execute(&format!(
            "CREATE TABLE {} ({} integer PRIMARY KEY, {} varchar(10) NOT NULL, {} text NULL)",
            q("legacy_codes"),
            q("id"),
            q("code"),
            q("label")
        ));
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (1, 'a''b', 'first'), (2, 'c\\d', NULL)",
            q("legacy_codes"),
            q("id"),
            q("code"),
            q("label")
        ));
        let legacy = format!(
            "SELECT {}, {}, {} FROM {} ORDER BY 1",
            db.text(&q("id")),
            q("code"),
            q("label"),
            q("legacy_codes")
        );
        let rows = db.values(&legacy);
        assert_eq!(rows.len(), 2, "{}", db.backend);

        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        let to = |name: &'static str| Target::Migration(MigrationKey::new("lib", name));

        migrate(to("0002_legacy_label"));
        assert_eq!(db.values(&legacy), rows, "{}: untouched", db.backend);
        // The managed table's key points at the unmanaged one.
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES (2)",
            q("lib_book"),
            q("legacy_id")
        ));
        let books = format!("SELECT {} FROM {}", db.text(&q("legacy_id")), q("lib_book"));
        assert_eq!(db.rows(&books), [["2"]], "{}", db.backend);

        // Taken over: the tool alters it from now on, rows kept.
        migrate(Target::All);
        let noted = format!(
            "SELECT {}, {} FROM {} ORDER BY 1",
            db.text(&q("id")),
            q("note"),
            q("legacy_codes")
        );
        assert_eq!(
            db.values(&noted),
            [
                vec![Some("1".to_owned()), None],
                vec![Some("2".to_owned()), None]
            ],
            "{}",
            db.backend
        );

        // All the way back: the tool's own table and column go, the owner's table stays.
        migrate(Target::Zero("lib".into()));
        assert_eq!(db.values(&legacy), rows, "{}: back at zero", db.backend);
        let tables = db.introspect();
        assert!(
            tables.tables.contains_key("legacy_codes") && !tables.tables.contains_key("lib_book"),
            "{}: {:?}",
            db.backend,
            tables.tables.keys().collect::<Vec<_>>()
        );
    }
}

/// The files `makemigrations` writes for each step, and their SQL on each backend both
/// ways: nothing touches `legacy_codes` until it is taken over.
#[test]
fn unmanaged_as_written_and_as_sql() {
    let migrations = migrations();
    let (files, sql) = every_step(&migrations);
    assert!(
        files.contains(".unmanaged()")
            && files.contains("AlterModelManaged::new(\"Legacy\", true)")
    );
    insta::assert_snapshot!("unmanaged_files", files);
    insta::assert_snapshot!("unmanaged_sql", sql);
}
