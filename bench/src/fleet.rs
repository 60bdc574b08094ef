//! `migrate-bench fleet [SCHEMAS] [--jobs N]`: the shop's tenant apps in SCHEMAS PostgreSQL
//! schemas (default 1,000) of one database, migrated as a fleet (`migrate --schemas-query`):
//! (a) the first migration of all of them, (b) one new migration on all of them, (c) nothing
//! pending; beside (b), the same SQL sent by `psql` over one connection, the DDL's floor.
//!
//! django-tenants' `migrate_schemas` is not run here (it needs Django, django-tenants and a
//! Django project of the same models); its figures belong beside these when it is.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

const DB: &str = "migrate_bench_fleet";
const QUERY: &str = "SELECT schema_name FROM public.tenants ORDER BY 1";

fn server() -> String {
    std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn url() -> String {
    let server = server();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    format!("{base}/{DB}")
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
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--jobs" => jobs = it.next().context("--jobs N")?.clone(),
            n => {
                schemas = n
                    .parse()
                    .context("migrate-bench fleet [SCHEMAS] [--jobs N]")?
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
    psql(
        &server(),
        &[
            "-c",
            &format!("DROP DATABASE IF EXISTS {DB}"),
            "-c",
            &format!("CREATE DATABASE {DB}"),
        ],
    )?;
    psql(
        &url(),
        &[
            "-c",
            &format!(
                "CREATE TABLE public.tenants (schema_name text); \
                 INSERT INTO public.tenants SELECT 'tenant_' || lpad(i::text, 5, '0') FROM generate_series(1, {schemas}) i; \
                 DO $$ DECLARE r record; BEGIN FOR r IN SELECT schema_name FROM public.tenants LOOP EXECUTE 'CREATE SCHEMA ' || r.schema_name; END LOOP; END $$;"
            ),
        ],
    )?;
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
    Ok(())
}
