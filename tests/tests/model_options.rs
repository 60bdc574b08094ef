//! The model options of issue 20 through the derive, `makemigrations` and `migrate`, as a
//! user runs them: a table someone else owns (`managed = false`) and defaults the database
//! computes for each row (`default = Uuid::new_v4`, `default = Utc::now`).

use migrate_tests::db::TestDb;
use migrate_tests::{text, TestProject};

const MODELS: &str = r#"
/// The billing system's table: read here, never created or dropped here.
#[derive(Model)]
#[model(app = "crm", table = "legacy_accounts", managed = false)]
pub struct Account {
    #[field(primary_key)]
    pub id: i32,
    #[field(max_length = 40)]
    pub name: String,
}

#[derive(Model)]
#[model(app = "crm")]
pub struct Contact {
    #[field(primary_key, default = uuid::Uuid::new_v4)]
    pub id: uuid::Uuid,
    #[field(on_delete = Cascade)]
    pub account: ForeignKey<Account>,
    #[field(default = chrono::Utc::now)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}
"#;

#[test]
fn unmanaged_tables_and_insert_time_defaults_end_to_end() {
    let p = TestProject::new("crm-options");
    p.models(MODELS);
    let out = p.migrate(&["makemigrations", "--noinput"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    let file = p.read("migrations/crm/m0001_initial.rs");
    for written in [
        ".unmanaged()",
        r#"Field::new("id", Uuid).primary_key().default(Value::NewUuid)"#,
        r#"Field::new("created_at", TimestampTz).default(Value::Now)"#,
    ] {
        assert!(file.contains(written), "{written} missing from:\n{file}");
    }
    p.build();
    let check = p.migrate(&["makemigrations", "--check"], "");
    assert!(check.status.success(), "{}", text(&check).0);

    for dialect in ["sqlite", "postgres", "mysql"] {
        let out = p.migrate(&["sqlmigrate", "crm", "0001", "--dialect", dialect], "");
        let (sql, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(sql.contains("crm_contact"), "{dialect}: {sql}");
        assert!(
            !sql.contains("CREATE TABLE \"legacy_accounts\"")
                && !sql.contains("CREATE TABLE `legacy_accounts`"),
            "{dialect}: {sql}"
        );
    }

    for db in TestDb::all("crm_options") {
        let ok = |args: &[&str]| {
            let out = p.migrate_on(Some(&db.url), args, "");
            let (stdout, stderr) = text(&out);
            assert!(
                out.status.success(),
                "{}: {args:?}: {stdout}{stderr}",
                db.backend
            );
        };
        db.execute(
            "CREATE TABLE legacy_accounts (id integer PRIMARY KEY, name varchar(40) NOT NULL)",
        );
        db.execute("INSERT INTO legacy_accounts (id, name) VALUES (1, 'Acme'), (2, 'Initech')");
        ok(&["migrate"]);
        db.execute("INSERT INTO crm_contact (account_id) VALUES (1), (1), (2)");
        let contacts = db.values(&format!(
            "SELECT {}, {} FROM crm_contact",
            db.uuid_text("id"),
            db.text("created_at")
        ));
        assert_eq!(contacts.len(), 3, "{}", db.backend);
        let mut ids: Vec<_> = contacts.iter().map(|r| r[0].clone().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3, "{}: a UUID per row: {contacts:?}", db.backend);
        assert!(contacts.iter().all(|r| r[1].is_some()), "{}", db.backend);

        ok(&["migrate", "crm", "zero"]);
        let accounts = format!(
            "SELECT {}, name FROM legacy_accounts ORDER BY 1",
            db.text("id")
        );
        assert_eq!(
            db.rows(&accounts),
            [["1", "Acme"], ["2", "Initech"]],
            "{}: the owner's rows stay",
            db.backend
        );
        let tables = db.introspect();
        assert!(!tables.tables.contains_key("crm_contact"), "{}", db.backend);
    }
}
