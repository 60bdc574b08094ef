//! `migrate-bench rows [ROWS] [--runs N] [--backends sqlite,postgres,mysql]`: the common
//! operations on a table that holds ROWS rows (default 1,000,000) and an index, each timed as
//! `migrate` runs it and beside it as a person would write it by hand for that backend; with
//! `--runs N`, the whole sequence N times over, each from a new database, and each side's
//! median.
//!
//! The tables are made by the first migration with the same columns and filled alike by
//! the server (`generate_series`, MariaDB's sequence engine, a recursive CTE on SQLite), in
//! slices taken in turn so that none is warmer in the server's cache:
//! `rows_item`, which the migrations change one operation per migration, and `rows_hand`,
//! which the hand-written SQL changes, sent by the backend's own client. Each timed run
//! starts with its own table read once, untimed, so none pays for the others' scans (and,
//! on MariaDB, with InnoDB's purge of the run before done and the tables' dirty pages
//! written out). The data migration
//! walks the table with `RunContext::key_ranges` (10,000 rows, one transaction each) and
//! updates each range; by hand, ranges of 10,000 key values, one `UPDATE` each. Afterwards
//! every side's table is checked to hold the data migration's value in every row.
//!
//! Beside them, Django's `migrate` of the same change on a third table, `dj_item`, filled
//! in the same turns: `bench/django_rows/` holds the migrations, written as Django's
//! `makemigrations` would write them, and a `RunPython` that walks the same key ranges. It
//! runs in the virtualenv of the fleet benchmark (`target/bench-venv`; PyMySQL for MariaDB).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use migrate_bench::generate::Project;
use migrate_bench::measure::{self, Run};
use migrate_core::prelude::*;
use migrate_core::ProjectState;

use crate::Db;

const BATCH: usize = 10_000;

/// One step: the migration that does it and the SQL a person would write for it.
struct Step {
    label: &'static str,
    /// The migration's name; its operations are `operations`.
    name: &'static str,
    operations: fn() -> Vec<Operation>,
    hand: fn(Db, usize) -> String,
}

