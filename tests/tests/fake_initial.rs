//! `migrate --fake-initial`: adopting a database whose tables were made without the tool.
//! An initial migration whose tables exist as it describes them is recorded, not run; the
//! migrations after it then run like any other, on the rows already there. One whose tables
//! only partly exist is refused, naming what is missing, and nothing is recorded.

use migrate_core::executor::{Event, Executor};
use migrate_core::fields::{foreign_key, ColumnType::*, OnDelete};
use migrate_core::loader::Loader;
use migrate_core::operations::{AddField, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::quote;
use migrate_core::{Field, Migration};
use migrate_tests::db::{runtime, TestDb};

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("shop", "0001_initial")
            .initial()
            .operations([
                CreateModel::new("Client", "clients")
                    .fields([
                        Field::new("id", Integer).primary_key(),
                        Field::new("name", Varchar(40)),
                    ])
                    .into(),
                CreateModel::new("Order", "orders")
                    .fields([
                        Field::new("id", Integer).primary_key(),
                        Field::new("client", foreign_key("shop.Client", OnDelete::Cascade)),
                    ])
                    .into(),
            ]),
        Migration::new("shop", "0002_order_note")
            .depends_on("shop", "0001_initial")
            .operations([AddField::new("Order", Field::new("note", Text).null()).into()]),
    ]
}

/// `migrate --fake-initial`: what was faked and what ran, in order.
fn fake_initial(db: &TestDb) -> Result<Vec<String>, String> {
    let loader = Loader::new(migrations()).unwrap();
    let mut said = Vec::new();
    runtime().block_on(async {
        let mut executor = Executor::connect(&db.url)
            .await
            .map_err(|e| e.to_string())?;
        executor.fake_initial();
        let mut report = |event: Event<'_>| match event {
            Event::Faked(s) => said.push(format!("faked {}", s.key)),
            Event::Finished(s, _) => said.push(format!("ran {}", s.key)),
            _ => {}
        };
        executor
            .migrate(&loader, &Target::All, false, &mut report)
            .await
            .map_err(|e| e.to_string())
    })?;
    Ok(said)
}

#[test]
fn an_existing_database_is_adopted_and_migrates_on() {
    for db in TestDb::all("shop_fake_initial") {
        let q = |s: &str| quote(db.backend, s);
        // Made with plain SQL, as another tool would have.
        db.execute(&format!(
            "CREATE TABLE {} ({} integer NOT NULL PRIMARY KEY, {} varchar(40) NOT NULL)",
            q("clients"),
            q("id"),
            q("name")
        ));
        db.execute(&format!(
            "CREATE TABLE {} ({} integer NOT NULL PRIMARY KEY, {} integer NOT NULL REFERENCES {} ({}))",
            q("orders"),
            q("id"),
            q("client_id"),
            q("clients"),
            q("id")
        ));
        db.execute(&format!("INSERT INTO {} VALUES (1, 'Acme')", q("clients")));
        db.execute(&format!("INSERT INTO {} VALUES (7, 1)", q("orders")));

        let said = fake_initial(&db).unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert_eq!(
            said,
            ["faked shop.0001_initial", "ran shop.0002_order_note"],
            "{}",
            db.backend
        );
        let history = db.rows(&format!(
            "SELECT {} FROM {} ORDER BY 1",
            q("name"),
            q(migrate_core::recorder::TABLE)
        ));
        assert_eq!(
            history,
            [["0001_initial"], ["0002_order_note"]],
            "{}",
            db.backend
        );
        let orders = format!(
            "SELECT {}, {} FROM {}",
            db.text(&q("id")),
            db.text(&format!("COALESCE({}, 'none')", q("note"))),
            q("orders")
        );
        assert_eq!(
            db.rows(&orders),
            [["7", "none"]],
            "{}: 0002 ran on the rows",
            db.backend
        );
    }
}

#[test]
fn a_partly_existing_initial_migration_is_refused() {
    for db in TestDb::all("shop_fake_initial_partial") {
        let q = |s: &str| quote(db.backend, s);
        db.execute(&format!(
            "CREATE TABLE {} ({} integer NOT NULL PRIMARY KEY)",
            q("clients"),
            q("id")
        ));
        let err = fake_initial(&db).unwrap_err();
        assert!(
            err.contains("cannot fake the initial migration shop.0001_initial")
                && err.contains("clients lacks name")
                && err.contains("orders does not exist"),
            "{}: {err}",
            db.backend
        );
        // SQLite creates the history table with the first migration, so it is gone too.
        let history = format!(
            "SELECT {} FROM {}",
            q("name"),
            q(migrate_core::recorder::TABLE)
        );
        if db.try_execute(&history).is_ok() {
            assert!(
                db.rows(&history).is_empty(),
                "{}: nothing recorded",
                db.backend
            );
        }
    }
}
