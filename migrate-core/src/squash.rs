//! `squashmigrations`: a run of an app's migrations folded into one migration that
//! `replaces` them.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::loader::Loader;
use crate::migration::{Migration, MigrationKey};
use crate::operations::Operation;
use crate::optimizer::optimize;

#[derive(Debug)]
/// A squashed migration and what it was made of.
pub struct Squash {
    /// The migration, with `replaces` set.
    pub migration: Migration,
    /// The number of operations of each replaced migration.
    pub replaced_operations: Vec<usize>,
}

/// Squashes the migrations of `last`'s app from `first` (default: the app's first) to
/// `last`, in graph order. Elidable `RunSql` / `RunRust` are dropped; the others stay, as
/// barriers the optimizer does not fold across.
///
/// Where a migration of the run depends on another app's migration that itself needs an
/// earlier migration of the run, one squashed migration would make the two apps depend on
/// each other; the run is cut there, and each part is squashed on its own.
pub fn squash(
    loader: &Loader,
    first: Option<&MigrationKey>,
    last: &MigrationKey,
    name: Option<&str>,
    optimize_ops: bool,
) -> Result<Vec<Squash>> {
    let app = &*last.app;
    let order: Vec<&MigrationKey> = loader
        .graph()
        .topological_order()
        .into_iter()
        .filter(|k| k.app == app)
        .collect();
    let start = match first {
        Some(f) => order
            .iter()
            .position(|k| *k == f)
            .ok_or_else(|| Error::UnknownMigration {
                app: app.to_owned(),
                name: f.name.to_string(),
            })?,
        None => 0,
    };
    let end = order
        .iter()
        .position(|k| *k == last)
        .expect("found in the graph");
    if end < start {
        return Err(Error::UnknownMigration {
            app: app.to_owned(),
            name: format!(
                "{} (it comes before the first migration to squash)",
                last.name
            ),
        });
    }
    let selected: Vec<&Migration> = order[start..=end]
        .iter()
        .map(|k| loader.get(k).expect("in the graph"))
        .collect();
    if let Some(m) = selected.iter().find(|m| !m.replaces.is_empty()) {
        return Err(Error::SquashOfSquash {
            migration: m.key().to_string(),
        });
    }
    let mut parts: Vec<Vec<&Migration>> = vec![Vec::new()];
    for m in &selected {
        let current = parts.last().expect("not empty");
        let in_part: BTreeSet<MigrationKey> = current.iter().map(|m| m.key()).collect();
        let cycle = m
            .dependencies
            .iter()
            .filter(|d| d.app != app)
            .any(|dep| ancestors(loader, dep).iter().any(|a| in_part.contains(a)));
        if cycle {
            parts.push(Vec::new());
        }
        parts.last_mut().expect("not empty").push(m);
    }
    let many = parts.len() > 1;
    Ok(parts
        .into_iter()
        .map(|part| squash_part(app, &part, name.filter(|_| !many), optimize_ops))
        .collect())
}

fn squash_part(
    app: &str,
    selected: &[&Migration],
    name: Option<&str>,
    optimize_ops: bool,
) -> Squash {
    let keys: BTreeSet<MigrationKey> = selected.iter().map(|m| m.key()).collect();
    let mut ops: Vec<Operation> = Vec::new();
    for m in selected {
        ops.extend(
            m.operations
                .iter()
                .filter(|op| match op {
                    Operation::RunSql(r) => !r.elidable,
                    Operation::RunRust(r) => !r.elidable,
                    _ => true,
                })
                .cloned(),
        );
    }
    if optimize_ops {
        ops = optimize(app, ops).0;
    }
    let (head, tail) = (&selected[0].name, &selected[selected.len() - 1].name);
    let number = Migration::number(head).unwrap_or(1);
    let name = match name {
        Some(n) => format!("{number:04}_{n}"),
        None if selected.len() == 1 => format!("{head}_squashed"),
        None => format!("{head}_squashed_{tail}"),
    };
    let mut m = Migration::new(app.to_owned(), name);
    m.initial = selected[0].initial;
    m.atomic = selected.iter().all(|m| m.atomic);
    m.operations = ops;
    m.replaces = selected.iter().map(|m| m.key()).collect();
    // What the replaced migrations acknowledged, the squash acknowledges.
    for s in selected {
        for allowed in &s.allowed {
            if !m.allowed.contains(allowed) {
                m.allowed.push(allowed.clone());
            }
        }
    }
    let mut deps: BTreeSet<MigrationKey> = BTreeSet::new();
    for s in selected {
        deps.extend(
            s.dependencies
                .iter()
                .filter(|d| !keys.contains(*d))
                .cloned(),
        );
    }
    m.dependencies = deps.into_iter().collect();
    Squash {
        replaced_operations: selected.iter().map(|m| m.operations.len()).collect(),
        migration: m,
    }
}

fn ancestors(loader: &Loader, key: &MigrationKey) -> BTreeSet<MigrationKey> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![key.clone()];
    while let Some(k) = stack.pop() {
        if seen.insert(k.clone()) {
            stack.extend(loader.graph().parents(&k).cloned());
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{foreign_key, OnDelete::*};
    use crate::operations::{AddField, CreateModel};
    use crate::state::Field;

    #[test]
    fn a_run_is_cut_where_one_squash_would_make_apps_depend_on_each_other() {
        // a.0001 creates A; b.0001 (needs a.0001) creates B -> A; a.0002 (needs b.0001) adds A.b.
        let ms = vec![
            Migration::new("a", "0001_initial")
                .initial()
                .operations([CreateModel::new("A", "a_a")
                    .fields([Field::auto_id()])
                    .into()]),
            Migration::new("b", "0001_initial")
                .depends_on("a", "0001_initial")
                .operations([CreateModel::new("B", "b_b")
                    .fields([
                        Field::auto_id(),
                        Field::new("a", foreign_key("a.A", Cascade)),
                    ])
                    .into()]),
            Migration::new("a", "0002_a_b")
                .depends_on("a", "0001_initial")
                .depends_on("b", "0001_initial")
                .operations([AddField::new(
                    "A",
                    Field::new("b", foreign_key("b.B", SetNull)).null(),
                )
                .into()]),
        ];
        let loader = Loader::new(ms).unwrap();
        let last = MigrationKey::new("a", "0002_a_b");
        let parts = squash(&loader, None, &last, None, true).unwrap();
        let names: Vec<String> = parts
            .iter()
            .map(|p| p.migration.key().to_string())
            .collect();
        assert_eq!(names, ["a.0001_initial_squashed", "a.0002_a_b_squashed"]);
        assert_eq!(
            parts[1].migration.dependencies,
            [
                MigrationKey::new("a", "0001_initial"),
                MigrationKey::new("b", "0001_initial")
            ]
        );
        // With both squashes in place, the graph has no cycle and replays.
        let mut all: Vec<Migration> = parts.into_iter().map(|p| p.migration).collect();
        all.extend(loader.migrations().cloned());
        Loader::new(all).unwrap().project_state().unwrap();
    }
}
