//! Every kind of operation the autodetector writes, on tables that hold rows: each step is
//! made by the autodetector from a change of models, applied forwards and backwards on
//! SQLite, PostgreSQL and MariaDB, and every value of every column that exists on both sides
//! is compared. A row that changes or disappears where the operation did not ask for it
//! fails the test.

use std::borrow::Cow;
use std::collections::BTreeMap;

use migrate_core::autodetector::{Autodetector, RenameHints};
use migrate_core::executor::Executor;
use migrate_core::fields::{foreign_key, many_to_many, ColumnType::*, OnDelete};
use migrate_core::loader::Loader;
use migrate_core::planner::Target;
use migrate_core::questioner::Questioner;
use migrate_core::schema::{quote, Backend};
use migrate_core::state::Name;
use migrate_core::{
    Constraint, Field, Index, Migration, MigrationKey, ModelKey, ModelState, ProjectState, Value,
};
use migrate_tests::db::{expected, TestDb};

const APP: &str = "shop";

fn model(name: &str, table: &str, fields: Vec<Field>) -> ModelState {
    ModelState {
        app: APP.into(),
        name: name.to_owned().into(),
        table: table.to_owned().into(),
        fields: fields.into(),
        indexes: Cow::Borrowed(&[]),
        constraints: Cow::Borrowed(&[]),
        managed: true,
    }
}

/// The models as a user edits them, one step at a time.
#[derive(Clone)]
struct Models {
    tier: ModelState,
    tag: ModelState,
    product: ModelState,
    item: ModelState,
    line: ModelState,
}

impl Models {
    fn initial() -> Self {
        Models {
            tier: model(
                "Tier",
                "shop_tier",
                vec![Field::auto_id(), Field::new("name", Varchar(50))],
            ),
            tag: model(
                "Tag",
                "shop_tag",
                vec![Field::auto_id(), Field::new("label", Varchar(30))],
            ),
            product: model(
                "Product",
                "shop_product",
                vec![
                    Field::auto_id(),
                    Field::new("name", Varchar(100)),
                    Field::new("price", Integer),
                    Field::new("note", Text).null(),
                    Field::new("tier", foreign_key("Tier", OnDelete::SetNull)).null(),
                    Field::new("tags", many_to_many("Tag")),
                ],
            ),
            item: model(
                "Item",
                "shop_item",
                vec![
                    Field::new("id", Integer).primary_key().auto(),
                    Field::new("label", Varchar(20)),
                ],
            ),
            line: model(
                "Line",
                "shop_line",
                vec![
                    Field::auto_id(),
                    Field::new("item", foreign_key("Item", OnDelete::Cascade)),
                    Field::new("qty", SmallInt),
                ],
            ),
        }
    }

    fn state(&self) -> ProjectState {
        ProjectState::from_models([
            self.tier.clone(),
            self.tag.clone(),
            self.product.clone(),
            self.item.clone(),
            self.line.clone(),
        ])
        .expect("the test's models are valid")
    }
}

fn edit_field(m: &mut ModelState, name: &str, f: impl FnOnce(Field) -> Field) {
    let fields = m.fields.to_mut();
    let slot = fields.iter_mut().find(|x| x.name == name).expect("field");
    *slot = f(slot.clone());
}

fn remove_field(m: &mut ModelState, name: &str) {
    m.fields.to_mut().retain(|x| x.name != name);
}

fn push_field(m: &mut ModelState, field: Field) {
    m.fields.to_mut().push(field);
}

