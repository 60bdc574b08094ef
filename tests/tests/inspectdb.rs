//! `inspectdb`: models read from a live database, compiled as written, adopted with
//! `makemigrations` and `migrate --fake-initial`, then migrated forward like any other
//! project, with the rows kept; on SQLite, PostgreSQL and MariaDB.

use migrate_core::inspectdb::{inspect, Options};
use migrate_core::loader::Loader;
use migrate_core::planner::Target;
use migrate_core::schema::{literal, quote, type_name, Backend};
use migrate_core::state::CheckExpr;
use migrate_core::{ProjectState, Value};
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

/// What a state means on `backend`, as its catalog would say it, one line per fact, in an
/// order of its own: the types as the backend spells them, defaults as the SQL it writes,
/// and user check expressions by name only (the catalog respells them).
fn sql_view(state: &ProjectState, backend: Backend) -> String {
    let mut lines = Vec::new();
    for t in state.tables_for(Some(backend)).unwrap() {
        let name = &t.name;
        for c in &t.columns {
            let default = c.default.as_ref().map(|d| match d {
                // A decimal default as the number it is (`0` and `0.00` are the same).
                Value::Int(_) | Value::Number(_) => {
                    format!("{}", literal(backend, d).parse::<f64>().unwrap())
                }
                _ => literal(backend, d),
            });
            let auto = c.auto_increment && t.primary_key == [c.name.clone()];
            lines.push(format!(
                "{name}.{} {} null={} default={default:?} auto={auto}",
                c.name,
                migrate_core::executor::normalize_type(backend, &type_name(backend, c.ty)),
                c.nullable,
            ));
        }
        lines.push(format!("{name} primary key {:?}", t.primary_key));
        for fk in &t.foreign_keys {
            lines.push(format!(
                "{name} foreign key {} -> {}.{} {} deferrable={}",
                fk.column,
                fk.ref_table,
                fk.ref_column,
                fk.on_delete.sql(),
                fk.deferrable
            ));
        }
        for i in &t.indexes {
            lines.push(format!(
                "{name} index {} {:?} unique={} desc={:?} expressions={} condition={}",
                i.name,
                i.columns,
                i.unique,
                i.descending,
                i.expressions.len(),
                i.condition.is_some()
            ));
        }
        for u in &t.uniques {
            lines.push(format!("{name} unique {} {:?}", u.name, u.columns));
        }
        for (n, e) in &t.checks {
            let what = match e {
                CheckExpr::Sql(_) => "sql".to_owned(),
                other => other.to_string(),
            };
            lines.push(format!("{name} check {n} {what}"));
        }
    }
    lines.sort();
    lines.join("\n")
}

/// Runs the project's binary on `db`, asserting success; its standard output.
fn run(p: &TestProject, db: &TestDb, args: &[&str]) -> String {
    let out = p.migrate_on(Some(&db.url), args, "");
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "{}: {args:?}:\n{stdout}\n{stderr}",
        db.backend
    );
    stdout
}

/// `cargo fmt` would leave the written models as they are.
fn formatted(p: &TestProject) {
    let out = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--check", "src/models/mod.rs"])
        .current_dir(&p.root)
        .output()
        .expect("rustfmt runs");
    assert!(out.status.success(), "{}", text(&out).0);
}

