//! `-q` / `-v 0..3` on the shop's binary, on each backend: nothing but errors when quiet,
//! each statement as it runs at 3.

use std::process::{Command, Output};

use migrate_tests::db::TestDb;

fn migrate(url: Option<&str>, dir: &std::path::Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("the migrate binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn quiet_prints_nothing_and_v3_prints_each_statement() {
    let dir = std::env::temp_dir().join(format!("shop-verbosity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dbs = TestDb::all("shop_verbosity");
    // The embedded default, whose note on stderr `-q` silences too.
    let urls = std::iter::once(None).chain(dbs.iter().map(|db| Some(db.url.as_str())));
    for url in urls {
        let name = url.unwrap_or("the default SQLite");
        let out = migrate(url, &dir, &["migrate", "-q"]);
        assert_eq!(stdout(&out), "", "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{name}");
        let listed = stdout(&migrate(url, &dir, &["showmigrations", "catalog", "-q"]));
        assert_eq!(
            listed,
            "catalog\n [X] 0001_initial\n [X] 0002_alter_product_name\n [X] 0003_alter_product_id\n [X] 0004_product_status\n",
            "{name}: -q still lists what was asked for"
        );

        // `migrate catalog zero` unapplies the customers app too: it refers to catalog.
        let undone = stdout(&migrate(
            url,
            &dir,
            &["migrate", "catalog", "zero", "-v", "3"],
        ));
        let lines: Vec<&str> = undone.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("  Unapplying catalog.0001_initial..."))
            .unwrap_or_else(|| panic!("{name}: {undone}"));
        let statements: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.starts_with("    OK ("))
            .copied()
            .collect();
        assert_eq!(statements.len(), 2, "{name}: {undone}");
        for s in &statements {
            assert!(
                s.starts_with("    DROP TABLE ") && s.ends_with(';'),
                "{name}: {undone}"
            );
        }
        assert!(
            statements[0].contains("catalog_productvariant"),
            "{name}: the variants go first: {undone}"
        );

        let redone = stdout(&migrate(url, &dir, &["migrate", "-v", "3"]));
        assert!(
            redone.contains("  Applying catalog.0001_initial...\n    CREATE TABLE "),
            "{name}: {redone}"
        );
        // At the default verbosity no statement is shown.
        let out = stdout(&migrate(url, &dir, &["migrate", "catalog", "zero"]));
        assert!(!out.contains("DROP TABLE"), "{name}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
