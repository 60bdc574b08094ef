//! `migrate` failures, end to end: a migration that fails part-way, a connection lost in the
//! middle of a batch, one that breaks a foreign key on SQLite, and a backwards plan through
//! an operation without a reverse.

use migrate_core::schema::Backend;
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

const MODELS: &str = r#"
#[derive(Model)]
#[model(app = "inventory")]
pub struct Thing {
    #[field(max_length = 20)]
    pub label: String,
    pub extra: Option<String>,
}
"#;

fn project(name: &str) -> TestProject {
    let p = TestProject::new(name);
    p.write(
        "migrations/inventory/m0001_initial.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Thing", "inventory_thing")
            .fields([Field::auto_id(), Field::new("label", Varchar(20))])
            .into(),
        RunSql::new("INSERT INTO inventory_thing (label) VALUES ('first')").into(),
    ])
}
"#,
    );
    p.write(
        "migrations/inventory/m0002_broken.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_broken")
        .depends_on("inventory", "0001_initial")
        .operations([
            AddField::new("Thing", Field::new("extra", Text).null()).into(),
            RunSql::new("INSERT INTO no_such_table VALUES (1)").into(),
        ])
}
"#,
    );
    p.models(MODELS);
    p
}

#[test]
fn a_failing_migration_leaves_the_earlier_ones_applied_and_itself_unrecorded() {
    let p = project("inventory-failing");
    for db in TestDb::all("inventory_failure") {
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {stdout}{stderr}",
            db.backend
        );
        assert!(
            stdout.contains("Applying inventory.0001_initial... OK"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Applying inventory.0002_broken... FAILED"),
            "{stdout}"
        );
        assert!(
            stderr.contains("migration inventory.0002_broken, operation \"Raw SQL operation\": the database refused")
                && stderr.contains("INSERT INTO no_such_table VALUES (1)"),
            "{}: {stderr}",
            db.backend
        );
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        let expected = match db.backend {
            // Its first statement stayed applied, and the next run continues after it.
            Backend::Mysql => {
                "inventory\n [X] 0001_initial\n [~] 0002_broken (1 of 2 steps applied)\n"
            }
            _ => "inventory\n [X] 0001_initial\n [ ] 0002_broken\n",
        };
        assert_eq!(shown, expected, "{}", db.backend);
        let columns: Vec<String> = db.introspect().tables["inventory_thing"]
            .columns
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            db.rows("SELECT label FROM inventory_thing"),
            [vec!["first".to_owned()]]
        );
        if db.backend == Backend::Mysql {
            // DDL commits on its own there: the column stays, and the error says so.
            assert!(
                stderr.contains("1 of 2 steps of this migration stayed applied:\n    ALTER TABLE `inventory_thing` ADD COLUMN `extra` longtext NULL")
                    && stderr.contains("the migration is not recorded; once the cause is fixed, the same `migrate` command continues it from step 2"),
                "{stderr}"
            );
            assert_eq!(columns, ["extra", "id", "label"]);
        } else {
            assert!(
                stderr.contains("nothing of this migration was applied"),
                "{stderr}"
            );
            assert_eq!(
                columns,
                ["id", "label"],
                "{}: the failed migration left nothing",
                db.backend
            );
        }

        // Once the cause is fixed, a plain rerun completes it (on MySQL, from its second
        // statement: the column is not added twice).
        db.execute("CREATE TABLE no_such_table (n integer)");
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        if db.backend == Backend::Mysql {
            assert!(
                stdout
                    .contains("Applying inventory.0002_broken... resuming after step 1 of 2... OK"),
                "{stdout}"
            );
        }
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        assert_eq!(shown, "inventory\n [X] 0001_initial\n [X] 0002_broken\n");
        let n = db.rows("SELECT 'inserted once' FROM no_such_table WHERE n = 1");
        assert_eq!(n, [vec!["inserted once".to_owned()]], "{}", db.backend);
    }
}