#[test]
fn the_shops_database_is_read_back_as_the_shops_models_and_adopted() {
    for db in TestDb::all("inspect_shop") {
        let backend = db.backend;
        let q = |s: &str| quote(backend, s);
        let loader = Loader::new(shop::MIGRATIONS.all()).unwrap();
        db.migrate(&loader, &Target::All);
        let tenant = db.uuid("7d0c3c9e-8a39-4e0b-9d3c-6a8f5e1b2c3d");
        let product = db.uuid("0b6f1d2e-3c4a-4b5c-8d6e-7f8091a2b3c4");
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES ({tenant}, 'Acme ''n'' Co', 'acme');
             INSERT INTO {} ({}, {}, {}, {}, {}) VALUES ({product}, {tenant}, 'SKU-1', 'Kettle \"pot\"', 19.99)",
            q("tenants_tenant"),
            q("id"),
            q("name"),
            q("slug"),
            q("catalog_product"),
            q("id"),
            q("tenant_id"),
            q("sku"),
            q("name"),
            q("price"),
        ));

        // In the product: the models' state means what the shop's means, on this backend.
        let inspection = inspect(&db.catalog(), &Options::default()).unwrap();
        assert_eq!(inspection.notes, Vec::<String>::new(), "{backend}");
        assert_eq!(
            sql_view(&inspection.state().unwrap(), backend),
            sql_view(&loader.project_state().unwrap(), backend),
            "{backend}"
        );

        // As a user runs it: the files, compiled as written.
        let p = TestProject::new(&format!("inspect-shop-{backend}"));
        p.build();
        let said = run(&p, &db, &["inspectdb", "--out", "src/models", "--force"]);
        assert!(said.contains("Wrote src/models/catalog.rs"), "{said}");
        // The same for programs: the files' names and sources, and no note.
        let said = run(&p, &db, &["inspectdb", "--format", "json"]);
        assert!(
            said.starts_with(
                r#"{"version":1,"files":[{"name":"catalog.rs","source":"//! App `catalog`"#
            ),
            "{said}"
        );
        assert!(said.ends_with("\"written\":[],\"notes\":[]}\n"), "{said}");
        // Without --force, files already there are kept.
        let out = p.migrate_on(Some(&db.url), &["inspectdb", "--out", "src/models"], "");
        assert!(text(&out)
            .1
            .contains("exist(s) already; move them away or pass --force"));
        for app in ["catalog", "customers", "tenants"] {
            let file = p.read(&format!("src/models/{app}.rs"));
            insta::assert_snapshot!(format!("shop_{app}_{backend}"), file);
        }
        formatted(&p);
        p.build();

        // Adopted: the history goes (as if another tool had made the tables), the initial
        // migrations are written and recorded without running, and the schema matches.
        db.execute(&format!("DROP TABLE {}", q("migrate_migrations")));
        run(&p, &db, &["makemigrations", "--noinput"]);
        // The generated enum, compiled, stores the values the database's check allows.
        let initial = p.read("migrations/catalog/m0001_initial.rs");
        assert!(
            initial.contains(r#".choices(["draft", "active", "archived"])"#),
            "{initial}"
        );
        p.build();
        let said = run(&p, &db, &["migrate", "--fake-initial"]);
        assert_eq!(said.matches(" FAKED").count(), 3, "{backend}: {said}");
        assert!(!said.contains(" OK"), "{backend}: {said}");
        let said = run(&p, &db, &["migrate", "--check-schema"]);
        assert_eq!(
            said, "The database's schema matches its applied migrations.\n",
            "{backend}"
        );

        // Then it migrates forward like any other project, rows and all.
        let catalog = p.read("src/models/catalog.rs");
        p.write(
            "src/models/catalog.rs",
            &catalog.replacen(
                "pub struct Product {\n",
                "pub struct Product {\n    pub note: Option<String>,\n",
                1,
            ),
        );
        p.build();
        run(&p, &db, &["makemigrations", "--noinput"]);
        assert_eq!(
            p.migration_files("catalog"),
            ["m0001_initial.rs", "m0002_product_note.rs"]
        );
        p.build();
        let said = run(&p, &db, &["migrate"]);
        assert!(
            said.contains("Applying catalog.0002_product_note... OK"),
            "{backend}: {said}"
        );
        let rows = db.values(&format!(
            "SELECT {}, {}, {} FROM {}",
            db.text(&q("name")),
            db.text(&q("sku")),
            db.text(&q("note")),
            q("catalog_product")
        ));
        assert_eq!(
            rows,
            [[
                Some("Kettle \"pot\"".to_owned()),
                Some("SKU-1".to_owned()),
                None
            ]],
            "{backend}"
        );
        let said = run(&p, &db, &["migrate", "--check-schema"]);
        assert!(
            said.starts_with("The database's schema matches"),
            "{backend}: {said}"
        );
    }
}

/// The catalog's own spelling of an auto-numbered integer key, a boolean default and the
/// current time, per backend.
fn dialect(backend: Backend) -> (&'static str, &'static str, &'static str) {
    match backend {
        Backend::Postgres => (
            "serial PRIMARY KEY",
            "timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "boolean NOT NULL DEFAULT true",
        ),
        Backend::Mysql => (
            "integer NOT NULL AUTO_INCREMENT PRIMARY KEY",
            "datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
            "bool NOT NULL DEFAULT 1",
        ),
        Backend::Sqlite => (
            "integer PRIMARY KEY",
            "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "boolean NOT NULL DEFAULT TRUE",
        ),
    }
}

