//! A fleet as a project lives with it: tenants migrated, a model changed, `makemigrations`,
//! and the new migration run on every tenant, with its rows; PostgreSQL schemas, MariaDB
//! databases and SQLite files.

use migrate_core::schema::{quote, Backend};
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

const NOTE: &str = r#"
#[derive(Model)]
#[model(app = "crm")]
pub struct Note {
    #[field(max_length = 40)]
    pub title: String,
}
"#;

const NOTE_WITH_BODY: &str = r#"
#[derive(Model)]
#[model(app = "crm")]
pub struct Note {
    #[field(max_length = 40)]
    pub title: String,
    #[field(default = "")]
    pub body: String,
}
"#;

#[test]
fn a_new_migration_reaches_every_tenant() {
    let dbs = TestDb::all("fleet_project");
    let mut targets = Vec::new();
    for db in &dbs {
        match db.backend {
            Backend::Postgres => {
                for schema in ["acme", "globex"] {
                    db.execute(&format!("CREATE SCHEMA {schema}"));
                    targets.push((
                        db,
                        format!("{}?options=-c%20search_path%3D{schema}", db.url),
                        format!("{schema}.crm_note"),
                    ));
                }
            }
            _ => targets.push((db, db.url.clone(), quote(db.backend, "crm_note"))),
        }
    }
    let p = TestProject::new("fleet-project");
    p.write(
        "tenants.txt",
        &targets
            .iter()
            .map(|(_, url, _)| format!("{url}\n"))
            .collect::<String>(),
    );
    let run = |args: &[&str]| {
        let out = p.migrate(args, "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}:\n{stdout}{stderr}");
        stdout
    };
    p.models(NOTE);
    run(&["makemigrations", "--noinput"]);
    p.build();
    let said = run(&["migrate", "--targets", "tenants.txt"]);
    assert!(
        said.ends_with(&format!(
            "{n} target(s): {n} migrated, 0 up to date, 0 with unapplied migrations, 0 failed\n",
            n = targets.len()
        )),
        "{said}"
    );
    for (db, _, table) in &targets {
        db.execute(&format!(
            "INSERT INTO {table} ({}) VALUES ('kept')",
            quote(db.backend, "title")
        ));
    }

    p.models(NOTE_WITH_BODY);
    run(&["makemigrations", "--noinput"]);
    p.build();
    let said = run(&["migrate", "--plan", "--targets", "tenants.txt"]);
    assert_eq!(
        said,
        format!(
            "{} target(s) would run 1 migration(s):\n  crm.0002_note_body\n",
            targets.len()
        )
    );
    let said = run(&["migrate", "--targets", "tenants.txt", "-v", "2"]);
    assert_eq!(
        said.matches(": 1 migration(s) applied").count(),
        targets.len(),
        "{said}"
    );
    for (db, _, table) in &targets {
        let q = |s: &str| quote(db.backend, s);
        let rows = db.rows(&format!(
            "SELECT {}, {} FROM {table}",
            q("title"),
            q("body")
        ));
        assert_eq!(rows, [["kept", ""]], "{}", db.backend);
    }
    // Back on every tenant, and forwards again.
    let said = run(&[
        "migrate",
        "crm",
        "0001",
        "--targets",
        "tenants.txt",
        "-v",
        "2",
    ]);
    assert_eq!(
        said.matches(": 1 migration(s) unapplied").count(),
        targets.len(),
        "{said}"
    );
    for (db, _, table) in &targets {
        let rows = db.rows(&format!(
            "SELECT {} FROM {table}",
            quote(db.backend, "title")
        ));
        assert_eq!(rows, [["kept"]], "{}", db.backend);
    }
    run(&["migrate", "--targets", "tenants.txt"]);
    let said = run(&["showmigrations", "--targets", "tenants.txt"]);
    assert_eq!(
        said,
        format!(
            "crm\n  0002_note_body: {n} target(s)\n{n} target(s), 0 unreadable\n",
            n = targets.len()
        )
    );
}
