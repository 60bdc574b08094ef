//! Operations on whole models: create, delete, rename, move to another table.

use std::borrow::Cow;

use super::{fragment, model_mut, Op, Problem};
use crate::fields::FieldType;
use crate::state::{Constraint, Field, Index, ModelKey, ModelRef, ModelState, Name, ProjectState};

/// Creates a model with its table, fields, indexes and constraints.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateModel {
    /// The model's name (the struct's).
    pub name: Name,
    /// The table.
    pub table: Name,
    /// The fields, in declaration order.
    pub fields: Vec<Field>,
    /// The named indexes.
    pub indexes: Vec<Index>,
    /// The named constraints.
    pub constraints: Vec<Constraint>,
    /// Whether the tool owns the table (see [`ModelState::managed`]). An unmanaged model
    /// enters the state and no SQL runs.
    pub managed: bool,
}

impl CreateModel {
    /// Model `name` in table `table`, with no fields yet.
    #[inline(never)] // out of line, as `Field::new`
    pub fn new(name: impl Into<Name>, table: impl Into<Name>) -> Self {
        CreateModel {
            name: name.into(),
            table: table.into(),
            fields: Vec::new(),
            indexes: Vec::new(),
            constraints: Vec::new(),
            managed: true,
        }
    }

    /// Makes it a model whose table the tool never creates, alters or drops.
    pub fn unmanaged(mut self) -> Self {
        self.managed = false;
        self
    }

    /// Appends fields.
    #[inline(never)] // out of line, as `Field::new`
    pub fn fields(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.fields.extend(fields);
        self
    }

    /// Appends indexes.
    #[inline(never)] // out of line, as `Field::new`
    pub fn indexes(mut self, indexes: impl IntoIterator<Item = Index>) -> Self {
        self.indexes.extend(indexes);
        self
    }

    /// Appends constraints.
    #[inline(never)] // out of line, as `Field::new`
    pub fn constraints(mut self, constraints: impl IntoIterator<Item = Constraint>) -> Self {
        self.constraints.extend(constraints);
        self
    }

    /// The model this operation creates, as a state.
    pub fn model_state(&self, app: &str) -> ModelState {
        ModelState {
            app: app.to_owned().into(),
            name: self.name.clone(),
            table: self.table.clone(),
            fields: self.fields.clone().into(),
            indexes: Cow::Owned(self.indexes.clone()),
            constraints: Cow::Owned(self.constraints.clone()),
            managed: self.managed,
        }
    }
}

impl Op for CreateModel {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        state
            .add_model(self.model_state(app))
            .map_err(|_| format!("model {app}.{} already exists", self.name))
    }

    fn describe(&self) -> String {
        format!("Create model {}", self.name)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(fragment(&self.name))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        (key.app == app && key.model == self.name)
            || self.fields.iter().any(|f| targets(&f.ty, app, key))
    }
}

/// Whether a relation points at `key` (its target or a many-to-many's `through`), reading
/// a bare `Model` as one of `app`.
pub(crate) fn targets(ty: &FieldType, app: &str, key: &ModelKey) -> bool {
    ty.refs().any(|t| points_at(t, app, key))
}

fn points_at(t: &ModelRef, app: &str, key: &ModelKey) -> bool {
    t.model == key.model && t.app.as_deref().unwrap_or(app) == key.app
}

/// Deletes a model and its table.
#[derive(Clone, Debug, PartialEq)]
pub struct DeleteModel {
    /// The model's name.
    pub name: Name,
}

impl DeleteModel {
    /// Deletes model `name`.
    pub fn new(name: impl Into<Name>) -> Self {
        DeleteModel { name: name.into() }
    }
}

impl Op for DeleteModel {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let key = ModelKey::new(app.to_owned(), self.name.clone());
        state
            .remove_model(&key)
            .map(drop)
            .ok_or_else(|| format!("model {key} does not exist at this point of the history"))
    }

    fn describe(&self) -> String {
        format!("Delete model {}", self.name)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!("delete_{}", fragment(&self.name)))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// Renames a model (its table stays; a table change is its own `AlterModelTable`), and
/// points every relation to it at the new name.
#[derive(Clone, Debug, PartialEq)]
pub struct RenameModel {
    /// The model's name before.
    pub old_name: Name,
    /// The model's name after.
    pub new_name: Name,
}

impl RenameModel {
    /// Renames model `old_name` to `new_name`.
    pub fn new(old_name: impl Into<Name>, new_name: impl Into<Name>) -> Self {
        RenameModel {
            old_name: old_name.into(),
            new_name: new_name.into(),
        }
    }
}

impl Op for RenameModel {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let old = ModelKey::new(app.to_owned(), self.old_name.clone());
        let new = ModelKey::new(app.to_owned(), self.new_name.clone());
        let model = state
            .remove_model(&old)
            .ok_or_else(|| format!("model {old} does not exist at this point of the history"))?;
        let mut model = (*model).clone();
        model.name = self.new_name.clone();
        state
            .add_model(model)
            .map_err(|_| format!("model {new} already exists"))?;
        // Relations are few next to models, and renames are rare: one pass over fields.
        let referencing: Vec<ModelKey> = state
            .models()
            .filter(|m| m.fields.iter().any(|f| targets(&f.ty, &m.app, &old)))
            .map(|m| m.key())
            .collect();
        for key in referencing {
            let model = state.model_mut(&key).expect("key taken from the state");
            let model_app = model.app.clone();
            for field in model.fields.to_mut() {
                for r in field.ty.refs_mut() {
                    if points_at(r, &model_app, &old) {
                        *r = ModelRef::from(&new);
                    }
                }
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Rename model {} to {}", self.old_name, self.new_name)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "rename_{}_{}",
            fragment(&self.old_name),
            fragment(&self.new_name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.new_name)
    }

    fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        key.app == app && (key.model == self.old_name || key.model == self.new_name)
    }
}

/// Moves a model to another table name.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterModelTable {
    /// The model's name.
    pub name: Name,
    /// The new table name.
    pub table: Name,
}

impl AlterModelTable {
    /// Moves model `name` to table `table`.
    pub fn new(name: impl Into<Name>, table: impl Into<Name>) -> Self {
        AlterModelTable {
            name: name.into(),
            table: table.into(),
        }
    }
}

impl Op for AlterModelTable {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        model_mut(state, app, &self.name)?.table = self.table.clone();
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Rename table for {} to {}", self.name, self.table)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!("alter_{}_table", fragment(&self.name)))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// Hands a model's table over to the tool, or takes it away (Django's `managed` option):
/// no SQL either way. A table that becomes managed is taken as it is; one that becomes
/// unmanaged is left where it is, rows and all.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterModelManaged {
    /// The model's name.
    pub name: Name,
    /// Whether the tool owns the table from now on.
    pub managed: bool,
}

impl AlterModelManaged {
    /// Makes model `name` managed (`true`) or unmanaged (`false`).
    pub fn new(name: impl Into<Name>, managed: bool) -> Self {
        AlterModelManaged {
            name: name.into(),
            managed,
        }
    }
}

impl Op for AlterModelManaged {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        model_mut(state, app, &self.name)?.managed = self.managed;
        Ok(())
    }

    fn describe(&self) -> String {
        let what = if self.managed { "managed" } else { "unmanaged" };
        format!("Make model {} {what}", self.name)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!("alter_{}_managed", fragment(&self.name)))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.name)
    }
}