#[test]
fn a_connection_lost_inside_a_batch_reports_why_and_applies_nothing_of_it() {
    let p = TestProject::new("inventory-dropped");
    p.write(
        "migrations/inventory/m0001_initial.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Thing", "inventory_thing")
            .fields([Field::auto_id(), Field::new("label", Varchar(20))])
            .into(),
    ])
}
"#,
    );
    // The server ends the session in the middle of the batch, so the batch cannot be
    // rolled back to its savepoint and replayed statement by statement.
    p.write(
        "migrations/inventory/m0002_dropped.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_dropped")
        .depends_on("inventory", "0001_initial")
        .operations([
            AddField::new("Thing", Field::new("extra", Text).null()).into(),
            RunSql::new("SELECT pg_terminate_backend(pg_backend_pid())").into(),
        ])
}
"#,
    );
    p.models(MODELS);
    let Some(db) = TestDb::create(Backend::Postgres, "inventory_dropped") else {
        return;
    };
    let out = p.migrate_on(Some(&db.url), &["migrate"], "");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("running the statements of migration inventory.0002_dropped")
            && stderr.contains("terminating connection"),
        "the error is the batch's, not the failed rollback's: {stderr}"
    );
    let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
    assert_eq!(shown, "inventory\n [X] 0001_initial\n [ ] 0002_dropped\n");
    let columns: Vec<String> = db.introspect().tables["inventory_thing"]
        .columns
        .keys()
        .cloned()
        .collect();
    assert_eq!(columns, ["id", "label"]);
}

/// On SQLite the atomic migrations of a run share one transaction, each under a savepoint;
/// a migration's history row goes to the database with its foreign key check.
#[test]
fn on_sqlite_a_migration_failing_its_foreign_key_check_is_rolled_back_with_its_history_row() {
    let p = TestProject::new("inventory-dangling");
    p.write(
        "migrations/inventory/m0001_initial.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Shelf", "inventory_shelf")
            .fields([Field::auto_id()])
            .into(),
        CreateModel::new("Thing", "inventory_thing")
            .fields([
                Field::auto_id(),
                Field::new("shelf", foreign_key("inventory.Shelf", Cascade)),
            ])
            .into(),
    ])
}
"#,
    );
    p.write(
        "migrations/inventory/m0002_shelved.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_shelved")
        .depends_on("inventory", "0001_initial")
        .operations([RunSql::new("INSERT INTO inventory_shelf (id) VALUES (1)").into()])
}
"#,
    );
    p.write(
        "migrations/inventory/m0003_dangling.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0003_dangling")
        .depends_on("inventory", "0002_shelved")
        .operations([RunSql::new("INSERT INTO inventory_thing (shelf_id) VALUES (1), (99)").into()])
}
"#,
    );
    p.models(
        r#"
#[derive(Model)]
#[model(app = "inventory")]
pub struct Shelf {}

#[derive(Model)]
#[model(app = "inventory")]
pub struct Thing {
    #[field(on_delete = Cascade)]
    pub shelf: ForeignKey<Shelf>,
}
"#,
    );
    let Some(db) = TestDb::create(Backend::Sqlite, "inventory_dangling") else {
        return;
    };
    // Reading the history creates nothing, as in Django.
    let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
    assert_eq!(
        shown,
        "inventory\n [ ] 0001_initial\n [ ] 0002_shelved\n [ ] 0003_dangling\n"
    );
    assert!(db.rows("SELECT name FROM sqlite_master").is_empty());
    let out = p.migrate_on(Some(&db.url), &["migrate"], "");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("Applying inventory.0002_shelved... OK")
            && stdout.contains("Applying inventory.0003_dangling... FAILED"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "migration inventory.0003_dangling leaves 1 row(s) pointing at rows that do not exist"
        ),
        "{stderr}"
    );
    let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
    assert_eq!(
        shown,
        "inventory\n [X] 0001_initial\n [X] 0002_shelved\n [ ] 0003_dangling\n"
    );
    assert_eq!(
        db.rows("SELECT CAST(id AS TEXT) FROM inventory_shelf"),
        [vec!["1".to_owned()]]
    );
    assert!(db
        .rows("SELECT CAST(shelf_id AS TEXT) FROM inventory_thing")
        .is_empty());

    // Faked, each history row goes on its own: all three are recorded, nothing runs.
    let out = p.migrate_on(Some(&db.url), &["migrate", "--fake"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
    assert_eq!(
        shown,
        "inventory\n [X] 0001_initial\n [X] 0002_shelved\n [X] 0003_dangling\n"
    );
    assert!(db
        .rows("SELECT CAST(shelf_id AS TEXT) FROM inventory_thing")
        .is_empty());
}

#[test]
fn a_backwards_plan_through_an_irreversible_operation_fails_before_running() {
    let p = project("inventory-irreversible");
    let Some(db) = TestDb::create(Backend::Sqlite, "inventory_irreversible") else {
        return;
    };
    let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "0001"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "zero"], "");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr.trim(),
        "error: migration inventory.0001_initial cannot be reversed: \"Raw SQL operation\" has no reverse"
    );
    assert_eq!(
        db.rows("SELECT label FROM inventory_thing").len(),
        1,
        "nothing ran"
    );
}

