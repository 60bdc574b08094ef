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
pub fn write_migrations(
    dir: &Path,
    migrations: &[Migration],
    empty: Empty,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for m in migrations {
        let path = migration_path(dir, m);
        let source = if m.operations.is_empty() && empty == Empty::Template {
            writer::data_migration_template(m)?
        } else {
            writer::migration_file(m)?
        };
        write(&path, &source)?;
        paths.push(path);
    }
    let mut apps: Vec<&str> = migrations.iter().map(|m| &*m.app).collect();
    apps.dedup();
    for app in apps {
        write_app_index(dir, app)?;
    }
    write_root_index(dir)?;
    Ok(paths)
}

fn write_app_index(dir: &Path, app: &str) -> anyhow::Result<()> {
    let app_dir = dir.join(app);
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&app_dir).with_context(|| format!("reading {}", app_dir.display()))?
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
    write(&app_dir.join("mod.rs"), &writer::app_index(app, &names))
}

fn write_root_index(dir: &Path) -> anyhow::Result<()> {
    let mut apps = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.path().join("mod.rs").is_file() {
            apps.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    write(&dir.join("mod.rs"), &writer::root_index(&apps))
}

fn write(path: &Path, source: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, source).with_context(|| format!("writing {}", path.display()))
}