/// One change of models, with the renames it declares and the fields whose values it
/// changes on purpose (compared neither forwards nor backwards).
struct Step {
    what: &'static str,
    models: Models,
    renamed_models: Vec<(&'static str, &'static str)>,
    renamed_fields: Vec<(&'static str, &'static str, &'static str)>,
    changes_values_of: Vec<(&'static str, &'static str)>,
}

fn steps() -> Vec<Step> {
    let mut m = Models::initial();
    let mut out = Vec::new();
    let step = |what, m: &Models| Step {
        what,
        models: m.clone(),
        renamed_models: Vec::new(),
        renamed_fields: Vec::new(),
        changes_values_of: Vec::new(),
    };

    push_field(&mut m.product, Field::new("sku", Varchar(20)).null());
    push_field(&mut m.product, Field::new("stock", Integer).default(5));
    out.push(step("add a nullable field and a field with a default", &m));

    edit_field(&mut m.product, "name", |f| Field {
        ty: Varchar(200).into(),
        ..f
    });
    edit_field(&mut m.product, "price", |f| Field {
        ty: BigInt.into(),
        ..f
    });
    out.push(step("widen a varchar and an integer", &m));

    edit_field(&mut m.product, "note", |f| Field {
        name: "description".into(),
        column: "description".into(),
        ..f
    });
    let mut s = step("rename a field", &m);
    s.renamed_fields.push(("Product", "description", "note"));
    out.push(s);

    edit_field(&mut m.product, "name", |f| f.db_column("product_name"));
    out.push(step("change a field's db_column", &m));

    edit_field(&mut m.product, "price", |f| Field {
        name: "unit_price".into(),
        ..f
    });
    let mut s = step("rename a field, keeping its column", &m);
    s.renamed_fields.push(("Product", "unit_price", "price"));
    out.push(s);

    m.tag.name = "Label".into();
    m.tag.table = "shop_label".into();
    edit_field(&mut m.product, "tags", |f| Field {
        ty: many_to_many("Label"),
        ..f
    });
    let mut s = step("rename a model (its join table follows)", &m);
    s.renamed_models.push(("Label", "Tag"));
    out.push(s);

    m.tag.table = "shop_labels".into();
    out.push(step("move a model to another table", &m));

    edit_field(&mut m.product, "tier", |f| Field {
        ty: foreign_key("Label", OnDelete::SetNull),
        ..f
    });
    out.push(step("point a foreign key at another model", &m));

    edit_field(&mut m.product, "tier", |f| f.deferrable());
    out.push(step("make a foreign key deferrable", &m));

    edit_field(&mut m.item, "id", |f| Field {
        ty: BigInt.into(),
        ..f
    });
    out.push(step(
        "change the type of a primary key that a foreign key references",
        &m,
    ));

    m.product.indexes = vec![Index::new("product_name_idx", ["name"])].into();
    m.product.constraints = vec![
        Constraint::unique("product_sku_uniq", ["sku"]),
        Constraint::check("product_price_positive", "price >= 0"),
    ]
    .into();
    edit_field(&mut m.line, "qty", |f| f.db_index());
    out.push(step("add an index, a unique and a check constraint", &m));

    m.product.constraints = vec![Constraint::unique(
        "product_sku_stock_uniq",
        ["sku", "stock"],
    )]
    .into();
    m.product.indexes = Cow::Borrowed(&[]);
    edit_field(&mut m.product, "sku", |f| f.unique());
    out.push(step("replace the constraints, make a field unique", &m));

    m.product.constraints = Cow::Borrowed(&[]);
    remove_field(&mut m.product, "sku");
    let mut s = step("remove a field", &m);
    s.changes_values_of.push(("Product", "sku"));
    out.push(s);

    remove_field(&mut m.product, "tags");
    let mut s = step("remove a many-to-many field", &m);
    s.changes_values_of.push(("Product", "tags"));
    out.push(s);

    push_field(&mut m.product, Field::new("labels", many_to_many("Label")));
    out.push(step("add a many-to-many field", &m));

    edit_field(&mut m.product, "description", |f| Field {
        null: false,
        ..f
    });
    let mut s = step("make a nullable field NOT NULL with a one-off value", &m);
    s.changes_values_of.push(("Product", "description"));
    out.push(s);
    out
}

/// Gives the one-off value of the NOT NULL step.
struct OneOff;

impl Questioner for OneOff {
    fn ask_rename_field(&mut self, _: &ModelKey, _: &Field, _: &Field, _: &str) -> bool {
        false
    }
    fn ask_rename_model(&mut self, _: &ModelKey, _: &ModelKey) -> bool {
        false
    }
    fn ask_not_null_addition(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        None
    }
    fn ask_not_null_alteration(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        Some(Value::Str("n/a".into()))
    }
}

/// The history: an initial migration, then one migration per step.
fn history() -> Vec<(Vec<Migration>, ProjectState)> {
    let mut out = Vec::new();
    let mut from = ProjectState::new();
    let mut leaves = BTreeMap::new();
    let initial = Models::initial();
    let mut all = vec![(initial, RenameHints::default())];
    for s in steps() {
        let mut hints = RenameHints::default();
        for (new, old) in &s.renamed_models {
            hints.models.insert(
                ModelKey::new(APP, new.to_string()),
                Name::from(old.to_string()),
            );
        }
        for (model, new, old) in &s.renamed_fields {
            hints.fields.insert(
                (
                    ModelKey::new(APP, model.to_string()),
                    Name::from(new.to_string()),
                ),
                Name::from(old.to_string()),
            );
        }
        all.push((s.models, hints));
    }
    for (models, hints) in all {
        let to = models.state();
        let changes = Autodetector {
            from: &from,
            to: &to,
            hints: &hints,
            leaves: &leaves,
        }
        .changes(&mut OneOff)
        .expect("the autodetector answers");
        assert!(!changes.is_empty(), "a step that changes nothing");
        for m in &changes.migrations {
            leaves.insert(Name::from(APP), m.key());
        }
        out.push((changes.migrations, to.clone()));
        from = to;
    }
    out
}

/// Values by table identity (model, join-table field), then primary key, then field name
/// (or, in a join table, column position).
type Values =
    BTreeMap<(String, Option<String>), BTreeMap<String, BTreeMap<String, Option<String>>>>;

fn read_values(db: &TestDb, state: &ProjectState) -> Values {
    let q = |s: &str| quote(db.backend, s);
    let mut out = Values::new();
    for table in state.tables().unwrap() {
        let model = state.model(&table.model).unwrap();
        // (label, column) in order; the first one is the key.
        let columns: Vec<(String, String)> = match &table.m2m_field {
            Some(_) => table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), c.name.clone()))
                .collect(),
            None => model
                .fields
                .iter()
                .filter(|f| !matches!(f.ty, migrate_core::FieldType::ManyToMany { .. }))
                .map(|f| (f.name.to_string(), f.column.to_string()))
                .collect(),
        };
        let select: Vec<String> = columns.iter().map(|(_, c)| db.text(&q(c))).collect();
        let rows = db.values(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            select.join(", "),
            q(&table.name),
            q(&columns[0].1)
        ));
        let mut by_key = BTreeMap::new();
        for row in rows {
            let key = row[0].clone().expect("a primary key");
            let values = columns.iter().map(|(l, _)| l.clone()).zip(row).collect();
            by_key.insert(key, values);
        }
        out.insert(
            (table.model.model.to_string(), table.m2m_field.clone()),
            by_key,
        );
    }
    out
}

