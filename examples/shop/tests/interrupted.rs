//! Runs killed at any moment on MariaDB, where DDL commits statement by statement: each
//! kill is followed by the same command run again, which must end with the schema and the
//! history of a run that was never interrupted (one kill in five is followed by the other
//! direction instead: giving up on it; one in five by two runs at once). The kill moments are spread over the length
//! of an uninterrupted run, measured first, so they land before, inside and between
//! migrations; the counts of those that left a migration part-way are printed.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use migrate_core::schema::Backend;
use migrate_tests::db::{Schema, TestDb};

const KILLS: u32 = 50;

fn command(db: &TestDb, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migrate"));
    c.args(args)
        .env("DATABASE_URL", &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[track_caller]
fn ok(db: &TestDb, args: &[&str]) -> Output {
    let out = command(db, args).output().expect("the migrate binary runs");
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn has_table(db: &TestDb, table: &str) -> bool {
    !db.rows(&format!(
        "SELECT 'yes' FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
    ))
    .is_empty()
}

/// The schema and the history rows (none before the history table exists).
fn snapshot(db: &TestDb) -> (Schema, Vec<Vec<String>>) {
    let q = |s: &str| migrate_core::schema::quote(db.backend, s);
    if !has_table(db, migrate_core::recorder::TABLE) {
        return (db.introspect(), Vec::new());
    }
    let history = db.rows(&format!(
        "SELECT {}, {} FROM {} ORDER BY 1, 2",
        q("app"),
        q("name"),
        q(migrate_core::recorder::TABLE)
    ));
    (db.introspect(), history)
}

fn partial_rows(db: &TestDb) -> usize {
    if !has_table(db, migrate_core::recorder::PROGRESS_TABLE) {
        return 0;
    }
    db.rows(&format!(
        "SELECT 'row' FROM {}",
        migrate_core::recorder::PROGRESS_TABLE
    ))
    .len()
}

/// Starts `args` and kills it (SIGKILL) after `delay`.
fn kill_after(db: &TestDb, args: &[&str], delay: Duration) {
    let mut child: Child = command(db, args).spawn().expect("the migrate binary runs");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// The `i`th of `KILLS` moments over `span`: evenly spread, with a fixed jitter.
fn moment(i: u32, span: Duration) -> Duration {
    let jitter = (i * 7919 % 13) as f64 / 13.0;
    span.mul_f64((f64::from(i) + jitter) / f64::from(KILLS))
}

#[test]
fn runs_killed_at_any_moment_are_continued_to_the_same_schema_and_history() {
    let Some(reference) = TestDb::create(Backend::Mysql, "shop_kill_reference") else {
        return;
    };
    let started = Instant::now();
    ok(&reference, &["migrate"]);
    let forwards_span = started.elapsed().mul_f64(1.2);
    let applied = snapshot(&reference);
    let started = Instant::now();
    ok(&reference, &["migrate", "tenants", "zero"]);
    let backwards_span = started.elapsed().mul_f64(1.2);
    let unapplied = snapshot(&reference);

    let mut partial_forwards = 0;
    for i in 0..KILLS {
        let db = TestDb::create(Backend::Mysql, "shop_kill_forwards").unwrap();
        kill_after(&db, &["migrate"], moment(i, forwards_span));
        partial_forwards += usize::from(partial_rows(&db) > 0);
        if i % 5 == 4 {
            // Giving up instead: all the way back, then forwards.
            ok(&db, &["migrate", "tenants", "zero"]);
            assert_eq!(snapshot(&db), unapplied, "forwards kill {i}, given up");
        }
        if i % 5 == 2 {
            // Two runs at once: the lock lets one continue it, the other finds it done.
            let other = command(&db, &["migrate"]).spawn().unwrap();
            ok(&db, &["migrate"]);
            let other = other.wait_with_output().unwrap();
            assert!(other.status.success(), "forwards kill {i}: {other:?}");
        }
        ok(&db, &["migrate"]);
        assert_eq!(snapshot(&db), applied, "forwards kill {i}");
        assert_eq!(partial_rows(&db), 0, "forwards kill {i}");
    }

    let mut partial_backwards = 0;
    for i in 0..KILLS {
        let db = TestDb::create(Backend::Mysql, "shop_kill_backwards").unwrap();
        ok(&db, &["migrate"]);
        kill_after(
            &db,
            &["migrate", "tenants", "zero"],
            moment(i, backwards_span),
        );
        partial_backwards += usize::from(partial_rows(&db) > 0);
        if i % 5 == 4 {
            // Giving up instead: forwards again, whole.
            ok(&db, &["migrate"]);
            assert_eq!(snapshot(&db), applied, "backwards kill {i}, given up");
        }
        ok(&db, &["migrate", "tenants", "zero"]);
        assert_eq!(snapshot(&db), unapplied, "backwards kill {i}");
        // And forwards again from there.
        ok(&db, &["migrate"]);
        assert_eq!(snapshot(&db), applied, "backwards kill {i}, then forwards");
    }
    // Killed twice: forwards, then while giving up on that (going back to zero).
    let mut partial_give_ups = 0;
    for i in 0..KILLS / 2 {
        let db = TestDb::create(Backend::Mysql, "shop_kill_give_up").unwrap();
        kill_after(&db, &["migrate"], moment(2 * i, forwards_span));
        let partial = partial_rows(&db) > 0;
        kill_after(
            &db,
            &["migrate", "tenants", "zero"],
            moment(KILLS - 1 - 2 * i, backwards_span),
        );
        partial_give_ups += usize::from(partial && partial_rows(&db) > 0);
        ok(&db, &["migrate", "tenants", "zero"]);
        assert_eq!(snapshot(&db), unapplied, "give-up kill {i}");
        ok(&db, &["migrate"]);
        assert_eq!(snapshot(&db), applied, "give-up kill {i}, then forwards");
    }
    eprintln!(
        "{KILLS} forwards kills over {forwards_span:?}: {partial_forwards} left a migration part-way; \
         {KILLS} backwards kills over {backwards_span:?}: {partial_backwards} did; \
         {} kills of a run going back from a forwards kill: {partial_give_ups} left one part-way; \
         every rerun completed",
        KILLS / 2
    );
    // The moments are meant to land inside migrations too; if none did, the test proved
    // nothing about resuming.
    assert!(partial_forwards > 0 && partial_backwards > 0);
}
