//! Broken histories, end to end: each error names the migrations involved and what to do.

use migrate_core::schema::Backend;
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

fn migration(app: &str, name: &str, extra: &str, ops: &str) -> String {
    format!(
        "use migrate_core::prelude::*;\n\npub fn migration() -> Migration {{\n    Migration::new(\"{app}\", \"{name}\"){extra}.operations([{ops}])\n}}\n"
    )
}

fn write_history(p: &TestProject, files: &[(&str, &str, &str, &str)]) {
    let _ = std::fs::remove_dir_all(p.root.join("migrations"));
    for (app, name, extra, ops) in files {
        p.write(
            &format!("migrations/{app}/m{name}.rs"),
            &migration(app, name, extra, ops),
        );
    }
    p.build();
}

const THING: &str =
    r#"CreateModel::new("Thing", "library_thing").fields([Field::auto_id()]).into()"#;

#[track_caller]
fn refused(p: &TestProject, url: &str, expected: &str) {
    for command in [
        &["makemigrations", "--check"][..],
        &["migrate"][..],
        &["showmigrations"][..],
    ] {
        let out = p.migrate_on(Some(url), command, "");
        assert_eq!(out.status.code(), Some(1), "{command:?}: {}", text(&out).0);
        let stderr = text(&out).1;
        assert!(
            stderr.contains(expected),
            "{command:?}:\n{stderr}\nexpected: {expected}"
        );
    }
}

#[test]
fn graph_errors_name_the_migrations_and_the_way_out() {
    let p = TestProject::new("library-graph");
    let Some(db) = TestDb::create(Backend::Sqlite, "library_graph") else {
        return;
    };

    // A dependency on a migration that does not exist names who asked for it.
    write_history(
        &p,
        &[
            ("library", "0001_initial", "", THING),
            (
                "library",
                "0002_next",
                ".depends_on(\"library\", \"0009_gone\")",
                "",
            ),
        ],
    );
    refused(
        &p,
        &db.url,
        "migration library.0002_next depends on library.0009_gone, which does not exist; restore that migration or fix the dependency in library.0002_next",
    );

    // A cycle is printed whole.
    write_history(
        &p,
        &[
            (
                "library",
                "0001_initial",
                ".depends_on(\"library\", \"0002_next\")",
                THING,
            ),
            (
                "library",
                "0002_next",
                ".depends_on(\"library\", \"0001_initial\")",
                "",
            ),
        ],
    );
    refused(
        &p,
        &db.url,
        "migrations depend on each other in a cycle: library.0001_initial -> library.0002_next -> library.0001_initial",
    );

    // An applied migration whose dependency is not applied: the history is inconsistent.
    write_history(
        &p,
        &[
            ("library", "0001_initial", "", THING),
            (
                "library",
                "0002_next",
                ".depends_on(\"library\", \"0001_initial\")",
                "",
            ),
        ],
    );
    let out = p.migrate_on(Some(&db.url), &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    db.execute("DELETE FROM migrate_migrations WHERE name = '0001_initial'");
    let out = p.migrate_on(Some(&db.url), &["migrate"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out).1.trim(),
        "error: migration library.0002_next is applied but its dependency library.0001_initial is not: the history table and the migration files disagree; apply or fake library.0001_initial, or fix the history"
    );

    // run_before puts another app's migration first, though "library" sorts before "other".
    write_history(
        &p,
        &[
            ("library", "0001_initial", "", THING),
            (
                "other",
                "0001_initial",
                ".run_before(\"library\", \"0001_initial\")",
                "",
            ),
        ],
    );
    let fresh = TestDb::create(Backend::Sqlite, "library_graph_run_before").unwrap();
    let plan = text(&p.migrate_on(Some(&fresh.url), &["showmigrations", "--plan"], "")).0;
    assert_eq!(plan, "[ ]  other.0001_initial\n[ ]  library.0001_initial\n");
}