/// Every value of `before` (read from the state before a step) equals the value of the
/// same field in `after`, through the step's renames; fields the step changes on purpose
/// aside, and tables or fields missing on one side.
fn compare(step: &Step, before: &Values, after: &Values, backwards: bool, backend: Backend) {
    let model_to = |m: &str| -> String {
        let renamed =
            step.renamed_models.iter().find(
                |(new, old)| {
                    if backwards {
                        *new == m
                    } else {
                        *old == m
                    }
                },
            );
        match renamed {
            Some((new, old)) => (if backwards { old } else { new }).to_string(),
            None => m.to_owned(),
        }
    };
    let field_to = |model: &str, f: &str| -> String {
        let renamed = step.renamed_fields.iter().find(|(m, new, old)| {
            (*m == model || model_to(m) == model) && if backwards { *new == f } else { *old == f }
        });
        match renamed {
            Some((_, new, old)) => (if backwards { old } else { new }).to_string(),
            None => f.to_owned(),
        }
    };
    for ((model, m2m), rows) in before {
        let target = (model_to(model), m2m.clone());
        let Some(after_rows) = after.get(&target) else {
            continue;
        };
        for (key, values) in rows {
            let Some(after_values) = after_rows.get(key) else {
                panic!(
                    "{backend}, {} ({}): row {key} of {model}{m2m:?} disappeared",
                    step.what,
                    if backwards { "backwards" } else { "forwards" }
                );
            };
            for (field, value) in values {
                let on_purpose = step
                    .changes_values_of
                    .iter()
                    .any(|(m, f)| (*m == model || model_to(m) == *model) && *f == field);
                if on_purpose {
                    continue;
                }
                let label = if m2m.is_some() {
                    field.clone()
                } else {
                    field_to(model, field)
                };
                if let Some(now) = after_values.get(&label) {
                    assert_eq!(
                        now,
                        value,
                        "{backend}, {} ({}): {model}.{field} of row {key} changed",
                        step.what,
                        if backwards { "backwards" } else { "forwards" }
                    );
                }
            }
        }
    }
}

