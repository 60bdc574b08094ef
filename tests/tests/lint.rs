//! `lint`: each rule, triggered and then not by the safe form, on each backend it concerns;
//! acknowledged findings; what a known table size does to a finding.

use migrate_core::fields::{foreign_key, ColumnType::*, OnDelete, Value};
use migrate_core::lint::{Finding, Level, Linter, Server, TableSize, Target};
use migrate_core::loader::Loader;
use migrate_core::operations::{
    AddConstraint, AddField, AddIndex, AlterField, CreateModel, DeleteModel, Operation,
    RemoveField, RenameField, RunSql,
};
use migrate_core::schema::Backend;
use migrate_core::{Constraint, Field, Index, Migration};

/// `shop.Item` (table `shop_item`) and `shop.Other`, made by 0001.
fn initial() -> Migration {
    Migration::new("shop", "0001_initial")
        .initial()
        .operations([
            CreateModel::new("Item", "shop_item")
                .fields([
                    Field::new("id", BigInt).primary_key().auto(),
                    Field::new("name", Varchar(100)),
                    Field::new("note", Text).null(),
                    Field::new("qty", Integer),
                ])
                .into(),
            CreateModel::new("Other", "shop_other")
                .fields([Field::new("id", BigInt).primary_key().auto()])
                .into(),
        ])
}

/// The findings of `ops` as migration 0002, on `backend`, as codes with their levels.
fn lint_on(backend: Backend, server: Option<&Server>, m: Migration) -> Vec<Finding> {
    let loader = Loader::new([initial()]).unwrap();
    let mut state = loader.project_state().unwrap();
    Linter::new(Target { backend, server })
        .migration(&m, &mut state)
        .unwrap()
}

fn second(ops: impl IntoIterator<Item = Operation>) -> Migration {
    Migration::new("shop", "0002_change")
        .depends_on("shop", "0001_initial")
        .operations(ops)
}

fn codes(backend: Backend, ops: impl IntoIterator<Item = Operation>) -> Vec<(&'static str, Level)> {
    lint_on(backend, None, second(ops))
        .into_iter()
        .map(|f| (f.code, f.level))
        .collect()
}

const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

#[test]
fn losing_data_is_danger_everywhere() {
    for b in ALL {
        assert_eq!(
            codes(b, [DeleteModel::new("Item").into()]),
            [("drop-table", Level::Danger)],
            "{b}"
        );
        let dropped = codes(b, [RemoveField::new("Item", "note").into()]);
        assert_eq!(dropped[0], ("drop-column", Level::Danger), "{b}");
        let narrowed = codes(
            b,
            [AlterField::new("Item", Field::new("name", Varchar(50))).into()],
        );
        assert_eq!(narrowed[0], ("narrowing", Level::Danger), "{b}");
        // The safe forms: widening; a table made in the same migration and dropped again.
        let widened = codes(
            b,
            [AlterField::new("Item", Field::new("name", Varchar(200))).into()],
        );
        assert!(
            !widened.iter().any(|(c, _)| *c == "narrowing"),
            "{b}: {widened:?}"
        );
        let scratch = codes(
            b,
            [
                CreateModel::new("Tmp", "shop_tmp")
                    .fields([Field::new("id", BigInt).primary_key().auto()])
                    .into(),
                DeleteModel::new("Tmp").into(),
            ],
        );
        assert_eq!(scratch, [], "{b}");
    }
}

