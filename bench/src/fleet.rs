//! `migrate-bench fleet [SCHEMAS] [--jobs N] [--no-django]`: the shop's tenant apps in SCHEMAS
//! PostgreSQL schemas (default 1,000) of one database, migrated as a fleet (`migrate
//! --schemas-query`): (a) the first migration of all of them, (b) one new migration on all of
//! them, (c) nothing pending; beside (b), the same SQL sent by `psql` over one connection, the
//! DDL's floor.
//!
//! Then django-tenants' `migrate_schemas` on as many schemas of another database, with the
//! same tables written as Django models (`bench/django_tenants/`), sequential and with its
//! multiprocessing executor: in a virtualenv at `target/bench-venv`, made with pip when it is
//! not there; when Python or the packages cannot be had, the table says why.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

const DB: &str = "migrate_bench_fleet";
/// django-tenants' database.
const DJANGO_DB: &str = "migrate_bench_dt";
/// What the comparison installs: Django 5.2 (as the suite's other Django figures), and the
/// django-tenants release that supports it.
/// PyMySQL (pure Python) is for the rows benchmark's MariaDB runs.
const DJANGO_PACKAGES: [&str; 4] = [
    "django==5.2.*",
    "django-tenants==4.0.*",
    "psycopg2-binary==2.9.*",
    "pymysql==1.1.*",
];
const QUERY: &str = "SELECT schema_name FROM public.tenants ORDER BY 1";

