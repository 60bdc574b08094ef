//! Operations on one field of a model.

use super::model::targets;
use super::{fragment, model_mut, Op, Problem};
use crate::fields::Value;
use crate::state::{Constraint, Field, ModelKey, Name, ProjectState};

/// Adds a field. `one_off_default` fills the rows that exist when a NOT NULL field without
/// a default of its own is added; it is not part of the model afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct AddField {
    /// The model's name.
    pub model: Name,
    /// The new field.
    pub field: Field,
    /// The value for the rows already in the table, when the field needs one and has no default.
    pub one_off_default: Option<Value>,
}

impl AddField {
    /// Adds `field` to `model`.
    pub fn new(model: impl Into<Name>, field: Field) -> Self {
        AddField {
            model: model.into(),
            field,
            one_off_default: None,
        }
    }

    /// Fills existing rows with `value` (which the model does not keep as a default).
    pub fn one_off_default(mut self, value: impl Into<Value>) -> Self {
        self.one_off_default = Some(value.into());
        self
    }
}

impl Op for AddField {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        if model.field(&self.field.name).is_some() {
            return Err(format!(
                "field {app}.{}.{} already exists",
                self.model, self.field.name
            ));
        }
        model.fields.push(self.field.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Add field {} to {}",
            self.field.name,
            self.model.to_lowercase()
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "{}_{}",
            fragment(&self.model),
            fragment(&self.field.name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        (key.app == app && key.model == self.model) || targets(&self.field.ty, app, key)
    }
}

/// Removes a field (and, in the database, its column and the indexes on it).
#[derive(Clone, Debug, PartialEq)]
pub struct RemoveField {
    /// The model's name.
    pub model: Name,
    /// The field's name.
    pub name: Name,
}

impl RemoveField {
    /// Removes field `name` of `model`.
    pub fn new(model: impl Into<Name>, name: impl Into<Name>) -> Self {
        RemoveField {
            model: model.into(),
            name: name.into(),
        }
    }
}

impl Op for RemoveField {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        match model.fields.remove(&self.name) {
            Some(_) => Ok(()),
            None => Err(format!(
                "field {app}.{}.{} does not exist at this point of the history",
                self.model, self.name
            )),
        }
    }

    fn describe(&self) -> String {
        format!(
            "Remove field {} from {}",
            self.name,
            self.model.to_lowercase()
        )
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

/// Replaces a field's definition (type, nullability, default, uniqueness ...).
/// `one_off_default` fills existing NULLs when a nullable field becomes NOT NULL.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterField {
    /// The model's name.
    pub model: Name,
    /// The field as it becomes (found by its name).
    pub field: Field,
    /// The value for rows that hold NULL, when the field becomes NOT NULL without a default.
    pub one_off_default: Option<Value>,
}

impl AlterField {
    /// Replaces the definition of `field.name` in `model` with `field`.
    pub fn new(model: impl Into<Name>, field: Field) -> Self {
        AlterField {
            model: model.into(),
            field,
            one_off_default: None,
        }
    }

    /// Fills existing NULLs with `value` (which the model does not keep as a default).
    pub fn one_off_default(mut self, value: impl Into<Value>) -> Self {
        self.one_off_default = Some(value.into());
        self
    }
}

impl Op for AlterField {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        match model.fields.replace(&self.field.name, self.field.clone()) {
            true => Ok(()),
            false => Err(format!(
                "field {app}.{}.{} does not exist at this point of the history",
                self.model, self.field.name
            )),
        }
    }

    fn describe(&self) -> String {
        format!(
            "Alter field {} on {}",
            self.field.name,
            self.model.to_lowercase()
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "alter_{}_{}",
            fragment(&self.model),
            fragment(&self.field.name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn references_model(&self, app: &str, key: &ModelKey) -> bool {
        (key.app == app && key.model == self.model) || targets(&self.field.ty, app, key)
    }
}

/// Renames a field. Its column follows when it was named after the field (`<old>` or
/// `<old>_id`); an explicit `db_column` stays. Indexes and constraints follow the field.
/// `db_column` says where the column ends up when that rule does not (a field renamed while
/// keeping its column, or renamed to a new explicit column): one column rename or none.
#[derive(Clone, Debug, PartialEq)]
pub struct RenameField {
    /// The model's name.
    pub model: Name,
    /// The field's name before.
    pub old_name: Name,
    /// The field's name after.
    pub new_name: Name,
    /// The column afterwards, when the rule above does not give it.
    pub db_column: Option<Name>,
}

impl RenameField {
    /// Renames field `old_name` of `model` to `new_name`.
    pub fn new(
        model: impl Into<Name>,
        old_name: impl Into<Name>,
        new_name: impl Into<Name>,
    ) -> Self {
        RenameField {
            model: model.into(),
            old_name: old_name.into(),
            new_name: new_name.into(),
            db_column: None,
        }
    }

    /// The column the renamed field has, whatever the field was called.
    pub fn db_column(mut self, column: impl Into<Name>) -> Self {
        self.db_column = Some(column.into());
        self
    }

    /// `field` as this operation leaves it.
    pub(crate) fn apply(&self, field: &Field) -> Field {
        let mut out = renamed(field, &self.new_name);
        if let Some(column) = &self.db_column {
            out.column = column.clone();
        }
        out
    }
}

/// The field as renamed: name, and the column when it was derived from the name.
pub(crate) fn renamed(field: &Field, new_name: &Name) -> Field {
    let derived = Field::new(field.name.clone(), field.ty.clone()).column;
    let mut out = field.clone();
    if field.column == derived {
        out.column = Field::new(new_name.clone(), field.ty.clone()).column;
    }
    out.name = new_name.clone();
    out
}

impl Op for RenameField {
    fn state_forwards(&self, app: &str, state: &mut ProjectState) -> Result<(), Problem> {
        let model = model_mut(state, app, &self.model)?;
        if model.field(&self.new_name).is_some() {
            return Err(format!(
                "field {app}.{}.{} already exists",
                self.model, self.new_name
            ));
        }
        let renamed = model
            .field(&self.old_name)
            .map(|f| self.apply(f))
            .ok_or_else(|| {
                format!(
                    "field {app}.{}.{} does not exist at this point of the history",
                    self.model, self.old_name
                )
            })?;
        model.fields.replace(&self.old_name, renamed);
        let rename = |names: &mut std::borrow::Cow<'static, [Name]>| {
            if names.contains(&self.old_name) {
                for n in names.to_mut() {
                    if *n == self.old_name {
                        *n = self.new_name.clone();
                    }
                }
            }
        };
        for index in model.indexes.to_mut() {
            index.rename_field(&self.old_name, &self.new_name);
        }
        for constraint in model.constraints.to_mut() {
            if let Constraint::Unique { fields, .. } = constraint {
                rename(fields);
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Rename field {} on {} to {}",
            self.old_name,
            self.model.to_lowercase(),
            self.new_name
        )
    }

    fn name_fragment(&self) -> Option<String> {
        Some(format!(
            "rename_{}_{}_{}",
            fragment(&self.old_name),
            fragment(&self.model),
            fragment(&self.new_name)
        ))
    }

    fn model_name(&self) -> Option<&str> {
        Some(&self.model)
    }
}