fn seed(db: &TestDb) {
    let t = |s: &str| quote(db.backend, s);
    let statements = [
        format!(
            "INSERT INTO {} ({}, {}) VALUES (1, 'bronze'), (2, 'silver'), (3, 'gold')",
            t("shop_tier"),
            t("id"),
            t("name")
        ),
        format!(
            "INSERT INTO {} ({}, {}) VALUES (1, 'red'), (2, 'green'), (3, 'blue')",
            t("shop_tag"),
            t("id"),
            t("label")
        ),
        format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES \
             (1, 'O''Brien''s wrench', 1200, 'a \"quoted\" note', 1), \
             (2, 'plain', 0, NULL, NULL), \
             (3, 'unicode ✓ café', 99, '', 3), \
             (4, 'tab\tand, comma', 7, 'x', 2)",
            t("shop_product"),
            t("id"),
            t("name"),
            t("price"),
            t("note"),
            t("tier_id")
        ),
        format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (1, 1, 1), (2, 1, 2), (3, 3, 3), (4, 4, 1)",
            t("shop_product_tags"),
            t("id"),
            t("product_id"),
            t("tag_id")
        ),
        format!(
            "INSERT INTO {} ({}, {}) VALUES (1, 'one'), (2, 'two'), (7, 'seven')",
            t("shop_item"),
            t("id"),
            t("label")
        ),
        format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (1, 1, 3), (2, 7, 1), (3, 7, 2)",
            t("shop_line"),
            t("id"),
            t("item_id"),
            t("qty")
        ),
    ];
    for s in statements {
        db.execute(&s);
    }
    if db.backend == Backend::Postgres {
        // Rows given explicit ids: move the identity past them, as a restore would.
        for table in [
            "shop_tier",
            "shop_tag",
            "shop_product",
            "shop_product_tags",
            "shop_item",
            "shop_line",
        ] {
            db.execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {}))",
                t(table)
            ));
        }
    }
}

/// `(id, name)` of every row of `shop_item`.
fn item_names(db: &TestDb) -> Vec<Vec<String>> {
    let q = |s: &str| quote(db.backend, s);
    db.rows(&format!(
        "SELECT {}, {} FROM {} ORDER BY 1",
        db.text(&q("id")),
        q("name"),
        q("shop_item")
    ))
}

/// The statements `m` runs on `backend` from `state`, forwards or backwards.
fn statements(
    backend: Backend,
    m: &Migration,
    state: &ProjectState,
    backwards: bool,
) -> Vec<String> {
    migrate_core::schema::render_migration(backend, m, state, backwards)
        .unwrap()
        .into_iter()
        .flat_map(|o| o.statements)
        .collect()
}

fn migrate(db: &TestDb, migrations: &[Migration], target: Target) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let loader = Loader::new(migrations.iter().cloned()).unwrap();
        let mut executor = Executor::connect(&db.url).await.unwrap();
        executor
            .migrate(&loader, &target, false, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("{}: migrating to {target:?}: {e}", db.backend));
    });
}

fn count(db: &TestDb, table: &str) -> usize {
    let rows = db.rows(&format!(
        "SELECT {} FROM {}",
        db.text("COUNT(*)"),
        quote(db.backend, table)
    ));
    rows[0][0].parse().unwrap()
}

#[test]
fn every_operation_keeps_the_rows_forwards_and_backwards() {
    let history = history();
    let steps = steps();
    let all: Vec<Migration> = history.iter().flat_map(|(m, _)| m.clone()).collect();
    let last_of = |i: usize| -> MigrationKey { history[i].0.last().unwrap().key() };
    for db in TestDb::all("data_every_operation") {
        migrate(&db, &all, Target::Migration(last_of(0)));
        seed(&db);
        let mut before = read_values(&db, &history[0].1);
        let products = count(&db, "shop_product");
        // Migrates to the end of step `i` of the history and checks the schema there.
        let go = |i: usize, what: String| {
            migrate(&db, &all, Target::Migration(last_of(i)));
            let state = &history[i].1;
            assert_eq!(db.introspect(), expected(state, db.backend), "{what}");
            read_values(&db, state)
        };
        for (i, step) in steps.iter().enumerate() {
            let label = format!("{}: {}", db.backend, step.what);
            let after = go(i + 1, label.clone());
            compare(step, &before, &after, false, db.backend);

            let back = go(i, format!("{label} (backwards)"));
            compare(step, &after, &back, true, db.backend);
            if step.changes_values_of.is_empty() {
                for (table, rows) in &before {
                    if let Some(now) = back.get(table) {
                        assert_eq!(now, rows, "{label} (backwards): {table:?}");
                    }
                }
            }

            before = go(i + 1, format!("{label} (again)"));
        }
        assert_eq!(
            count(&db, "shop_product"),
            products,
            "{}: products were lost",
            db.backend
        );
        // The auto-increment key survived its type change: a row without an id gets one.
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES ('auto')",
            quote(db.backend, "shop_item"),
            quote(db.backend, "label")
        ));
        let ids = db.rows(&format!(
            "SELECT {} FROM {} WHERE {} = 'auto'",
            db.text(&quote(db.backend, "id")),
            quote(db.backend, "shop_item"),
            quote(db.backend, "label")
        ));
        assert_eq!(ids, [["8".to_owned()]], "{}", db.backend);
    }
}

