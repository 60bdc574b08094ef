//! Durations, IP addresses and enums (`#[derive(Choices)]`) as columns, with rows in the
//! table: each backend stores them as documented, an enum's column refuses a value outside
//! its choices, and adding a variant is a migration that keeps every row.

use migrate_core::fields::ColumnType::*;
use migrate_core::loader::Loader;
use migrate_core::operations::{AddField, AlterField, CreateModel};
use migrate_core::planner::Target;
use migrate_core::schema::{quote, Backend};
use migrate_core::{Field, Migration, MigrationKey};
use migrate_tests::db::{runtime, TestDb};
use migrate_tests::history::every_step;

fn status(values: &[&'static str]) -> Field {
    let longest = values.iter().map(|v| v.len()).max().unwrap() as u32;
    Field::new("status", Varchar(longest))
        .choices(values.iter().copied())
        .default("active")
}

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("net", "0001_initial")
            .initial()
            .operations([CreateModel::new("Host", "net_host")
                .fields([
                    Field::auto_id(),
                    Field::new("address", IpAddr),
                    Field::new("uptime", Duration).null(),
                    Field::new("tier", Integer).choices([1, 2, 3]),
                ])
                .into()]),
        Migration::new("net", "0002_host_status")
            .depends_on("net", "0001_initial")
            .operations([AddField::new("Host", status(&["active", "retired"])).into()]),
        Migration::new("net", "0003_alter_host_status")
            .depends_on("net", "0002_host_status")
            .operations([
                AlterField::new("Host", status(&["active", "retired", "maintenance"])).into(),
            ]),
    ]
}

#[test]
fn new_column_types_and_choices_keep_their_rows() {
    for db in TestDb::all("net_field_types") {
        let q = |s: &str| quote(db.backend, s);
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        let to = |name: &'static str| Target::Migration(MigrationKey::new("net", name));
        let try_sql = |sql: &str| db.try_execute(sql);
        let uptime = match db.backend {
            Backend::Postgres => "interval '90 minutes'",
            _ => "5400000000",
        };
        migrate(to("0001_initial"));
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES ('10.0.0.1', {uptime}, 1), ('2001:db8::1', NULL, 3)",
            q("net_host"),
            q("address"),
            q("uptime"),
            q("tier")
        ));
        let bad_tier = format!(
            "INSERT INTO {} ({}, {}) VALUES ('10.0.0.2', 4)",
            q("net_host"),
            q("address"),
            q("tier")
        );
        assert!(
            try_sql(&bad_tier).is_err(),
            "{}: tier 4 is not a choice",
            db.backend
        );

        migrate(to("0002_host_status"));
        let rows = format!(
            "SELECT {}, {}, {} FROM {} ORDER BY {}",
            db.text(&q("address")),
            db.text(&q("uptime")),
            q("status"),
            q("net_host"),
            q("id")
        );
        let before = db.values(&rows);
        let uptime_text = match db.backend {
            Backend::Postgres => "01:30:00",
            _ => "5400000000",
        };
        let address = |a: &str| match db.backend {
            Backend::Postgres => format!("{a}/{}", if a.contains(':') { 128 } else { 32 }),
            _ => a.to_owned(),
        };
        assert_eq!(
            before,
            [
                vec![
                    Some(address("10.0.0.1")),
                    Some(uptime_text.to_owned()),
                    Some("active".to_owned())
                ],
                vec![
                    Some(address("2001:db8::1")),
                    None,
                    Some("active".to_owned())
                ],
            ],
            "{}",
            db.backend
        );
        let maintenance = format!(
            "UPDATE {} SET {} = 'maintenance'",
            q("net_host"),
            q("status")
        );
        assert!(
            try_sql(&maintenance).is_err(),
            "{}: not a choice yet",
            db.backend
        );

        migrate(Target::All);
        assert_eq!(
            db.values(&rows),
            before,
            "{}: a new variant keeps the rows",
            db.backend
        );
        try_sql(&maintenance).unwrap_or_else(|e| panic!("{}: now a choice: {e}", db.backend));

        // Back to the two variants: the rows must fit again first.
        db.execute(&format!(
            "UPDATE {} SET {} = 'retired'",
            q("net_host"),
            q("status")
        ));
        migrate(to("0001_initial"));
        let first = format!(
            "SELECT {} FROM {} ORDER BY {}",
            db.text(&q("address")),
            q("net_host"),
            q("id")
        );
        assert_eq!(db.rows(&first).len(), 2, "{}", db.backend);
    }
}

