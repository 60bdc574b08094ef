//! Drift: what the models declare that the migrations do not. The same comparison serves
//! `makemigrations --check` and a one-line test in the user's crate:
//!
//! ```
//! pub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!();
//!
//! // In the crate's tests, as `#[test] fn migrations_match_models()`:
//! migrate_core::drift::assert_no_drift(MIGRATIONS.all());
//! ```

use std::collections::BTreeMap;

use crate::autodetector::{Autodetector, Changes, RenameHints};
use crate::error::Result;
use crate::fields::Value;
use crate::loader::Loader;
use crate::migration::{Migration, MigrationKey};
use crate::questioner::Questioner;
use crate::registry;
use crate::state::{Field, ModelKey, Name};

/// The latest migration of each app, refusing a history with two leaves in an app.
pub fn leaves(loader: &Loader) -> Result<BTreeMap<Name, MigrationKey>> {
    loader.check_consistent()?;
    Ok(loader
        .graph()
        .app_leaves()
        .into_values()
        .filter_map(|leaves| leaves.first().copied())
        .map(|k| (k.app.clone(), k.clone()))
        .collect())
}

/// The migrations `makemigrations` would write for the registered models, without asking
/// anything: renames count only where declared, and a NOT NULL addition is still a change.
pub fn pending_changes(migrations: impl IntoIterator<Item = Migration>) -> Result<Changes> {
    let loader = Loader::new(migrations)?;
    let leaves = leaves(&loader)?;
    let from = loader.project_state()?;
    // The history is freed before the models' state is built (as `makemigrations` does).
    drop(loader);
    let definitions = registry::definitions();
    let to = registry::state_of(definitions.iter().copied())?;
    let hints = RenameHints::from_definitions(definitions);
    Autodetector {
        from: &from,
        to: &to,
        hints: &hints,
        leaves: &leaves,
    }
    .changes(&mut Observer)
}

/// Panics, listing the pending operations per app, when the models have drifted from the
/// migrations (or the migrations do not load).
#[track_caller]
pub fn assert_no_drift(migrations: impl IntoIterator<Item = Migration>) {
    match pending_changes(migrations) {
        Err(err) => panic!("the migrations do not load: {err}"),
        Ok(changes) if !changes.is_empty() => panic!(
            "the models have changes that no migration records; run `makemigrations`:\n{}",
            describe(&changes)
        ),
        Ok(_) => {}
    }
}

/// One line per operation, under its migration: what `--check` prints.
pub fn describe(changes: &Changes) -> String {
    let mut out = String::new();
    for m in &changes.migrations {
        out.push_str(&format!("  {}.{}\n", m.app, m.name));
        for op in &m.operations {
            out.push_str(&format!("    - {}\n", op.describe()));
        }
    }
    out
}

/// Watches without deciding: declines undeclared renames and fills any question about
/// existing rows with a placeholder, so that every change shows.
struct Observer;

impl Questioner for Observer {
    fn ask_rename_field(&mut self, _: &ModelKey, _: &Field, _: &Field, _: &str) -> bool {
        false
    }

    fn ask_rename_model(&mut self, _: &ModelKey, _: &ModelKey) -> bool {
        false
    }

    fn ask_not_null_addition(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        Some(Value::Int(0))
    }

    fn ask_not_null_alteration(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        Some(Value::Int(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // This crate's own tests register models (see `state/tests.rs`): with no migrations at
    // all, every one of them is drift.
    #[test]
    fn models_without_migrations_are_drift() {
        let changes = pending_changes(Vec::new()).unwrap();
        let created: Vec<String> = changes
            .migrations
            .iter()
            .flat_map(|m| m.operations.iter().map(|o| o.describe()))
            .collect();
        assert!(
            created.contains(&"Create model Book".to_owned()),
            "{created:?}"
        );
        assert!(describe(&changes).contains("    - Create model Tag\n"));
    }

    #[test]
    #[should_panic(expected = "the models have changes that no migration records")]
    fn assert_no_drift_fails_on_drift() {
        assert_no_drift(Vec::new());
    }
}
