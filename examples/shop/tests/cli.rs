//! The shop's real `migrate` binary, run as a user runs it.

use std::process::Command;

fn migrate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .output()
        .expect("the migrate binary runs")
}

#[test]
fn schema_prints_every_registered_model() {
    let out = migrate(&["schema"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let tables: Vec<&str> = stdout.lines().filter(|l| l.starts_with("table ")).collect();
    assert_eq!(
        tables,
        [
            "table catalog_product (catalog.Product)",
            "table catalog_productvariant (catalog.ProductVariant)",
            "table customers_customer (customers.Customer)",
            "table customers_customer_favourite_products (join table of customers.Customer.favourite_products)",
            "table tenants_subscriptiontier (tenants.SubscriptionTier)",
            "table tenants_tenant (tenants.Tenant)",
            "table tenants_tenantsettings (tenants.TenantSettings)",
        ]
    );
}

#[test]
fn schema_of_one_app_includes_its_join_tables() {
    let out = migrate(&["schema", "customers"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let tables: Vec<&str> = stdout.lines().filter(|l| l.starts_with("table ")).collect();
    assert_eq!(tables.len(), 2, "{stdout}");
}

#[test]
fn an_unknown_app_is_an_error_listing_the_apps() {
    let out = migrate(&["schema", "billing"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: no app `billing` among the models; apps: catalog, customers, tenants"
    );
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    assert_eq!(migrate(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn sqlmigrate_renders_any_dialect_without_a_server() {
    let out = migrate(&["sqlmigrate", "catalog", "0002", "--dialect", "postgres"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "BEGIN;\n-- Alter field name on product\nALTER TABLE \"catalog_product\" ALTER COLUMN \"name\" TYPE varchar(200) USING \"name\"::varchar(200);\nCOMMIT;\n"
    );
    let back = migrate(&[
        "sqlmigrate",
        "catalog",
        "0002",
        "--backwards",
        "--dialect",
        "mysql",
    ]);
    assert_eq!(
        String::from_utf8(back.stdout).unwrap(),
        "-- Alter field name on product\nALTER TABLE `catalog_product` MODIFY COLUMN `name` varchar(120) NOT NULL;\n",
        "MySQL has no transactional DDL: no BEGIN/COMMIT"
    );
    let unknown = migrate(&["sqlmigrate", "catalog", "0009", "--dialect", "sqlite"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr).trim(),
        "error: no migration catalog.0009 (nor one whose name starts with it)"
    );
}

#[test]
fn the_database_url_comes_from_a_dotenv_file_and_its_password_is_never_printed() {
    let dir = std::env::temp_dir().join("migrate-shop-dotenv");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        "DATABASE_URL=\"sqlite://from-dotenv.sqlite3\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["migrate", "tenants", "0001"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("from-dotenv.sqlite3").exists(),
        "the .env URL was used"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args([
            "showmigrations",
            "--database-url",
            "postgres://app:s3cret@127.0.0.1:1/nowhere",
        ])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        all.contains("postgres://app:***@127.0.0.1:1/nowhere"),
        "{all}"
    );
    assert!(!all.contains("s3cret"), "{all}");
}

/// `.env` as the ecosystem writes it: spaces around `=`, a comment, `${VAR}`.
#[test]
fn dotenv_is_read_as_dotenvy_reads_it() {
    let dir = std::env::temp_dir().join("migrate-shop-dotenvy");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        "# the shop's database\nDATABASE_URL = sqlite://${SHOP_DIR}/from-dotenv.sqlite3?mode=rwc # not part of it\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["migrate"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env("SHOP_DIR", &dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(dir.join("from-dotenv.sqlite3").exists());
    assert!(!dir.join("db.sqlite3").exists());
    assert!(!stderr.contains("no database configured"), "{stderr}");

    // A line dotenvy cannot read is reported without its text (it may hold a password).
    std::fs::write(
        dir.join(".env"),
        "DATABASE_URL=postgres://u:S3cr3tPw@127.0.0.1:1/db 'unclosed\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["showmigrations"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: .env: a line cannot be read"),
        "{stderr}"
    );
    assert!(!stderr.contains("S3cr3tPw"), "{stderr}");

    // Nothing configured: the default, and stderr says where it is.
    std::fs::remove_file(dir.join(".env")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["showmigrations"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no database configured (--database-url, DATABASE_URL or .env): using the embedded default sqlite://db.sqlite3, the file db.sqlite3 in"),
        "{stderr}"
    );
}

#[test]
fn version_and_help_print_and_exit_zero() {
    let out = migrate(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("migrate {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = migrate(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: migrate"));
}

/// `migrate schema | head -1`: the reader closes the pipe before the output ends, and the
/// program ends quietly instead of printing "error: Broken pipe".
#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_migrate"))
            .arg("schema")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn migrate_names_an_unknown_app_before_printing_a_plan() {
    let dir = std::env::temp_dir().join("migrate-shop-cli-unknown-app");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    for args in [
        &["migrate", "billing"][..],
        &["migrate", "billing", "zero"],
        &["migrate", "billing", "--plan"],
        &["showmigrations", "billing"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            "error: app billing has no migrations; apps: catalog, customers, tenants",
            "{args:?}"
        );
    }
}

/// The file a confirmed squash of catalog 0001..0002 would write into the shop's sources.
const CATALOG_SQUASH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/migrations/catalog/m0001_initial_squashed_0002_alter_product_name.rs"
);

/// `squashmigrations catalog 0002` answered with `input`, which must not write its file
/// (removed again if it did, so a failure leaves the shop's sources as they were).
fn unconfirmed_squash(input: &str) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command.args(["squashmigrations", "catalog", "0002"]);
    let out = migrate_tests::output_with_input(command, input);
    let written = std::path::Path::new(CATALOG_SQUASH).exists();
    if written {
        std::fs::remove_file(CATALOG_SQUASH).unwrap();
    }
    assert!(!written, "an unconfirmed squash wrote its file");
    out
}

#[test]
fn squashmigrations_asks_first_and_no_writes_nothing() {
    let out = unconfirmed_squash("n\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Will squash the following migrations:\n - 0001_initial\n - 0002_alter_product_name\nDo you wish to proceed? [y/N] Nothing squashed.\n"
    );
}

#[test]
fn squashmigrations_without_an_answer_fails_and_names_noinput() {
    let out = unconfirmed_squash("");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("pass --noinput"), "{stderr}");
}

#[test]
fn squashmigrations_takes_one_or_two_names() {
    for args in [
        &["squashmigrations", "catalog"][..],
        &["squashmigrations", "catalog", "0001", "0002", "0003"],
    ] {
        let out = migrate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("Usage: migrate squashmigrations [OPTIONS] <APP> [FROM] <TO>"),
            "{stderr}"
        );
    }
}

#[test]
fn completions_complete_commands_and_flags_in_bash() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = migrate(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("squashmigrations"), "{shell}: {script}");
    }
    assert_eq!(migrate(&["completions", "tcsh"]).status.code(), Some(2));

    // The bash script, sourced as a user would, completes a command and a flag.
    let probe = format!(
        r#"source <("{bin}" completions bash)
COMP_WORDS=(migrate squash); COMP_CWORD=1; _migrate migrate squash migrate; echo "${{COMPREPLY[@]}}"
COMP_WORDS=(migrate migrate --pl); COMP_CWORD=2; _migrate migrate --pl migrate; echo "${{COMPREPLY[@]}}""#,
        bin = env!("CARGO_BIN_EXE_migrate")
    );
    let out = Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("bash runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "squashmigrations\n--plan\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
