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

/// `--schemas-query` runs every schema over the fleet's own connections, one per job, the
/// `search_path` set anew for each: with one job, one connection carries all of them. A
/// schema that fails costs its connection, and leaves nothing behind; the schemas after it
/// (on a new connection) each get their own tables and history, never another's.
#[test]
fn schemas_from_a_query_share_connections_and_keep_apart() {
    let Some(db) = TestDb::create(Backend::Postgres, "fleet_schemas") else {
        return;
    };
    let schemas = ["t1", "t2", "t3", "t4", "t5"];
    for schema in schemas {
        db.execute(&format!("CREATE SCHEMA {schema}"));
    }
    db.execute(&format!(
        "CREATE TABLE public.tenants (schema_name text); INSERT INTO public.tenants VALUES {}",
        schemas.map(|s| format!("('{s}')")).join(", ")
    ));
    // The third tenant is in the way of the first migration.
    db.execute("CREATE TABLE t3.crm_note (x integer)");
    let query = "SELECT schema_name FROM public.tenants ORDER BY 1";
    let p = TestProject::new("fleet-schemas");
    let run = |args: &[&str]| {
        let out = p.migrate_on(Some(&db.url), args, "");
        let (stdout, stderr) = text(&out);
        (out.status.code(), format!("{stdout}{stderr}"))
    };
    p.models(NOTE);
    assert_eq!(run(&["makemigrations", "--noinput"]).0, Some(0));
    p.build();

    let (code, said) = run(&["migrate", "--schemas-query", query, "--jobs", "1"]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("t3: FAILED: migration crm.0001_initial"),
        "{said}"
    );
    assert!(
        said.ends_with(
            "5 target(s): 4 migrated, 0 up to date, 0 with unapplied migrations, 1 failed\n"
        ),
        "{said}"
    );
    let histories = || {
        db.rows(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname IN ('crm_note', 'migrate_migrations') AND c.relkind = 'r' ORDER BY 1, 2",
        )
    };
    let expected: Vec<[&str; 2]> = schemas
        .iter()
        .flat_map(|s| [[*s, "crm_note"], [*s, "migrate_migrations"]])
        .collect();
    assert_eq!(histories(), expected, "nothing in public");
    // t3's own table is still the one in the way, and nothing is recorded there.
    let rows = db.rows("SELECT COUNT(*)::text FROM t3.migrate_migrations");
    assert_eq!(rows, [["0"]]);
    let rows = db.rows(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = 't3' AND table_name = 'crm_note'",
    );
    assert_eq!(rows, [["x"]]);
    for s in schemas.iter().filter(|s| **s != "t3") {
        db.execute(&format!("INSERT INTO {s}.crm_note (title) VALUES ('{s}')"));
        let rows = db.rows(&format!(
            "SELECT app || '.' || name FROM {s}.migrate_migrations"
        ));
        assert_eq!(rows, [["crm.0001_initial"]], "{s}");
    }

    // The way cleared and a field added: t3 runs both migrations, the others one.
    db.execute("DROP TABLE t3.crm_note");
    p.models(NOTE_WITH_BODY);
    assert_eq!(run(&["makemigrations", "--noinput"]).0, Some(0));
    p.build();
    let (code, said) = run(&[
        "migrate",
        "--schemas-query",
        query,
        "--jobs",
        "1",
        "-v",
        "2",
    ]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(
        said.matches(": 1 migration(s) applied").count(),
        4,
        "{said}"
    );
    assert!(said.contains("t3: 2 migration(s) applied"), "{said}");
    for s in schemas {
        let rows = db.rows(&format!("SELECT title, body FROM {s}.crm_note"));
        let kept: &[[&str; 2]] = if s == "t3" { &[] } else { &[[s, ""]] };
        assert_eq!(rows, kept, "{s}");
        let rows = db.rows(&format!(
            "SELECT name FROM {s}.migrate_migrations ORDER BY 1"
        ));
        assert_eq!(rows, [["0001_initial"], ["0002_note_body"]], "{s}");
    }

    // Back on all of them, two at a time, and the rows are kept.
    let (code, said) = run(&[
        "migrate",
        "crm",
        "0001",
        "--schemas-query",
        query,
        "--jobs",
        "2",
    ]);
    assert_eq!(code, Some(0), "{said}");
    for s in schemas.iter().filter(|s| **s != "t3") {
        let rows = db.rows(&format!("SELECT title FROM {s}.crm_note"));
        assert_eq!(rows, [[*s]], "{s}");
    }
    let columns = db.rows(
        "SELECT COUNT(*)::text FROM information_schema.columns \
         WHERE table_name = 'crm_note' AND column_name = 'body'",
    );
    assert_eq!(columns, [["0"]]);
}
