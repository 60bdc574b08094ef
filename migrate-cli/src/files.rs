//! The migrations directory: `<dir>/<app>/m<NNNN>_<name>.rs`, an index `mod.rs` per app and
//! one at the top, regenerated from what is on disk so hand-written files join in.

use std::path::{Path, PathBuf};

use anyhow::Context;
use migrate_core::{writer, Migration};

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

/// Writes the migration files, then the indexes of their apps and of the directory.
/// Returns the paths of the migration files.
///
/// Everything is rendered before anything is written, and each file is written aside and
/// then renamed into place: a migration that cannot be written (a name that cannot be a
/// module, say) leaves the tree as it was, and no file is ever left half-written.
pub fn write_migrations(
    dir: &Path,
    migrations: &[Migration],
    empty: Empty,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut paths = Vec::new();
    for m in migrations {
        let path = migration_path(dir, m);
        let source = if m.operations.is_empty() && empty == Empty::Template {
            writer::data_migration_template(m)?
        } else {
            writer::migration_file(m)?
        };
        files.push((path.clone(), source));
        paths.push(path);
    }
    let mut apps: Vec<&str> = migrations.iter().map(|m| &*m.app).collect();
    apps.sort_unstable();
    apps.dedup();
    for app in &apps {
        let mut names = migration_names_on_disk(&dir.join(app))?;
        names.extend(
            migrations
                .iter()
                .filter(|m| &*m.app == *app)
                .map(|m| m.name.to_string()),
        );
        names.sort();
        names.dedup();
        let index = writer::app_index(app, &names)
            .with_context(|| format!("writing the migrations of app {app}"))?;
        files.push((dir.join(app).join("mod.rs"), index));
    }
    let mut all_apps = apps_on_disk(dir)?;
    all_apps.extend(apps.iter().map(|a| a.to_string()));
    all_apps.sort();
    all_apps.dedup();
    files.push((dir.join("mod.rs"), writer::root_index(&all_apps)?));
    for (path, source) in &files {
        write(path, source)?;
    }
    Ok(paths)
}

/// The migration names of an app's directory, from its `m<NNNN>_<name>.rs` files.
fn migration_names_on_disk(app_dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    if !app_dir.is_dir() {
        return Ok(names);
    }
    for entry in
        std::fs::read_dir(app_dir).with_context(|| format!("reading {}", app_dir.display()))?
    {
        let file = entry?.file_name();
        let file = file.to_string_lossy();
        let is_migration = file.starts_with('m')
            && file.ends_with(".rs")
            && Migration::number(&file[1..]).is_some();
        if is_migration {
            names.push(file[1..file.len() - 3].to_owned());
        }
    }
    Ok(names)
}

/// The apps of the migrations directory: its folders with an index.
fn apps_on_disk(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut apps = Vec::new();
    if !dir.is_dir() {
        return Ok(apps);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.path().join("mod.rs").is_file() {
            apps.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(apps)
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
