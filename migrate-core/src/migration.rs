//! A migration: an app's named, ordered list of operations with its dependencies. Migration
//! files build one with [`Migration::new`] and the builder methods below.

use std::fmt;

use crate::operations::Operation;
use crate::state::Name;

/// `(app, name)` of a migration, e.g. `tenants.0002_tenant_status`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MigrationKey {
    /// The app label.
    pub app: Name,
    /// The migration's name, such as `0002_tenant_status`.
    pub name: Name,
}

impl MigrationKey {
    /// The key of `app.name`.
    pub fn new(app: impl Into<Name>, name: impl Into<Name>) -> Self {
        MigrationKey {
            app: app.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for MigrationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.app, self.name)
    }
}

#[derive(Clone, Debug, PartialEq)]
/// One migration file's content. A file builds it with the methods below:
///
/// ```
/// use migrate_core::prelude::*;
///
/// let migration = Migration::new("blog", "0002_post_title")
///     .depends_on("blog", "0001_initial")
///     .operations([AddField::new("Post", Field::new("title", Varchar(200)).default("")).into()]);
/// assert_eq!(migration.key().to_string(), "blog.0002_post_title");
/// ```
pub struct Migration {
    /// The app label.
    pub app: Name,
    /// The name, unique in the app (the file's name).
    pub name: Name,
    /// Migrations that must run before this one.
    pub dependencies: Vec<MigrationKey>,
    /// Migrations that must run after this one (the reverse of a dependency).
    pub run_before: Vec<MigrationKey>,
    /// What the migration does, in order.
    pub operations: Vec<Operation>,
    /// Run inside one transaction (default). Off for statements that refuse transactions.
    pub atomic: bool,
    /// The app's first migration (the writer marks it in the file, as Django's `initial = True`).
    pub initial: bool,
    /// For a squashed migration, the migrations it stands for.
    pub replaces: Vec<MigrationKey>,
    /// `lint` findings acknowledged by code, with the reason (`.allow(code, reason)`).
    /// They change nothing that runs, so the checksum leaves them out.
    pub allowed: Vec<(Name, Name)>,
}

impl Migration {
    /// An empty, atomic migration `name` of `app`.
    pub fn new(app: impl Into<Name>, name: impl Into<Name>) -> Self {
        Migration {
            app: app.into(),
            name: name.into(),
            dependencies: Vec::new(),
            run_before: Vec::new(),
            operations: Vec::new(),
            atomic: true,
            initial: false,
            replaces: Vec::new(),
            allowed: Vec::new(),
        }
    }

    /// Its `(app, name)`.
    pub fn key(&self) -> MigrationKey {
        MigrationKey::new(self.app.clone(), self.name.clone())
    }

    /// Acknowledges the `lint` findings of rule `code` in this migration, for `reason`: they
    /// are still listed, with the reason, and no longer fail the check.
    pub fn allow(mut self, code: impl Into<Name>, reason: impl Into<Name>) -> Self {
        self.allowed.push((code.into(), reason.into()));
        self
    }

    /// Marks it as the app's initial migration.
    pub fn initial(mut self) -> Self {
        self.initial = true;
        self
    }

    /// Runs it outside a transaction (for statements such as `CREATE INDEX CONCURRENTLY`).
    pub fn non_atomic(mut self) -> Self {
        self.atomic = false;
        self
    }

    /// Adds a dependency on `app.name`.
    pub fn depends_on(mut self, app: impl Into<Name>, name: impl Into<Name>) -> Self {
        // One at a time, as `operations` (most migrations have one or two).
        self.dependencies.reserve_exact(1);
        self.dependencies.push(MigrationKey::new(app, name));
        self
    }

    /// Makes `app.name` depend on this migration.
    pub fn run_before(mut self, app: impl Into<Name>, name: impl Into<Name>) -> Self {
        self.run_before.push(MigrationKey::new(app, name));
        self
    }

    /// Declares that this squashed migration stands for `app.name`.
    pub fn replaces(mut self, app: impl Into<Name>, name: impl Into<Name>) -> Self {
        self.replaces.push(MigrationKey::new(app, name));
        self
    }

    /// Appends operations.
    pub fn operations(mut self, ops: impl IntoIterator<Item = Operation>) -> Self {
        // Room for exactly these: most migrations hold one operation, and a vector grown
        // from empty keeps room for four (an operation is about 270 bytes, so a 50,000-
        // migration history held 40 MB of room it never used).
        let ops = ops.into_iter();
        self.operations.reserve_exact(ops.size_hint().0);
        self.operations.extend(ops);
        self
    }

    /// The leading number of a name such as `0003_tenant_status`.
    pub fn number(name: &str) -> Option<u32> {
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }
}

/// The migration files compiled into a binary, as [`migrations!`](crate::migrations!) finds
/// them: where they were read from and the constructor of each. A `const` value, so a
/// project keeps it in a `static`:
///
/// ```
/// pub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();
/// # assert!(MIGRATIONS.all().is_empty());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Migrations {
    dir: &'static str,
    files: &'static [MigrationFile],
}

/// One compiled-in migration file.
#[derive(Clone, Copy, Debug)]
pub struct MigrationFile {
    /// `<app>/<file name>`, relative to the migrations directory.
    pub path: &'static str,
    /// The file's `migration()`.
    pub migration: fn() -> Migration,
}

impl Migrations {
    /// What `migrations!()` expands to; `dir` is absolute.
    pub const fn new(dir: &'static str, files: &'static [MigrationFile]) -> Self {
        Migrations { dir, files }
    }

    /// Every migration, built from its file (in app and file name order).
    pub fn all(&self) -> Vec<Migration> {
        self.files.iter().map(|f| (f.migration)()).collect()
    }

    /// The directory the files were read from when the binary was compiled.
    pub fn dir(&self) -> &'static std::path::Path {
        std::path::Path::new(self.dir)
    }

    /// The compiled-in files.
    pub fn files(&self) -> &'static [MigrationFile] {
        self.files
    }
}
