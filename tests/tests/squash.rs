//! `squashmigrations` end to end on SQLite, PostgreSQL and MariaDB.

use migrate_core::prelude::*;
use migrate_tests::db::{expected, TestDb};
use migrate_tests::{text, TestProject};

/// A generated ten-step history of app `inventory`, each step a small change.
fn steps() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "0001_initial",
            r#"CreateModel::new("Item", "inventory_item").fields([Field::auto_id(), Field::new("name", Varchar(50))]).into()"#,
        ),
        (
            "0002_item_sku",
            r#"AddField::new("Item", Field::new("sku", Varchar(20)).null()).into()"#,
        ),
        (
            "0003_alter_item_sku",
            r#"AlterField::new("Item", Field::new("sku", Varchar(40)).null()).into()"#,
        ),
        (
            "0004_item_price",
            r#"AddField::new("Item", Field::new("price", Decimal { max_digits: 10, decimal_places: 2 }).default(0)).into()"#,
        ),
        (
            "0005_bin",
            r#"CreateModel::new("Bin", "inventory_bin").fields([Field::auto_id(), Field::new("label", Varchar(10))]).into()"#,
        ),
        (
            "0006_item_bin",
            r#"AddField::new("Item", Field::new("bin", foreign_key("inventory.Bin", SetNull)).null()).into()"#,
        ),
        (
            "0007_rename_name_item_title",
            r#"RenameField::new("Item", "name", "title").into()"#,
        ),
        (
            "0008_item_item_title_idx",
            r#"AddIndex::new("Item", Index::new("item_title_idx", ["title"])).into()"#,
        ),
        (
            "0009_item_tmp",
            r#"AddField::new("Item", Field::new("tmp", Text).null()).into()"#,
        ),
        (
            "0010_remove_item_tmp",
            r#"RemoveField::new("Item", "tmp").into()"#,
        ),
    ]
}

const MODELS: &str = r#"
#[derive(Model)]
#[model(app = "inventory")]
pub struct Bin {
    #[field(max_length = 10)]
    pub label: String,
}

#[derive(Model)]
#[model(app = "inventory", indexes(index(name = "item_title_idx", fields = ["title"])))]
pub struct Item {
    #[field(max_length = 50)]
    pub title: String,
    #[field(max_length = 40)]
    pub sku: Option<String>,
    #[field(max_digits = 10, decimal_places = 2, default = 0)]
    pub price: rust_decimal::Decimal,
    #[field(on_delete = SetNull)]
    pub bin: Option<ForeignKey<Bin>>,
}
"#;

#[test]
fn a_ten_step_history_squashes_and_every_database_follows() {
    let p = TestProject::new("inventory-squash");
    let mut previous: Option<&str> = None;
    for (name, op) in steps() {
        let dep = previous.map_or(String::new(), |p| {
            format!(".depends_on(\"inventory\", \"{p}\")")
        });
        let initial = if previous.is_none() { ".initial()" } else { "" };
        p.write(
            &format!("migrations/inventory/m{name}.rs"),
            &format!(
                "use migrate_core::prelude::*;\n\npub fn migration() -> Migration {{\n    Migration::new(\"inventory\", \"{name}\"){initial}{dep}.operations([{op}])\n}}\n"
            ),
        );
        previous = Some(name);
    }
    p.models(MODELS);
    let check = p.migrate(&["makemigrations", "--check"], "");
    assert_eq!(
        text(&check).0,
        "No changes detected\n",
        "{}",
        text(&check).1
    );

    // Databases left in the middle of the old chain.
    let middle = TestDb::all("inventory_squash_middle");
    for db in &middle {
        let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "0005"], "");
        assert!(out.status.success(), "{}: {}", db.backend, text(&out).1);
    }

    let out = p.migrate(&["squashmigrations", "inventory", "0010", "--noinput"], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("Squashed 10 migrations of inventory (10 operations) into 0001_initial_squashed_0010_remove_item_tmp (2 operations)."),
        "{stdout}"
    );
    let squashed = p.read("migrations/inventory/m0001_initial_squashed_0010_remove_item_tmp.rs");
    insta::assert_snapshot!(squashed);
    p.build();
    let check = p.migrate(&["makemigrations", "--check"], "");
    assert_eq!(
        text(&check).0,
        "No changes detected\n",
        "{}",
        text(&check).1
    );

    // The schema both histories must reach: what the models declare.
    let state = {
        let mut s = migrate_core::ProjectState::new();
        let create_bin = CreateModel::new("Bin", "inventory_bin")
            .fields([Field::auto_id(), Field::new("label", Varchar(10))]);
        let create_item = CreateModel::new("Item", "inventory_item")
            .fields([
                Field::auto_id(),
                Field::new("title", Varchar(50)),
                Field::new("sku", Varchar(40)).null(),
                Field::new(
                    "price",
                    Decimal {
                        max_digits: 10,
                        decimal_places: 2,
                    },
                )
                .default(0),
                Field::new("bin", foreign_key("inventory.Bin", SetNull)).null(),
            ])
            .indexes([Index::new("item_title_idx", ["title"])]);
        let m =
            Migration::new("inventory", "x").operations([create_bin.into(), create_item.into()]);
        migrate_core::loader::apply(&m, &mut s).unwrap();
        s.validate().unwrap();
        s
    };

    for db in TestDb::all("inventory_squash_fresh") {
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        assert!(
            stdout.contains("Applying inventory.0001_initial_squashed_0010_remove_item_tmp... OK"),
            "{stdout}"
        );
        assert_eq!(
            db.introspect(),
            expected(&state, db.backend),
            "{}",
            db.backend
        );
        let rows = db.rows("SELECT name FROM migrate_migrations");
        assert_eq!(
            rows.len(),
            11,
            "{}: the squash and the ten it replaces",
            db.backend
        );
    }
    for db in &middle {
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        assert!(
            stdout.contains("Applying inventory.0006_item_bin... OK"),
            "{}: {stdout}",
            db.backend
        );
        assert!(
            !stdout.contains("squashed_0010_remove_item_tmp..."),
            "{stdout}"
        );
        assert_eq!(
            db.introspect(),
            expected(&state, db.backend),
            "{}",
            db.backend
        );
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        assert_eq!(
            shown, "inventory\n [X] 0001_initial_squashed_0010_remove_item_tmp\n",
            "{}",
            db.backend
        );
    }

    // Once every database has it, the replaced files go and their rows are pruned.
    for (name, _) in steps() {
        std::fs::remove_file(p.root.join(format!("migrations/inventory/m{name}.rs"))).unwrap();
    }
    p.build();
    for db in &middle {
        let out = p.migrate_on(Some(&db.url), &["migrate", "--prune"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        assert!(
            stdout.contains("  Pruned inventory.0001_initial\n"),
            "{stdout}"
        );
        assert_eq!(
            db.rows("SELECT name FROM migrate_migrations"),
            [vec!["0001_initial_squashed_0010_remove_item_tmp".to_owned()]]
        );
        let again = p.migrate_on(
            Some(&db.url),
            &["migrate", "--prune", "--format", "json"],
            "",
        );
        assert_eq!(text(&again).0, "{\"version\":1,\"pruned\":[]}\n");
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        assert!(
            text(&out).0.contains("No migrations to apply."),
            "{}",
            text(&out).0
        );
    }
}