fn steps() -> Vec<Step> {
    vec![
        Step {
            label: "add a nullable column",
            name: "0002_note",
            operations: || {
                vec![AddField::new("Item", Field::new("note", Varchar(50)).null()).into()]
            },
            hand: |db, _| {
                match db {
                    Db::Mysql => {
                        "ALTER TABLE rows_hand ADD COLUMN note varchar(50) NULL, ALGORITHM=INSTANT;"
                    }
                    _ => "ALTER TABLE rows_hand ADD COLUMN note varchar(50) NULL;",
                }
                .into()
            },
        },
        Step {
            label: "add a NOT NULL column with a constant default",
            name: "0003_flag",
            operations: || {
                vec![AddField::new("Item", Field::new("flag", Boolean).default(false)).into()]
            },
            hand: |db, _| {
                match db {
                Db::Mysql => "ALTER TABLE rows_hand ADD COLUMN flag bool NOT NULL DEFAULT false, ALGORITHM=INSTANT;",
                Db::Sqlite => "ALTER TABLE rows_hand ADD COLUMN flag boolean NOT NULL DEFAULT 0;",
                Db::Postgres => "ALTER TABLE rows_hand ADD COLUMN flag boolean NOT NULL DEFAULT false;",
            }
            .into()
            },
        },
        Step {
            label: "add an index",
            name: "0004_qty_idx",
            operations: || {
                vec![AddIndex::new("Item", Index::new("rows_item_qty_idx", ["qty"])).into()]
            },
            hand: |_, _| "CREATE INDEX rows_hand_qty_idx ON rows_hand (qty);".into(),
        },
        Step {
            label: "add a unique constraint",
            name: "0005_name_uniq",
            operations: || {
                vec![AddConstraint::new(
                    "Item",
                    Constraint::unique("rows_item_name_uniq", ["name"]),
                )
                .into()]
            },
            hand: |db, _| {
                match db {
                    // SQLite cannot add a constraint to a table; a unique index is the in-place
                    // way to the same guarantee.
                    Db::Sqlite => "CREATE UNIQUE INDEX rows_hand_name_uniq ON rows_hand (name);",
                    _ => "ALTER TABLE rows_hand ADD CONSTRAINT rows_hand_name_uniq UNIQUE (name);",
                }
                .into()
            },
        },
        Step {
            label: "alter a column's length (varchar 100 → 200)",
            name: "0006_name_longer",
            operations: || vec![AlterField::new("Item", Field::new("name", Varchar(200))).into()],
            hand: |db, _| {
                match db {
                Db::Postgres => "ALTER TABLE rows_hand ALTER COLUMN name TYPE varchar(200);".into(),
                Db::Mysql => "ALTER TABLE rows_hand MODIFY name varchar(200) NOT NULL;".into(),
                // SQLite keeps the declared type only in the table's text: the documented
                // way to change it is a new table and a copy.
                Db::Sqlite => "BEGIN;\n\
                    CREATE TABLE new__rows_hand (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, name varchar(200) NOT NULL, qty integer NOT NULL, created datetime NOT NULL, note varchar(50) NULL, flag boolean NOT NULL DEFAULT 0, CONSTRAINT rows_hand_name_uniq UNIQUE (name));\n\
                    INSERT INTO new__rows_hand (id, name, qty, created, note, flag) SELECT id, name, qty, created, note, flag FROM rows_hand;\n\
                    DROP TABLE rows_hand;\n\
                    ALTER TABLE new__rows_hand RENAME TO rows_hand;\n\
                    CREATE INDEX rows_hand_name_idx ON rows_hand (name);\n\
                    CREATE INDEX rows_hand_qty_idx ON rows_hand (qty);\n\
                    COMMIT;"
                    .into(),
            }
            },
        },
        Step {
            label: "rename a column",
            name: "0007_rename_qty",
            operations: || vec![RenameField::new("Item", "qty", "quantity").into()],
            hand: |_, _| "ALTER TABLE rows_hand RENAME COLUMN qty TO quantity;".into(),
        },
        Step {
            label: "drop a column",
            name: "0008_remove_note",
            operations: || vec![RemoveField::new("Item", "note").into()],
            hand: |_, _| "ALTER TABLE rows_hand DROP COLUMN note;".into(),
        },
        Step {
            label: "data migration: every row, batches of 10,000",
            name: "0009_fill_flag",
            operations: Vec::new, // written by hand: `DATA_MIGRATION`
            hand: |_, rows| {
                (0..rows.div_ceil(BATCH))
                    .map(|b| {
                        format!(
                            "UPDATE rows_hand SET flag = (quantity % 2 = 0) WHERE id > {} AND id <= {};\n",
                            b * BATCH,
                            (b + 1) * BATCH
                        )
                    })
                    .collect()
            },
        },
    ]
}

/// The data migration, as a user writes it with the tool's key ranges (of `BATCH` rows).
const DATA_MIGRATION: &str = r#"//! Migration rows.0009_fill_flag, written by migrate-bench.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("rows", "0009_fill_flag")
        .depends_on("rows", "0008_remove_note")
        .non_atomic()
        .operations([RunRust::new(forwards).into()])
}

fn forwards<'a>(cx: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(async move {
        let table = cx.table("Item")?;
        let id = cx.quote(&cx.column("Item", "id")?);
        let mut ranges = cx.key_ranges("Item", 10_000)?;
        while let Some(range) = ranges.next(cx).await? {
            let condition = range.condition(&id);
            cx.execute(&format!(
                "UPDATE {table} SET flag = (quantity % 2 = 0) WHERE {condition}"
            ))
            .await?;
        }
        Ok(())
    })
}
"#;

