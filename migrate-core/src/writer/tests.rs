use super::*;
use crate::fields::{foreign_key, many_to_many, ColumnType::*, OnDelete::*};
use crate::operations::{
    AddField, AddIndex, AlterModelManaged, CreateModel, RemoveField, RenameField, RunSql,
};
use crate::state::{Constraint, Field, Index};

fn sample() -> Migration {
    Migration::new("customers", "0002_customer_phone")
        .depends_on("customers", "0001_initial")
        .depends_on("tenants", "0003_tenant_status")
        .operations([
            CreateModel::new("Visit", "customers_visit")
                .fields([
                    Field::new("id", Uuid).primary_key().default(Value::NewUuid),
                    Field::new("customer", foreign_key("customers.Customer", Cascade)),
                    Field::new("referrer", foreign_key("customers.Customer", SetNull)).null(),
                    Field::new(
                        "amount",
                        Decimal {
                            max_digits: 12,
                            decimal_places: 2,
                        },
                    )
                    .default(Value::number("0.00")),
                    Field::new("visited_at", TimestampTz).auto_now_add(),
                    Field::new("seen_at", TimestampTz).default(Value::Now),
                    Field::new("tags", many_to_many("catalog.Tag")),
                    Field::new("score", Integer)
                        .default(-1)
                        .db_column("visit_score"),
                ])
                .indexes([Index::new("visit_customer_idx", ["customer", "visited_at"])])
                .constraints([
                    Constraint::unique("visit_once", ["customer", "visited_at"]),
                    Constraint::check("visit_amount_positive", "amount >= 0"),
                ])
                .into(),
            CreateModel::new("Legacy", "legacy_visits")
                .fields([Field::new("id", Integer).primary_key()])
                .unmanaged()
                .into(),
            AlterModelManaged::new("Legacy", true).into(),
            AddField::new("Customer", Field::new("phone", Varchar(20)))
                .one_off_default("unknown")
                .into(),
            RemoveField::new("Customer", "fax").into(),
            RenameField::new("Customer", "nick", "nickname").into(),
            AddIndex::new(
                "Customer",
                Index::new("customer_phone_idx", ["phone"]).unique(),
            )
            .into(),
            RunSql::new("UPDATE customers_customer SET phone = ''")
                .reverse("SELECT 1")
                .into(),
        ])
}

#[test]
fn a_migration_file_spells_out_every_operation() {
    insta::assert_snapshot!(migration_file(&sample()).unwrap());
}

#[test]
fn a_migration_file_is_rust_within_the_line_width() {
    let text = migration_file(&sample()).unwrap();
    syn::parse_file(&text).expect("the file parses as Rust");
    for line in text.lines() {
        assert!(line.len() <= doc::WIDTH, "too long: {line}");
    }
}

#[test]
fn the_same_migration_gives_the_same_bytes() {
    assert_eq!(
        migration_file(&sample()).unwrap(),
        migration_file(&sample()).unwrap()
    );
}