#[test]
fn an_acknowledged_finding_is_listed_with_its_reason() {
    let m = second([RemoveField::new("Item", "note").into()])
        .allow("drop-column", "nothing has read it since v2");
    for b in ALL {
        let found = lint_on(b, None, m.clone());
        let drop = found.iter().find(|f| f.code == "drop-column").unwrap();
        assert_eq!(
            drop.allowed.as_deref(),
            Some("nothing has read it since v2")
        );
    }
    // Written into the file, and left out of its checksum: it changes nothing that runs.
    let file = migrate_core::writer::migration_file(&m).unwrap();
    assert!(
        file.contains(r#".allow("drop-column", "nothing has read it since v2")"#),
        "{file}"
    );
    let plain = second([RemoveField::new("Item", "note").into()]);
    assert_eq!(
        migrate_core::checksum::checksum(&m),
        migrate_core::checksum::checksum(&plain)
    );
}

#[test]
fn values_existing_rows_must_take() {
    for b in ALL {
        let required = codes(
            b,
            [AddField::new("Item", Field::new("sku", Varchar(20))).into()],
        );
        assert!(
            required.contains(&("not-null-without-default", Level::Warning)),
            "{b}: {required:?}"
        );
        let with_default = codes(
            b,
            [AddField::new("Item", Field::new("sku", Varchar(20)).default("none")).into()],
        );
        assert!(
            !with_default
                .iter()
                .any(|(c, _)| *c == "not-null-without-default"),
            "{b}"
        );

        let not_null = codes(
            b,
            [AlterField::new("Item", Field::new("note", Text)).into()],
        );
        assert!(
            not_null.contains(&("set-not-null", Level::Warning)),
            "{b}: {not_null:?}"
        );

        let unique = codes(
            b,
            [AddConstraint::new("Item", Constraint::unique("item_name_uniq", ["name"])).into()],
        );
        assert!(
            unique.contains(&("unique-on-existing", Level::Warning)),
            "{b}: {unique:?}"
        );

        // The safe forms: on a table made in the same migration, nothing to check; on a
        // table the database says is empty, a note only.
        let fresh = codes(
            b,
            [
                CreateModel::new("Tag", "shop_tag")
                    .fields([
                        Field::new("id", BigInt).primary_key().auto(),
                        Field::new("label", Varchar(20)).null(),
                    ])
                    .into(),
                AddConstraint::new("Tag", Constraint::unique("tag_label_uniq", ["label"])).into(),
                AlterField::new("Tag", Field::new("label", Varchar(20))).into(),
            ],
        );
        assert_eq!(fresh, [], "{b}");
        let empty = Server {
            version: None,
            tables: [(
                "shop_item".to_owned(),
                TableSize {
                    rows: Some(0),
                    bytes: None,
                },
            )]
            .into(),
        };
        let found = lint_on(
            b,
            Some(&empty),
            second([AlterField::new("Item", Field::new("note", Text)).into()]),
        );
        let not_null = found.iter().find(|f| f.code == "set-not-null").unwrap();
        assert_eq!(not_null.level, Level::Info, "{b}");
    }
}

#[test]
fn rewrites_and_locks_per_backend() {
    let bigger = || AlterField::new("Item", Field::new("qty", BigInt)).into();
    assert!(codes(Backend::Postgres, [bigger()]).contains(&("table-rewrite", Level::Warning)));
    assert!(codes(Backend::Mysql, [bigger()]).contains(&("table-rewrite", Level::Warning)));
    assert!(codes(Backend::Sqlite, [bigger()]).contains(&("sqlite-rebuild", Level::Warning)));
    // In place: a longer varchar on PostgreSQL; within one length byte on MySQL; an added
    // nullable column on SQLite.
    let longer = |n| AlterField::new("Item", Field::new("name", Varchar(n))).into();
    assert_eq!(codes(Backend::Postgres, [longer(300)]), []);
    let mysql = codes(
        Backend::Mysql,
        [AlterField::new("Item", Field::new("name", Varchar(60))).into()],
    );
    assert_eq!(
        mysql,
        [
            ("narrowing", Level::Danger),
            ("table-rewrite", Level::Warning)
        ],
        "shorter than 100, and copied"
    );
    assert_eq!(codes(Backend::Mysql, [longer(100)]), []);
    let nullable = || AddField::new("Item", Field::new("memo", Text).null()).into();
    for b in ALL {
        assert_eq!(codes(b, [nullable()]), [], "{b}");
    }
    // A default computed per row rewrites a PostgreSQL table; a constant one does not.
    let token = |d: Value| AddField::new("Item", Field::new("token", Uuid).default(d)).into();
    assert!(codes(Backend::Postgres, [token(Value::NewUuid)])
        .contains(&("table-rewrite", Level::Warning)));
    let constant = Value::Str("7d0c3c9e-8a39-4e0b-9d3c-6a8f5e1b2c3d".into());
    assert_eq!(codes(Backend::Postgres, [token(constant)]), []);
}

#[test]
fn index_builds_per_backend() {
    let index = || Index::new("item_name_idx", ["name"]);
    let add = || AddIndex::new("Item", index()).into();
    assert_eq!(
        codes(Backend::Postgres, [add()]),
        [("blocking-index", Level::Warning)]
    );
    assert_eq!(
        codes(Backend::Sqlite, [add()]),
        [("blocking-index", Level::Warning)]
    );
    assert_eq!(
        codes(Backend::Mysql, [add()]),
        [("online-index", Level::Info)]
    );
    // The safe form: built concurrently, outside a transaction.
    let concurrent = second([AddIndex::new("Item", index()).concurrently().into()]).non_atomic();
    assert_eq!(lint_on(Backend::Postgres, None, concurrent.clone()), []);
    let sql = migrate_core::schema::migration_sql(
        Backend::Postgres,
        &concurrent,
        &Loader::new([initial()]).unwrap().project_state().unwrap(),
        false,
    )
    .unwrap();
    assert!(
        sql.iter()
            .any(|s| s.starts_with("CREATE INDEX CONCURRENTLY")),
        "{sql:?}"
    );
    // In a transaction it cannot run: refused when the migrations load.
    let atomic = second([AddIndex::new("Item", index()).concurrently().into()]);
    let err = Loader::new([initial(), atomic])
        .unwrap()
        .project_state()
        .unwrap_err();
    assert!(
        err.to_string().contains("mark the migration .non_atomic()"),
        "{err}"
    );
}

#[test]
fn keys_and_checks_are_validated_over_existing_rows() {
    let key = || {
        AddField::new(
            "Item",
            Field::new("other", foreign_key("shop.Other", OnDelete::Cascade)).null(),
        )
        .into()
    };
    let check =
        || AddConstraint::new("Item", Constraint::check("item_qty_positive", "qty >= 0")).into();
    for b in [Backend::Postgres, Backend::Mysql] {
        assert!(
            codes(b, [key()]).contains(&("foreign-key-validation", Level::Warning)),
            "{b}"
        );
        assert!(
            codes(b, [check()]).contains(&("check-validation", Level::Warning)),
            "{b}"
        );
    }
    // The safe form on PostgreSQL: NOT VALID, then validated, each committed on its own.
    let separately = || {
        AddConstraint::new("Item", Constraint::check("item_qty_positive", "qty >= 0"))
            .validate_separately()
            .into()
    };
    let m = second([separately()]).non_atomic();
    assert_eq!(lint_on(Backend::Postgres, None, m.clone()), []);
    let before = Loader::new([initial()]).unwrap().project_state().unwrap();
    let sql = migrate_core::schema::migration_sql(Backend::Postgres, &m, &before, false).unwrap();
    assert_eq!(
        &sql[1..],
        [
            r#"ALTER TABLE "shop_item" ADD CONSTRAINT "item_qty_positive" CHECK (qty >= 0) NOT VALID"#,
            r#"ALTER TABLE "shop_item" VALIDATE CONSTRAINT "item_qty_positive""#,
        ]
    );
    // In one transaction the first statement's lock lasts until the scan ends.
    let atomic = lint_on(Backend::Postgres, None, second([separately()]));
    assert_eq!(atomic[0].code, "check-validation");
    assert!(atomic[0].safe.as_deref().unwrap().contains(".non_atomic()"));
    // SQLite makes the table again with the key or check in it.
    assert!(codes(Backend::Sqlite, [check()]).contains(&("sqlite-rebuild", Level::Warning)));
    // The safe form: on a table made in the same migration, nothing to validate.
    for b in ALL {
        let fresh = codes(
            b,
            [
                CreateModel::new("Line", "shop_line")
                    .fields([Field::new("id", BigInt).primary_key().auto()])
                    .into(),
                AddField::new(
                    "Line",
                    Field::new("item", foreign_key("shop.Item", OnDelete::Cascade)).null(),
                )
                .into(),
                AddConstraint::new("Line", Constraint::check("line_id_positive", "id > 0")).into(),
            ],
        );
        assert_eq!(fresh, [], "{b}");
    }
}

#[test]
fn renames_break_code_still_running() {
    for b in ALL {
        let renamed = codes(b, [RenameField::new("Item", "qty", "quantity").into()]);
        assert_eq!(renamed, [("rename", Level::Warning)], "{b}");
        // The safe form: the field is renamed, its column kept.
        let kept = codes(
            b,
            [RenameField::new("Item", "qty", "quantity")
                .db_column("qty")
                .into()],
        );
        assert_eq!(kept, [], "{b}");
    }
}

#[test]
fn what_cannot_be_judged_is_said() {
    for b in ALL {
        assert_eq!(
            codes(b, [RunSql::new("UPDATE shop_item SET qty = 0").into()]),
            [("raw-sql", Level::Info)]
        );
    }
}

#[test]
fn the_size_of_a_table_is_said_and_an_empty_one_is_no_concern() {
    let index = || second([AddIndex::new("Item", Index::new("item_name_idx", ["name"])).into()]);
    let big = Server {
        version: Some("16.4".into()),
        tables: [(
            "shop_item".to_owned(),
            TableSize {
                rows: Some(3_000_000),
                bytes: Some(400 << 20),
            },
        )]
        .into(),
    };
    let found = lint_on(Backend::Postgres, Some(&big), index());
    assert_eq!(found[0].level, Level::Warning);
    assert_eq!(found[0].duration(), Some("minutes"));
    let empty = Server {
        tables: [(
            "shop_item".to_owned(),
            TableSize {
                rows: Some(0),
                bytes: Some(8192),
            },
        )]
        .into(),
        ..big.clone()
    };
    let found = lint_on(Backend::Postgres, Some(&empty), index());
    assert_eq!(found[0].level, Level::Info);
    assert!(found[0].message.ends_with("(the table is empty now)"));
    // The version in use: before PostgreSQL 11 any default rewrites the table.
    let old = Server {
        version: Some("10.23".into()),
        ..big
    };
    let add = second([AddField::new("Item", Field::new("flag", Boolean).default(false)).into()]);
    let found = lint_on(Backend::Postgres, Some(&old), add.clone());
    assert_eq!(found[0].code, "table-rewrite");
    assert_eq!(lint_on(Backend::Postgres, None, add), []);
}

mod end_to_end {
    use migrate_core::schema::{quote, Backend};
    use migrate_tests::db::TestDb;
    use migrate_tests::{text, TestProject};

    const ITEM: &str = r#"
#[derive(Model)]
#[model(app = "shop")]
pub struct Item {
    #[field(max_length = 40)]
    pub name: String,
}
"#;

    const INDEXED: &str = r#"
#[derive(Model)]
#[model(
    app = "shop",
    indexes(index(name = "item_name_idx", fields = ["name"])),
    constraints(check(name = "item_name_not_empty", expr = "name <> ''"))
)]
pub struct Item {
    #[field(max_length = 40)]
    pub name: String,
}
"#;

    /// As a user runs it: `makemigrations` marks what deserves a look, `lint` lists it and
    /// fails on it when asked, `lint --fix` rewrites an index migration to build it while
    /// writes go on, and the rewritten migration runs, with the rows in the table.
    #[test]
    fn an_index_on_a_table_with_rows_is_fixed_and_runs() {
        for db in TestDb::all("lint_fix") {
            let backend = db.backend;
            let q = |s: &str| quote(backend, s);
            let p = TestProject::new(&format!("lint-fix-{backend}"));
            let run = |args: &[&str]| {
                let out = p.migrate_on(Some(&db.url), args, "");
                let (stdout, stderr) = text(&out);
                (out.status.code(), stdout, stderr)
            };
            p.models(ITEM);
            assert_eq!(run(&["makemigrations", "--noinput"]).0, Some(0));
            p.build();
            assert_eq!(run(&["migrate", "-q"]).0, Some(0));
            db.execute(&format!(
                "INSERT INTO {} ({}) VALUES ('kettle'), ('teapot'), ('it''s')",
                q("shop_item"),
                q("name")
            ));

            p.models(INDEXED);
            let (_, said, _) = run(&["makemigrations", "--noinput"]);
            let flagged = match backend {
                Backend::Mysql => None,
                _ => Some("    ! warning blocking-index: Create index item_name_idx"),
            };
            if let Some(flagged) = flagged {
                assert!(said.contains(flagged), "{backend}: {said}");
            }
            p.build();
            let (code, said, _) = run(&["lint", "--fail-on", "warning"]);
            assert_eq!(code, Some(1), "{backend}: {said}");
            assert!(
                said.contains("warning check-validation"),
                "{backend}: {said}"
            );
            if backend == Backend::Mysql {
                assert!(said.contains("info    online-index"), "{said}");
            }

            let (code, said, stderr) = run(&["lint", "--fix"]);
            assert_eq!(code, Some(0), "{backend}: {said}{stderr}");
            let file =
                p.read("migrations/shop/m0002_item_item_name_idx_item_item_name_not_empty.rs");
            if backend == Backend::Postgres {
                assert!(
                    said.contains("Rewrote shop.0002_item_item_name_idx_item_item_name_not_empty"),
                    "{said}"
                );
                assert!(file.contains(".non_atomic()"), "{file}");
                assert!(file.contains(".concurrently()"), "{file}");
                assert!(file.contains(".validate_separately()"), "{file}");
                p.build();
                let (_, sql, _) = run(&["sqlmigrate", "shop", "0002"]);
                assert!(
                    sql.contains("CREATE INDEX CONCURRENTLY \"item_name_idx\""),
                    "{sql}"
                );
                assert!(sql.contains("CHECK (name <> '') NOT VALID;\nALTER TABLE \"shop_item\" VALIDATE CONSTRAINT \"item_name_not_empty\";"), "{sql}");
                let (code, said, _) = run(&["lint", "--fail-on", "warning"]);
                assert_eq!(code, Some(0), "{said}");
            } else {
                // PostgreSQL's safe forms only.
                assert!(
                    stderr.contains("lint --fix writes PostgreSQL's safe forms"),
                    "{stderr}"
                );
                assert!(!file.contains(".non_atomic()"), "{file}");
            }
            let (code, said, stderr) = run(&["migrate"]);
            assert_eq!(code, Some(0), "{backend}: {said}{stderr}");
            let (code, said, _) = run(&["migrate", "--check-schema"]);
            assert_eq!(code, Some(0), "{backend}: {said}");
            let rows = db.rows(&format!(
                "SELECT {} FROM {} ORDER BY 1",
                q("name"),
                q("shop_item")
            ));
            assert_eq!(rows, [["it's"], ["kettle"], ["teapot"]]);
            // Back again: the index is dropped concurrently too.
            let (code, said, stderr) = run(&["migrate", "shop", "0001"]);
            assert_eq!(code, Some(0), "{backend}: {said}{stderr}");
        }
    }
}

