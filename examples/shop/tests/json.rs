//! `--format json` of the shop's real binary, on the embedded SQLite default in a fresh
//! directory: every line is one JSON object of schema version 1; the documents are
//! snapshots (durations masked).

use std::path::Path;
use std::process::{Command, Output};

fn migrate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .arg("--format=json")
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the migrate binary runs")
}

/// Each line parsed, checked for `"version": 1`, and printed again with the run's
/// durations masked.
fn documents(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let mut doc: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(doc["version"], 1, "{line}");
        if let Some(seconds) = doc.get_mut("seconds") {
            assert!(seconds.as_f64().is_some_and(|s| s >= 0.0), "{line}");
            *seconds = "[seconds]".into();
        }
        out.push_str(&serde_json::to_string_pretty(&doc).unwrap());
        out.push('\n');
    }
    out
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "stderr stays empty"
    );
    documents(&out.stdout)
}

#[test]
fn json_documents_and_events() {
    let dir = std::env::temp_dir().join(format!("shop-json-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    insta::assert_snapshot!(
        "showmigrations_fresh",
        ok(&migrate(&dir, &["showmigrations", "catalog"]))
    );

    let check = migrate(&dir, &["migrate", "--check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "pending migrations fail --check"
    );
    let check = documents(&check.stdout);
    assert!(check.contains("\"ok\": false"), "{check}");

    insta::assert_snapshot!(
        "migrate_plan_catalog",
        ok(&migrate(&dir, &["migrate", "catalog", "--plan"]))
    );
    insta::assert_snapshot!(
        "migrate_catalog",
        ok(&migrate(&dir, &["migrate", "catalog"]))
    );
    insta::assert_snapshot!(
        "migrate_catalog_zero_v3",
        ok(&migrate(&dir, &["migrate", "catalog", "zero", "-v", "3"]))
    );
    ok(&migrate(&dir, &["migrate"]));
    let check = ok(&migrate(&dir, &["migrate", "--check"]));
    assert!(check.contains("\"ok\": true"), "{check}");
    insta::assert_snapshot!(
        "showmigrations_plan_applied",
        ok(&migrate(&dir, &["showmigrations", "--plan", "customers"]))
    );

    insta::assert_snapshot!(
        "sqlmigrate_catalog_0002_postgres",
        ok(&migrate(
            &dir,
            &["sqlmigrate", "catalog", "0002", "--dialect", "postgres"]
        ))
    );
    assert_eq!(
        ok(&migrate(&dir, &["makemigrations", "--check"])),
        "{\n  \"version\": 1,\n  \"migrations\": [],\n  \"written\": false,\n  \"warnings\": [],\n  \"findings\": []\n}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_are_json_on_stderr_with_the_exit_codes() {
    let dir = std::env::temp_dir();
    for (args, code, message) in [
        (
            &["migrate", "billing"][..],
            1,
            "app billing has no migrations; apps: catalog, customers, tenants",
        ),
        (
            &["migrate", "--bogus"],
            2,
            "unexpected argument '--bogus' found",
        ),
        (
            &["schema"],
            1,
            "schema has no JSON output; run it without --format json",
        ),
    ] {
        let out = migrate(&dir, args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
        let error: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(
            error,
            serde_json::json!({
                "version": 1,
                "error": { "message": message, "exit_code": code },
            }),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_migration_is_a_failed_event_then_the_error() {
    use sqlx::Connection;
    let dir = std::env::temp_dir().join(format!("shop-json-failed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A table already in the way of catalog.0001_initial.
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite3").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE catalog_product (x integer)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let out = migrate(&dir, &["migrate", "catalog"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (
            &last["event"],
            &last["app"],
            &last["name"],
            &last["direction"]
        ),
        (
            &"failed".into(),
            &"catalog".into(),
            &"0001_initial".into(),
            &"forwards".into()
        ),
        "{stdout}"
    );
    let error: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["exit_code"], 1);
    assert_eq!(error["error"]["message"], last["error"], "{stdout}");
    assert!(
        last["error"]
            .as_str()
            .is_some_and(|e| e.contains("catalog_product") && e.contains("already exists")),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