/// The states of one model `before` and `after` a change, and what the autodetector writes
/// for each: the initial migrations, then the change's.
fn before_and_after(
    before: &ModelState,
    after: &ModelState,
) -> (ProjectState, ProjectState, Vec<Migration>, Vec<Migration>) {
    let state = |m: &ModelState| {
        let mut s = ProjectState::new();
        s.add_model(m.clone()).unwrap();
        s
    };
    let changes =
        |from: &ProjectState, to: &ProjectState, leaves: &BTreeMap<Name, MigrationKey>| {
            Autodetector {
                from,
                to,
                hints: &RenameHints::default(),
                leaves,
            }
            .changes(&mut OneOff)
            .unwrap()
            .migrations
        };
    let (s1, s2) = (state(before), state(after));
    let first = changes(&ProjectState::new(), &s1, &BTreeMap::new());
    let second = changes(
        &s1,
        &s2,
        &BTreeMap::from([(Name::from(APP), first[0].key())]),
    );
    (s1, s2, first, second)
}

/// Columns added with a constant default, NOT NULL or not, and a nullable one, to a table
/// that holds rows: every existing row gets the default (NULL for the nullable one), the
/// schema is the models', and going back keeps every other value. SQLite adds them with its
/// own `ADD COLUMN`, without rebuilding the table (issue 21: a rebuild copies every row).
#[test]
fn columns_with_constant_defaults_are_added_in_place_with_their_values() {
    let before = model(
        "Item",
        "shop_item",
        vec![Field::auto_id(), Field::new("name", Varchar(20))],
    );
    let mut after = before.clone();
    push_field(
        &mut after,
        Field::new("status", Varchar(8)).default("active"),
    );
    push_field(&mut after, Field::new("qty", Integer).default(3));
    push_field(&mut after, Field::new("flag", Boolean).default(true));
    push_field(&mut after, Field::new("note", Varchar(20)).null());
    let (s1, s2, first, second) = before_and_after(&before, &after);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].operations.len(), 4, "{:?}", second[0].operations);
    for backend in Backend::ALL {
        let ops = migrate_core::schema::render_migration(backend, &second[0], &s1, false).unwrap();
        let sql: Vec<&String> = ops.iter().flat_map(|o| &o.statements).collect();
        assert_eq!(
            sql.len(),
            4,
            "{backend}: one ALTER TABLE per column: {sql:#?}"
        );
        assert!(
            sql.iter()
                .all(|s| s.contains("ADD COLUMN") && !s.contains("new__")),
            "{backend}: {sql:#?}"
        );
    }
    let all: Vec<Migration> = first.iter().chain(&second).cloned().collect();
    for db in TestDb::all("data_constant_defaults") {
        let q = |s: &str| quote(db.backend, s);
        migrate(&db, &all, Target::Migration(first[0].key()));
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES ('a'), ('b''s'), ('c')",
            q("shop_item"),
            q("name")
        ));
        let names = || item_names(&db);
        let kept = names();
        migrate(&db, &all, Target::All);
        assert_eq!(db.introspect(), expected(&s2, db.backend), "{}", db.backend);
        let rows = db.values(&format!(
            "SELECT {}, {}, {}, CASE WHEN {} THEN 'yes' ELSE 'no' END, {} FROM {} ORDER BY {}",
            q("name"),
            q("status"),
            db.text(&q("qty")),
            q("flag"),
            q("note"),
            q("shop_item"),
            q("id")
        ));
        let row = |name: &str| {
            vec![
                Some(name.to_owned()),
                Some("active".to_owned()),
                Some("3".to_owned()),
                Some("yes".to_owned()),
                None,
            ]
        };
        assert_eq!(rows, [row("a"), row("b's"), row("c")], "{}", db.backend);
        migrate(&db, &all, Target::Migration(first[0].key()));
        assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
        assert_eq!(names(), kept, "{}", db.backend);
    }
}

