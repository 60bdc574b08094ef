//! What the shop's binary says about the database it talks to: never a credential, and
//! while another run holds this database's lock, that it waits (and only for a run on the
//! same database).

use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

use migrate_core::schema::Backend;
use migrate_tests::db::TestDb;
use sqlx::{AnyConnection, Connection};

const SECRET: &str = "S3cr3tPw";

fn migrate_at(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("the migrate binary runs")
}

fn all_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `scheme://user:SECRET@host/db?password=SECRET&…`: trust authentication on the test
/// PostgreSQL takes any password, so the run succeeds and prints what it prints.
fn with_secret(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host) = rest.split_once('@').unwrap();
    let user = userinfo.split(':').next().unwrap();
    format!("{scheme}://{user}:{SECRET}@{host}?password={SECRET}&sslpassword={SECRET}")
}

#[test]
fn no_credential_is_printed_at_any_verbosity_or_on_failure() {
    if let Some(db) = TestDb::create(Backend::Postgres, "shop_secret") {
        let url = with_secret(&db.url);
        for args in [
            &["migrate", "--plan"][..],
            &["migrate", "-v", "2"],
            &["showmigrations"],
            &["migrate", "--check"],
            &["sqlmigrate", "catalog", "0001"],
        ] {
            let out = migrate_at(&url, args);
            let text = all_text(&out);
            assert!(out.status.success(), "{args:?}: {text}");
            assert!(
                !text.contains(SECRET),
                "{args:?} printed the password:\n{text}"
            );
        }
        let out = migrate_at(&url, &["migrate"]);
        assert!(
            all_text(&out).contains("postgres:***@"),
            "{}",
            all_text(&out)
        );
    }
    // Refused connections: a closed port, a wrong password on MariaDB.
    let refused = [
        format!("postgres://postgres:{SECRET}@127.0.0.1:1/db?password={SECRET}"),
        format!("mysql://root:{SECRET}@127.0.0.1:3306/test?password={SECRET}"),
        format!("ftp://root:{SECRET}@127.0.0.1/db"),
    ];
    for url in refused {
        let out = migrate_at(&url, &["migrate"]);
        let text = all_text(&out);
        assert_eq!(out.status.code(), Some(1), "{url}: {text}");
        assert!(
            !text.contains(SECRET),
            "{url}: printed the password:\n{text}"
        );
    }
}

/// Holds `db`'s migration lock from another connection for `hold`, once taken (the
/// returned receiver says when).
fn hold_lock(db: &TestDb, hold: Duration) -> (std::thread::JoinHandle<()>, mpsc::Receiver<()>) {
    let (taken, rx) = mpsc::channel();
    let (url, backend) = (db.url.clone(), db.backend);
    let holder = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let mut conn = AnyConnection::connect(&url).await.unwrap();
            let (take, release) = match backend {
                Backend::Postgres => (
                    "SELECT 1 FROM (SELECT pg_advisory_lock(7268519846528373)) AS l".to_owned(),
                    "SELECT 1 FROM (SELECT pg_advisory_unlock(7268519846528373)) AS l".to_owned(),
                ),
                _ => {
                    let name = "CONCAT('migrate:', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', 'migrate_migrations')))";
                    (
                        format!("SELECT GET_LOCK({name}, 10)"),
                        format!("SELECT RELEASE_LOCK({name})"),
                    )
                }
            };
            sqlx::raw_sql(&take).execute(&mut conn).await.unwrap();
            taken.send(()).unwrap();
            tokio::time::sleep(hold).await;
            sqlx::raw_sql(&release).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        });
    });
    (holder, rx)
}

#[test]
fn a_run_waits_for_the_lock_of_its_own_database_only_and_says_so() {
    for backend in [Backend::Postgres, Backend::Mysql] {
        let (Some(busy), Some(other)) = (
            TestDb::create(backend, "shop_lock_busy"),
            TestDb::create(backend, "shop_lock_other"),
        ) else {
            continue;
        };
        // A lock held on another database of the same server: no waiting.
        let (busy_holder, taken) = hold_lock(&busy, Duration::from_secs(5));
        taken.recv().unwrap();
        let out = migrate_at(&other.url, &["migrate"]);
        let text = all_text(&out);
        assert!(out.status.success(), "{backend}: {text}");
        assert!(!text.contains("Waiting"), "{backend}: {text}");

        // Its own database's lock: it says so, waits, and then runs.
        let fresh = TestDb::create(backend, "shop_lock_wait").unwrap();
        let (holder, taken) = hold_lock(&fresh, Duration::from_secs(2));
        taken.recv().unwrap();
        let out = migrate_at(&fresh.url, &["migrate"]);
        let text = all_text(&out);
        holder.join().unwrap();
        assert!(out.status.success(), "{backend}: {text}");
        assert!(
            text.contains("Waiting for another migrate run on"),
            "{backend}: {text}"
        );
        assert!(
            text.contains("Applying catalog.0001_initial... OK"),
            "{backend}: {text}"
        );
        busy_holder.join().unwrap();
    }
}

/// `sslmode=require`, as managed PostgreSQL services are usually configured: the run
/// connects over TLS (a build without TLS fails with "SQLx was built without TLS support").
#[test]
fn postgres_over_tls() {
    let Some(db) = TestDb::create(Backend::Postgres, "shop_tls") else {
        return;
    };
    let url = format!("{}?sslmode=require", db.url);
    let out = migrate_at(&url, &["migrate"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let out = migrate_at(&url, &["showmigrations"]);
    assert!(
        all_text(&out).contains("[X] 0001_initial"),
        "{}",
        all_text(&out)
    );
}
