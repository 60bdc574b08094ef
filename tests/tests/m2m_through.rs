//! A many-to-many relation through a model of the user's own (Django's `through`): the
//! relation names that model, whose table holds the pairs and columns of its own; no
//! automatic join table is made, and rows stay through later migrations of it.

use migrate_core::autodetector::Autodetector;
use migrate_core::fields::{foreign_key, many_to_many_through, ColumnType::*, OnDelete, Value};
use migrate_core::loader::Loader;
use migrate_core::operations::AddField;
use migrate_core::planner::Target;
use migrate_core::questioner::NonInteractive;
use migrate_core::schema::quote;
use migrate_core::{Field, Migration, MigrationKey, ModelState, ProjectState};
use migrate_tests::db::TestDb;
use migrate_tests::history::sql_both_ways;

fn model(name: &'static str, fields: Vec<Field>) -> ModelState {
    let mut all = vec![Field::auto_id()];
    all.extend(fields);
    ModelState {
        app: "club".into(),
        name: name.into(),
        table: format!("club_{}", name.to_lowercase()).into(),
        fields: all.into(),
        indexes: Default::default(),
        constraints: Default::default(),
        managed: true,
    }
}

fn models() -> Vec<ModelState> {
    vec![
        model("Person", vec![Field::new("name", Varchar(50))]),
        model(
            "Group",
            vec![
                Field::new("name", Varchar(50)),
                Field::new(
                    "members",
                    many_to_many_through("club.Person", "club.Membership"),
                ),
            ],
        ),
        model(
            "Membership",
            vec![
                Field::new("person", foreign_key("club.Person", OnDelete::Cascade)),
                Field::new("group", foreign_key("club.Group", OnDelete::Cascade)),
                Field::new("role", Varchar(20)).default("member"),
            ],
        ),
    ]
}

/// The initial migration as `makemigrations` makes it from the models.
fn initial() -> Migration {
    let changes = Autodetector {
        from: &ProjectState::new(),
        to: &ProjectState::from_models(models()).unwrap(),
        hints: &Default::default(),
        leaves: &Default::default(),
    }
    .changes(&mut NonInteractive::default())
    .unwrap();
    assert_eq!(changes.migrations.len(), 1);
    changes.migrations[0].clone()
}

fn migrations() -> Vec<Migration> {
    vec![
        initial(),
        Migration::new("club", "0002_membership_note")
            .depends_on("club", "0001_initial")
            .operations([AddField::new(
                "Membership",
                Field::new("note", Text).default(Value::from("")),
            )
            .into()]),
    ]
}

#[test]
fn the_through_model_is_the_join_table() {
    let file = migrate_core::writer::migration_file(&initial()).unwrap();
    assert!(
        file.contains(r#"many_to_many_through("club.Person", "club.Membership")"#),
        "{file}"
    );
    insta::assert_snapshot!("m2m_through_file", file);

    for db in TestDb::all("club_through") {
        let q = |s: &str| quote(db.backend, s);
        let loader = Loader::new(migrations()).unwrap();
        let migrate = |target: Target| db.migrate(&loader, &target);
        migrate(Target::Migration(MigrationKey::new("club", "0001_initial")));
        let tables: Vec<String> = db.introspect().tables.into_keys().collect();
        assert_eq!(
            tables,
            ["club_group", "club_membership", "club_person"],
            "{}: no automatic join table",
            db.backend
        );
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES ('Ann'), ('Bob')",
            q("club_person"),
            q("name")
        ));
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES ('Chess')",
            q("club_group"),
            q("name")
        ));
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (1, 1, 'chair'), (2, 1, 'member')",
            q("club_membership"),
            q("person_id"),
            q("group_id"),
            q("role")
        ));
        let pairs = format!(
            "SELECT {}, {} FROM {} ORDER BY 1",
            db.text(&q("person_id")),
            q("role"),
            q("club_membership")
        );
        let before = db.rows(&pairs);

        migrate(Target::All);
        assert_eq!(db.rows(&pairs), before, "{}", db.backend);
        migrate(Target::Migration(MigrationKey::new("club", "0001_initial")));
        assert_eq!(db.rows(&pairs), before, "{}", db.backend);
        migrate(Target::Zero("club".into()));
        assert!(db.introspect().tables.is_empty(), "{}", db.backend);
    }
}

#[test]
fn a_through_model_needs_a_key_to_each_side() {
    let mut broken = models();
    broken[2] = model(
        "Membership",
        vec![Field::new(
            "person",
            foreign_key("club.Person", OnDelete::Cascade),
        )],
    );
    let err = ProjectState::from_models(broken).unwrap_err().to_string();
    assert_eq!(
        err,
        "field club.Group.members: its `through` model club.Membership needs a foreign key to club.Group and one to club.Person"
    );
}

#[test]
fn a_many_to_many_cannot_change_its_through_model() {
    let mut automatic = models();
    automatic[1] = model(
        "Group",
        vec![
            Field::new("name", Varchar(50)),
            Field::new("members", migrate_core::fields::many_to_many("club.Person")),
        ],
    );
    let err = Autodetector {
        from: &ProjectState::from_models(automatic).unwrap(),
        to: &ProjectState::from_models(models()).unwrap(),
        hints: &Default::default(),
        leaves: &Default::default(),
    }
    .changes(&mut NonInteractive::default())
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "field club.Group.members: a many-to-many field cannot change its `through` model"
        ),
        "{err}"
    );
}

/// Both migrations as SQL on each backend, both ways: the `through` model's table is the
/// only one with the pairs.
#[test]
fn through_as_sql() {
    let migrations = migrations();
    let sql = format!(
        "{}{}",
        sql_both_ways(&migrations, 0),
        sql_both_ways(&migrations, 1)
    );
    insta::assert_snapshot!("m2m_through_sql", sql);
}
