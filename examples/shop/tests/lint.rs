//! `migrate lint` and the findings of `migrate --plan` on the shop, with rows in its
//! tables, on SQLite, PostgreSQL and MariaDB; and without a database (`--dialect`).

use std::process::{Command, Output};

use migrate_core::schema::{quote, Backend};
use migrate_tests::db::TestDb;

fn migrate(url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command.args(args);
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        // No configured database, and no default SQLite file where it runs.
        None => command
            .env_remove("DATABASE_URL")
            .current_dir(std::env::temp_dir()),
    };
    command.output().expect("the migrate binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_shops_history_without_a_database() {
    for dialect in ["sqlite", "postgres", "mysql"] {
        let out = migrate(None, &["lint", "--dialect", dialect, "-q"]);
        // The columns the shop drops are acknowledged in its migration file.
        assert_eq!(out.status.code(), Some(0), "{dialect}: {}", stdout(&out));
        let said = stdout(&out);
        assert!(
            said.contains("acknowledged: 0004 moved the credentials to TenantSettings"),
            "{said}"
        );
        insta::assert_snapshot!(format!("shop_lint_{dialect}"), said);
        // Each operation nothing is said of, with -v 2: a longer varchar is made in place
        // (not on SQLite, which makes the table again).
        let said = stdout(&migrate(
            None,
            &["lint", "--dialect", dialect, "catalog", "-v", "2"],
        ));
        assert_eq!(
            said.contains("  ok      Alter field name on product: no rows rewritten"),
            dialect != "sqlite",
            "{dialect}: {said}"
        );
        // Stricter: warnings fail too.
        let out = migrate(
            None,
            &["lint", "--dialect", dialect, "--fail-on", "warning", "-q"],
        );
        assert_eq!(out.status.code(), Some(1), "{dialect}");
    }
}

#[test]
fn pending_migrations_are_judged_with_the_tables_sizes() {
    for db in TestDb::all("shop_lint") {
        let url = Some(db.url.as_str());
        let q = |s: &str| quote(db.backend, s);
        // A fresh database: every table is made by the run, so nothing has rows to lose.
        let out = migrate(url, &["lint", "--fail-on", "info", "-q"]);
        let said = stdout(&out);
        assert!(
            said.ends_with("12 migration(s) on {}: 0 danger, 0 warning, 1 info (0 acknowledged); 1 at or above info not acknowledged\n".replace("{}", db.backend.name()).as_str()),
            "{}: {said}",
            db.backend
        );
        assert_eq!(out.status.code(), Some(1), "the data migration is info");

        // Up to the product's status, with rows; then what is pending is judged.
        let out = migrate(url, &["migrate", "catalog", "0003", "-q"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tenant = db.uuid("7d0c3c9e-8a39-4e0b-9d3c-6a8f5e1b2c3d");
        let mut sql = format!(
            "INSERT INTO {} ({}, {}, {}) VALUES ({tenant}, 'Acme', 'acme');",
            q("tenants_tenant"),
            q("id"),
            q("name"),
            q("slug")
        );
        for i in 0..30 {
            sql.push_str(&format!(
                "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES ({}, {tenant}, 'SKU-{i}', 'Kettle', 1.50);",
                q("catalog_product"),
                q("id"),
                q("tenant_id"),
                q("sku"),
                q("name"),
                q("price"),
                db.uuid(&format!("0b6f1d2e-3c4a-4b5c-8d6e-{i:012}")),
            ));
        }
        db.execute(&sql);
        // The statistics the estimates come from.
        match db.backend {
            Backend::Postgres => db.execute("ANALYZE"),
            Backend::Mysql => db.execute(&format!("ANALYZE TABLE {}", q("catalog_product"))),
            Backend::Sqlite => {}
        }
        let out = migrate(url, &["lint", "catalog", "--format", "json"]);
        let doc = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{}: {doc}", db.backend);
        let expected = r#""code":"check-validation","level":"warning","operation":"Add field status to product","table":"catalog_product""#;
        assert!(doc.contains(expected), "{}: {doc}", db.backend);
        let rebuilt = doc.contains(r#""code":"sqlite-rebuild""#);
        assert_eq!(rebuilt, db.backend == Backend::Sqlite, "{doc}");
        assert!(doc.contains(r#""rows":30,"#), "{}: {doc}", db.backend);
        assert!(
            doc.contains(r#""duration":"under a second""#),
            "{}: {doc}",
            db.backend
        );
        assert!(
            doc.ends_with("\"fail_on\":\"danger\",\"ok\":true}\n"),
            "{doc}"
        );

        // `migrate --plan` says the same under the migration.
        let plan = stdout(&migrate(url, &["migrate", "--plan"]));
        assert!(
            plan.contains("catalog.0004_product_status\n    Add field status to product\n    ! warning check-validation: Add field status to product"),
            "{}: {plan}",
            db.backend
        );
        assert!(plan.contains("catalog_product: about 30 rows"), "{plan}");
    }
}