#[test]
fn a_database_made_without_the_tool_is_adopted_the_same_way() {
    for db in TestDb::all("inspect_plain") {
        let backend = db.backend;
        let q = |s: &str| quote(backend, s);
        let (serial, now, active) = dialect(backend);
        // Names a Rust field cannot take (a space, a keyword), a keyword table, a key not
        // named `id` and a foreign key column without `_id`, a string default with a quote;
        // and two tables no model can be (no key; a key of two columns).
        db.execute(&format!(
            "CREATE TABLE {customer} ({id} {serial}, {email} varchar(120) NOT NULL UNIQUE, \
             {full} varchar(80) NOT NULL DEFAULT 'it''s me', {type} varchar(10) NOT NULL DEFAULT 'basic', \
             {score} integer NOT NULL DEFAULT 0, {active} {active_ty}, {joined} {now}, {odd} integer NULL, \
             CONSTRAINT {positive} CHECK ({score} >= 0));
             CREATE TABLE {order} ({order_no} bigint NOT NULL PRIMARY KEY, \
             {customer} integer NOT NULL, {total} decimal(10, 2) NOT NULL, {note} text NULL, {code} char(8) NULL, \
             CONSTRAINT {fk} FOREIGN KEY ({customer}) REFERENCES {customer} ({id}) ON DELETE CASCADE);
             CREATE INDEX {by_customer} ON {order} ({customer}, {total} DESC);
             CREATE TABLE {audit} ({what} text NOT NULL);
             CREATE TABLE {pair} ({a} integer NOT NULL, {b} integer NOT NULL, PRIMARY KEY ({a}, {b}));
             INSERT INTO {customer} ({email}, {full}, {score}) VALUES ('a@x', 'Ann', 3);
             INSERT INTO {customer} ({email}, {type}) VALUES ('b@x', 'pro');
             INSERT INTO {order} ({order_no}, {customer}, {total}) VALUES (10, 1, 19.99), (11, 2, 5.00);",
            customer = q("customer"),
            id = q("id"),
            email = q("email"),
            full = q("full name"),
            type = q("type"),
            score = q("score"),
            odd = q("it's \"odd\" \\ `name`"),
            active = q("active"),
            active_ty = active,
            joined = q("joined"),
            positive = q("customer_score_positive"),
            order = q("order"),
            order_no = q("order_no"),
            total = q("total"),
            note = q("note"),
            code = q("code"),
            fk = q("order_customer_fk"),
            by_customer = q("order_by_customer"),
            audit = q("audit_log"),
            what = q("what"),
            pair = q("pair"),
            a = q("a"),
            b = q("b"),
        ));
        let rows = |db: &TestDb| {
            db.rows(&format!(
                "SELECT {}, {}, {}, {}, {} FROM {} ORDER BY {}",
                db.text(&q("email")),
                db.text(&q("full name")),
                db.text(&q("type")),
                db.text(&q("score")),
                db.text(&format!(
                    "(SELECT COUNT(*) FROM {} o WHERE o.{} = c.{})",
                    q("order"),
                    q("customer"),
                    q("id")
                )),
                format_args!("{} c", q("customer")),
                q("email"),
            ))
        };
        let before = rows(&db);
        assert_eq!(before.len(), 2);

        let p = TestProject::new(&format!("inspect-plain-{backend}"));
        p.build();
        // Refused, with the reason: tables without an app for them, a table the database
        // does not have, an app no model can be in.
        for (args, error) in [
            (
                &["inspectdb"][..],
                "start with no app of the database's history: name their app with --app",
            ),
            (
                &["inspectdb", "--app", "legacy", "nosuch"],
                "error: inspectdb: the database has no table nosuch",
            ),
            (
                &["inspectdb", "--app", "Legacy"],
                "an app name is lowercase letters, digits and `_`",
            ),
        ] {
            let out = p.migrate_on(Some(&db.url), args, "");
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert!(text(&out).1.contains(error), "{args:?}: {}", text(&out).1);
        }
        let out = p.migrate_on(
            Some(&db.url),
            &[
                "inspectdb",
                "--app",
                "legacy",
                "--out",
                "src/models",
                "--force",
            ],
            "",
        );
        let (_, notes) = text(&out);
        assert!(out.status.success(), "{backend}: {notes}");
        insta::assert_snapshot!(format!("plain_notes_{backend}"), notes);
        insta::assert_snapshot!(
            format!("plain_legacy_{backend}"),
            p.read("src/models/legacy.rs")
        );
        formatted(&p);
        p.build();

        run(&p, &db, &["makemigrations", "--noinput"]);
        p.build();
        let said = run(&p, &db, &["migrate", "--fake-initial"]);
        assert!(
            said.contains("legacy.0001_initial... FAKED"),
            "{backend}: {said}"
        );
        // The differences the notes announced, and no other; one goes when the index is
        // made as a note says.
        let announced: Vec<&str> = notes
            .lines()
            .filter_map(|l| l.strip_prefix("warning: not reproduced: "))
            .collect();
        assert!(
            announced.iter().any(|d| d.contains("code is char(8)")),
            "{backend}: {notes}"
        );
        assert_eq!(check_schema(&p, &db), announced, "{backend}");
        let said_sql = |after: &str| {
            notes
                .lines()
                .find_map(|l| l.split_once(after).map(|(_, sql)| sql.to_owned()))
        };
        db.execute(&said_sql("create it with: ").expect("a note says how to make the index"));
        let announced: Vec<&str> = announced
            .into_iter()
            .filter(|d| !d.starts_with("index order_customer_"))
            .collect();
        assert_eq!(check_schema(&p, &db), announced, "{backend}");

        // A key named by another tool is renamed as a note says (SQLite needs no name), so
        // that a migration that changes it finds it.
        match backend {
            Backend::Sqlite => assert_eq!(said_sql("rename it first with: "), None),
            _ => db.execute(&said_sql("rename it first with: ").expect("a note says how")),
        }
        let legacy = p.read("src/models/legacy.rs");
        p.write(
            "src/models/legacy.rs",
            &legacy.replacen(
                "#[field(on_delete = Cascade, db_column = \"customer\")]",
                "#[field(on_delete = Protect, db_column = \"customer\")]",
                1,
            ),
        );
        p.build();
        run(&p, &db, &["makemigrations", "--noinput"]);
        p.build();
        let said = run(&p, &db, &["migrate"]);
        assert!(
            said.contains("Applying legacy.0002_alter_order_customer... OK"),
            "{backend}: {said}"
        );
        let refused = db.try_execute(&format!(
            "DELETE FROM {} WHERE {} = 1",
            q("customer"),
            q("id")
        ));
        assert!(
            refused.is_err(),
            "{backend}: a customer with orders is protected"
        );
        // SQLite made the changed table again, as the models say it: nothing differs now.
        let announced = match backend {
            Backend::Sqlite => Vec::new(),
            _ => announced,
        };

        // Forward, like any other project, with the rows as they were.
        let legacy = p.read("src/models/legacy.rs");
        p.write(
            "src/models/legacy.rs",
            &legacy.replacen(
                "pub struct Customer {\n",
                "pub struct Customer {\n    pub phone: Option<String>,\n",
                1,
            ),
        );
        p.build();
        run(&p, &db, &["makemigrations", "--noinput"]);
        p.build();
        let said = run(&p, &db, &["migrate"]);
        assert!(
            said.contains("Applying legacy.0003_customer_phone... OK"),
            "{backend}: {said}"
        );
        assert_eq!(rows(&db), before, "{backend}");
        assert_eq!(check_schema(&p, &db), announced, "{backend}");
    }
}

/// The differences `migrate --check-schema` reports, without the operations.
fn check_schema(p: &TestProject, db: &TestDb) -> Vec<String> {
    let out = p.migrate_on(Some(&db.url), &["migrate", "--check-schema"], "");
    let (said, _) = text(&out);
    let found: Vec<String> = said
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .map(|l| l.rsplit_once(" (").map_or(l, |(d, _)| d).to_owned())
        .collect();
    assert_eq!(
        out.status.code(),
        Some(i32::from(!found.is_empty())),
        "{said}"
    );
    found
}