/// A column that no key, unique constraint or check names is dropped by SQLite's own
/// `DROP COLUMN`, without copying the table (issue 21), an indexed one after its index; a
/// unique one still rebuilds (its constraint is part of the table). Every backend keeps the
/// other values both ways, and the column comes back empty.
#[test]
fn a_plain_column_is_dropped_in_place_and_a_unique_one_rebuilds() {
    let before = model(
        "Item",
        "shop_item",
        vec![
            Field::auto_id(),
            Field::new("name", Varchar(20)),
            Field::new("note", Varchar(20)).null(),
            Field::new("tag", Varchar(10)).null().db_index(),
            Field::new("code", Varchar(10)).null().unique(),
        ],
    );
    for (gone, in_place) in [("note", true), ("tag", true), ("code", false)] {
        let mut after = before.clone();
        after.fields.to_mut().retain(|f| f.name != gone);
        let (s1, s2, first, second) = before_and_after(&before, &after);
        let forwards = statements(Backend::Sqlite, &second[0], &s1, false);
        assert_eq!(
            forwards.iter().any(|s| s.contains("new__")),
            !in_place,
            "{gone}: {forwards:#?}"
        );
        if in_place {
            assert_eq!(
                forwards.last().map(String::as_str),
                Some(format!("ALTER TABLE \"shop_item\" DROP COLUMN \"{gone}\"").as_str()),
                "{forwards:#?}"
            );
            let backwards = statements(Backend::Sqlite, &second[0], &s1, true);
            assert!(
                backwards.iter().all(|s| !s.contains("new__")),
                "{gone}: {backwards:#?}"
            );
        }
        let all: Vec<Migration> = first.iter().chain(&second).cloned().collect();
        for db in TestDb::all(&format!("data_drop_{gone}")) {
            let q = |s: &str| quote(db.backend, s);
            migrate(&db, &all, Target::Migration(first[0].key()));
            db.execute(&format!(
                "INSERT INTO {} ({}, {}, {}, {}) VALUES ('a', 'x', 't', 'k1'), ('b''s', NULL, 't', 'k2'), ('c', 'z', NULL, NULL)",
                q("shop_item"),
                q("name"),
                q("note"),
                q("tag"),
                q("code")
            ));
            let names = || item_names(&db);
            let kept = names();
            migrate(&db, &all, Target::All);
            assert_eq!(db.introspect(), expected(&s2, db.backend), "{}", db.backend);
            assert_eq!(names(), kept, "{}", db.backend);
            migrate(&db, &all, Target::Migration(first[0].key()));
            assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
            assert_eq!(names(), kept, "{}", db.backend);
            let back = db.rows(&format!(
                "SELECT {} FROM {} WHERE {} IS NOT NULL",
                db.text(&q("id")),
                q("shop_item"),
                q(gone)
            ));
            assert!(back.is_empty(), "{}: {back:?}", db.backend);
        }
    }
}

/// Changes to one table that SQLite cannot make with `ALTER TABLE`, in one migration: a
/// unique field removed, a varchar widened, a nullable field made NOT NULL with a one-off value for
/// the NULLs, a check added. SQLite makes the table again once for all four, not four
/// times, both ways (issue 21), and every backend keeps the rows.
#[test]
fn one_migration_rebuilds_a_sqlite_table_once() {
    let before = model(
        "Item",
        "shop_item",
        vec![
            Field::auto_id(),
            Field::new("name", Varchar(20)),
            Field::new("note", Varchar(20)).null(),
            Field::new("price", Integer),
            Field::new("old", Varchar(10)).null().unique(),
        ],
    );
    let mut after = before.clone();
    remove_field(&mut after, "old");
    edit_field(&mut after, "name", |f| Field {
        ty: Varchar(40).into(),
        ..f
    });
    edit_field(&mut after, "note", |f| Field { null: false, ..f });
    after.constraints = vec![Constraint::check("item_price_positive", "price >= 0")].into();
    let (s1, s2, first, second) = before_and_after(&before, &after);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].operations.len(), 4, "{:?}", second[0].operations);
    for backwards in [false, true] {
        let ops =
            migrate_core::schema::render_migration(Backend::Sqlite, &second[0], &s1, backwards)
                .unwrap();
        let copies: Vec<&String> = ops
            .iter()
            .flat_map(|o| &o.statements)
            .filter(|s| s.starts_with("CREATE TABLE \"new__shop_item\""))
            .collect();
        assert_eq!(copies.len(), 1, "backwards: {backwards}: {ops:#?}");
        assert_eq!(ops[0].statements.len(), 4, "{ops:#?}");
    }
    let all: Vec<Migration> = first.iter().chain(&second).cloned().collect();
    for db in TestDb::all("data_one_rebuild") {
        let q = |s: &str| quote(db.backend, s);
        migrate(&db, &all, Target::Migration(first[0].key()));
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}, {}) VALUES ('a', NULL, 1, 'x'), ('b''s', 'kept', 2, NULL)",
            q("shop_item"),
            q("name"),
            q("note"),
            q("price"),
            q("old")
        ));
        let read = || {
            db.values(&format!(
                "SELECT {}, {}, {} FROM {} ORDER BY {}",
                q("name"),
                q("note"),
                db.text(&q("price")),
                q("shop_item"),
                q("id")
            ))
        };
        let row = |n: &str, note: &str, p: &str| {
            vec![
                Some(n.to_owned()),
                Some(note.to_owned()),
                Some(p.to_owned()),
            ]
        };
        let filled = [row("a", "n/a", "1"), row("b's", "kept", "2")];
        migrate(&db, &all, Target::All);
        assert_eq!(db.introspect(), expected(&s2, db.backend), "{}", db.backend);
        assert_eq!(read(), filled, "{}", db.backend);
        migrate(&db, &all, Target::Migration(first[0].key()));
        assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
        // The one-off values stay; the removed field comes back empty.
        assert_eq!(read(), filled, "{}", db.backend);
    }
}

