//! What `migrate` shows while a migration runs: on a terminal (a pseudo-terminal from
//! `script`), the running migration's line is redrawn with its time and ` OK` is green
//! unless `NO_COLOR` is set; through a pipe, plain lines without control characters.

use migrate_tests::{text, TestProject};

#[test]
fn a_slow_migration_shows_its_time_on_a_terminal_and_plain_lines_otherwise() {
    let p = TestProject::new("inventory-live");
    p.write(
        "migrations/inventory/m0001_initial.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Item", "inventory_item").fields([Field::auto_id()]).into(),
    ])
}
"#,
    );
    // A statement that takes well over the half second after which the line is redrawn
    // (about 1.5 s on SQLite here; 3,000,000 steps took 0.57 s, too close to it).
    p.write(
        "migrations/inventory/m0002_slow.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_slow")
        .depends_on("inventory", "0001_initial")
        .operations([RunSql::new(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) \
             SELECT count(*) FROM c",
        )
        .reverse("SELECT 1")
        .into()])
}
"#,
    );
    p.models(
        r#"
#[derive(Model)]
#[model(app = "inventory")]
pub struct Item {}
"#,
    );
    p.build();
    let bin = p.binary();
    let in_terminal = |command: &str, no_color: bool| {
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &format!("{} {command}", bin.display()), "/dev/null"])
            .current_dir(&p.root)
            .env_remove("DATABASE_URL");
        if no_color {
            script.env("NO_COLOR", "1");
        } else {
            script.env_remove("NO_COLOR").env("TERM", "xterm");
        }
        let out = script.output().expect("script (util-linux) runs");
        assert!(out.status.success(), "{}", text(&out).1);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let shown = in_terminal("migrate", false);
    assert!(
        shown.contains("\r\x1b[K  Applying inventory.0002_slow..."),
        "the line is redrawn with the time so far: {shown:?}"
    );
    assert!(
        shown.contains("  Applying inventory.0002_slow...\x1b[32m OK\x1b[0m ("),
        "it ends in a green OK: {shown:?}"
    );

    let shown = in_terminal("migrate inventory zero", true);
    assert!(
        shown.contains("Unapplying inventory.0001_initial... OK ("),
        "{shown:?}"
    );
    assert!(!shown.contains("\x1b["), "NO_COLOR: {shown:?}");

    let piped = p.migrate(&["migrate"], "");
    let (stdout, stderr) = text(&piped);
    assert!(piped.status.success(), "{stderr}");
    assert!(
        stdout.contains("  Applying inventory.0002_slow... OK ("),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\r') && !stdout.contains('\x1b'),
        "a pipe gets plain lines: {stdout:?}"
    );
}
