//! `makemigrations` end to end: a real project binary taken through successive model edits
//! that cover every operation the autodetector writes. After each step the new files must
//! compile into the binary, and `--check` must find nothing left to record.

use migrate_tests::{text, TestProject};

const V1: &str = r#"
#[derive(Model)]
#[model(app = "library")]
pub struct Author {
    #[field(max_length = 100)]
    pub name: String,
}

#[derive(Model)]
#[model(app = "library",
        indexes(index(name = "book_title_idx", fields = ["title"])),
        constraints(check(name = "book_pages_nonneg", expr = "pages >= 0")))]
pub struct Book {
    #[field(max_length = 200)]
    pub title: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    #[field(default = 0)]
    pub pages: i32,
}

#[derive(Model)]
#[model(app = "shelf")]
pub struct Placement {
    #[field(on_delete = Protect)]
    pub book: ForeignKey<Book>,
    #[field(max_length = 10)]
    pub position: String,
}
"#;

/// AddField, AlterField, AddIndex, AddConstraint.
const V2: &str = r#"
#[derive(Model)]
#[model(app = "library", indexes(index(name = "author_name_idx", fields = ["name"])))]
pub struct Author {
    #[field(max_length = 200)]
    pub name: String,
    pub email: Option<String>,
}

#[derive(Model)]
#[model(app = "library",
        indexes(index(name = "book_title_idx", fields = ["title"])),
        constraints(check(name = "book_pages_nonneg", expr = "pages >= 0"),
                    unique(name = "book_title_author_uniq", fields = ["title", "author"])))]
pub struct Book {
    #[field(max_length = 200)]
    pub title: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    #[field(default = 0)]
    pub pages: i32,
}

#[derive(Model)]
#[model(app = "shelf")]
pub struct Placement {
    #[field(on_delete = Protect)]
    pub book: ForeignKey<Book>,
    #[field(max_length = 10)]
    pub position: String,
}
"#;

/// RenameField (declared), RenameIndex, RemoveIndex, RemoveConstraint.
const V3: &str = r#"
#[derive(Model)]
#[model(app = "library")]
pub struct Author {
    #[field(max_length = 200)]
    pub name: String,
    pub email: Option<String>,
}

#[derive(Model)]
#[model(app = "library",
        indexes(index(name = "book_headline_idx", fields = ["headline"])),
        constraints(unique(name = "book_title_author_uniq", fields = ["headline", "author"])))]
pub struct Book {
    #[field(max_length = 200, renamed_from = "title")]
    pub headline: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    #[field(default = 0)]
    pub pages: i32,
}

#[derive(Model)]
#[model(app = "shelf")]
pub struct Placement {
    #[field(on_delete = Protect)]
    pub book: ForeignKey<Book>,
    #[field(max_length = 10)]
    pub position: String,
}
"#;

/// RenameModel (declared) with its AlterModelTable, RemoveField, CreateModel.
const V4: &str = r#"
#[derive(Model)]
#[model(app = "library", renamed_from = "Author")]
pub struct Writer {
    #[field(max_length = 200)]
    pub name: String,
}

#[derive(Model)]
#[model(app = "library")]
pub struct Tag {
    #[field(max_length = 30, unique)]
    pub label: String,
}

#[derive(Model)]
#[model(app = "library",
        indexes(index(name = "book_headline_idx", fields = ["headline"])),
        constraints(unique(name = "book_title_author_uniq", fields = ["headline", "author"])))]
pub struct Book {
    #[field(max_length = 200)]
    pub headline: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Writer>,
    #[field(default = 0)]
    pub pages: i32,
}

#[derive(Model)]
#[model(app = "shelf")]
pub struct Placement {
    #[field(on_delete = Protect)]
    pub book: ForeignKey<Book>,
    #[field(max_length = 10)]
    pub position: String,
}
"#;

fn v5_with_writer(writer_fields: &str) -> String {
    format!(
        r#"
#[derive(Model)]
#[model(app = "library")]
pub struct Writer {{
    #[field(max_length = 200)]
    pub name: String,
    {writer_fields}
}}

#[derive(Model)]
#[model(app = "library",
        indexes(index(name = "book_headline_idx", fields = ["headline"])),
        constraints(unique(name = "book_title_author_uniq", fields = ["headline", "author"])))]
pub struct Book {{
    #[field(max_length = 200)]
    pub headline: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Writer>,
    #[field(default = 0)]
    pub pages: i32,
}}

#[derive(Model)]
#[model(app = "shelf")]
pub struct Placement {{
    #[field(on_delete = Protect)]
    pub book: ForeignKey<Book>,
    #[field(max_length = 10)]
    pub position: String,
}}
"#
    )
}

#[track_caller]
fn assert_no_changes(p: &TestProject) {
    let out = p.migrate(&["makemigrations", "--check"], "");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "No changes detected\n");
}