/// A unique field and a unique constraint added to a table that holds rows. SQLite adds
/// both as unique indexes, without copying the table (issue 21); its later rebuilds write
/// them into `CREATE TABLE`, and `--check-schema`'s reader takes either form as the
/// constraint. On every backend: duplicates already there refuse the migration and leave
/// the table as it was, the rows stay, the constraints hold after a rebuild, and going back
/// lets duplicates in again.
#[test]
fn unique_constraints_are_added_to_a_table_with_rows_in_place() {
    let before = model(
        "Item",
        "shop_item",
        vec![
            Field::auto_id(),
            Field::new("name", Varchar(20)),
            Field::new("code", Varchar(10)).null(),
        ],
    );
    let mut after = before.clone();
    edit_field(&mut after, "code", |f| f.unique());
    after.constraints = vec![Constraint::unique("item_name_code", ["name", "code"])].into();
    // Then a change SQLite cannot make in place: the table is copied, constraints and all.
    let mut widened = after.clone();
    edit_field(&mut widened, "name", |f| Field {
        ty: Varchar(40).into(),
        ..f
    });
    let (s1, s2, first, second) = before_and_after(&before, &after);
    let (_, s3, _, third) = before_and_after(&after, &widened);
    let mut third = third[0].clone();
    third.dependencies = vec![second[0].key()];
    assert_eq!(
        statements(Backend::Sqlite, &second[0], &s1, false),
        [
            "CREATE UNIQUE INDEX \"shop_item_code_62efb39d_uniq\" ON \"shop_item\" (\"code\")",
            "CREATE UNIQUE INDEX \"item_name_code\" ON \"shop_item\" (\"name\", \"code\")",
        ]
    );
    assert!(statements(Backend::Sqlite, &third, &s2, false)
        .iter()
        .any(|s| s.starts_with("CREATE TABLE \"new__shop_item\"")));

    let all: Vec<Migration> = first
        .iter()
        .chain(&second)
        .chain([&third])
        .cloned()
        .collect();
    for db in TestDb::all("data_unique_in_place") {
        let q = |s: &str| quote(db.backend, s);
        let insert = |values: &str| {
            format!(
                "INSERT INTO {} ({}, {}) VALUES {values}",
                q("shop_item"),
                q("name"),
                q("code")
            )
        };
        migrate(&db, &all, Target::Migration(first[0].key()));
        db.execute(&insert(
            "('a', 'k1'), ('b''s', 'k1'), ('c', NULL), ('d', NULL)",
        ));
        let loader = Loader::new(all.iter().cloned()).unwrap();
        let refused = db.try_migrate(&loader, &Target::Migration(second[0].key()));
        assert!(refused.is_err(), "{}: duplicates were let in", db.backend);
        assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
        db.execute(&format!(
            "UPDATE {} SET {} = 'k2' WHERE {} = 'b''s'",
            q("shop_item"),
            q("code"),
            q("name")
        ));
        let kept = item_names(&db);
        for (target, state) in [(second[0].key(), &s2), (third.key(), &s3)] {
            migrate(&db, &all, Target::Migration(target));
            assert_eq!(
                db.introspect(),
                expected(state, db.backend),
                "{}",
                db.backend
            );
            assert_eq!(item_names(&db), kept, "{}", db.backend);
            for duplicate in ["('e', 'k1')", "('a', NULL)"] {
                assert!(
                    db.try_execute(&insert(duplicate)).is_err() == duplicate.contains("k1"),
                    "{}: {duplicate}",
                    db.backend
                );
            }
            db.execute(&format!(
                "DELETE FROM {} WHERE {} IS NULL AND {} = 'a'",
                q("shop_item"),
                q("code"),
                q("name")
            ));
        }
        migrate(&db, &all, Target::Migration(first[0].key()));
        assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
        assert_eq!(item_names(&db), kept, "{}", db.backend);
        db.execute(&insert("('e', 'k1')"));
    }
}