fn initial() -> Migration {
    let model = |name: &str, table: &str, index: &str| -> Operation {
        CreateModel::new(name.to_owned(), table.to_owned())
            .fields([
                Field::auto_id(),
                Field::new("name", Varchar(100)),
                Field::new("qty", Integer),
                Field::new("created", TimestampTz),
            ])
            .indexes([Index::new(index.to_owned(), ["name"])])
            .into()
    };
    Migration::new("rows", "0001_initial")
        .initial()
        .operations([
            model("Item", "rows_item", "rows_item_name_idx"),
            model("Hand", "rows_hand", "rows_hand_name_idx"),
        ])
}

/// The SQL that fills `tables` with `rows` rows each, in ten slices taken in turn: a table
/// filled after the others would be the warmer one in the server's cache (on MariaDB, whose
/// 128 MB buffer pool holds one table of a million rows but not two, the table filled last
/// built an index a third faster). The keys are given, 1 to `rows`, as the hand-written
/// ranges of the data migration assume: InnoDB left by itself reserves keys for an
/// `INSERT … SELECT` in growing blocks, and skipped a fifth of the values between slices.
fn fill(db: Db, rows: usize, tables: &[&str]) -> String {
    let slices = 10;
    let mut sql = String::new();
    for slice in 0..slices {
        let (from, to) = (rows * slice / slices + 1, rows * (slice + 1) / slices);
        if from > to {
            continue;
        }
        let source = match db {
            Db::Postgres => format!(
                "SELECT i, 'item-' || i, i % 1000, now() FROM generate_series({from}, {to}) i"
            ),
            Db::Mysql => format!(
                "SELECT seq, CONCAT('item-', seq), seq % 1000, NOW() FROM seq_{from}_to_{to}"
            ),
            Db::Sqlite => format!(
                "SELECT i, 'item-' || i, i % 1000, datetime('now') FROM (WITH RECURSIVE c(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM c WHERE i < {to}) SELECT i FROM c)"
            ),
        };
        for table in tables {
            sql.push_str(&format!(
                "INSERT INTO {table} (id, name, qty, created) {source};\n"
            ));
        }
    }
    sql
}

/// `sql` sent by the backend's client to the bench database, a statement at a time
/// (autocommit), as a person would paste it.
fn by_hand(db: Db, work: &Path, sql: &str) -> anyhow::Result<Run> {
    let script = work.join("hand.sql");
    std::fs::write(&script, sql)?;
    Ok(match db {
        Db::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.args(["-bail", "-batch"]).arg(Db::sqlite_file(work));
            Run {
                command: c,
                stdin: Some(script),
            }
        }
        Db::Postgres => {
            let mut c = db.client_command(true);
            c.arg("-f").arg(&script);
            c.into()
        }
        Db::Mysql => Run {
            command: db.client_command(true),
            stdin: Some(script),
        },
    })
}

