//! Hostile names and values, end to end: a project whose app is a Rust keyword, whose table,
//! column, index and constraint names hold quotes, backticks, backslashes, `;`, `--`, `$$`,
//! SQL keywords, unicode and 63 bytes, and whose string defaults try to end their literal.
//! `makemigrations` writes it, `migrate` applies it forwards and back to `zero` on every
//! backend, and the catalog shows exactly those names and values; the table the payloads
//! aim at is still there, row and all.

use migrate_core::schema::{quote, Backend};
use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

const TABLE: &str = "order\"s`; -- \\";
const INDEX_PG: &str = "ix\" ON \"t\" (\"n\"); DROP TABLE victim; --";
const INDEX_MY: &str = "ix` ON `t` (`n`); DROP TABLE victim; #";
const UNIQUE: &str = "uq'\\$$ select";
const CHECK: &str = "ck \"group\" `by`";
const DEFAULT_BACKSLASH: &str = "\\')); DROP TABLE victim; #";
const DEFAULT_DOLLAR: &str = "$$; DROP TABLE victim; $$ -- '\"`";
const UNICODE_COLUMN: &str = "naïve ünïcode ✓";
const LONG_COLUMN: &str = "a_column_name_of_exactly_sixty_three_bytes_which_is_pg_maximum1";

/// The models, with every name and value written as a Rust string literal.
fn models() -> String {
    let lit = |s: &str| format!("{s:?}");
    format!(
        r#"
#[derive(Model)]
#[model(app = "type", table = {table},
        indexes(index(name = {index_pg}, fields = ["select"]),
                index(name = {index_my}, fields = ["type"])),
        constraints(unique(name = {unique}, fields = ["group_"]),
                    check(name = {check}, expr = "1 = 1")))]
pub struct Select {{
    pub r#type: i32,
    pub select: i32,
    #[field(max_length = 50, db_column = "group")]
    pub group_: String,
    #[field(max_length = 100, default = {backslash})]
    pub evil_default: String,
    #[field(max_length = 100, default = {dollar})]
    pub dollar: String,
    #[field(db_column = {unicode})]
    pub unicode: i32,
    #[field(db_column = {long})]
    pub long_name: i32,
}}

#[derive(Model)]
#[model(app = "type")]
pub struct Order {{
    #[field(on_delete = Cascade)]
    pub r#where: ForeignKey<Select>,
    pub picks: ManyToMany<Select>,
}}
"#,
        table = lit(TABLE),
        index_pg = lit(INDEX_PG),
        index_my = lit(INDEX_MY),
        unique = lit(UNIQUE),
        check = lit(CHECK),
        backslash = lit(DEFAULT_BACKSLASH),
        dollar = lit(DEFAULT_DOLLAR),
        unicode = lit(UNICODE_COLUMN),
        long = lit(LONG_COLUMN),
    )
}

#[test]
fn hostile_names_and_values_are_stored_exactly_and_run_nothing() {
    assert_eq!(LONG_COLUMN.len(), 63);
    let p = TestProject::new("hostile");
    p.models(&models());
    let out = p.migrate(&["makemigrations", "--noinput"], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(p.exists("migrations/type/m0001_initial.rs"), "{stdout}");
    p.build();

    for db in TestDb::all("hostile") {
        let q = |s: &str| quote(db.backend, s);
        db.execute("CREATE TABLE victim (id integer PRIMARY KEY); INSERT INTO victim VALUES (42)");
        let out = p.migrate_on(Some(&db.url), &["migrate"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);

        let schema = db.introspect();
        let table = schema
            .tables
            .get(TABLE)
            .unwrap_or_else(|| panic!("{}: no table {TABLE:?} in {schema:#?}", db.backend));
        for column in ["type", "select", "group", UNICODE_COLUMN, LONG_COLUMN] {
            assert!(
                table.columns.contains_key(column),
                "{}: no column {column:?} in {:?}",
                db.backend,
                table.columns
            );
        }
        for index in [INDEX_PG, INDEX_MY] {
            assert!(
                table.indexes.contains(index),
                "{}: no index {index:?} in {:?}",
                db.backend,
                table.indexes
            );
        }
        let unique = match db.backend {
            Backend::Sqlite => "group",
            _ => UNIQUE,
        };
        assert!(
            table.uniques.contains(unique),
            "{}: {:?}",
            db.backend,
            table.uniques
        );
        assert!(
            table.checks.contains(CHECK),
            "{}: {:?}",
            db.backend,
            table.checks
        );
        // The generated names of the other model (its key, its index, its join table) are
        // built from the hostile table name.
        let order = &schema.tables["type_order"];
        assert!(
            order.foreign_keys.iter().any(|fk| fk.1 == TABLE),
            "{}: {:?}",
            db.backend,
            order.foreign_keys
        );
        assert!(
            schema.tables.contains_key("type_order_picks"),
            "{}: {:?}",
            db.backend,
            schema.tables.keys()
        );

        // The defaults are the strings as written.
        db.execute(&format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES (1, 2, 'g', 3, 4)",
            q(TABLE),
            q("type"),
            q("select"),
            q("group"),
            q(UNICODE_COLUMN),
            q(LONG_COLUMN)
        ));
        let values = db.rows(&format!(
            "SELECT {}, {} FROM {}",
            q("evil_default"),
            q("dollar"),
            q(TABLE)
        ));
        assert_eq!(
            values,
            [[DEFAULT_BACKSLASH.to_owned(), DEFAULT_DOLLAR.to_owned()]],
            "{}",
            db.backend
        );

        let out = p.migrate_on(Some(&db.url), &["migrate", "type", "zero"], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{}: {stdout}{stderr}", db.backend);
        let schema = db.introspect();
        assert_eq!(
            schema.tables.keys().collect::<Vec<_>>(),
            ["victim"],
            "{}",
            db.backend
        );
        assert_eq!(
            db.rows(&format!("SELECT {} FROM victim", db.text("id"))),
            [["42".to_owned()]],
            "{}",
            db.backend
        );
    }
}
