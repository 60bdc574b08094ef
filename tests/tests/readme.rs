//! A project made from the README's "Use it in your project" section alone: every code
//! block there that starts with a file name (`# Cargo.toml`, `// src/lib.rs`) is written as
//! that file, and nothing else is, but for where `migrate-core` and `migrate-cli` come
//! from (this repository, by path). Then it is used as the README says: `makemigrations`,
//! the application migrating itself over its pool, the drift test, a model change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migrate_tests::{text, workspace};

/// The blocks of the section, as (file name, contents).
fn readme_files() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let start = readme
        .find("## Use it in your project")
        .expect("the README has the section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    let section = &section[..end];
    let mut files = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let body_start = after.find('\n').unwrap() + 1;
        let close = after[body_start..].find("```").unwrap();
        let body = &after[body_start..body_start + close];
        let first = body.lines().next().unwrap_or_default();
        let name = first
            .strip_prefix("// ")
            .or_else(|| first.strip_prefix("# "))
            .filter(|n| n.contains('.') && !n.contains(' '));
        if let Some(name) = name {
            files.push((name.to_owned(), body.to_owned()));
        }
        rest = &after[body_start + close + 3..];
    }
    files
}

struct Readme {
    root: PathBuf,
}

impl Readme {
    fn target(&self) -> PathBuf {
        workspace().join("target").join("e2e")
    }

    fn cargo(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO"))
            .args(args)
            .current_dir(&self.root)
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_TARGET_DIR", self.target())
            .env("DATABASE_URL", self.database_url())
            .output()
            .expect("cargo runs")
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cargo(args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "cargo {args:?}:\n{stdout}{stderr}");
        stdout
    }

    fn database_url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.root.join("app.sqlite3").display()
        )
    }

    fn write(&self, name: &str, contents: &str) {
        let path = self.root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join(name)).unwrap()
    }

    fn exists(&self, name: &str) -> bool {
        Path::new(&self.root.join(name)).exists()
    }
}

#[test]
fn a_project_made_from_the_readme_alone_migrates_itself() {
    let files = readme_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Cargo.toml",
            "build.rs",
            "src/lib.rs",
            "src/bin/migrate.rs",
            "tests/drift.rs",
            "src/main.rs"
        ]
    );
    // Outside this workspace, as a new project is.
    let p = Readme {
        root: std::env::temp_dir().join("migrate-readme-project"),
    };
    let _ = std::fs::remove_dir_all(&p.root);
    let ws = workspace();
    for (name, contents) in &files {
        let mut contents = contents.clone();
        if name == "Cargo.toml" {
            // The README asks for the version this workspace is (major.minor).
            let version = env!("CARGO_PKG_VERSION").rsplit_once('.').unwrap().0;
            for krate in ["migrate-core", "migrate-cli"] {
                let published = format!("{krate} = \"{version}\"");
                assert!(contents.contains(&published), "{contents}");
                let local = format!("{krate} = {{ path = {:?} }}", ws.join(krate));
                contents = contents.replace(&published, &local);
            }
        }
        p.write(name, &contents);
    }
    // The workspace's lock pins the same versions, so the build needs no network.
    std::fs::copy(ws.join("Cargo.lock"), p.root.join("Cargo.lock")).unwrap();

    // A fresh project builds before it has any migration.
    let out = p.ok(&["run", "--quiet", "--bin", "migrate", "--", "makemigrations"]);
    assert!(out.contains("m0001_initial.rs"), "{out}");
    assert!(p.exists("migrations/blog/m0001_initial.rs"));
    assert!(!p.exists("migrations/mod.rs") && !p.exists("migrations/blog/mod.rs"));

    // The application holds the new file (the build script made cargo rebuild it) and
    // applies it over its pool; started again, it has nothing to do.
    let out = p.ok(&["run", "--quiet", "--bin", "myapp"]);
    assert_eq!(out, "applied 1 migrations\n0 posts\n");
    let out = p.ok(&["run", "--quiet", "--bin", "myapp"]);
    assert_eq!(out, "applied 0 migrations\n0 posts\n");
    p.ok(&["test", "--quiet"]);

    // A model changes: the drift test fails until the migration is written.
    let lib = p.read("src/lib.rs");
    p.write(
        "src/lib.rs",
        &lib.replace(
            "    pub published: bool,\n",
            "    pub published: bool,\n    pub views: Option<i64>,\n",
        ),
    );
    let out = p.cargo(&["test", "--quiet"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("views"), "{stdout}");
    p.ok(&["run", "--quiet", "--bin", "migrate", "--", "makemigrations"]);
    assert!(p.exists("migrations/blog/m0002_post_views.rs"));
    let out = p.ok(&["run", "--quiet", "--bin", "myapp"]);
    assert_eq!(out, "applied 1 migrations\n0 posts\n");
    p.ok(&["test", "--quiet"]);

    // A file deleted by hand is gone from the next build too, and the binary built before
    // says so instead of acting on what it holds.
    std::fs::remove_file(p.root.join("migrations/blog/m0002_post_views.rs")).unwrap();
    let stale = Command::new(p.target().join("debug").join("migrate"))
        .args(["makemigrations", "--check"])
        .current_dir(&p.root)
        .output()
        .unwrap();
    let (_, stderr) = text(&stale);
    assert_eq!(stale.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("deleted since: blog/m0002_post_views.rs"),
        "{stderr}"
    );
    let out = p.ok(&[
        "run",
        "--quiet",
        "--bin",
        "migrate",
        "--",
        "makemigrations",
        "--dry-run",
    ]);
    assert!(out.contains("m0002_post_views.rs"), "{out}");
}
