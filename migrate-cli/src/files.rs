//! The migrations directory: `<dir>/<app>/m<NNNN>_<name>.rs`, one file per migration and
//! nothing else: `migrate_core::migrations!()` finds the files when the project is
//! compiled, so no index is written (and two branches that each add a migration touch no
//! common file).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use migrate_core::{writer, Migration};

use crate::Project;

/// A name given for a migration (`--name`, `--squashed-name`): it becomes part of a file
/// name, so letters, digits and `_` only, as Django asks of an identifier.
pub fn name_part(name: &str) -> Result<String, String> {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        Ok(name.to_owned())
    } else {
        Err("a migration name is letters, digits and `_` (it becomes part of a file name)".into())
    }
}

/// Where a migration's file goes.
pub fn migration_path(dir: &Path, m: &Migration) -> PathBuf {
    dir.join(&*m.app)
        .join(format!("{}.rs", writer::module_name(&m.name)))
}

/// How to write a migration with no operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Empty {
    /// As it is (a merge migration).
    AsIs,
    /// As a data-migration template to fill in (`--empty`).
    Template,
}

/// Writes the migration files and returns their paths.
///
/// Everything is rendered before anything is written, and each file is written aside and
/// then renamed into place: a migration that cannot be written leaves the tree as it was,
/// and no file is ever left half-written.
pub fn write_migrations(
    dir: &Path,
    migrations: &[Migration],
    empty: Empty,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for m in migrations {
        let source = if m.operations.is_empty() && empty == Empty::Template {
            writer::data_migration_template(m)?
        } else {
            writer::migration_file(m)?
        };
        files.push((migration_path(dir, m), source));
    }
    for (path, source) in &files {
        write(path, source)?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// The migration files in `dir` (`<app>/<file>`), by the rule `migrations!()` applies when
/// it compiles them: `.rs` files in the app folders, except `mod.rs` and names starting with
/// `.` or `_`, in folders whose names do not start with either. By app, then by name.
pub fn on_disk(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let listed = |entry: &std::fs::DirEntry| {
        let name = entry.file_name().to_str()?.to_owned();
        (!name.starts_with('.') && !name.starts_with('_')).then_some(name)
    };
    let read = |d: &Path| std::fs::read_dir(d).with_context(|| format!("reading {}", d.display()));
    // The directory listing says what an entry is on most file systems, without a `stat`
    // per file (10,000 files are 10,000 system calls); a symbolic link is followed.
    let is =
        |entry: &std::fs::DirEntry, kind: fn(&std::fs::FileType) -> bool| match entry.file_type() {
            Ok(t) if !t.is_symlink() => kind(&t),
            _ => std::fs::metadata(entry.path()).is_ok_and(|m| kind(&m.file_type())),
        };
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut apps = Vec::new();
    for app in read(dir)? {
        let app = app?;
        if let Some(name) = listed(&app).filter(|_| is(&app, std::fs::FileType::is_dir)) {
            apps.push((name, app.path()));
        }
    }
    // By app, then by name within the app: `migrations!()`'s order, and short sorts.
    apps.sort_unstable();
    for (app_name, path) in apps {
        let mut names = Vec::new();
        for file in read(&path)? {
            let file = file?;
            if let Some(name) = listed(&file) {
                if name.ends_with(".rs")
                    && name != "mod.rs"
                    && is(&file, std::fs::FileType::is_file)
                {
                    names.push(name);
                }
            }
        }
        names.sort_unstable();
        files.extend(names.into_iter().map(|name| format!("{app_name}/{name}")));
    }
    Ok(files)
}

/// Compares the files the binary was compiled with and those on disk (when the directory is
/// there: a deployed binary may run without its sources). A command that writes migrations
/// (`writes`) refuses to run on a binary that does not hold the files on disk, since it
/// would write what they already say; the others warn. A `mod.rs` index left from before
/// discovery is refused by the writing commands too: it no longer lists new files.
pub fn check_compiled(project: &Project, writes: bool) -> anyhow::Result<()> {
    if writes && project.dir.join("mod.rs").is_file() {
        bail!(
            "{} is an index from an earlier version of this tool, which makemigrations no \
             longer updates: the migration files are found when the project is compiled. \
             Delete it and the mod.rs of each app folder, and declare the migrations with \
             `migrate_core::migrations!()` (README: \"Moving from index files\")",
            project.dir.join("mod.rs").display()
        );
    }
    let (Some(compiled), true) = (&project.compiled, project.dir.is_dir()) else {
        return Ok(());
    };
    let disk = on_disk(&project.dir)?;
    // `migrations!()` lists the files in the same order, so the common case is one pass.
    if disk.iter().map(String::as_str).eq(compiled.iter().copied()) {
        return Ok(());
    }
    let disk: BTreeSet<&str> = disk.iter().map(String::as_str).collect();
    let compiled: BTreeSet<&str> = compiled.iter().copied().collect();
    if disk == compiled {
        return Ok(());
    }
    let list = |files: Vec<&&str>| files.iter().map(|f| **f).collect::<Vec<_>>().join(", ");
    let mut differences = Vec::new();
    let added: Vec<&&str> = disk.difference(&compiled).collect();
    if !added.is_empty() {
        differences.push(format!("added since: {}", list(added)));
    }
    let deleted: Vec<&&str> = compiled.difference(&disk).collect();
    if !deleted.is_empty() {
        differences.push(format!("deleted since: {}", list(deleted)));
    }
    let message = format!(
        "this binary was built from other migration files than {} holds ({}); build it \
         again (a build script with `cargo:rerun-if-changed=migrations` makes cargo do that \
         by itself)",
        project.dir.display(),
        differences.join("; ")
    );
    if writes {
        bail!(message);
    }
    eprintln!("warning: {message}");
    Ok(())
}

/// Writes every file aside, then renames each into place: a file that cannot be written
/// leaves none half-written.
pub fn write_all(files: &[(PathBuf, &str)]) -> anyhow::Result<()> {
    for (path, source) in files {
        write(path, source)?;
    }
    Ok(())
}

/// Writes `source` next to `path`, then renames it into place.
fn write(path: &Path, source: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut aside = path.as_os_str().to_owned();
    aside.push(".tmp");
    let aside = PathBuf::from(aside);
    std::fs::write(&aside, source).with_context(|| format!("writing {}", aside.display()))?;
    std::fs::rename(&aside, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::on_disk;

    /// What `migrations!()` compiles, in its order (by app, then by file name): the stale
    /// binary check compares the two lists in one pass when they agree.
    #[test]
    fn on_disk_lists_the_files_the_macro_compiles_in_its_order() {
        let dir = std::env::temp_dir().join(format!("migrate-on-disk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let touch = |p: &str| {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        for p in [
            "shop/0002_b.rs",
            "shop/0001_a.rs",
            "shop/mod.rs",
            "shop/_draft.rs",
            "shop/.swap.rs",
            "shop/notes.txt",
            "shop-x/0001_a.rs",
            "_old/0001_a.rs",
            "a/0001_a.rs",
        ] {
            touch(p);
        }
        std::fs::create_dir_all(dir.join("shop/0003_dir.rs")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("a/0001_a.rs"), dir.join("a/0002_link.rs")).unwrap();
        let found = on_disk(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let mut expected = vec!["a/0001_a.rs"];
        if cfg!(unix) {
            expected.push("a/0002_link.rs");
        }
        expected.extend(["shop/0001_a.rs", "shop/0002_b.rs", "shop-x/0001_a.rs"]);
        assert_eq!(found, expected);
    }
}
