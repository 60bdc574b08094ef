//! `migrate --targets FILE`: the shop's tenants in PostgreSQL schemas of one database, in
//! MariaDB databases and in SQLite files, migrated in one run; one target made to fail.

use std::process::{Command, Output};

use migrate_core::schema::Backend;
use migrate_tests::db::TestDb;

fn migrate(args: &[&str], url: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command.args(args);
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("the migrate binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_fleet_of_schemas_databases_and_files() {
    let dbs = TestDb::all("shop_fleet");
    let mut urls = Vec::new();
    let mut blocked = None;
    for db in &dbs {
        match db.backend {
            // Three tenants as schemas of one database; the first has a table in the way.
            Backend::Postgres => {
                for schema in ["tenant_a", "tenant_b", "tenant_c"] {
                    db.execute(&format!("CREATE SCHEMA {schema}"));
                    urls.push(format!("{}?options=-c%20search_path%3D{schema}", db.url));
                }
                db.execute("CREATE TABLE tenant_a.catalog_product (x integer)");
                blocked = Some(db);
            }
            _ => urls.push(db.url.clone()),
        }
    }
    // One target half-way already: only the rest runs there.
    let first = urls[0].clone();
    assert!(
        first.starts_with("sqlite:"),
        "SQLite is always there, first"
    );
    assert!(migrate(&["migrate", "catalog", "0003", "-q"], Some(&first))
        .status
        .success());
    let dir = std::env::temp_dir().join("migrate-shop-fleet");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("targets.txt");
    std::fs::write(
        &file,
        format!("# the shop's tenants\n{}\n", urls.join("\n")),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let out = migrate(&["migrate", "--targets", file, "--jobs", "2"], None);
    let said = stdout(&out);
    let failed = usize::from(blocked.is_some());
    assert_eq!(out.status.code(), Some(i32::from(failed > 0)), "{said}");
    assert!(
        said.ends_with(&format!(
            "{} target(s): {} migrated, 0 up to date, 0 with unapplied migrations, {failed} failed\n",
            urls.len(),
            urls.len() - failed
        )),
        "{said}"
    );
    if blocked.is_some() {
        assert!(
            said.contains("tenant_a: FAILED: migration catalog.0001_initial"),
            "{said}"
        );
        assert!(
            said.contains("relation \"catalog_product\" already exists"),
            "{said}"
        );
    }
    // The half-way target ran only what it lacked.
    assert!(
        said.contains(&format!("{first}: 8 migration(s) applied")),
        "{said}"
    );

    // What a run would do, grouped: the failed target still lacks the catalog and the rest.
    let out = migrate(&["migrate", "--plan", "--targets", file], None);
    let said = stdout(&out);
    let done = format!("{} target(s): up to date\n", urls.len() - failed);
    assert!(said.contains(&done), "{said}");
    if failed > 0 {
        assert!(
            said.contains("1 target(s) would run 11 migration(s):\n  catalog.0001_initial\n"),
            "{said}"
        );
    }

    // Where each target is: the failed one has its tenants but no catalog.
    let out = migrate(
        &["showmigrations", "--targets", file, "catalog", "tenants"],
        None,
    );
    let said = stdout(&out);
    let expected = match failed {
        0 => format!("catalog\n  0004_product_status: {} target(s)\n", urls.len()),
        _ => format!(
            "catalog\n  0004_product_status: {} target(s)\n  (none applied): 1 target(s)\ntenants\n  0006_alter_subscriptiontier_id_alter_tenant_id: {} target(s)\n  0001_initial_squashed_0003_tenantsettings_twilio_sid_and_more: 1 target(s)\n",
            urls.len() - 1,
            urls.len() - 1
        ),
    };
    assert!(said.starts_with(&expected), "{said}");
    assert!(
        said.ends_with(&format!("{} target(s), 0 unreadable\n", urls.len())),
        "{said}"
    );

    // Once the way is clear, the next run migrates what failed and leaves the rest: the
    // others cost one query each.
    if let Some(db) = blocked {
        db.execute("DROP TABLE tenant_a.catalog_product");
    }
    let out = migrate(&["migrate", "--targets", file], None);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.ends_with(&format!(
            "{} target(s): {failed} migrated, {} up to date, 0 with unapplied migrations, 0 failed\n",
            urls.len(),
            urls.len() - failed
        )),
        "{said}"
    );
    let out = migrate(
        &["migrate", "--targets", file, "--check", "--format", "json"],
        None,
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(
        said.matches(r#""status":"up_to_date""#).count(),
        urls.len(),
        "{said}"
    );
    assert!(said.ends_with("\"ok\":true}\n"), "{said}");

    // Each schema has its own history and tables.
    if let Some(db) = dbs.iter().find(|d| d.backend == Backend::Postgres) {
        // The schemas from a query, as django-tenants keeps them in a table.
        db.execute("CREATE TABLE public.tenants (schema_name text); INSERT INTO public.tenants VALUES ('tenant_a'), ('tenant_b'), ('tenant_c'), ('tenant_d'); CREATE SCHEMA tenant_d");
        let query = "SELECT schema_name FROM public.tenants ORDER BY 1";
        let out = migrate(
            &["migrate", "--schemas-query", query, "--check"],
            Some(&db.url),
        );
        let said = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(
            said.ends_with(
                "4 target(s): 0 migrated, 3 up to date, 1 with unapplied migrations, 0 failed\n"
            ),
            "{said}"
        );
        let out = migrate(&["migrate", "--schemas-query", query], Some(&db.url));
        assert!(
            stdout(&out).ends_with(
                "4 target(s): 1 migrated, 3 up to date, 0 with unapplied migrations, 0 failed\n"
            ),
            "{}",
            stdout(&out)
        );
        db.execute("INSERT INTO public.tenants VALUES ('Bad Name')");
        let out = migrate(&["migrate", "--schemas-query", query], Some(&db.url));
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("schema \"Bad Name\": a tenant's schema name is lowercase letters"));
        let rows = db.rows(
            "SELECT table_schema::text, COUNT(*)::text FROM information_schema.tables \
             WHERE table_name = 'migrate_migrations' GROUP BY 1 ORDER BY 1",
        );
        assert_eq!(
            rows,
            [
                ["tenant_a", "1"],
                ["tenant_b", "1"],
                ["tenant_c", "1"],
                ["tenant_d", "1"]
            ]
        );
    }
}