/// The change set of the benchmark's 500-model project (one model in twenty changed: a
/// nullable field added, a field dropped, a varchar widened or a field indexed), linted
/// per backend: what a PostgreSQL or MySQL expert would say of each kind of change.
#[test]
fn a_generated_500_model_project() {
    use migrate_bench::generate;
    use migrate_core::autodetector::{Autodetector, RenameHints};
    use migrate_core::questioner::NonInteractive;
    use std::collections::BTreeMap;

    let before = generate::models(10, 50, 7);
    let after = generate::change(&before, 20);
    let changes = Autodetector {
        from: &before,
        to: &after,
        hints: &RenameHints::default(),
        leaves: &BTreeMap::new(),
    }
    .changes(&mut NonInteractive::default())
    .unwrap();
    let ops = |pick: fn(&Operation) -> bool| {
        changes
            .migrations
            .iter()
            .flat_map(|m| &m.operations)
            .filter(|op| pick(op))
            .count()
    };
    let removed = ops(|op| matches!(op, Operation::RemoveField(_)));
    let indexed = ops(|op| matches!(op, Operation::AlterField(a) if a.field.db_index));
    let widened = ops(|op| matches!(op, Operation::AlterField(a) if !a.field.db_index));
    assert!(removed > 0 && indexed > 0 && widened > 0);
    let mut said = String::new();
    for backend in ALL {
        let mut linter = Linter::new(Target {
            backend,
            server: None,
        });
        let mut state = before.clone();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &changes.migrations {
            for f in linter.migration(m, &mut state).unwrap() {
                *counts.entry(f.code).or_default() += 1;
            }
        }
        said.push_str(&format!("{backend}: {counts:?}\n"));
        // Every dropped field loses its values, on every backend.
        assert_eq!(counts.get("drop-column"), Some(&removed), "{backend}");
        match backend {
            // A field made db_index blocks writes while its index builds; a wider varchar
            // is in place; a nullable column is added in place.
            Backend::Postgres => {
                assert_eq!(counts.get("blocking-index"), Some(&indexed));
                assert_eq!(counts.get("table-rewrite"), None);
            }
            // InnoDB builds the index online; varchar(100) to varchar(150) stays within a
            // two-byte length, so it is in place too.
            Backend::Mysql => {
                assert_eq!(counts.get("online-index"), Some(&indexed));
                assert_eq!(counts.get("table-rewrite"), None);
            }
            // SQLite makes a table again to change a type; it drops a column that no key,
            // unique constraint or check names in place.
            Backend::Sqlite => {
                assert_eq!(counts.get("sqlite-rebuild"), Some(&widened));
            }
        }
    }
    eprintln!("{said}");
}
