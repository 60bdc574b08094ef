//! Operations on a model's named indexes and constraints.

use super::{fragment, model_mut, Op, Problem};
use crate::state::{Constraint, Index, Name, ProjectState};

/// Adds a named index to a model (`#[model(indexes(index(…)))]`).
#[derive(Clone, Debug, PartialEq)]
pub struct AddIndex {
    /// The model's name.
    pub model: Name,
    /// The index.
    pub index: Index,
    /// Built while writes go on: `CREATE INDEX CONCURRENTLY` on PostgreSQL (which refuses
    /// it inside a transaction, so the migration must be `non_atomic`), `ALGORITHM=INPLACE
    /// LOCK=NONE` on MySQL (refused rather than blocking); SQLite has no such build.
    pub concurrently: bool,
}

impl AddIndex {
    /// Adds `index` to `model`.
    pub fn new(model: impl Into<Name>, index: Index) -> Self {
        AddIndex {
            model: model.into(),
            index,
            concurrently: false,
        }
    }

    /// Builds it while writes go on (see [`concurrently`](Self::concurrently)).
    pub fn concurrently(mut self) -> Self {
        self.concurrently = true;
        self
    }
}

impl Op for AddIndex {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        if model.indexes.iter().any(|i| i.name == self.index.name) {
            return Err(format!(
                "index {} already exists on {app}.{}",
                self.index.name, self.model
            ));
        }
        model.indexes.to_mut().push(self.index.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        let i = &self.index;
        let mut on = Vec::new();
        if !i.fields.is_empty() {
            on.push(format!("field(s) {}", i.fields.join(", ")));
        }
        if !i.expressions.is_empty() {
            on.push(format!("expression(s) {}", i.expressions.join(", ")));
        }
        format!(
            "Create index {} on {} of model {}",
            i.name,
            on.join(" and "),
            self.model
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "{}_{}",
            fragment(&self.model),
            fragment(&self.index.name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// Removes a named index from a model.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoveIndex {
    /// The model's name.
    pub model: Name,
    /// The index's name.
    pub name: Name,
}

impl RemoveIndex {
    /// Removes index `name` from `model`.
    pub fn new(model: impl Into<Name>, name: impl Into<Name>) -> Self {
        RemoveIndex {
            model: model.into(),
            name: name.into(),
        }
    }
}

impl Op for RemoveIndex {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        let before = model.indexes.len();
        model.indexes.to_mut().retain(|i| i.name != self.name);
        if model.indexes.len() == before {
            return Err(format!("no index {} on {app}.{}", self.name, self.model));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Remove index {} from {}", self.name, self.model)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "remove_{}_{}",
            fragment(&self.model),
            fragment(&self.name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// Renames a model's index.
#[derive(Clone, Debug, PartialEq)]
pub struct RenameIndex {
    /// The model's name.
    pub model: Name,
    /// The index's name before.
    pub old_name: Name,
    /// The index's name after.
    pub new_name: Name,
}

impl RenameIndex {
    /// Renames index `old_name` of `model` to `new_name`.
    pub fn new(
        model: impl Into<Name>,
        old_name: impl Into<Name>,
        new_name: impl Into<Name>,
    ) -> Self {
        RenameIndex {
            model: model.into(),
            old_name: old_name.into(),
            new_name: new_name.into(),
        }
    }
}

impl Op for RenameIndex {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        let index = model
            .indexes
            .to_mut()
            .iter_mut()
            .find(|i| i.name == self.old_name)
            .ok_or_else(|| format!("no index {} on {app}.{}", self.old_name, self.model))?;
        index.name = self.new_name.clone();
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Rename index {} on {} to {}",
            self.old_name, self.model, self.new_name
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "rename_{}_{}",
            fragment(&self.old_name),
            fragment(&self.new_name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// Adds a named unique or check constraint to a model (`#[model(constraints(…))]`).
#[derive(Clone, Debug, PartialEq)]
pub struct AddConstraint {
    /// The model's name.
    pub model: Name,
    /// The constraint.
    pub constraint: Constraint,
    /// A check added `NOT VALID` and then validated by a statement of its own, on
    /// PostgreSQL: the first holds its lock a moment, the second scans the rows while
    /// reads and writes go on (in a `non_atomic` migration, where each commits on its own).
    pub validate_separately: bool,
}

impl AddConstraint {
    /// Adds `constraint` to `model`.
    pub fn new(model: impl Into<Name>, constraint: Constraint) -> Self {
        AddConstraint {
            model: model.into(),
            constraint,
            validate_separately: false,
        }
    }

    /// Checks the rows already there separately (see
    /// [`validate_separately`](Self::validate_separately)).
    pub fn validate_separately(mut self) -> Self {
        self.validate_separately = true;
        self
    }
}

impl Op for AddConstraint {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        if model
            .constraints
            .iter()
            .any(|c| c.name() == self.constraint.name())
        {
            return Err(format!(
                "constraint {} already exists on {app}.{}",
                self.constraint.name(),
                self.model
            ));
        }
        model.constraints.to_mut().push(self.constraint.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Create constraint {} on model {}",
            self.constraint.name(),
            self.model
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "{}_{}",
            fragment(&self.model),
            fragment(self.constraint.name())
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// Removes a named constraint from a model.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoveConstraint {
    /// The model's name.
    pub model: Name,
    /// The constraint's name.
    pub name: Name,
}

impl RemoveConstraint {
    /// Removes constraint `name` from `model`.
    pub fn new(model: impl Into<Name>, name: impl Into<Name>) -> Self {
        RemoveConstraint {
            model: model.into(),
            name: name.into(),
        }
    }
}

impl Op for RemoveConstraint {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        let before = model.constraints.len();
        model.constraints.to_mut().retain(|c| c.name() != self.name);
        if model.constraints.len() == before {
            return Err(format!(
                "no constraint {} on {app}.{}",
                self.name, self.model
            ));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Remove constraint {} from model {}", self.name, self.model)
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "remove_{}_{}",
            fragment(&self.model),
            fragment(&self.name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}
