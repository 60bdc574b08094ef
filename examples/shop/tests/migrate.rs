//! The shop's history applied, inspected and rolled back with the real binary, on SQLite,
//! PostgreSQL and MariaDB.

use std::process::{Command, Output};

use migrate_core::loader::Loader;
use migrate_core::schema::Backend;
use migrate_tests::db::{expected, TestDb};

fn migrate(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("the migrate binary runs")
}

#[track_caller]
fn ok(db: &TestDb, args: &[&str]) -> String {
    let out = migrate(db, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{stdout}{}",
        db.backend,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn final_state() -> migrate_core::ProjectState {
    Loader::new(shop::MIGRATIONS.all())
        .unwrap()
        .project_state()
        .unwrap()
}

fn history_rows(db: &TestDb) -> Vec<Vec<String>> {
    let q = |s: &str| migrate_core::schema::quote(db.backend, s);
    db.rows(&format!(
        "SELECT {}, {} FROM {} ORDER BY 1, 2",
        q("app"),
        q("name"),
        q(migrate_core::recorder::TABLE)
    ))
}

#[test]
fn the_whole_history_applies_rolls_back_and_applies_again() {
    for db in TestDb::all("shop_lifecycle") {
        let out = ok(&db, &["migrate"]);
        assert!(
            out.contains("Applying tenants.0001_initial_squashed_0003_tenantsettings_twilio_sid_and_more... OK"),
            "{out}"
        );
        let shown = ok(&db, &["showmigrations"]);
        // The squashed tenants.0001-0003 stands for its three replaced migrations.
        assert_eq!(shown.matches("[X]").count(), 12, "{shown}");
        assert!(!shown.contains("[ ]"), "{shown}");

        // The database says what the state says, table by table.
        let expected = expected(&final_state(), db.backend);
        let actual = db.introspect();
        for (name, table) in &expected.tables {
            assert_eq!(
                actual.tables.get(name),
                Some(table),
                "{}: table {name}",
                db.backend
            );
        }
        assert_eq!(actual, expected, "{}", db.backend);

        for app in ["customers", "catalog", "tenants"] {
            ok(&db, &["migrate", app, "zero"]);
        }
        assert!(
            db.introspect().tables.is_empty(),
            "{}: only the history table is left",
            db.backend
        );
        assert!(history_rows(&db).is_empty());
        assert!(ok(&db, &["showmigrations", "--plan"])
            .lines()
            .all(|l| l.starts_with("[ ]")));

        ok(&db, &["migrate"]);
        assert_eq!(db.introspect(), expected, "{}: forwards again", db.backend);

        // Back to a middle migration and forwards again.
        let out = ok(&db, &["migrate", "catalog", "0001"]);
        assert!(
            out.contains("Unapplying catalog.0002_alter_product_name... OK"),
            "{out}"
        );
        let mut middle = expected.tables["catalog_product"].columns.clone();
        middle.get_mut("name").unwrap().0 = db.introspect().tables["catalog_product"].columns
            ["name"]
            .0
            .clone();
        assert!(
            middle["name"].0.contains("120"),
            "{}: name is varchar(120) again",
            db.backend
        );
        ok(&db, &["migrate"]);
        assert_eq!(
            db.introspect(),
            expected,
            "{}: forwards from the middle",
            db.backend
        );
        assert_eq!(
            history_rows(&db).len(),
            15,
            "the squash and the three it replaces"
        );
    }
}

#[test]
fn altering_and_rebuilding_tables_keeps_every_row() {
    for db in TestDb::all("shop_rows") {
        ok(&db, &["migrate", "catalog", "0001"]);
        ok(&db, &["migrate", "customers", "0001"]);
        let u = |s: &str| db.uuid(s);
        let t = u("11111111-1111-1111-1111-111111111111");
        db.execute(&format!(
            "INSERT INTO tenants_tenant (id, name, slug, twilio_sid, twilio_token) VALUES ({t}, 'Acme', 'acme', 'AC1', 'tok1');
             INSERT INTO catalog_product (id, tenant_id, sku, name, price) VALUES ({}, {t}, 'SKU-1', 'Kettle', 19.99);
             INSERT INTO catalog_product (id, tenant_id, sku, name, description, price) VALUES ({}, {t}, 'SKU-2', 'Teapot', 'Blue', 5.00);
             INSERT INTO customers_customer (id, tenant_id, phone_e164, display_name) VALUES ({}, {t}, '+3312345678', 'Jo');",
            u("22222222-2222-2222-2222-222222222222"),
            u("33333333-3333-3333-3333-333333333333"),
            u("44444444-4444-4444-4444-444444444444"),
        ));
        // Alter a column (an SQLite rebuild), rename a column, add columns with a key.
        ok(&db, &["migrate"]);
        let price = db.text("price");
        let products = db.rows(&format!(
            "SELECT sku, name, COALESCE(description, ''), {price} FROM catalog_product ORDER BY sku"
        ));
        assert_eq!(
            products,
            [
                ["SKU-1", "Kettle", "", "19.99"].map(String::from).to_vec(),
                [
                    "SKU-2",
                    "Teapot",
                    "Blue",
                    if db.backend == Backend::Sqlite {
                        "5"
                    } else {
                        "5.00"
                    }
                ]
                .map(String::from)
                .to_vec(),
            ],
            "{}",
            db.backend
        );
        let tenants = db.rows(&format!(
            "SELECT name, slug, COALESCE({}, 'none') FROM tenants_tenant",
            db.text("tier_id")
        ));
        assert_eq!(
            tenants,
            [["Acme", "acme", "none"].map(String::from).to_vec()],
            "{}",
            db.backend
        );
        assert_eq!(
            db.rows("SELECT nickname FROM customers_customer"),
            [vec!["Jo".to_owned()]],
            "{}: the renamed column kept its value",
            db.backend
        );
        // And back: every row survives the way down too.
        ok(&db, &["migrate", "catalog", "0001"]);
        ok(&db, &["migrate", "tenants", "0001"]);
        assert_eq!(
            db.rows("SELECT sku FROM catalog_product ORDER BY sku")
                .len(),
            2,
            "{}",
            db.backend
        );
        assert_eq!(
            db.rows("SELECT slug FROM tenants_tenant").len(),
            1,
            "{}",
            db.backend
        );
    }
}

#[test]
fn concurrent_runs_apply_each_migration_once() {
    for db in TestDb::all("shop_concurrent") {
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_migrate"))
                .arg("migrate")
                .env("DATABASE_URL", &db.url)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Four at once, from an empty database: the history table itself is contended too.
        let children: Vec<_> = (0..4).map(|_| spawn()).collect();
        for out in children.into_iter().map(|c| c.wait_with_output().unwrap()) {
            assert!(
                out.status.success(),
                "{}: {}{}",
                db.backend,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let rows = history_rows(&db);
        let mut distinct = rows.clone();
        distinct.dedup();
        assert_eq!(rows.len(), 15, "{}: {rows:?}", db.backend);
        assert_eq!(
            distinct, rows,
            "{}: each migration recorded once",
            db.backend
        );
    }
}

#[test]
fn plan_and_check_change_nothing() {
    for db in TestDb::all("shop_plan") {
        let plan = ok(&db, &["migrate", "--plan"]);
        assert!(
            plan.contains("tenants.0001_initial_squashed_0003_tenantsettings_twilio_sid_and_more\n    Create model Tenant\n"),
            "{plan}"
        );
        let out = migrate(&db, &["migrate", "--check"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: unapplied migrations exit 1",
            db.backend
        );
        assert!(db.introspect().tables.is_empty());
        ok(&db, &["migrate", "--fake"]);
        assert!(db.introspect().tables.is_empty(), "--fake runs no SQL");
        assert_eq!(history_rows(&db).len(), 15, "--fake records");
        assert_eq!(migrate(&db, &["migrate", "--check"]).status.code(), Some(0));
        let back = ok(&db, &["migrate", "catalog", "zero", "--plan"]);
        assert!(
            back.contains("catalog.0002_alter_product_name\n    Undo Alter field name on product"),
            "{back}"
        );
    }
}

#[test]
fn the_credentials_data_migration_moves_rows_forwards_and_back() {
    for db in TestDb::all("shop_data") {
        ok(&db, &["migrate", "tenants", "0001"]);
        let (a, b, c) = (
            "aaaaaaaa-0000-0000-0000-000000000001",
            "bbbbbbbb-0000-0000-0000-000000000002",
            "cccccccc-0000-0000-0000-000000000003",
        );
        let (ua, ub, uc) = (db.uuid(a), db.uuid(b), db.uuid(c));
        db.execute(&format!(
            "INSERT INTO tenants_tenant (id, name, slug, twilio_sid, twilio_token) VALUES ({ua}, 'A', 'a', 'AC-a', 'tok-a');
             INSERT INTO tenants_tenant (id, name, slug, twilio_sid, twilio_token) VALUES ({ub}, 'B', 'b', 'AC-b', NULL);
             INSERT INTO tenants_tenant (id, name, slug) VALUES ({uc}, 'C', 'c');
             INSERT INTO tenants_tenantsettings (tenant_id, timezone, locale) VALUES ({ub}, 'Europe/Paris', 'fr');"
        ));
        let out = ok(&db, &["migrate", "tenants"]);
        assert!(
            out.contains("Applying tenants.0004_move_twilio_credentials... OK"),
            "{out}"
        );
        let settings = db.rows(&format!(
            "SELECT {}, timezone, locale, COALESCE(twilio_sid, '-'), COALESCE(twilio_token, '-') FROM tenants_tenantsettings ORDER BY 1",
            db.uuid_text("tenant_id")
        ));
        let row = |cells: [&str; 5]| cells.map(String::from).to_vec();
        assert_eq!(
            settings,
            [
                row([a, "UTC", "en", "AC-a", "tok-a"]),
                row([b, "Europe/Paris", "fr", "AC-b", "-"]),
                row([c, "UTC", "en", "-", "-"]),
            ],
            "{}: every tenant has settings holding its credentials",
            db.backend
        );
        assert!(
            !db.introspect().tables["tenants_tenant"]
                .columns
                .contains_key("twilio_sid"),
            "{}: the old columns are gone",
            db.backend
        );

        let out = ok(&db, &["migrate", "tenants", "0001"]);
        assert!(
            out.contains("Unapplying tenants.0004_move_twilio_credentials... OK"),
            "{out}"
        );
        let tenants = db.rows(&format!(
            "SELECT {}, COALESCE(twilio_sid, '-'), COALESCE(twilio_token, '-') FROM tenants_tenant ORDER BY 1",
            db.uuid_text("id")
        ));
        let row = |cells: [&str; 3]| cells.map(String::from).to_vec();
        assert_eq!(
            tenants,
            [
                row([a, "AC-a", "tok-a"]),
                row([b, "AC-b", "-"]),
                row([c, "-", "-"])
            ],
            "{}: the credentials are back on the tenants",
            db.backend
        );
    }
}