#[test]
fn a_non_atomic_data_migration_walks_a_table_in_batches_with_progress() {
    let p = TestProject::new("inventory-batches");
    // 30 rows, five deleted in the middle: the keys have a gap that batches by key must
    // step over. The timestamp is a column sqlx's `Any` driver cannot read, which the
    // batches leave out; the boolean is one it reads on PostgreSQL only.
    let values: Vec<String> = (1..=30)
        .map(|n| format!("({n}, CURRENT_TIMESTAMP, {})", n % 2 == 0))
        .collect();
    // Keys 1 to 20, then every hundredth to 6,000: key ranges found by value where the keys
    // are dense must go back to counting where they are sparse.
    let gap_keys: Vec<String> = (1..=20)
        .chain((1..=60).map(|n| n * 100))
        .map(|id| format!("({id}, 0)"))
        .collect();
    p.write(
        "migrations/inventory/m0001_initial.rs",
        &format!(
            r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {{
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Item", "inventory_item")
            .fields([
                Field::auto_id(),
                Field::new("n", Integer),
                Field::new("doubled", Integer).null(),
                Field::new("tripled", Integer).null(),
                Field::new("at", TimestampTz),
                Field::new("even", Boolean),
            ])
            .into(),
        CreateModel::new("Tag", "inventory_tag")
            .fields([Field::new("id", Uuid).primary_key(), Field::new("label", Varchar(10))])
            .into(),
        CreateModel::new("Gap", "inventory_gap")
            .fields([Field::auto_id(), Field::new("hits", Integer)])
            .into(),
        RunSql::new("INSERT INTO inventory_item (n, at, even) VALUES {}").reverse("DELETE FROM inventory_item").into(),
        RunSql::new("INSERT INTO inventory_gap (id, hits) VALUES {}").reverse("DELETE FROM inventory_gap").into(),
        RunSql::new("DELETE FROM inventory_item WHERE n BETWEEN 11 AND 15").into(),
    ])
}}
"#,
            values.join(", "),
            gap_keys.join(", ")
        ),
    );
    p.write(
        "migrations/inventory/m0002_double.rs",
        r#"use migrate_core::prelude::*;
use sqlx::Row;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_double")
        .depends_on("inventory", "0001_initial")
        .non_atomic()
        .operations([
            RunRust::new(forwards).reverse(backwards).into(),
            RunRust::new(by_ranges).reverse(backwards).into(),
            RunRust::new(uuid_keys).reverse(backwards).into(),
            RunRust::new(sparse_ranges).reverse(backwards).into(),
        ])
}

// Ranges of at most five rows over keys dense then sparse: each key in one range, and
// counted ranges again once the keys thin out (by value alone, 64 ranges).
fn sparse_ranges<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Gap")?;
        let id = cx.quote(&cx.column("Gap", "id")?);
        let mut ranges = cx.key_ranges("Gap", 5)?;
        let mut rows = Vec::new();
        while let Some(range) = ranges.next(cx).await? {
            let sql = format!("UPDATE {table} SET hits = hits + 1 WHERE {}", range.condition(&id));
            rows.push(cx.execute(&sql).await?);
        }
        let bad = rows.iter().sum::<u64>() != 80
            || rows.iter().any(|&n| n > 5)
            || rows[..4] != [5, 5, 5, 5]
            || rows.len() > 27;
        if bad {
            return Err(format!("rows per range: {rows:?}").into());
        }
        Ok(())
    })
}