fn server() -> String {
    std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn url() -> String {
    database_url(DB)
}

fn database_url(db: &str) -> String {
    let server = server();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    format!("{base}/{db}")
}

/// Drops and creates `db`.
fn recreate(db: &str) -> anyhow::Result<()> {
    psql(
        &server(),
        &[
            "-c",
            &format!("DROP DATABASE IF EXISTS {db}"),
            "-c",
            &format!("CREATE DATABASE {db}"),
        ],
    )?;
    Ok(())
}

/// Adds `schemas` schemas and their rows in `table` (with `extra` columns' values).
fn tenants(db: &str, schemas: usize, table: &str, extra: &str) -> anyhow::Result<()> {
    let (columns, values) = match extra {
        "" => (String::new(), String::new()),
        extra => {
            let (c, v) = extra.split_once('=').context("column=value")?;
            (format!(", {c}"), format!(", {v}"))
        }
    };
    psql(
        &database_url(db),
        &[
            "-c",
            &format!(
                "INSERT INTO {table} (schema_name{columns}) SELECT 'tenant_' || lpad(i::text, 5, '0'){values} FROM generate_series(1, {schemas}) i; \
                 DO $$ DECLARE r record; BEGIN FOR r IN SELECT schema_name FROM {table} LOOP EXECUTE 'CREATE SCHEMA ' || r.schema_name; END LOOP; END $$;"
            ),
        ],
    )?;
    Ok(())
}

fn psql(url: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .arg(url)
        .args(["-q", "-X", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .output()
        .context("running psql")?;
    if !out.status.success() {
        bail!(
            "psql {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the shop's binary; how long it took.
fn shop(bin: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .env("DATABASE_URL", url())
        .output()
        .context("running the shop's migrate")?;
    let took = start.elapsed();
    if !out.status.success() {
        bail!(
            "migrate {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

pub fn run(ws: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut schemas = 1000usize;
    let mut jobs = "8".to_owned();
    let mut django = true;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--jobs" => jobs = it.next().context("--jobs N")?.clone(),
            "--no-django" => django = false,
            n => {
                schemas = n
                    .parse()
                    .context("migrate-bench fleet [SCHEMAS] [--jobs N] [--no-django]")?
            }
        }
    }
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--offline",
            "-q",
            "-p",
            "shop",
            "--bin",
            "migrate",
        ])
        .current_dir(ws)
        .status()?;
    if !status.success() {
        bail!("building the shop");
    }
    let bin = ws.join("target").join("release").join("migrate");
    recreate(DB)?;
    psql(
        &url(),
        &["-c", "CREATE TABLE public.tenants (schema_name text)"],
    )?;
    tenants(DB, schemas, "public.tenants", "")?;
    let fleet = ["--schemas-query", QUERY, "--jobs", &jobs, "-q"];
    let migrate = |extra: &[&str]| {
        let mut a = vec!["migrate"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&fleet);
        shop(&bin, &a)
    };
    let first = migrate(&[])?;
    // One migration back everywhere, then forwards: the new one on every schema.
    migrate(&["catalog", "0003"])?;
    let one_new = migrate(&[])?;
    let nothing = migrate(&[])?;

    // The floor: the same statements and history row per schema, sent by psql over one
    // connection, a transaction per schema.
    migrate(&["catalog", "0003"])?;
    let out = Command::new(&bin)
        .args(["sqlmigrate", "catalog", "0004", "--dialect", "postgres"])
        .output()?;
    let sql = String::from_utf8_lossy(&out.stdout).into_owned();
    // sqlmigrate's script is `BEGIN; … COMMIT;`: the history row goes in before COMMIT.
    let body = sql
        .trim_end()
        .strip_suffix("COMMIT;")
        .context("a transactional script")?;
    let mut script = String::new();
    for i in 1..=schemas {
        script.push_str(&format!(
            "SET search_path TO tenant_{i:05};\n{body}\nINSERT INTO migrate_migrations (app, name, applied_at) VALUES ('catalog', '0004_product_status', now());\nCOMMIT;\n"
        ));
    }
    let file = ws.join("target").join("bench-fleet.sql");
    std::fs::write(&file, script)?;
    let start = Instant::now();
    psql(&url(), &["-f", file.to_str().context("a UTF-8 path")?])?;
    let floor = start.elapsed();
    // Put the fleet where the floor left it, as migrate would have.
    let checked = shop(
        &bin,
        &["migrate", "--check", "--schemas-query", QUERY, "-q"],
    );

    let per = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0 / schemas as f64);
    println!(
        "| {schemas} PostgreSQL schemas, the shop's apps, --jobs {jobs} | wall | per schema |"
    );
    println!("|---|---|---|");
    println!(
        "| (a) first migration of all (12 migrations each) | {:.2} s | {} |",
        first.as_secs_f64(),
        per(first)
    );
    println!(
        "| (b) one new migration on all | {:.2} s | {} |",
        one_new.as_secs_f64(),
        per(one_new)
    );
    println!(
        "| (b) the same SQL and history row by psql, one connection | {:.2} s | {} |",
        floor.as_secs_f64(),
        per(floor)
    );
    println!(
        "| (c) nothing pending | {:.2} s | {} |",
        nothing.as_secs_f64(),
        per(nothing)
    );
    println!(
        "\n(b) / floor: {:.2}; after the floor, every schema is {}",
        one_new.as_secs_f64() / floor.as_secs_f64(),
        if checked.is_ok() {
            "up to date"
        } else {
            "NOT up to date"
        }
    );
    if django {
        println!();
        match django_tenants(ws, schemas) {
            Ok(rows) => {
                println!("| django-tenants `migrate_schemas`, {schemas} schemas | (a) first migration (4 each) | (b) one new migration | (c) nothing pending |");
                println!("|---|---|---|---|");
                for (executor, [a, b, c]) in rows {
                    let cell = |d: Duration| format!("{:.2} s ({})", d.as_secs_f64(), per(d));
                    println!("| {executor} | {} | {} | {} |", cell(a), cell(b), cell(c));
                }
            }
            Err(e) => println!("django-tenants: not measured: {e:#}"),
        }
    }
    Ok(())
}

/// The virtualenv's Python, with Django, django-tenants and the database drivers: made with
/// pip when missing.
pub(crate) fn django_python(ws: &Path) -> anyhow::Result<std::path::PathBuf> {
    let venv = ws.join("target").join("bench-venv");
    let python = venv.join("bin").join("python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import django_tenants, psycopg2, pymysql"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .context("running python3 -m venv")?;
    if !made.status.success() {
        bail!(
            "python3 -m venv: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        );
    }
    let pip = Command::new(&python)
        .args(["-m", "pip", "install", "-q"])
        .args(DJANGO_PACKAGES)
        .output()
        .context("running pip")?;
    if !pip.status.success() || !ready(&python) {
        bail!(
            "pip install {DJANGO_PACKAGES:?}: {}",
            String::from_utf8_lossy(&pip.stderr).trim()
        );
    }
    Ok(python)
}

/// django-tenants' (a), (b) and (c) on `schemas` schemas, per executor.
fn django_tenants(ws: &Path, schemas: usize) -> anyhow::Result<Vec<(String, [Duration; 3])>> {
    let python = django_python(ws)?;
    let project = ws.join("bench").join("django_tenants");
    let (host, port) = {
        let server = server();
        let after = server.split_once('@').map_or(server.as_str(), |(_, h)| h);
        let hostport = after.split('/').next().unwrap_or("127.0.0.1:5432");
        let (h, p) = hostport.split_once(':').unwrap_or((hostport, "5432"));
        (h.to_owned(), p.to_owned())
    };
    let processes = std::thread::available_parallelism().map_or(2, usize::from);
    let manage = |args: &[&str]| -> anyhow::Result<Duration> {
        let start = Instant::now();
        let out = Command::new(&python)
            .arg("manage.py")
            .args(args)
            .args(["-v", "0"])
            .current_dir(&project)
            .env("DT_DATABASE", DJANGO_DB)
            .env("DT_HOST", &host)
            .env("DT_PORT", &port)
            .env("DT_PROCESSES", processes.to_string())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .context("running manage.py")?;
        let took = start.elapsed();
        if !out.status.success() {
            bail!(
                "manage.py {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(took)
    };
    let mut rows = Vec::new();
    for (executor, label) in [
        ("standard", "sequential".to_owned()),
        (
            "multiprocessing",
            format!("`--executor multiprocessing`, {processes} processes"),
        ),
    ] {
        recreate(DJANGO_DB)?;
        manage(&["migrate_schemas", "--shared"])?;
        tenants(DJANGO_DB, schemas, "public_app_client", "name='t'")?;
        let run = ["migrate_schemas", "--tenant", "--executor", executor];
        let first = manage(&run)?;
        manage(&[
            "migrate_schemas",
            "--tenant",
            "--executor",
            executor,
            "catalog",
            "0001",
        ])?;
        let one_new = manage(&run)?;
        let nothing = manage(&run)?;
        // Every schema has the new column.
        let n = psql(
            &database_url(DJANGO_DB),
            &[
                "-At",
                "-c",
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'catalog_product' AND column_name = 'status'",
            ],
        )?;
        if n.trim() != schemas.to_string() {
            bail!(
                "django-tenants left {} of {schemas} schemas with the new column",
                n.trim()
            );
        }
        rows.push((label, [first, one_new, nothing]));
    }
    Ok(rows)
}
