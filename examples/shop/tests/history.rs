//! `makemigrations` checks the history of the database it is configured with, as Django's
//! does: a migration recorded before one it depends on stops it (exit 1, naming both), and
//! a database it cannot reach is only a warning.

use std::process::{Command, Output};

use migrate_tests::db::TestDb;

fn migrate(url: &str, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .output()
        .expect("the migrate binary runs")
}

#[test]
fn makemigrations_refuses_an_inconsistent_history_and_warns_on_an_unreachable_database() {
    let dir = std::env::temp_dir();
    for db in TestDb::all("shop_history") {
        let out = migrate(&db.url, &dir, &["migrate", "-q"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = migrate(&db.url, &dir, &["makemigrations", "--check"]);
        assert!(
            out.status.success(),
            "{}: a consistent history passes",
            db.backend
        );

        db.execute(
            "DELETE FROM migrate_migrations WHERE app = 'catalog' AND name = '0001_initial'",
        );
        let out = migrate(&db.url, &dir, &["makemigrations", "--check"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", db.backend);
        assert!(
            stderr.contains("disagrees with the files")
                && stderr.contains(
                    "migration catalog.0002_alter_product_name is applied but its dependency catalog.0001_initial is not"
                ),
            "{}: {stderr}",
            db.backend
        );
        // Writing too.
        let out = migrate(&db.url, &dir, &["makemigrations", "--dry-run"]);
        assert_eq!(out.status.code(), Some(1), "{}", db.backend);
    }

    let out = migrate(
        "postgres://postgres@127.0.0.1:1/nowhere",
        &dir,
        &["makemigrations", "--check"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with(
            "warning: the migration history of postgres://postgres@127.0.0.1:1/nowhere could not be checked: "
        ),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No changes detected\n"
    );
}