// Batches of a table keyed by UUIDs, which the driver reads as text only on PostgreSQL.
fn uuid_keys<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Tag")?;
        let keys = ["0000000000000000000000000000000a", "0000000000000000000000000000000b"];
        let postgres = cx.placeholder(1) == "$1";
        for (key, label) in keys.iter().zip(["a", "b"]) {
            let value = if postgres {
                format!("'{key}'")
            } else if cx.quote("x") == "`x`" {
                format!("UNHEX('{key}')")
            } else {
                format!("X'{key}'")
            };
            cx.execute(&format!("INSERT INTO {table} (id, label) VALUES ({value}, '{label}')")).await?;
        }
        let mut batches = cx.batches("Tag", 1)?;
        let mut labels = Vec::new();
        while let Some(rows) = batches.next(cx).await? {
            for row in rows {
                if postgres {
                    let id: String = row.try_get("id")?;
                    if !id.starts_with("00000000-0000") {
                        return Err(format!("a key read as {id}").into());
                    }
                }
                labels.push(row.try_get::<String, _>("label")?);
            }
        }
        if labels != ["a", "b"] {
            return Err(format!("labels read: {labels:?}").into());
        }
        Ok(())
    })
}

fn by_ranges<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Item")?;
        let id = cx.quote(&cx.column("Item", "id")?);
        let mut ranges = cx.key_ranges("Item", 10)?;
        let mut seen = Vec::new();
        while let Some(range) = ranges.next(cx).await? {
            seen.push(range.through);
            let sql = format!("UPDATE {table} SET tripled = n * 3 WHERE {}", range.condition(&id));
            cx.execute(&sql).await?;
        }
        // Ten keys, ten more (across the gap), and the last five.
        if seen != [10, 25, 30] {
            return Err(format!("ranges ended at {seen:?}").into());
        }
        Ok(())
    })
}

fn forwards<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Item")?;
        let mut batches = cx.batches("Item", 10)?;
        while let Some(rows) = batches.next(cx).await? {
            for row in rows {
                let id: i64 = row.try_get("id")?;
                let n: i64 = row.try_get("n")?;
                if row.try_get::<bool, _>("even").is_ok_and(|even| even != (n % 2 == 0)) {
                    return Err("a boolean read wrong".into());
                }
                cx.execute(&format!("UPDATE {table} SET doubled = {} WHERE id = {id}", n * 2)).await?;
            }
        }
        Ok(())
    })
}

fn backwards<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Item")?;
        cx.execute(&format!("UPDATE {table} SET doubled = NULL, tripled = NULL")).await?;
        let gap = cx.table("Gap")?;
        cx.execute(&format!("UPDATE {gap} SET hits = 0")).await?;
        Ok(())
    })
}
"#,
    );
    p.add_dependency(
        "sqlx = { version = \"0.8\", default-features = false, features = [\"any\"] }",
    );
    p.models(
        r#"
#[derive(Model)]
#[model(app = "inventory")]
pub struct Item {
    pub n: i32,
    pub doubled: Option<i32>,
}
"#,
    );
    for db in TestDb::all("inventory_batches") {
        let out = p.migrate_on(Some(&db.url), &["migrate", "-v", "2"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        for done in [10, 20, 25] {
            assert!(
                stdout.contains(&format!("inventory_item: {done} rows done")),
                "{stdout}"
            );
        }
        let wrong = db.rows(&format!(
            "SELECT {} FROM inventory_item WHERE doubled IS NULL OR doubled <> n * 2 \
             OR tripled IS NULL OR tripled <> n * 3",
            db.text("id")
        ));
        assert!(
            wrong.is_empty(),
            "{}: rows not doubled: {wrong:?}",
            db.backend
        );
        assert_eq!(
            db.rows(&format!("SELECT {} FROM inventory_item", db.text("n")))
                .len(),
            25
        );
        let missed = format!(
            "SELECT {} FROM inventory_gap WHERE hits <> 1",
            db.text("id")
        );
        assert_eq!(
            db.rows(&missed),
            Vec::<Vec<String>>::new(),
            "{}",
            db.backend
        );

        let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "0001"], "");
        assert!(out.status.success(), "{}", text(&out).1);
        let undone = format!(
            "SELECT {} FROM inventory_item WHERE doubled IS NULL",
            db.text("n")
        );
        assert_eq!(db.rows(&undone).len(), 25, "{}", db.backend);
    }
}

