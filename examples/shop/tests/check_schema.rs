//! `migrate --check-schema`: the schema the database really has, compared with what its
//! applied migrations say, after changes made by hand, on SQLite, PostgreSQL and MariaDB.

use std::process::{Command, Output};

use migrate_core::schema::{quote, Backend};
use migrate_tests::db::TestDb;

fn migrate(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("the migrate binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Migrates `db` with `args`, then checks that its schema matches its migrations.
fn migrated_and_matching(db: &TestDb, args: &[&str]) {
    let out = migrate(db, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {args:?}: {stderr}", db.backend);
    let out = migrate(db, &["migrate", "--check-schema"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        db.backend,
        stdout(&out)
    );
    assert_eq!(
        stdout(&out),
        "The database's schema matches its applied migrations.\n"
    );
}

#[test]
fn hand_made_drift_is_reported_and_fails_the_check() {
    for db in TestDb::all("shop_check_schema") {
        let q = |s: &str| quote(db.backend, s);
        migrated_and_matching(&db, &["migrate", "-q"]);

        // What someone did by hand, and what the check must say of it: the difference, and
        // the operation that would bring the database back to its migrations.
        let mut drift: Vec<(String, &str)> = vec![
            (
                format!(
                    "ALTER TABLE {} ADD COLUMN {} text NULL",
                    q("catalog_product"),
                    q("hack")
                ),
                "column catalog_product.hack is not in the migrations (Remove field hack from product)",
            ),
            (
                match db.backend {
                    Backend::Mysql => format!(
                        "DROP INDEX {} ON {}",
                        q("customer_tenant_phone_idx"),
                        q("customers_customer")
                    ),
                    _ => format!("DROP INDEX {}", q("customer_tenant_phone_idx")),
                },
                "index customer_tenant_phone_idx on customers_customer is missing (Create index customer_tenant_phone_idx on field(s) tenant, phone_e164 of model Customer)",
            ),
            (
                format!(
                    "CREATE INDEX {} ON {} ({})",
                    q("by_hand_idx"),
                    q("catalog_product"),
                    q("name")
                ),
                "index by_hand_idx on catalog_product is not in the migrations (Remove index by_hand_idx from Product)",
            ),
        ];
        let alter = |rest: &str| format!("ALTER TABLE {rest}");
        match db.backend {
            Backend::Sqlite => {
                drift.push((
                    alter(&format!("{} DROP COLUMN {}", q("tenants_tenantsettings"), q("locale"))),
                    "column tenants_tenantsettings.locale is missing (Add field locale to tenantsettings)",
                ));
                // SQLite alters little in place: the rest of the drift is a table rebuilt by
                // hand, with another type, nullability and default, and without its unique
                // and check constraints.
                drift.push((
                    "CREATE TABLE \"by_hand\" (\"id\" blob NOT NULL PRIMARY KEY DEFAULT (randomblob(16)), \
                     \"name\" varchar(60) NOT NULL, \"monthly_price\" decimal(10, 2) NOT NULL, \
                     \"max_users\" integer NULL DEFAULT (5)); \
                     INSERT INTO \"by_hand\" SELECT \"id\", \"name\", \"monthly_price\", \"max_users\" FROM \"tenants_subscriptiontier\"; \
                     DROP TABLE \"tenants_subscriptiontier\"; \
                     ALTER TABLE \"by_hand\" RENAME TO \"tenants_subscriptiontier\""
                        .to_owned(),
                    "column tenants_subscriptiontier.name is varchar(60); the migrations say varchar(50) (Alter field name on subscriptiontier)",
                ));
                for said in [
                    "column tenants_subscriptiontier.max_users is NULL; the migrations say NOT NULL (Alter field max_users on subscriptiontier)",
                    "column tenants_subscriptiontier.monthly_price has no default; the migrations say a default (Alter field monthly_price on subscriptiontier)",
                    "unique constraint tenants_subscriptiontier_name_e0c0791a_uniq on tenants_subscriptiontier is missing (Alter field name on subscriptiontier)",
                    "check constraint tier_price_non_negative on tenants_subscriptiontier is missing (Create constraint tier_price_non_negative on model SubscriptionTier)",
                ] {
                    drift.push((String::new(), said));
                }
            }
            Backend::Postgres | Backend::Mysql => {
                let pg = db.backend == Backend::Postgres;
                drift.extend([
                    (
                        if pg {
                            alter("\"customers_customer\" ALTER COLUMN \"phone_e164\" TYPE varchar(40)")
                        } else {
                            alter("`customers_customer` MODIFY `phone_e164` varchar(40) NOT NULL")
                        },
                        "column customers_customer.phone_e164 is varchar(40); the migrations say varchar(20) (Alter field phone_e164 on customer)",
                    ),
                    (
                        if pg {
                            alter("\"catalog_product\" ALTER COLUMN \"description\" SET NOT NULL")
                        } else {
                            alter("`catalog_product` MODIFY `description` longtext NOT NULL")
                        },
                        "column catalog_product.description is NOT NULL; the migrations say NULL (Alter field description on product)",
                    ),
                    (
                        alter(&format!(
                            "{} ALTER COLUMN {} DROP DEFAULT",
                            q("tenants_subscriptiontier"),
                            q("max_users")
                        )),
                        "column tenants_subscriptiontier.max_users has no default; the migrations say a default (Alter field max_users on subscriptiontier)",
                    ),
                    (
                        if pg {
                            alter("\"tenants_tenant\" DROP CONSTRAINT \"tenants_tenant_slug_eebc1c09_uniq\"")
                        } else {
                            alter("`tenants_tenant` DROP INDEX `tenants_tenant_slug_eebc1c09_uniq`")
                        },
                        "unique constraint tenants_tenant_slug_eebc1c09_uniq on tenants_tenant is missing (Alter field slug on tenant)",
                    ),
                    (
                        alter(&format!(
                            "{} DROP CONSTRAINT {}",
                            q("tenants_subscriptiontier"),
                            q("tier_price_non_negative")
                        )),
                        "check constraint tier_price_non_negative on tenants_subscriptiontier is missing (Create constraint tier_price_non_negative on model SubscriptionTier)",
                    ),
                    (
                        if pg {
                            alter("\"catalog_product\" DROP CONSTRAINT \"catalog_product_tenant_id_fd5cac3d_fk\"")
                        } else {
                            alter("`catalog_product` DROP FOREIGN KEY `catalog_product_tenant_id_fd5cac3d_fk`")
                        },
                        "foreign key catalog_product.tenant_id -> tenants_tenant.id (on delete RESTRICT) is missing (Alter field tenant on product)",
                    ),
                    (
                        alter(&format!(
                            "{} ADD CONSTRAINT {} CHECK (price < 1000000)",
                            q("catalog_product"),
                            q("by_hand_check")
                        )),
                        "check constraint by_hand_check on catalog_product is not in the migrations (Remove constraint by_hand_check from model Product)",
                    ),
                    (
                        alter(&format!(
                            "{} ADD CONSTRAINT {} UNIQUE ({})",
                            q("catalog_product"),
                            q("by_hand_uniq"),
                            q("name")
                        )),
                        "unique constraint by_hand_uniq on catalog_product is not in the migrations (Remove constraint by_hand_uniq from model Product)",
                    ),
                    (
                        alter(&format!(
                            "{} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE CASCADE",
                            q("tenants_tenantsettings"),
                            q("by_hand_fk"),
                            q("twilio_sid"),
                            q("tenants_subscriptiontier"),
                            q("name")
                        )),
                        "foreign key tenants_tenantsettings.twilio_sid -> tenants_subscriptiontier.name (on delete CASCADE) is not in the migrations (Alter field twilio_sid on tenantsettings)",
                    ),
                ]);
                if !pg {
                    // InnoDB indexes a foreign key's column itself, under the key's name.
                    drift.push((
                        String::new(),
                        "index by_hand_fk on tenants_tenantsettings is not in the migrations (Remove index by_hand_fk from TenantSettings)",
                    ));
                }
            }
        }
        for (sql, _) in drift.iter().filter(|(sql, _)| !sql.is_empty()) {
            db.execute(sql);
        }
        let out = migrate(&db, &["migrate", "--check-schema"]);
        let report = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {report}", db.backend);
        assert!(
            report.starts_with("The database's schema differs from its applied migrations:\n"),
            "{report}"
        );
        for (_, said) in &drift {
            assert!(
                report.contains(&format!("  - {said}\n")),
                "{}: `{said}` missing from:\n{report}",
                db.backend
            );
        }
        assert_eq!(
            report.lines().count(),
            drift.len() + 1,
            "{}: {report}",
            db.backend
        );

        let out = migrate(&db, &["migrate", "--check-schema", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["ok"], false);
        let listed = doc["drift"].as_array().unwrap();
        assert_eq!(listed.len(), drift.len());
        assert!(listed
            .iter()
            .all(|d| d["difference"].is_string() && d["operation"].is_string()));
    }
}

/// On an empty database `--fake-initial` finds no table to adopt and migrates as usual;
/// `--fake` and `--fake-initial` together are refused by the command line.
#[test]
fn fake_initial_on_an_empty_database_migrates() {
    for db in TestDb::all("shop_fake_initial_empty") {
        migrated_and_matching(&db, &["migrate", "--fake-initial", "-q"]);
    }
    let db = TestDb::create(Backend::Sqlite, "shop_fake_both").unwrap();
    let out = migrate(&db, &["migrate", "--fake", "--fake-initial"]);
    assert_eq!(out.status.code(), Some(2));
}
