//! Before state, after state, assert the operations (Django's autodetector tests, in Rust).

use std::collections::{BTreeMap, VecDeque};

use super::*;
use crate::fields::{foreign_key, ColumnType::*, OnDelete::*, Value};
use crate::questioner::NonInteractive;
use crate::state::{Constraint, Index};

fn model(app: &'static str, name: &'static str, fields: Vec<Field>) -> ModelState {
    let mut all = vec![Field::auto_id()];
    all.extend(fields);
    ModelState {
        app: app.into(),
        name: name.into(),
        table: format!("{app}_{}", name.to_lowercase()).into(),
        fields: all.into(),
        indexes: Default::default(),
        constraints: Default::default(),
        managed: true,
    }
}

fn state(models: Vec<ModelState>) -> ProjectState {
    ProjectState::from_models(models).expect("fixture states are valid")
}

fn author_empty() -> ModelState {
    model("testapp", "Author", vec![])
}

fn author_name() -> ModelState {
    model("testapp", "Author", vec![Field::new("name", Varchar(200))])
}

fn author_name_null() -> ModelState {
    model(
        "testapp",
        "Author",
        vec![Field::new("name", Varchar(200)).null()],
    )
}

fn author_name_longer() -> ModelState {
    model("testapp", "Author", vec![Field::new("name", Varchar(400))])
}

fn author_name_default() -> ModelState {
    model(
        "testapp",
        "Author",
        vec![Field::new("name", Varchar(200)).default("anonymous")],
    )
}

fn author_names_reordered() -> (ModelState, ModelState) {
    let a = model(
        "testapp",
        "Author",
        vec![Field::new("first", Text), Field::new("last", Text)],
    );
    let b = model(
        "testapp",
        "Author",
        vec![Field::new("last", Text), Field::new("first", Text)],
    );
    (a, b)
}

fn author_renamed_name() -> ModelState {
    model(
        "testapp",
        "Author",
        vec![Field::new("full_name", Varchar(200))],
    )
}

fn book_with_author() -> ModelState {
    model(
        "otherapp",
        "Book",
        vec![Field::new("author", foreign_key("testapp.Author", Cascade))],
    )
}

/// Every app of `before` has one migration, `0001_initial`.
fn leaves(before: &ProjectState) -> BTreeMap<Name, MigrationKey> {
    before
        .apps()
        .into_iter()
        .map(|a| {
            (
                Name::from(a.to_owned()),
                MigrationKey::new(a.to_owned(), "0001_initial"),
            )
        })
        .collect()
}

fn changes_with(
    before: &ProjectState,
    after: &ProjectState,
    hints: &RenameHints,
    q: &mut dyn Questioner,
) -> Result<Changes> {
    let leaves = leaves(before);
    Autodetector {
        from: before,
        to: after,
        hints,
        leaves: &leaves,
    }
    .changes(q)
}

fn changes(before: Vec<ModelState>, after: Vec<ModelState>) -> Changes {
    changes_with(
        &state(before),
        &state(after),
        &RenameHints::default(),
        &mut NonInteractive::default(),
    )
    .unwrap()
}