/// The part-way failure of the MySQL resume issue: a unique constraint over rows that are
/// not unique. After the duplicates are deleted, a plain rerun completes, on every backend.
#[test]
fn a_unique_constraint_over_duplicates_completes_once_they_are_gone() {
    let p = TestProject::new("inventory-unique");
    p.write(
        "migrations/inventory/m0001_initial.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0001_initial").initial().operations([
        CreateModel::new("Thing", "inventory_thing")
            .fields([Field::auto_id(), Field::new("label", Varchar(20))])
            .into(),
    ])
}
"#,
    );
    p.write(
        "migrations/inventory/m0002_unique_label.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("inventory", "0002_unique_label")
        .depends_on("inventory", "0001_initial")
        .operations([
            AddField::new("Thing", Field::new("note", Text).null()).into(),
            AddIndex::new("Thing", Index::new("thing_note_idx", ["label"])).into(),
            AddConstraint::new("Thing", Constraint::unique("thing_label_uniq", ["label"])).into(),
        ])
}
"#,
    );
    p.models(
        r#"
#[derive(Model)]
#[model(app = "inventory",
        indexes(index(name = "thing_note_idx", fields = ["label"])),
        constraints(unique(name = "thing_label_uniq", fields = ["label"])))]
pub struct Thing {
    #[field(max_length = 20)]
    pub label: String,
    pub note: Option<String>,
}
"#,
    );
    for db in TestDb::all("inventory_unique") {
        let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "0001"], "");
        assert!(out.status.success(), "{}: {:?}", db.backend, text(&out));
        db.execute("INSERT INTO inventory_thing (label) VALUES ('a'), ('b'), ('a')");

        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {stdout}{stderr}",
            db.backend
        );
        assert!(
            stderr.contains("thing_label_uniq"),
            "{}: {stderr}",
            db.backend
        );
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        let check = p.migrate_on(Some(&db.url), &["migrate", "--check"], "");
        assert_eq!(check.status.code(), Some(1), "{}", db.backend);
        if db.backend == Backend::Mysql {
            assert!(
                shown.contains(" [~] 0002_unique_label (2 of 3 steps applied)"),
                "{shown}"
            );
            assert!(
                stderr.contains("2 of 3 steps of this migration stayed applied:")
                    && stderr.contains("ADD COLUMN `note`")
                    && stderr.contains("CREATE INDEX `thing_note_idx`"),
                "{stderr}"
            );
            let plan = text(&p.migrate_on(Some(&db.url), &["migrate", "--plan"], "")).0;
            assert!(
                plan.contains("inventory.0002_unique_label (resumes: 2 of 3 steps applied"),
                "{plan}"
            );
        } else {
            assert!(shown.contains(" [ ] 0002_unique_label"), "{shown}");
        }

        // Giving up on it instead: back to 0001 takes back what stayed applied.
        let out = p.migrate_on(Some(&db.url), &["migrate", "inventory", "0001"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        if db.backend == Backend::Mysql {
            assert!(
                stdout.contains("Unapplying inventory.0002_unique_label... taking back the 2 of 3 steps a stopped run had done... OK"),
                "{stdout}"
            );
        }
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        assert_eq!(
            shown, "inventory\n [X] 0001_initial\n [ ] 0002_unique_label\n",
            "{}",
            db.backend
        );
        let table = &db.introspect().tables["inventory_thing"];
        assert_eq!(
            table.columns.keys().collect::<Vec<_>>(),
            ["id", "label"],
            "{}",
            db.backend
        );
        assert!(table.indexes.is_empty(), "{}: {table:?}", db.backend);
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        assert_eq!(out.status.code(), Some(1), "{}: refused again", db.backend);

        // The data fixed, the same command completes it.
        db.execute("DELETE FROM inventory_thing WHERE id = 3");
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        let shown = text(&p.migrate_on(Some(&db.url), &["showmigrations"], "")).0;
        assert_eq!(
            shown, "inventory\n [X] 0001_initial\n [X] 0002_unique_label\n",
            "{}",
            db.backend
        );
        let table = &db.introspect().tables["inventory_thing"];
        assert!(table.columns.contains_key("note"), "{}", db.backend);
        assert!(table.indexes.contains("thing_note_idx"), "{}", db.backend);
        let unique = if db.backend == Backend::Sqlite {
            "label"
        } else {
            "thing_label_uniq"
        };
        assert!(table.uniques.contains(unique), "{}: {table:?}", db.backend);
        let check = p.migrate_on(Some(&db.url), &["migrate", "--check"], "");
        assert_eq!(check.status.code(), Some(0), "{}", db.backend);
    }
}
