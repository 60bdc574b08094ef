//! Applied migrations cannot change behind the database's back, on the three backends:
//! reformatting an applied file changes nothing; changing what it does is reported by
//! `showmigrations`, `migrate --plan`, `migrate --check` and `migrate`, which refuses until
//! the change is accepted; a deleted applied file is reported; a history table from before
//! checksums is upgraded and keeps working.

use migrate_core::schema::quote;
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

const INITIAL: &str = r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("ledger", "0001_initial").initial().operations([
        CreateModel::new("Account", "ledger_account")
            .fields([Field::auto_id(), Field::new("name", Varchar(50))])
            .into(),
    ])
}
"#;

/// The same migration, laid out and commented differently.
const INITIAL_REFORMATTED: &str = r#"// A comment that changes nothing.
use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("ledger", "0001_initial")
        .initial()
        .operations([CreateModel::new("Account", "ledger_account")
            .fields([
                Field::auto_id(),
                // The account's name.
                Field::new("name", Varchar(50)),
            ])
            .into()])
}
"#;

const SECOND: &str = r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("ledger", "0002_account_note")
        .depends_on("ledger", "0001_initial")
        .operations([AddField::new("Account", Field::new("note", Text).null()).into()])
}
"#;

#[track_caller]
fn run(p: &TestProject, db: &TestDb, args: &[&str], code: i32) -> String {
    let out = p.migrate_on(Some(&db.url), args, "");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{} {args:?}:\n{stdout}{stderr}",
        db.backend
    );
    stdout + &stderr
}

#[test]
fn applied_migrations_are_checked_against_their_files() {
    let p = TestProject::new("ledger-checksums");
    p.write("migrations/ledger/m0001_initial.rs", INITIAL);
    p.write("migrations/ledger/m0002_account_note.rs", SECOND);
    p.write(
        "src/models/mod.rs",
        "#![allow(dead_code)]\nuse migrate_core::*;\n\n#[derive(Model)]\n#[model(app = \"ledger\")]\npub struct Account {\n    #[field(max_length = 50)]\n    pub name: String,\n    pub note: Option<String>,\n}\n",
    );
    p.build();
    let dbs = TestDb::all("ledger_checksums");
    for db in &dbs {
        run(&p, db, &["migrate"], 0);
    }

    // Reformatted: nothing to report.
    p.write("migrations/ledger/m0001_initial.rs", INITIAL_REFORMATTED);
    p.build();
    for db in &dbs {
        let shown = run(&p, db, &["showmigrations"], 0);
        assert_eq!(
            shown, "ledger\n [X] 0001_initial\n [X] 0002_account_note\n",
            "{}",
            db.backend
        );
        run(&p, db, &["migrate", "--check"], 0);
        run(&p, db, &["migrate"], 0);
    }

    // One field attribute changed in an applied file: reported everywhere, and migrate
    // refuses until the change is accepted.
    p.write(
        "migrations/ledger/m0001_initial.rs",
        &INITIAL.replace("Varchar(50)", "Varchar(60)"),
    );
    p.build();
    let said = "ledger.0001_initial: operation 1 changed: Create model Account";
    for db in &dbs {
        let shown = run(&p, db, &["showmigrations"], 0);
        assert!(
            shown.contains(" [X] 0001_initial (changed since applied: operation 1 changed: Create model Account)"),
            "{}: {shown}",
            db.backend
        );
        let plan = run(&p, db, &["migrate", "--plan"], 0);
        assert!(plan.contains(said), "{}: {plan}", db.backend);
        let check = run(&p, db, &["migrate", "--check"], 1);
        assert!(check.contains(said), "{}: {check}", db.backend);
        let refused = run(&p, db, &["migrate"], 1);
        assert!(
            refused.contains(said) && refused.contains("migrate --accept-changed APP NAME"),
            "{}: {refused}",
            db.backend
        );
        run(
            &p,
            db,
            &["migrate", "--accept-changed", "ledger", "0001"],
            0,
        );
        run(&p, db, &["migrate", "--check"], 0);
        let shown = run(&p, db, &["showmigrations"], 0);
        assert!(!shown.contains("changed"), "{}: {shown}", db.backend);
    }

    // An applied file deleted: reported, and --check fails.
    std::fs::remove_file(p.root.join("migrations/ledger/m0002_account_note.rs")).unwrap();
    p.build();
    for db in &dbs {
        let gone = "Applied migrations whose files are gone:\n  ledger.0002_account_note";
        let shown = run(&p, db, &["showmigrations"], 0);
        assert!(shown.contains(gone), "{}: {shown}", db.backend);
        let check = run(&p, db, &["migrate", "--check"], 1);
        assert!(check.contains(gone), "{}: {check}", db.backend);
        let ran = run(&p, db, &["migrate"], 0);
        assert!(ran.contains(gone), "{}: {ran}", db.backend);
    }

    // A history table from before checksums: read as it is, upgraded by the next migrate,
    // its row given the file's checksum.
    for backend in dbs.iter().map(|d| d.backend) {
        let db = TestDb::create(backend, "ledger_checksums_old").unwrap();
        run(&p, &db, &["migrate"], 0);
        let q = |s: &str| quote(db.backend, s);
        db.execute(&format!(
            "ALTER TABLE {} DROP COLUMN {}",
            q("migrate_migrations"),
            q("checksum")
        ));
        let shown = run(&p, &db, &["showmigrations"], 0);
        assert_eq!(shown, "ledger\n [X] 0001_initial\n", "{}", db.backend);
        run(&p, &db, &["migrate", "--check"], 0);
        run(&p, &db, &["migrate"], 0);
        let sums = db.rows(&format!(
            "SELECT {} FROM {}",
            q("checksum"),
            q("migrate_migrations")
        ));
        assert_eq!(sums.len(), 1, "{}", db.backend);
        assert!(sums[0][0].starts_with("v1 "), "{}: {sums:?}", db.backend);
    }
}