/// Runs makemigrations, checks the files it says it wrote, snapshots each and rebuilds.
#[track_caller]
fn make(p: &TestProject, args: &[&str], stdin: &str, expected_files: &[&str]) -> String {
    let mut all = vec!["makemigrations"];
    all.extend_from_slice(args);
    let out = p.migrate(&all, stdin);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    for file in expected_files {
        assert!(stdout.contains(file), "{file} not reported in:\n{stdout}");
        let contents = p.read(file);
        // Named after the project too: two tests may write files with the same path.
        insta::assert_snapshot!(
            format!("{}__{}", p.name(), file.replace('/', "__")),
            contents
        );
    }
    p.build();
    assert_no_changes(p);
    stdout
}

#[test]
fn makemigrations_through_every_operation() {
    let p = TestProject::new("library-history");
    p.build();
    assert_no_changes(&p);

    // Step 1: two apps, a cross-app key.
    p.models(V1);
    let out = p.migrate(&["makemigrations", "--check"], "");
    assert_eq!(out.status.code(), Some(1), "drift exits 1");
    let (stdout, _) = text(&out);
    assert!(stdout.contains("    - Create model Book"), "{stdout}");
    assert_eq!(
        p.migration_files("library"),
        Vec::<String>::new(),
        "--check writes nothing"
    );
    make(
        &p,
        &["--noinput"],
        "",
        &[
            "migrations/library/m0001_initial.rs",
            "migrations/shelf/m0001_initial.rs",
        ],
    );
    assert!(p
        .read("migrations/shelf/m0001_initial.rs")
        .contains(r#".depends_on("library", "0001_initial")"#));

    // Step 2: added and altered fields, an index and a constraint.
    p.models(V2);
    let dry = p.migrate(&["makemigrations", "--dry-run", "-v", "3"], "");
    let again = p.migrate(&["makemigrations", "--dry-run", "-v", "3"], "");
    assert_eq!(
        dry.stdout, again.stdout,
        "the same models give the same bytes"
    );
    assert!(text(&dry)
        .0
        .contains("AddField::new(\"Author\", Field::new(\"email\", Text).null())"));
    assert_eq!(
        p.migration_files("library").len(),
        1,
        "--dry-run writes nothing"
    );
    make(
        &p,
        &["--noinput"],
        "",
        &["migrations/library/m0002_author_email_alter_author_name_and_more.rs"],
    );

    // Step 3: a declared field rename, a renamed and a removed index, a removed constraint.
    p.models(V3);
    make(
        &p,
        &["--noinput"],
        "",
        &["migrations/library/m0003_rename_title_book_headline_and_more.rs"],
    );

    // Step 4: a declared model rename (and its table), a removed field, a new model.
    p.models(V4);
    let stdout = make(
        &p,
        &["--noinput"],
        "",
        &["migrations/library/m0004_rename_author_writer_alter_writer_table_and_more.rs"],
    );
    for op in [
        "Rename model Author to Writer",
        "Rename table for Writer to library_writer",
        "Remove field email from writer",
        "Create model Tag",
    ] {
        assert!(stdout.contains(op), "{op} missing from:\n{stdout}");
    }

    // Step 5: a deleted model, and a NOT NULL field without a default.
    p.models(&v5_with_writer("pub bio: String,"));
    let out = p.migrate(&["makemigrations", "--noinput"], "");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("field library.Writer.bio is added as NOT NULL without a default")
            && stderr.contains("#[field(default = …)]")
            && stderr.contains("Option<…>"),
        "{stderr}"
    );
    assert_eq!(
        p.migration_files("library").len(),
        4,
        "nothing written on refusal"
    );
    let stdout = make(
        &p,
        &[],
        "\"n/a\"\n",
        &["migrations/library/m0005_delete_tag_writer_bio.rs"],
    );
    assert!(stdout.contains("Enter a one-off value"), "{stdout}");
    assert!(p
        .read("migrations/library/m0005_delete_tag_writer_bio.rs")
        .contains(r#".one_off_default("n/a")"#));

    // Step 6: an undeclared rename, confirmed at the prompt.
    p.models(&v5_with_writer("pub biography: String,"));
    let stdout = make(
        &p,
        &[],
        "y\n",
        &["migrations/library/m0006_rename_bio_writer_biography.rs"],
    );
    assert!(
        stdout.contains("Did you rename writer.bio to writer.biography (a text)? [y/N]"),
        "{stdout}"
    );

    // Step 7: an empty migration, filled in by hand, is loaded like any other.
    make(
        &p,
        &["library", "--empty", "--name", "nickname_by_hand"],
        "",
        &["migrations/library/m0007_nickname_by_hand.rs"],
    );
    p.write(
        "migrations/library/m0007_nickname_by_hand.rs",
        r#"use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("library", "0007_nickname_by_hand")
        .depends_on("library", "0006_rename_bio_writer_biography")
        .operations([
            AddField::new("Writer", Field::new("nickname", Text).null()).into(),
            RunSql::new("SELECT 1").reverse("SELECT 1").into(),
        ])
}
"#,
    );
    p.models(&v5_with_writer(
        "pub biography: String,\n    pub nickname: Option<String>,",
    ));
    assert_no_changes(&p);

    // Step 8: an undeclared rename that keeps its column is asked too, and changes no SQL.
    p.models(&v5_with_writer(
        "#[field(db_column = \"biography\")]\n    pub about: String,\n    pub nickname: Option<String>,",
    ));
    let stdout = make(
        &p,
        &[],
        "y\n",
        &["migrations/library/m0008_rename_biography_writer_about.rs"],
    );
    assert!(
        stdout.contains("Did you rename writer.biography to writer.about (a text)? [y/N]"),
        "{stdout}"
    );
    for dialect in ["sqlite", "postgres", "mysql"] {
        let out = p.migrate(&["sqlmigrate", "library", "0008", "--dialect", dialect], "");
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        let statements: Vec<&str> = stdout
            .lines()
            .filter(|l| {
                !l.starts_with("--") && !l.trim().is_empty() && !matches!(*l, "BEGIN;" | "COMMIT;")
            })
            .collect();
        assert!(statements.is_empty(), "{dialect}: {stdout}");
    }
}

fn author(fields: &str) -> String {
    format!(
        "#[derive(Model)]\n#[model(app = \"library\")]\npub struct Author {{\n    {fields}\n}}\n"
    )
}

/// Two branches made by the tool, brought together as git would: each branch's file, and
/// the models of both.
#[test]
fn merge_joins_two_branches_made_by_the_tool() {
    let p = TestProject::new("library-merge");
    let name = "#[field(max_length = 100)]\n    pub name: String,";
    p.models(&author(name));
    make(
        &p,
        &["--noinput"],
        "",
        &["migrations/library/m0001_initial.rs"],
    );

    // Branch one adds an email; its file is set aside while branch two is made.
    p.models(&author(&format!("{name}\n    pub email: Option<String>,")));
    let out = p.migrate(&["makemigrations", "--noinput"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    let left = p.read("migrations/library/m0002_author_email.rs");
    std::fs::remove_file(p.root.join("migrations/library/m0002_author_email.rs")).unwrap();

    // Branch two adds a year of birth.
    p.models(&author(&format!("{name}\n    pub born: Option<i32>,")));
    let out = p.migrate(&["makemigrations", "--noinput"], "");
    assert!(out.status.success(), "{}", text(&out).1);

    // The merge: both files, both fields.
    p.write("migrations/library/m0002_author_email.rs", &left);
    let both = format!("{name}\n    pub email: Option<String>,\n    pub born: Option<i32>,");
    p.models(&author(&both));
    let refusal = "error: conflicting migrations in app library: 0002_author_born, 0002_author_email are all leaves; run `makemigrations --merge` to join them";
    for command in [&["makemigrations"][..], &["migrate"][..]] {
        let out = p.migrate(command, "");
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        // `migrate` also notes on stderr that it uses the default database.
        assert_eq!(
            text(&out).1.trim().lines().last(),
            Some(refusal),
            "{command:?}"
        );
    }
    // Listing still works, both branches shown, and says the graph is conflicted.
    let out = p.migrate(&["showmigrations"], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(" [ ] 0002_author_born\n") && stdout.contains(" [ ] 0002_author_email\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&refusal.replace("error:", "warning:")),
        "{stderr}"
    );
    let out = p.migrate(&["makemigrations", "--merge"], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Merging library\n  Branch 0002_author_born\n  Branch 0002_author_email\n"),
        "{stdout}"
    );
    let merge = p.read("migrations/library/m0003_merge_author_born_author_email.rs");
    insta::assert_snapshot!(merge);
    p.build();
    assert_no_changes(&p);
    let db = std::env::temp_dir().join("migrate-library-merge.sqlite3");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let out = p.migrate_on(Some(&url), &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out)
        .0
        .contains("Applying library.0003_merge_author_born_author_email... OK"));

    // Two branches that change the same field cannot be merged blindly.
    p.models(&author(
        &both.replace("max_length = 100", "max_length = 150"),
    ));
    make(
        &p,
        &["--noinput"],
        "",
        &["migrations/library/m0004_alter_author_name.rs"],
    );
    let wider = p.read("migrations/library/m0004_alter_author_name.rs");
    std::fs::remove_file(p.root.join("migrations/library/m0004_alter_author_name.rs")).unwrap();
    p.models(&author(
        &both.replace("max_length = 100", "max_length = 200"),
    ));
    make(
        &p,
        &["--noinput", "--name", "widen_name"],
        "",
        &["migrations/library/m0004_widen_name.rs"],
    );
    p.write("migrations/library/m0004_alter_author_name.rs", &wider);
    p.build();
    let out = p.migrate(&["makemigrations", "--merge"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out).1.trim(),
        "error: cannot merge app library: both 0004_alter_author_name (Alter field name on author) and 0004_widen_name (Alter field name on author) change the field name of author; reconcile the branches by hand"
    );
}