pub fn run(ws: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut rows = 1_000_000usize;
    let mut runs = 1;
    let mut backends = vec![Db::Sqlite, Db::Postgres, Db::Mysql];
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => runs = it.next().context("--runs N")?.parse()?,
            "--backends" => {
                backends = it
                    .next()
                    .context("--backends sqlite,postgres,mysql")?
                    .split(',')
                    .map(|b| match b {
                        "sqlite" => Ok(Db::Sqlite),
                        "postgres" => Ok(Db::Postgres),
                        "mysql" => Ok(Db::Mysql),
                        other => bail!("unknown backend {other}"),
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            n => {
                rows = n.parse().context(
                    "migrate-bench rows [ROWS] [--runs N] [--backends sqlite,postgres,mysql]",
                )?
            }
        }
    }
    if runs == 0 {
        bail!("--runs needs at least one run");
    }
    let work = ws.join("target/bench/rows");
    let logs = work.join("logs");
    let project = Project::create(&work, "bench-rows", ws)?;
    let steps = steps();
    let mut migrations = vec![initial()];
    for step in &steps {
        let previous = migrations.last().expect("the initial one").name.to_string();
        if (step.operations)().is_empty() {
            continue;
        }
        migrations.push(
            Migration::new("rows", step.name)
                .depends_on("rows", previous)
                .operations((step.operations)()),
        );
    }
    project.write_migrations(&migrations)?;
    project.write("migrations/rows/m0009_fill_flag.rs", DATA_MIGRATION)?;
    project.write_models(&ProjectState::new())?;
    let target_dir = ws.join("target/bench/target");
    let status = Command::new(crate::cargo())
        .args(["build", "--release", "--quiet", "--bin", &project.bin()])
        .current_dir(&project.root)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()?;
    if !status.success() {
        bail!("building {}", project.root.display());
    }
    let bin = target_dir.join("release").join(project.bin());
    let python = match crate::fleet::django_python(ws) {
        Ok(python) => Some(python),
        Err(e) => {
            eprintln!("Django: not measured: {e:#}");
            None
        }
    };

    println!("| {rows} rows | operation | migrate | by hand | ratio | Django 5.2 |");
    println!("|---|---|---|---|---|---|");
    for db in backends {
        let url = db.url(&work);
        let migrate = |target: &str, label: &str| {
            let mut c = Command::new(&bin);
            c.args(["migrate", "rows", target, "-q"])
                .env("DATABASE_URL", &url);
            measure::run_once(c.into(), &logs, label)
        };
        let django = |target: &str, label: &str| {
            let python = python.as_ref()?;
            let mut c = Command::new(python);
            c.args(["manage.py", "migrate", "rows", target, "-v", "0"])
                .current_dir(ws.join("bench/django_rows"))
                .envs(django_env(db, &work));
            Some(measure::run_once(c.into(), &logs, label))
        };
        // Before each timed run, untimed, every row of the table it changes is read (a
        // column no index covers), so each side starts with its own table in the server's
        // cache as far as it fits, whatever ran before it. MariaDB's 128 MB buffer pool
        // holds about one of the three tables: without this, the side that ran first after
        // another side's full scan found its table on disk (the data migration was 1.35x
        // by hand one run and 1.16x in a warm repeat by hand).
        // Before that, on MariaDB, InnoDB's purge of the run before is waited for (a million
        // rows updated leave a million undo records, which the purge thread works through on
        // one of the two cores while the next run goes), and the tables' dirty pages are
        // written out (`FLUSH TABLES … FOR EXPORT`): a data migration leaves more of them
        // than the 128 MB buffer pool and 96 MB redo log take, and the side that ran next
        // paid for writing them (the data migration was 1.17x over five runs without this,
        // 1.03x and 1.09x with it).
        let warm = |table: &str, tables: &[&str]| -> anyhow::Result<()> {
            if db == Db::Mysql {
                purged(db, &work)?;
                let flush = format!(
                    "FLUSH TABLES {} FOR EXPORT; UNLOCK TABLES;\n",
                    tables.join(", ")
                );
                measure::run_once(by_hand(db, &work, &flush)?, &logs, "flush")?;
            }
            let read = format!("SELECT MAX(created) FROM {table};\n");
            measure::run_once(by_hand(db, &work, &read)?, &logs, "warm")?;
            Ok(())
        };
        // Per step, each side's runs over the rounds (Django's when measured).
        let mut times = vec![[Vec::new(), Vec::new(), Vec::new()]; steps.len()];
        for _ in 0..runs {
            db.reset(&work)?;
            migrate("0001", &format!("{}-0001", db.dialect()))?;
            let mut tables = vec!["rows_item", "rows_hand"];
            if let Some(done) = django("0001_initial", &format!("{}-django-0001", db.dialect())) {
                done?;
                tables.push("dj_item");
            }
            measure::run_once(by_hand(db, &work, &fill(db, rows, &tables))?, &logs, "fill")?;
            for (step, [ours, hand, theirs]) in steps.iter().zip(&mut times) {
                let label = format!("{}-{}", db.dialect(), step.name);
                warm("rows_item", &tables)?;
                ours.push(migrate(step.name, &label)?);
                warm("rows_hand", &tables)?;
                let sql = (step.hand)(db, rows);
                let run = by_hand(db, &work, &sql)?;
                hand.push(measure::run_once(run, &logs, &format!("{label}-hand"))?);
                if tables.contains(&"dj_item") {
                    warm("dj_item", &tables)?;
                }
                if let Some(run) = django(step.name, &format!("{label}-django")) {
                    theirs.push(run?);
                }
            }
            // Every side did the whole work: a by-hand range that missed keys once made the
            // hand-written data migration look faster by the rows it left out.
            for table in &tables {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE flag <> (quantity % 2 = 0)");
                let missed = answer(db, &work, &sql)?;
                if missed != "0" {
                    bail!(
                        "{}: the data migration left {missed} rows of {table} out",
                        db.label()
                    );
                }
            }
        }
        for (step, [ours, hand, theirs]) in steps.iter().zip(&times) {
            let all = |runs: &[measure::Sample]| -> Vec<String> {
                runs.iter().map(|s| crate::seconds(s.wall)).collect()
            };
            eprintln!(
                "  {} {}: migrate {:?}, by hand {:?}",
                db.label(),
                step.label,
                all(ours),
                all(hand)
            );
            let median = |runs: &[measure::Sample]| measure::Summary::of(runs).median;
            let (ours, hand) = (median(ours), median(hand));
            let theirs = if theirs.is_empty() {
                "not measured".into()
            } else {
                crate::seconds(median(theirs))
            };
            println!(
                "| {} | {} | {} | {} | {:.2} | {theirs} |",
                db.label(),
                step.label,
                crate::seconds(ours),
                crate::seconds(hand),
                ours.as_secs_f64() / hand.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// The one value `sql` answers in the bench database, as the backend's client prints it.
fn answer(db: Db, work: &Path, sql: &str) -> anyhow::Result<String> {
    let mut c = match db {
        Db::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.arg("-batch").arg(Db::sqlite_file(work));
            c
        }
        Db::Postgres => {
            let mut c = db.client_command(true);
            c.arg("-At");
            c.arg("-c");
            c
        }
        Db::Mysql => {
            let mut c = db.client_command(true);
            c.args(["-N", "-e"]);
            c
        }
    };
    let out = c.arg(sql).output()?;
    if !out.status.success() {
        bail!("{sql}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Waits (up to two minutes) until InnoDB's history list, the undo records its purge
/// thread has still to go through, is short.
fn purged(db: Db, work: &Path) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    loop {
        let status = answer(db, work, "SHOW ENGINE INNODB STATUS")?;
        let length = status
            .split("History list length ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<u64>().ok())
            .context("reading InnoDB's history list length")?;
        if length < 1_000 || start.elapsed() > Duration::from_secs(120) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Where Django's settings (`bench/django_rows/rowsbench/settings.py`) find the bench
/// database: the same one, its table being `dj_item`.
fn django_env(db: Db, work: &Path) -> Vec<(&'static str, String)> {
    let mut env = vec![("ROWS_BACKEND", db.dialect().to_owned())];
    match db {
        Db::Sqlite => env.push(("ROWS_DATABASE", Db::sqlite_file(work).display().to_string())),
        _ => {
            let parts = crate::url_parts(&db.server());
            env.push(("ROWS_DATABASE", crate::BENCH_DB.to_owned()));
            env.push(("ROWS_USER", parts.user));
            env.push(("ROWS_HOST", parts.host));
            if let Some(port) = parts.port {
                env.push(("ROWS_PORT", port));
            }
            if let Some(password) = parts.password {
                env.push(("ROWS_PASSWORD", password));
            }
        }
    }
    env
}