fn show(c: &Changes) -> String {
    c.migrations
        .iter()
        .map(|m| {
            let deps: Vec<String> = m.dependencies.iter().map(|d| d.to_string()).collect();
            let ops: Vec<String> = m
                .operations
                .iter()
                .map(|o| format!("    {}", o.describe()))
                .collect();
            format!(
                "{}.{} after [{}]\n{}",
                m.app,
                m.name,
                deps.join(", "),
                ops.join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn op_kind(op: &Operation) -> &'static str {
    match op {
        Operation::CreateModel(_) => "CreateModel",
        Operation::DeleteModel(_) => "DeleteModel",
        Operation::RenameModel(_) => "RenameModel",
        Operation::AlterModelTable(_) => "AlterModelTable",
        Operation::AlterModelManaged(_) => "AlterModelManaged",
        Operation::AddField(_) => "AddField",
        Operation::RemoveField(_) => "RemoveField",
        Operation::AlterField(_) => "AlterField",
        Operation::RenameField(_) => "RenameField",
        Operation::AddIndex(_) => "AddIndex",
        Operation::RemoveIndex(_) => "RemoveIndex",
        Operation::RenameIndex(_) => "RenameIndex",
        Operation::AddConstraint(_) => "AddConstraint",
        Operation::RemoveConstraint(_) => "RemoveConstraint",
        Operation::RunSql(_) => "RunSql",
        Operation::RunRust(_) => "RunRust",
    }
}

/// The `n`th migration of `app` has exactly these kinds of operations.
#[track_caller]
fn assert_ops(c: &Changes, app: &str, n: usize, kinds: &[&str]) {
    let m = c
        .for_app(app)
        .nth(n)
        .unwrap_or_else(|| panic!("no migration {n} for {app} in:\n{}", show(c)));
    let got: Vec<&str> = m.operations.iter().map(op_kind).collect();
    assert_eq!(got, kinds, "in:\n{}", show(c));
}

#[track_caller]
fn assert_names(c: &Changes, expected: &[&str]) {
    let got: Vec<String> = c.migrations.iter().map(|m| m.key().to_string()).collect();
    assert_eq!(got, expected, "in:\n{}", show(c));
}

#[track_caller]
fn assert_deps(c: &Changes, migration: &str, expected: &[&str]) {
    let m = c
        .migrations
        .iter()
        .find(|m| m.key().to_string() == migration)
        .unwrap_or_else(|| panic!("no {migration} in:\n{}", show(c)));
    let got: Vec<String> = m.dependencies.iter().map(|d| d.to_string()).collect();
    assert_eq!(got, expected, "in:\n{}", show(c));
}

/// Answers from a script, in order, and records the questions.
#[derive(Default)]
struct Scripted {
    renames: VecDeque<bool>,
    defaults: VecDeque<Option<Value>>,
    asked: Vec<String>,
}

impl Questioner for Scripted {
    fn ask_rename_field(&mut self, model: &ModelKey, old: &Field, new: &Field, ty: &str) -> bool {
        self.asked.push(format!(
            "rename {model}.{} to {} ({ty})?",
            old.name, new.name
        ));
        self.renames.pop_front().expect("a scripted answer")
    }

    fn ask_rename_model(&mut self, old: &ModelKey, new: &ModelKey) -> bool {
        self.asked.push(format!("rename model {old} to {new}?"));
        self.renames.pop_front().expect("a scripted answer")
    }

    fn ask_not_null_addition(&mut self, model: &ModelKey, field: &Field) -> Option<Value> {
        self.asked
            .push(format!("default for new {model}.{}?", field.name));
        self.defaults.pop_front().expect("a scripted answer")
    }

    fn ask_not_null_alteration(&mut self, model: &ModelKey, field: &Field) -> Option<Value> {
        self.asked
            .push(format!("default for altered {model}.{}?", field.name));
        self.defaults.pop_front().expect("a scripted answer")
    }
}

#[test]
fn a_new_app_gets_an_initial_migration() {
    let c = changes(vec![], vec![author_name()]);
    assert_names(&c, &["testapp.0001_initial"]);
    assert_ops(&c, "testapp", 0, &["CreateModel"]);
    assert!(c.migrations[0].initial);
    assert!(c.migrations[0].dependencies.is_empty());
}

#[test]
fn a_nullable_field_is_added_without_a_question() {
    let c = changes(vec![author_empty()], vec![author_name_null()]);
    assert_names(&c, &["testapp.0002_author_name"]);
    assert_ops(&c, "testapp", 0, &["AddField"]);
    assert_deps(&c, "testapp.0002_author_name", &["testapp.0001_initial"]);
}

#[test]
fn a_field_with_a_default_is_added_without_a_question() {
    let c = changes(vec![author_empty()], vec![author_name_default()]);
    assert_ops(&c, "testapp", 0, &["AddField"]);
}

#[test]
fn a_not_null_field_without_default_needs_an_answer() {
    let before = state(vec![author_empty()]);
    let after = state(vec![author_name()]);
    let err = changes_with(
        &before,
        &after,
        &RenameHints::default(),
        &mut NonInteractive::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotNullWithoutDefault { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("field testapp.Author.name is added as NOT NULL without a default"));

    let mut q = Scripted {
        defaults: [Some(Value::from("n/a"))].into(),
        ..Default::default()
    };
    let c = changes_with(&before, &after, &RenameHints::default(), &mut q).unwrap();
    assert_eq!(q.asked, ["default for new testapp.Author.name?"]);
    let Operation::AddField(add) = &c.migrations[0].operations[0] else {
        panic!("{}", show(&c))
    };
    assert_eq!(add.one_off_default, Some(Value::from("n/a")));
    assert_eq!(
        add.field.default, None,
        "a one-off default is not part of the model"
    );
}

#[test]
fn removing_and_altering_fields() {
    let c = changes(vec![author_name()], vec![author_empty()]);
    assert_names(&c, &["testapp.0002_remove_author_name"]);
    assert_ops(&c, "testapp", 0, &["RemoveField"]);

    let c = changes(vec![author_name()], vec![author_name_longer()]);
    assert_names(&c, &["testapp.0002_alter_author_name"]);
    assert_ops(&c, "testapp", 0, &["AlterField"]);
}

#[test]
fn making_a_field_not_null_asks_for_a_value_for_existing_nulls() {
    let before = state(vec![author_name_null()]);
    let after = state(vec![author_name()]);
    let err = changes_with(
        &before,
        &after,
        &RenameHints::default(),
        &mut NonInteractive::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("is changed to NOT NULL"), "{err}");
}

#[test]
fn field_order_is_not_a_change() {
    let (a, b) = author_names_reordered();
    assert!(changes(vec![a], vec![b]).is_empty());
}

#[test]
fn a_declared_field_rename_needs_no_question() {
    let before = state(vec![author_name()]);
    let after = state(vec![author_renamed_name()]);
    let mut hints = RenameHints::default();
    hints.fields.insert(
        (ModelKey::new("testapp", "Author"), "full_name".into()),
        "name".into(),
    );
    let mut q = Scripted::default();
    let c = changes_with(&before, &after, &hints, &mut q).unwrap();
    assert!(q.asked.is_empty());
    assert_names(&c, &["testapp.0002_rename_name_author_full_name"]);
    assert_ops(&c, "testapp", 0, &["RenameField"]);
}

#[test]
fn an_undeclared_rename_is_asked_and_never_guessed() {
    let before = state(vec![author_name()]);
    let after = state(vec![author_renamed_name()]);
    let mut q = Scripted {
        renames: [true].into(),
        ..Default::default()
    };
    let c = changes_with(&before, &after, &RenameHints::default(), &mut q).unwrap();
    assert_eq!(
        q.asked,
        ["rename testapp.Author.name to full_name (varchar(200))?"]
    );
    assert_ops(&c, "testapp", 0, &["RenameField"]);

    // Without anyone to ask: a removal and an addition, and a warning naming the attribute.
    let mut q = NonInteractive::default();
    let after = state(vec![model(
        "testapp",
        "Author",
        vec![Field::new("full_name", Varchar(200)).null()],
    )]);
    let before = state(vec![author_name_null()]);
    let c = changes_with(&before, &after, &RenameHints::default(), &mut q).unwrap();
    assert_ops(&c, "testapp", 0, &["RemoveField", "AddField"]);
    assert_names(&c, &["testapp.0002_remove_author_name_author_full_name"]);
    assert_eq!(q.warnings.len(), 1);
    assert!(
        q.warnings[0].contains("#[field(renamed_from = \"name\")] on `full_name`"),
        "{}",
        q.warnings[0]
    );
}

#[test]
fn a_declared_model_rename_keeps_the_data_and_moves_the_table() {
    let before = state(vec![author_name(), book_with_author()]);
    let writer = model("testapp", "Writer", vec![Field::new("name", Varchar(200))]);
    let book = model(
        "otherapp",
        "Book",
        vec![Field::new("author", foreign_key("testapp.Writer", Cascade))],
    );
    let after = state(vec![writer, book]);
    let mut hints = RenameHints::default();
    hints
        .models
        .insert(ModelKey::new("testapp", "Writer"), "Author".into());
    let c = changes_with(&before, &after, &hints, &mut Scripted::default()).unwrap();
    assert_ops(&c, "testapp", 0, &["RenameModel", "AlterModelTable"]);
    // The book's key now points at Writer through the rename: no operation in otherapp.
    assert_eq!(c.for_app("otherapp").count(), 0, "{}", show(&c));
}

#[test]
fn a_cross_app_key_depends_on_the_other_apps_migration() {
    let c = changes(vec![], vec![author_name(), book_with_author()]);
    assert_names(&c, &["testapp.0001_initial", "otherapp.0001_initial"]);
    assert_deps(&c, "otherapp.0001_initial", &["testapp.0001_initial"]);

    // Against an existing app, the dependency is that app's latest migration.
    let c = changes(vec![author_name()], vec![author_name(), book_with_author()]);
    assert_deps(&c, "otherapp.0001_initial", &["testapp.0001_initial"]);
}

#[test]
fn a_key_to_a_model_changed_in_this_run_depends_on_that_change() {
    // Author gains a field in testapp's new migration while otherapp's Book starts pointing
    // at it: the book's migration follows testapp's new migration (Django's rule), not its
    // older leaf, whichever app comes first.
    let book = model(
        "otherapp",
        "Book",
        vec![Field::new("author", foreign_key("testapp.Author", Cascade)).null()],
    );
    let before = vec![author_empty(), model("otherapp", "Book", vec![])];
    let c = changes(before, vec![author_name_default(), book]);
    assert_names(
        &c,
        &["testapp.0002_author_name", "otherapp.0002_book_author"],
    );
    assert_deps(
        &c,
        "otherapp.0002_book_author",
        &["otherapp.0001_initial", "testapp.0002_author_name"],
    );

    // The other way round: an app sorted first pointing at a model of one sorted later.
    let before = vec![model("aaa", "Shelf", vec![]), author_empty()];
    let shelf = model(
        "aaa",
        "Shelf",
        vec![Field::new("author", foreign_key("testapp.Author", Cascade)).null()],
    );
    let c = changes(before, vec![shelf, author_name_default()]);
    assert_deps(
        &c,
        "aaa.0002_shelf_author",
        &["aaa.0001_initial", "testapp.0002_author_name"],
    );
}

#[test]
fn models_are_created_before_the_models_pointing_at_them() {
    let a = model(
        "testapp",
        "A",
        vec![Field::new("b", foreign_key("testapp.B", Cascade))],
    );
    let b = model(
        "testapp",
        "B",
        vec![Field::new("c", foreign_key("testapp.C", Cascade))],
    );
    let c_model = model("testapp", "C", vec![]);
    let c = changes(vec![], vec![a, b, c_model]);
    let names: Vec<String> = c.migrations[0]
        .operations
        .iter()
        .map(|o| o.describe())
        .collect();
    assert_eq!(
        names,
        ["Create model C", "Create model B", "Create model A"]
    );
}

#[test]
fn a_key_cycle_between_apps_is_split_into_a_second_migration() {
    let x = model(
        "alpha",
        "X",
        vec![Field::new("y", foreign_key("beta.Y", Cascade)).null()],
    );
    let y = model(
        "beta",
        "Y",
        vec![Field::new("x", foreign_key("alpha.X", Cascade))],
    );
    let c = changes(vec![], vec![x, y]);
    assert_names(
        &c,
        &[
            "alpha.0001_initial",
            "beta.0001_initial",
            "alpha.0002_initial",
        ],
    );
    assert_ops(&c, "alpha", 0, &["CreateModel"]);
    assert_ops(&c, "beta", 0, &["CreateModel"]);
    assert_ops(&c, "alpha", 1, &["AddField"]);
    assert_deps(&c, "beta.0001_initial", &["alpha.0001_initial"]);
    assert_deps(
        &c,
        "alpha.0002_initial",
        &["alpha.0001_initial", "beta.0001_initial"],
    );
}

#[test]
fn indexes_follow_their_fields_and_renames_are_detected() {
    let mut with_index = author_name();
    with_index.indexes = vec![Index::new("author_name_idx", ["name"])].into();
    let c = changes(vec![author_name()], vec![with_index.clone()]);
    assert_names(&c, &["testapp.0002_author_author_name_idx"]);
    assert_ops(&c, "testapp", 0, &["AddIndex"]);

    let mut renamed = author_name();
    renamed.indexes = vec![Index::new("author_by_name", ["name"])].into();
    let c = changes(vec![with_index.clone()], vec![renamed]);
    assert_ops(&c, "testapp", 0, &["RenameIndex"]);

    // Removing a field removes the index on it first.
    let c = changes(vec![with_index], vec![author_empty()]);
    assert_ops(&c, "testapp", 0, &["RemoveIndex", "RemoveField"]);
}

#[test]
fn constraints_are_added_removed_and_replaced_when_changed() {
    let mut checked = author_name();
    checked.constraints = vec![Constraint::check("name_not_empty", "name <> ''")].into();
    let c = changes(vec![author_name()], vec![checked.clone()]);
    assert_ops(&c, "testapp", 0, &["AddConstraint"]);
    let mut changed = author_name();
    changed.constraints = vec![Constraint::check("name_not_empty", "length(name) > 0")].into();
    let c = changes(vec![checked], vec![changed]);
    assert_ops(&c, "testapp", 0, &["RemoveConstraint", "AddConstraint"]);
}

#[test]
fn a_deleted_model_loses_the_keys_pointing_at_it_first() {
    let book_without_author = model("otherapp", "Book", vec![]);
    let c = changes(
        vec![author_name(), book_with_author()],
        vec![book_without_author],
    );
    assert_names(
        &c,
        &[
            "otherapp.0002_remove_book_author",
            "testapp.0002_delete_author",
        ],
    );
    assert_deps(
        &c,
        "testapp.0002_delete_author",
        &["otherapp.0002_remove_book_author", "testapp.0001_initial"],
    );
}

#[test]
fn long_names_end_with_and_more() {
    let many = model(
        "testapp",
        "Author",
        vec![
            Field::new("first_name", Text).null(),
            Field::new("last_name", Text).null(),
            Field::new("middle_name", Text).null(),
        ],
    );
    let c = changes(vec![author_empty()], vec![many]);
    assert_names(
        &c,
        &["testapp.0002_author_first_name_author_last_name_and_more"],
    );
}

#[test]
fn replaying_the_changes_gives_the_target_state() {
    let before = state(vec![author_name(), book_with_author()]);
    let x = model(
        "alpha",
        "X",
        vec![Field::new("y", foreign_key("beta.Y", Cascade)).null()],
    );
    let y = model(
        "beta",
        "Y",
        vec![Field::new("x", foreign_key("alpha.X", Cascade))],
    );
    let after = state(vec![author_name_null(), x, y]);
    let c = changes_with(
        &before,
        &after,
        &RenameHints::default(),
        &mut NonInteractive::default(),
    )
    .unwrap();
    let mut replayed = before.clone();
    for m in &c.migrations {
        crate::loader::apply(m, &mut replayed).unwrap();
    }
    replayed.validate().unwrap();
    assert_eq!(replayed, after);
}

#[test]
fn a_creation_cycle_in_one_app_adds_the_closing_key_afterwards() {
    let a = model(
        "testapp",
        "A",
        vec![Field::new("b", foreign_key("testapp.B", Cascade)).null()],
    );
    let b = model(
        "testapp",
        "B",
        vec![Field::new("a", foreign_key("testapp.A", Cascade))],
    );
    let c = changes(vec![], vec![a, b]);
    let ops: Vec<String> = c.migrations[0]
        .operations
        .iter()
        .map(|o| o.describe())
        .collect();
    assert_eq!(
        ops,
        ["Create model A", "Create model B", "Add field b to a"]
    );
}

#[test]
fn a_deletion_cycle_is_cut_before_the_models_go() {
    let a = model(
        "testapp",
        "A",
        vec![Field::new("b", foreign_key("testapp.B", Cascade)).null()],
    );
    let b = model(
        "testapp",
        "B",
        vec![Field::new("a", foreign_key("testapp.A", Cascade))],
    );
    let c = changes(vec![a, b, author_empty()], vec![author_empty()]);
    let ops: Vec<String> = c.migrations[0]
        .operations
        .iter()
        .map(|o| o.describe())
        .collect();
    // B still points at A, so B goes first.
    assert_eq!(
        ops,
        ["Remove field b from a", "Delete model B", "Delete model A"]
    );
}

/// `Author.name`, later `Author.full_name` stored in the column `name`.
fn author_full_name_in_name_column() -> ModelState {
    model(
        "testapp",
        "Author",
        vec![Field::new("full_name", Varchar(200)).db_column("name")],
    )
}

fn sql_of(c: &Changes, before: &ProjectState, backend: crate::schema::Backend) -> Vec<String> {
    let mut state = before.clone();
    let mut out = Vec::new();
    for m in &c.migrations {
        out.extend(
            crate::schema::migration_sql(backend, m, &state, false)
                .unwrap()
                .into_iter()
                .filter(|s| !s.starts_with("--")),
        );
        for op in &m.operations {
            op.state_forwards(&m.app, &mut state).unwrap();
        }
    }
    out
}

#[test]
fn a_rename_that_keeps_its_column_is_one_operation_and_no_sql() {
    let before = state(vec![author_name()]);
    let after = state(vec![author_full_name_in_name_column()]);
    let mut hints = RenameHints::default();
    hints.fields.insert(
        (ModelKey::new("testapp", "Author"), "full_name".into()),
        "name".into(),
    );
    let c = changes_with(&before, &after, &hints, &mut Scripted::default()).unwrap();
    assert_ops(&c, "testapp", 0, &["RenameField"]);
    for backend in crate::schema::Backend::ALL {
        assert_eq!(
            sql_of(&c, &before, backend),
            Vec::<String>::new(),
            "{backend}"
        );
    }

    // Undeclared, the same change is offered as a rename.
    let mut q = Scripted {
        renames: [true].into(),
        ..Default::default()
    };
    let c = changes_with(&before, &after, &RenameHints::default(), &mut q).unwrap();
    assert_eq!(
        q.asked,
        ["rename testapp.Author.name to full_name (varchar(200))?"]
    );
    assert_ops(&c, "testapp", 0, &["RenameField"]);
    let mut replayed = before.clone();
    for op in &c.migrations[0].operations {
        op.state_forwards("testapp", &mut replayed).unwrap();
    }
    assert!(replayed.same_schema(&after), "{}", show(&c));
}

#[test]
fn a_new_column_name_renames_the_column() {
    let before = state(vec![author_name_null()]);
    let after = state(vec![model(
        "testapp",
        "Author",
        vec![Field::new("name", Varchar(200))
            .null()
            .db_column("author_name")],
    )]);
    let c = changes(
        vec![author_name_null()],
        vec![after.models().next().unwrap().clone()],
    );
    assert_ops(&c, "testapp", 0, &["AlterField"]);
    use crate::schema::Backend::*;
    assert_eq!(
        sql_of(&c, &before, Postgres),
        [r#"ALTER TABLE "testapp_author" RENAME COLUMN "name" TO "author_name""#]
    );
    assert_eq!(
        sql_of(&c, &before, Mysql),
        ["ALTER TABLE `testapp_author` RENAME COLUMN `name` TO `author_name`"]
    );
    assert_eq!(
        sql_of(&c, &before, Sqlite),
        [r#"ALTER TABLE "testapp_author" RENAME COLUMN "name" TO "author_name""#]
    );
}

/// `Legacy` belongs to someone else (`managed = false`); `Book` points at it.
fn legacy(fields: Vec<Field>, managed: bool) -> ModelState {
    ModelState {
        table: "legacy_table".into(),
        managed,
        ..model("testapp", "Legacy", fields)
    }
}

fn book_of_legacy() -> ModelState {
    model(
        "testapp",
        "Book",
        vec![Field::new("legacy", foreign_key("testapp.Legacy", Cascade))],
    )
}

#[test]
fn an_unmanaged_model_is_in_the_state_and_never_in_the_sql() {
    use crate::schema::Backend::*;
    let empty = state(vec![]);
    let created = state(vec![legacy(vec![], false), book_of_legacy()]);
    let c = changes(vec![], created.models().cloned().collect());
    assert_ops(&c, "testapp", 0, &["CreateModel", "CreateModel"]);
    let sql = sql_of(&c, &empty, Postgres);
    assert!(
        sql.iter()
            .all(|s| !s.contains("CREATE TABLE \"legacy_table\"")),
        "{sql:?}"
    );
    assert!(
        sql.iter()
            .any(|s| s.contains("REFERENCES \"legacy_table\" (\"id\")")),
        "the managed model's key points at the unmanaged table: {sql:?}"
    );

    // A NOT NULL field on an unmanaged model needs no value for rows: no question.
    let before = created;
    let grown = vec![
        legacy(vec![Field::new("code", Varchar(10))], false),
        book_of_legacy(),
    ];
    let c = changes(before.models().cloned().collect(), grown.clone());
    assert_ops(&c, "testapp", 0, &["AddField"]);
    for backend in crate::schema::Backend::ALL {
        assert_eq!(sql_of(&c, &before, backend), Vec::<String>::new());
    }

    // Taken over with a change: the change first, then the handover; no SQL either.
    let grown = state(grown);
    let managed = vec![
        legacy(vec![Field::new("code", Varchar(20))], true),
        book_of_legacy(),
    ];
    let c = changes(grown.models().cloned().collect(), managed.clone());
    assert_ops(&c, "testapp", 0, &["AlterField", "AlterModelManaged"]);
    assert_eq!(sql_of(&c, &grown, Sqlite), Vec::<String>::new());

    // Handed back with a change: the handover first; no SQL, and the table is not dropped
    // when the model goes.
    let managed = state(managed);
    let c = changes(
        managed.models().cloned().collect(),
        vec![legacy(vec![], false), book_of_legacy()],
    );
    assert_ops(&c, "testapp", 0, &["AlterModelManaged", "RemoveField"]);
    assert_eq!(sql_of(&c, &managed, Mysql), Vec::<String>::new());
    let unmanaged = state(vec![legacy(vec![], false), book_of_legacy()]);
    let c = changes(unmanaged.models().cloned().collect(), vec![]);
    assert_eq!(
        sql_of(&c, &unmanaged, Postgres),
        [r#"DROP TABLE "testapp_book""#]
    );
}
