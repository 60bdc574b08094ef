//! Operations: the steps a migration is made of. Each knows how it changes the schema state
//! (`state_forwards`), how it describes itself, which models and fields it touches, and
//! whether the database can undo it.
//!
//! Operations name models by their name within the migration's app; relation targets are
//! `app.Model` references.

mod field;
mod index;
mod model;
mod reduce;
mod special;

pub(crate) use field::renamed as renamed_field;
pub use field::{AddField, AlterField, RemoveField, RenameField};
pub use index::{AddConstraint, AddIndex, RemoveConstraint, RemoveIndex, RenameIndex};
pub use model::{AlterModelManaged, AlterModelTable, CreateModel, DeleteModel, RenameModel};
pub use reduce::overlap;
pub use special::{Backend, BoxError, BoxFuture, RunRust, RunSql, RustFn};

use crate::state::{ModelKey, ModelState, ProjectState};

/// Why an operation cannot apply to a state (the caller adds the app and migration).
pub type Problem = String;

/// One step of a migration. Each variant's struct says what it does; a migration file builds
/// the struct and turns it into an `Operation` with `.into()`.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// See [`CreateModel`].
    CreateModel(CreateModel),
    /// See [`DeleteModel`].
    DeleteModel(DeleteModel),
    /// See [`RenameModel`].
    RenameModel(RenameModel),
    /// See [`AlterModelTable`].
    AlterModelTable(AlterModelTable),
    /// See [`AlterModelManaged`].
    AlterModelManaged(AlterModelManaged),
    /// See [`AddField`].
    AddField(AddField),
    /// See [`RemoveField`].
    RemoveField(RemoveField),
    /// See [`AlterField`].
    AlterField(AlterField),
    /// See [`RenameField`].
    RenameField(RenameField),
    /// See [`AddIndex`].
    AddIndex(AddIndex),
    /// See [`RemoveIndex`].
    RemoveIndex(RemoveIndex),
    /// See [`RenameIndex`].
    RenameIndex(RenameIndex),
    /// See [`AddConstraint`].
    AddConstraint(AddConstraint),
    /// See [`RemoveConstraint`].
    RemoveConstraint(RemoveConstraint),
    /// See [`RunSql`].
    RunSql(RunSql),
    /// See [`RunRust`].
    RunRust(RunRust),
}

macro_rules! dispatch {
    ($self:ident, $op:ident => $e:expr) => {
        match $self {
            Operation::CreateModel($op) => $e,
            Operation::DeleteModel($op) => $e,
            Operation::RenameModel($op) => $e,
            Operation::AlterModelTable($op) => $e,
            Operation::AlterModelManaged($op) => $e,
            Operation::AddField($op) => $e,
            Operation::RemoveField($op) => $e,
            Operation::AlterField($op) => $e,
            Operation::RenameField($op) => $e,
            Operation::AddIndex($op) => $e,
            Operation::RemoveIndex($op) => $e,
            Operation::RenameIndex($op) => $e,
            Operation::AddConstraint($op) => $e,
            Operation::RemoveConstraint($op) => $e,
            Operation::RunSql($op) => $e,
            Operation::RunRust($op) => $e,
        }
    };
}

/// What every operation can say about itself.
pub(crate) trait Op {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem>;
    fn describe(&self) -> String;
    /// A fragment for the migration's name, or `None` when nothing short describes it.
    fn name_fragment(&self) -> Option<String>;
    /// The model of the migration's app this operation acts on, if any.
    fn model_name(&self) -> Option<&str>;
    /// Whether the operation uses `key` (acts on it or points a relation at it).
    fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        self.model_name()
            .is_some_and(|m| key.app == app && key.model == m)
    }
    fn reversible(&self) -> bool {
        true
    }
}

impl Operation {
    /// Applies the operation to the state of the migration's app.
    pub fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        dispatch!(self, op => op.state_forwards(app, state))
    }

    /// One line for humans: "Create model Tenant", "Add field status to tenant".
    pub fn describe(&self) -> String {
        dispatch!(self, op => op.describe())
    }

    /// The part of a migration name `makemigrations` derives from it (`tenant_status`), if any.
    pub fn name_fragment(&self) -> Option<String> {
        dispatch!(self, op => op.name_fragment())
    }

    /// The model it works on, if it works on one.
    pub fn model_name(&self) -> Option<&str> {
        dispatch!(self, op => op.model_name())
    }

    /// Whether it works on, or refers to, model `key` (when it runs in `app`).
    pub fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        dispatch!(self, op => op.references_model(app, key))
    }

    /// Whether running it backwards is possible. Only `RunSql` and `RunRust` without a
    /// reverse are not.
    pub fn reversible(&self) -> bool {
        dispatch!(self, op => op.reversible())
    }
}

macro_rules! from_ops {
    ($($name:ident),*) => {$(
        impl From<$name> for Operation {
            #[inline(never)] // out of line, as `Field::new`
            fn from(op: $name) -> Self {
                Operation::$name(op)
            }
        }
    )*};
}

from_ops!(
    CreateModel,
    DeleteModel,
    RenameModel,
    AlterModelTable,
    AlterModelManaged,
    AddField,
    RemoveField,
    AlterField,
    RenameField,
    AddIndex,
    RemoveIndex,
    RenameIndex,
    AddConstraint,
    RemoveConstraint,
    RunSql,
    RunRust
);

/// The model `name` of `app`, for changing, or a problem naming it.
pub(crate) fn model_mut<'s>(
    state: &'s mut ProjectState,
    app: &str,
    name: &str,
) -> Result<&'s mut ModelState, Problem> {
    let key = ModelKey::new(app.to_owned(), name.to_owned());
    state
        .model_mut(&key)
        .ok_or_else(|| format!("model {key} does not exist at this point of the history"))
}

/// A short, identifier-safe lowercase form for migration names.
pub(crate) fn fragment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}