/// The files `makemigrations` writes for the new types and choices, and their SQL on each
/// backend, both ways.
#[test]
fn choices_as_written_and_as_sql() {
    let migrations = migrations();
    let (files, sql) = every_step(&migrations);
    insta::assert_snapshot!("choices_files", files);
    insta::assert_snapshot!("choices_sql", sql);
}

/// A text enum and an integer enum, as the derive makes them.
#[derive(migrate_core::Choices, Debug, PartialEq, Clone, Copy)]
enum Status {
    Active,
    PastDue,
    #[choices(rename = "gone")]
    Cancelled,
}

#[derive(migrate_core::Choices, Debug, PartialEq, Clone, Copy)]
#[choices(integer)]
enum Tier {
    Free = 1,
    Pro = 5,
}

#[test]
fn the_derive_gives_the_column_and_the_values() {
    use migrate_core::fields::{ColumnValue, Value};
    assert_eq!(Status::COLUMN_TYPE, Varchar(8));
    assert_eq!(
        Status::CHOICES,
        [
            Value::from("active"),
            Value::from("past_due"),
            Value::from("gone")
        ]
    );
    assert_eq!(Tier::COLUMN_TYPE, Integer);
    assert_eq!(Tier::CHOICES, [Value::Int(1), Value::Int(5)]);
}

/// The enums bind and read back through sqlx on every backend, as the values the check
/// constraint allows; a value outside them is an error naming the enum.
#[test]
fn derived_enums_read_and_write_through_sqlx() {
    use sqlx::{Connection, Row};
    let rt = runtime();
    for db in TestDb::all("net_enum_sqlx") {
        db.execute("CREATE TABLE t (s varchar(8) NOT NULL, n integer NOT NULL)");
        rt.block_on(async {
            let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
            let insert = match db.backend {
                Backend::Postgres => "INSERT INTO t (s, n) VALUES ($1, $2)",
                _ => "INSERT INTO t (s, n) VALUES (?, ?)",
            };
            for (s, n) in [
                (Status::PastDue, Tier::Pro),
                (Status::Cancelled, Tier::Free),
            ] {
                sqlx::query(insert)
                    .bind(s)
                    .bind(n)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            let rows = sqlx::query("SELECT s, n FROM t ORDER BY n")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let read: Vec<(Status, Tier)> = rows
                .iter()
                .map(|r| (r.get::<Status, _>(0), r.get::<Tier, _>(1)))
                .collect();
            assert_eq!(
                read,
                [
                    (Status::Cancelled, Tier::Free),
                    (Status::PastDue, Tier::Pro)
                ],
                "{}",
                db.backend
            );
            let stored: Vec<String> = sqlx::query("SELECT s FROM t ORDER BY n")
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            assert_eq!(stored, ["gone", "past_due"], "{}", db.backend);
            sqlx::raw_sql("INSERT INTO t (s, n) VALUES ('lost', 7)")
                .execute(&mut conn)
                .await
                .unwrap();
            let row = sqlx::query("SELECT s, n FROM t WHERE n = 7")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let err = row.try_get::<Status, _>(0).unwrap_err().to_string();
            assert!(err.contains("\"lost\" is not a value of Status"), "{err}");
            let err = row.try_get::<Tier, _>(1).unwrap_err().to_string();
            assert!(err.contains("7 is not a value of Tier"), "{err}");
        });
    }
}
