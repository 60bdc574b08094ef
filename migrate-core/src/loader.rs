//! The project's compiled-in migrations, arranged in their graph and replayed into the
//! schema state they describe.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::graph::MigrationGraph;
use crate::migration::{Migration, MigrationKey};
use crate::state::ProjectState;

#[derive(Debug)]
/// The compiled-in migrations, their dependency graph (with squashes resolved against what is
/// applied), and the state they build.
pub struct Loader {
    migrations: BTreeMap<MigrationKey, Migration>,
    graph: MigrationGraph,
    /// Every squashed migration and what it replaces, whichever side the graph uses.
    replacements: BTreeMap<MigrationKey, Vec<MigrationKey>>,
}

impl Loader {
    /// The migrations as a database with nothing applied sees them: squashed migrations
    /// stand in for the ones they replace.
    pub fn new(migrations: impl IntoIterator<Item = Migration>) -> Result<Self> {
        Loader::with_applied(migrations, &BTreeSet::new())
    }

    /// The migrations as a database with `applied` sees them (Django's rule): a squashed
    /// migration is used where none or all of the migrations it replaces are applied (or
    /// their files are gone), the replaced ones where only some are. Dependencies on the
    /// side not used are pointed at the side used.
    pub fn with_applied(
        migrations: impl IntoIterator<Item = Migration>,
        applied: &BTreeSet<MigrationKey>,
    ) -> Result<Self> {
        let mut migrations: BTreeMap<MigrationKey, Migration> =
            migrations.into_iter().map(|m| (m.key(), m)).collect();
        let replacements: BTreeMap<MigrationKey, Vec<MigrationKey>> = migrations
            .values()
            .filter(|m| !m.replaces.is_empty())
            .map(|m| (m.key(), m.replaces.clone()))
            .collect();
        let mut remap: BTreeMap<MigrationKey, MigrationKey> = BTreeMap::new();
        for (squashed, replaced) in &replacements {
            let present: Vec<&MigrationKey> = replaced
                .iter()
                .filter(|r| migrations.contains_key(*r))
                .collect();
            let done = present.iter().filter(|r| applied.contains(**r)).count();
            let partial = done > 0 && done < present.len() && !applied.contains(squashed);
            if partial {
                let last = present
                    .iter()
                    .copied()
                    .max()
                    .expect("some are present")
                    .clone();
                migrations.remove(squashed);
                remap.insert(squashed.clone(), last);
            } else {
                for r in replaced {
                    migrations.remove(r);
                    remap.insert(r.clone(), squashed.clone());
                }
            }
        }
        for m in migrations.values_mut() {
            for d in m.dependencies.iter_mut().chain(m.run_before.iter_mut()) {
                if let Some(to) = remap.get(d) {
                    *d = to.clone();
                }
            }
            let key = m.key();
            m.dependencies.retain(|d| *d != key);
            m.dependencies.dedup();
        }
        let graph = MigrationGraph::new(migrations.values())?;
        Ok(Loader {
            migrations,
            graph,
            replacements,
        })
    }

    /// Every squashed migration and the migrations it replaces.
    pub fn replacements(&self) -> &BTreeMap<MigrationKey, Vec<MigrationKey>> {
        &self.replacements
    }

    /// What counts as applied: the recorded migrations, plus each squashed migration all of
    /// whose replaced migrations are recorded.
    pub fn effective_applied(&self, recorded: &BTreeSet<MigrationKey>) -> BTreeSet<MigrationKey> {
        let mut applied = recorded.clone();
        for (squashed, replaced) in &self.replacements {
            if replaced.iter().all(|r| recorded.contains(r)) {
                applied.insert(squashed.clone());
            }
        }
        applied
    }

    /// The dependency graph.
    pub fn graph(&self) -> &MigrationGraph {
        &self.graph
    }

    /// The migration with this key, if the graph has it.
    pub fn get(&self, key: &MigrationKey) -> Option<&Migration> {
        self.migrations.get(key)
    }

    /// Every migration, in key order.
    pub fn migrations(&self) -> impl Iterator<Item = &Migration> {
        self.migrations.values()
    }

    /// Refuses a history with two leaves in one app, naming them.
    pub fn check_consistent(&self) -> Result<()> {
        match self.graph.conflicts().into_iter().next() {
            None => Ok(()),
            Some((app, leaves)) => Err(Error::Conflict {
                app: app.to_owned(),
                leaves: leaves.iter().map(|k| k.name.to_string()).collect(),
            }),
        }
    }

    /// The state after every migration, validated. One pass over all operations.
    pub fn project_state(&self) -> Result<ProjectState> {
        let mut state = ProjectState::new();
        for key in self.graph.topological_order() {
            apply(&self.migrations[key], &mut state)?;
        }
        state.validate()?;
        Ok(state)
    }

    /// The state after the `applied` migrations only (in dependency order), validated: what
    /// a database with that history should have.
    pub fn state_of(&self, applied: &BTreeSet<MigrationKey>) -> Result<ProjectState> {
        let mut state = ProjectState::new();
        for key in self.graph.topological_order() {
            if applied.contains(key) {
                apply(&self.migrations[key], &mut state)?;
            }
        }
        state.validate()?;
        Ok(state)
    }
}

/// Replays one migration's operations onto `state`.
pub fn apply(migration: &Migration, state: &mut ProjectState) -> Result<()> {
    for op in &migration.operations {
        if let (true, crate::operations::Operation::AddIndex(a)) = (migration.atomic, op) {
            if a.concurrently {
                return Err(Error::InvalidOperation {
                    migration: migration.key().to_string(),
                    operation: op.describe(),
                    problem: "an index built concurrently cannot be built in a transaction: mark the migration .non_atomic()".into(),
                });
            }
        }
        op.state_forwards(&migration.app, state)
            .map_err(|problem| Error::InvalidOperation {
                migration: migration.key().to_string(),
                operation: op.describe(),
                problem,
            })?;
    }
    Ok(())
}
