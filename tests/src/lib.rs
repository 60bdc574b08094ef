//! Helpers for end-to-end tests: throwaway projects that depend on this workspace's crates,
//! built with cargo into a shared target directory and run as a user runs them.

pub mod db;
pub mod history;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use migrate_bench::generate::Project;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A project on disk: `Cargo.toml`, `src/models/mod.rs` (what the test writes), `migrations/`,
/// and a `migrate` binary.
#[derive(Debug)]
pub struct TestProject {
    pub root: PathBuf,
    name: String,
}

impl TestProject {
    /// A fresh project named `name` under `target/e2e-projects/`, with the skeleton the
    /// benchmark suite writes too (`migrate_bench::generate::Project`).
    pub fn new(name: &str) -> Self {
        let ws = workspace();
        let parent = ws.join("target").join("e2e-projects");
        let project = Project::create(&parent, name, &ws).expect("the project skeleton is written");
        TestProject {
            root: project.root,
            name: name.to_owned(),
        }
    }

    /// The project's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative))
            .unwrap_or_else(|e| panic!("reading {relative}: {e}"))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.root.join(relative).exists()
    }

    /// Adds a line to `[dependencies]` of the project.
    pub fn add_dependency(&self, line: &str) {
        let manifest = self.read("Cargo.toml");
        self.write(
            "Cargo.toml",
            &manifest.replace("[dependencies]\n", &format!("[dependencies]\n{line}\n")),
        );
    }

    /// Replaces `src/models/mod.rs` (prefixed with the usual imports) and rebuilds.
    pub fn models(&self, source: &str) {
        self.write(
            "src/models/mod.rs",
            &format!("#![allow(dead_code)]\nuse migrate_core::*;\n\n{source}"),
        );
        self.build();
    }

    /// `cargo build` of the project's binary; panics with cargo's output on failure.
    pub fn build(&self) {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--offline", "--quiet", "--bin", &self.bin_name()])
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", self.target_dir())
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "building {} failed:\n{}",
            self.root.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn bin_name(&self) -> String {
        format!("migrate-{}", self.name)
    }

    fn target_dir(&self) -> PathBuf {
        workspace().join("target").join("e2e")
    }

    /// The built binary.
    pub fn binary(&self) -> PathBuf {
        self.target_dir().join("debug").join(self.bin_name())
    }

    /// Runs the built binary with `args`, feeding `stdin`.
    pub fn migrate(&self, args: &[&str], stdin: &str) -> Output {
        self.migrate_on(None, args, stdin)
    }

    /// Runs the built binary against the database at `url` (default: the project's own).
    pub fn migrate_on(&self, url: Option<&str>, args: &[&str], stdin: &str) -> Output {
        let mut command = Command::new(self.binary());
        if let Some(url) = url {
            command.env("DATABASE_URL", url);
        }
        command.args(args).current_dir(&self.root);
        output_with_input(command, stdin)
    }

    /// The migration files of `app`, by file name.
    pub fn migration_files(&self, app: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join("migrations").join(app))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "mod.rs")
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// Standard output and error of a run, for assertions and failure messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `command` to its end with `stdin` as its input, capturing its output.
pub fn output_with_input(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