/// A table renamed, then a column: the indexes, unique constraints and foreign keys named
/// after them are renamed, not built again from every row (issue 21). PostgreSQL renames
/// all of them; MySQL all but the foreign key, which it cannot rename (dropped and added
/// back); SQLite renames the table and column in place and makes only its indexes again
/// (it cannot rename an index; its constraints' names are not in its catalog). Every
/// backend keeps the rows, enforces the constraints after, and goes back.
#[test]
fn renaming_a_table_or_column_renames_its_indexes_and_constraints_in_place() {
    use migrate_core::operations::{AlterModelTable, CreateModel, RenameField};
    let initial = Migration::new(APP, "0001_initial").operations([
        CreateModel::new("Tag", "shop_tag")
            .fields([Field::auto_id(), Field::new("label", Varchar(20))])
            .into(),
        CreateModel::new("Item", "shop_item")
            .fields([
                Field::auto_id(),
                Field::new("tag", foreign_key("Tag", OnDelete::Cascade)),
                Field::new("code", Varchar(10)).unique(),
                Field::new("name", Varchar(20)).db_index(),
            ])
            .into(),
    ]);
    let rename = Migration::new(APP, "0002_rename")
        .depends_on(APP, "0001_initial")
        .operations([
            AlterModelTable::new("Item", "shop_things").into(),
            RenameField::new("Item", "code", "sku").into(),
        ]);
    let all = [initial.clone(), rename.clone()];
    let mut s1 = ProjectState::new();
    migrate_core::loader::apply(&initial, &mut s1).unwrap();
    let mut s2 = s1.clone();
    migrate_core::loader::apply(&rename, &mut s2).unwrap();
    let mut printed = String::new();
    for backend in Backend::ALL {
        for (state, backwards) in [(&s1, false), (&s1, true)] {
            let sql = statements(backend, &rename, state, backwards);
            printed.push_str(&format!(
                "-- {backend}, {}\n{};\n",
                if backwards { "backwards" } else { "forwards" },
                sql.join(";\n")
            ));
            let made_again = |s: &&String| match backend {
                Backend::Sqlite => s.contains("new__"),
                Backend::Postgres => !s.contains("RENAME"),
                Backend::Mysql => {
                    !s.contains("RENAME") && !s.contains("FOREIGN KEY") && !s.contains("_fk`")
                }
            };
            let again: Vec<&String> = sql.iter().filter(made_again).collect();
            assert!(
                again.is_empty(),
                "{backend}, backwards {backwards}: {sql:#?}"
            );
        }
    }
    insta::assert_snapshot!("rename_in_place_sql", printed);
    for db in TestDb::all("data_rename_in_place") {
        let q = |s: &str| quote(db.backend, s);
        migrate(&db, &all, Target::Migration(initial.key()));
        db.execute(&format!(
            "INSERT INTO {} ({}) VALUES ('red'), ('it''s')",
            q("shop_tag"),
            q("label")
        ));
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (1, 'k1', 'a'), (2, 'k2', 'b''s'), (1, 'k3', 'c')",
            q("shop_item"),
            q("tag_id"),
            q("code"),
            q("name")
        ));
        let read = |table: &str, code: &str| {
            db.rows(&format!(
                "SELECT {}, {}, {}, {} FROM {} ORDER BY 1",
                db.text(&q("id")),
                db.text(&q("tag_id")),
                q(code),
                q("name"),
                q(table)
            ))
        };
        let kept = read("shop_item", "code");
        migrate(&db, &all, Target::All);
        assert_eq!(db.introspect(), expected(&s2, db.backend), "{}", db.backend);
        assert_eq!(read("shop_things", "sku"), kept, "{}", db.backend);
        let insert = |values: &str| {
            db.try_execute(&format!(
                "INSERT INTO {} ({}, {}, {}) VALUES {values}",
                q("shop_things"),
                q("tag_id"),
                q("sku"),
                q("name")
            ))
        };
        assert!(insert("(1, 'k1', 'd')").is_err(), "{}: unique", db.backend);
        assert!(
            insert("(9, 'k9', 'd')").is_err(),
            "{}: foreign key",
            db.backend
        );
        migrate(&db, &all, Target::Migration(initial.key()));
        assert_eq!(db.introspect(), expected(&s1, db.backend), "{}", db.backend);
        assert_eq!(read("shop_item", "code"), kept, "{}", db.backend);
    }
}
