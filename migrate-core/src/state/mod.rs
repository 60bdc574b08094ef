//! The schema state of a project: apps → models → fields, indexes and constraints, as plain
//! comparable data keyed by `(app, model)` in sorted order.
//!
//! It is built from the registered models (the "to" state) and, later, by replaying
//! migrations (the "from" state). Each app's models sit in a map behind `Arc`, and each
//! model behind its own `Arc`: cloning a state copies one pointer per app, and changing a
//! model copies that app's map of pointers and that model only. The executor keeps a state
//! before and after every operation, so this keeps applying linear in operations.

mod model;
mod tables;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use model::{Constraint, Field, Fields, Index, ModelKey, ModelRef, ModelState, Name};
pub use tables::{CheckExpr, Column, ForeignKeyConstraint, Table, TableIndex, TableUnique};

use crate::error::{Error, Result};
use crate::fields::{ColumnType, FieldType, OnDelete};

/// The models of one app.
type AppModels = BTreeMap<ModelKey, Arc<ModelState>>;

/// All models of a project, in `(app, model)` order. No app has an empty map, so equal
/// states compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectState {
    apps: BTreeMap<Name, Arc<AppModels>>,
}

impl ProjectState {
    /// An empty state.
    pub fn new() -> Self {
        ProjectState::default()
    }

    /// Builds and validates a state from models given in any order: the result depends
    /// only on the set of models, never on the order they came in.
    pub fn from_models(models: impl IntoIterator<Item = ModelState>) -> Result<Self> {
        let mut state = ProjectState::new();
        for model in models {
            state.add_model(model)?;
        }
        state.validate()?;
        Ok(state)
    }

    /// Adds a model without validating references (replay validates once at the end).
    pub fn add_model(&mut self, model: ModelState) -> Result<()> {
        let key = model.key();
        if self.contains(&key) {
            return Err(Error::DuplicateModel {
                app: key.app.into_owned(),
                model: key.model.into_owned(),
            });
        }
        let app = Arc::make_mut(self.apps.entry(key.app.clone()).or_default());
        app.insert(key, Arc::new(model));
        Ok(())
    }

    /// Takes a model out, if it is there.
    pub fn remove_model(&mut self, key: &ModelKey) -> Option<Arc<ModelState>> {
        let app = self.apps.get_mut(&key.app)?;
        if !app.contains_key(key) {
            return None;
        }
        let removed = Arc::make_mut(app).remove(key);
        if app.is_empty() {
            self.apps.remove(&key.app);
        }
        removed
    }

    fn contains(&self, key: &ModelKey) -> bool {
        self.apps.get(&key.app).is_some_and(|m| m.contains_key(key))
    }

    /// Keys and models in `(app, model)` order.
    fn entries(&self) -> impl Iterator<Item = (&ModelKey, &ModelState)> {
        self.apps
            .values()
            .flat_map(|app| app.iter().map(|(k, m)| (k, &**m)))
    }

    /// The model with this key, if any.
    pub fn model(&self, key: &ModelKey) -> Option<&ModelState> {
        self.apps.get(&key.app)?.get(key).map(|m| &**m)
    }

    /// Mutable access that copies the model first if another state shares it.
    pub fn model_mut(&mut self, key: &ModelKey) -> Option<&mut ModelState> {
        let app = self.apps.get_mut(&key.app)?;
        if !app.contains_key(key) {
            return None;
        }
        Arc::make_mut(app).get_mut(key).map(Arc::make_mut)
    }

    /// Models in `(app, model)` order.
    pub fn models(&self) -> impl Iterator<Item = &ModelState> {
        self.entries().map(|(_, m)| m)
    }

    /// App labels in sorted order, each once.
    pub fn apps(&self) -> Vec<&str> {
        self.apps.keys().map(|a| &**a).collect()
    }

    /// The number of models.
    pub fn len(&self) -> usize {
        self.apps.values().map(|app| app.len()).sum()
    }

    /// Whether there are no models.
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// The same models with the same schemas; field, index and constraint order aside.
    /// This is what "the migrations match the models" means.
    pub fn same_schema(&self, other: &ProjectState) -> bool {
        self.len() == other.len()
            && self
                .entries()
                .all(|(k, m)| other.model(k).is_some_and(|o| m.same_schema(o)))
    }

    /// Resolves a relation's target as seen from a model of `from_app`: `app.Model` must
    /// exist; a bare `Model` is looked up in `from_app`, then in every app, and must be
    /// unique there.
    pub fn resolve(&self, from: &ModelKey, field: &str, target: &ModelRef) -> Result<ModelKey> {
        let dangling = || Error::UnknownModelReference {
            app: from.app.to_string(),
            model: from.model.to_string(),
            field: field.to_owned(),
            target: target.to_string(),
        };
        if let Some(key) = target.key() {
            return if self.contains(&key) {
                Ok(key)
            } else {
                Err(dangling())
            };
        }
        let local = ModelKey::new(from.app.clone(), target.model.clone());
        if self.contains(&local) {
            return Ok(local);
        }
        let candidates: Vec<&ModelKey> = self
            .entries()
            .map(|(k, _)| k)
            .filter(|k| k.model == target.model)
            .collect();
        match candidates.as_slice() {
            [] => Err(dangling()),
            [one] => Ok((*one).clone()),
            many => Err(Error::AmbiguousModelReference {
                app: from.app.to_string(),
                model: from.model.to_string(),
                field: field.to_owned(),
                target: target.to_string(),
                candidates: many.iter().map(|k| k.to_string()).collect(),
            }),
        }
    }

    /// Checks the whole state and rewrites every relation target to its qualified
    /// `app.Model` form. One pass over models and fields.
    pub fn validate(&mut self) -> Result<()> {
        let mut resolved: Vec<(ModelKey, usize, usize, ModelKey)> = Vec::new();
        let mut tables: HashMap<&str, &ModelKey> = HashMap::new();
        let mut names: HashMap<&str, &ModelKey> = HashMap::new();
        for (key, model) in self.entries() {
            if let Some(first) = tables.insert(&model.table, key) {
                return Err(Error::DuplicateTable {
                    table: model.table.to_string(),
                    first: first.to_string(),
                    second: key.to_string(),
                });
            }
            validate_model(key, model)?;
            for (i, field) in model.fields.iter().enumerate() {
                for (j, target) in field.ty.refs().enumerate() {
                    let to = self.resolve(key, &field.name, target)?;
                    if target.app.is_none() {
                        resolved.push((key.clone(), i, j, to));
                    }
                }
                if let FieldType::ManyToMany {
                    to,
                    through: Some(through),
                } = &field.ty
                {
                    self.validate_through(key, field, to, through)?;
                }
            }
            let index_names = model.indexes.iter().map(|i| &*i.name);
            for name in index_names.chain(model.constraints.iter().map(|c| c.name())) {
                if let Some(first) = names.insert(name, key) {
                    return Err(Error::DuplicateName {
                        name: name.to_owned(),
                        first: first.to_string(),
                        second: key.to_string(),
                    });
                }
            }
        }
        for (key, i, j, to) in resolved {
            let model = self.model_mut(&key).expect("key taken from the state");
            let mut refs = model.fields.to_mut()[i].ty.refs_mut();
            *refs.swap_remove(j) = ModelRef::from(&to);
        }
        Ok(())
    }

    /// A many-to-many's `through` model has a foreign key to each side, as Django requires
    /// (two to the model itself for a relation of a model to itself).
    fn validate_through(
        &self,
        key: &ModelKey,
        field: &Field,
        to: &ModelRef,
        through: &ModelRef,
    ) -> Result<()> {
        let through_key = self.resolve(key, &field.name, through)?;
        let target_key = self.resolve(key, &field.name, to)?;
        let through_model = self.model(&through_key).expect("resolved keys exist");
        let keys_to = |side: &ModelKey| {
            through_model
                .fields
                .iter()
                .filter(|f| {
                    matches!(
                        f.ty,
                        FieldType::ForeignKey { .. } | FieldType::OneToOne { .. }
                    ) && f
                        .ty
                        .target()
                        .and_then(|t| self.resolve(&through_key, &f.name, t).ok())
                        .as_ref()
                        == Some(side)
                })
                .count()
        };
        let (from, other) = (keys_to(key), keys_to(&target_key));
        let enough = if *key == target_key {
            from >= 2
        } else {
            from >= 1 && other >= 1
        };
        if enough {
            return Ok(());
        }
        Err(Error::InvalidModel {
            app: key.app.to_string(),
            model: key.model.to_string(),
            field: field.name.to_string(),
            problem: format!(
                "its `through` model {through_key} needs a foreign key to {key} and one to {target_key}"
            ),
        })
    }

    /// The SQL column type of a field: its own, or for a foreign key the type of the
    /// target's primary key (followed through a chain of keys that are themselves
    /// relations), without auto-increment.
    pub fn column_type(&self, model: &ModelState, field: &Field) -> Result<ColumnType> {
        let mut owner = model.key();
        let mut current = field.clone();
        // A chain longer than the number of models must loop.
        for _ in 0..=self.len() {
            match &current.ty {
                FieldType::Column(ty) => return Ok(*ty),
                FieldType::ManyToMany { .. } => {
                    return Err(Error::NoColumn {
                        app: model.app.to_string(),
                        model: model.name.to_string(),
                        field: field.name.to_string(),
                    })
                }
                FieldType::ForeignKey { to, .. } | FieldType::OneToOne { to, .. } => {
                    let target_key = self.resolve(&owner, &current.name, to)?;
                    let target = self.model(&target_key).expect("resolved keys exist");
                    current = target
                        .primary_key()
                        .ok_or_else(|| Error::MissingPrimaryKey {
                            app: target.app.to_string(),
                            model: target.name.to_string(),
                        })?
                        .clone();
                    owner = target_key;
                }
            }
        }
        Err(Error::ReferenceCycle {
            app: model.app.to_string(),
            model: model.name.to_string(),
            field: field.name.to_string(),
        })
    }
}

/// The rules that concern one model alone.
fn validate_model(key: &ModelKey, model: &ModelState) -> Result<()> {
    let err = |field: &str, problem: String| Error::InvalidModel {
        app: key.app.to_string(),
        model: key.model.to_string(),
        field: field.to_owned(),
        problem,
    };
    let mut primary_keys = model.fields.iter().filter(|f| f.primary_key);
    match (primary_keys.next(), primary_keys.next()) {
        (None, _) => {
            return Err(Error::MissingPrimaryKey {
                app: key.app.to_string(),
                model: key.model.to_string(),
            })
        }
        (Some(_), Some(second)) => {
            return Err(err(&second.name, "a second primary key".into()));
        }
        _ => {}
    }
    let mut seen_fields = HashMap::new();
    let mut seen_columns = HashMap::new();
    for field in model.fields.iter() {
        if let Some(first) = seen_fields.insert(&*field.name, field) {
            return Err(err(&first.name, "declared twice".into()));
        }
        if field.ty.has_column() {
            if let Some(first) = seen_columns.insert(&*field.column, field) {
                return Err(err(
                    &field.name,
                    format!("column `{}` is also used by `{}`", field.column, first.name),
                ));
            }
        }
        if field.default == Some(crate::fields::Value::NewUuid)
            && field.ty != FieldType::Column(ColumnType::Uuid)
        {
            return Err(err(
                &field.name,
                "a new UUID as default (`Uuid::new_v4`) needs a `Uuid` column".into(),
            ));
        }
        if let Some(default) = field.default.as_ref().filter(|d| !d.is_computed()) {
            if !field.choices.is_empty() && !field.choices.contains(default) {
                return Err(err(
                    &field.name,
                    format!("the default {default} is not one of its choices"),
                ));
            }
        }
        if let FieldType::ForeignKey { on_delete, .. } | FieldType::OneToOne { on_delete, .. } =
            field.ty
        {
            if on_delete == OnDelete::SetNull && !field.null {
                return Err(err(
                    &field.name,
                    "on_delete SetNull on a non-null field".into(),
                ));
            }
        }
    }
    for index in model.indexes.iter() {
        if index.fields.is_empty() && index.expressions.is_empty() {
            return Err(err(&index.name, "an index with no fields".into()));
        }
        if let Some(f) = index.descending.iter().find(|f| !index.fields.contains(f)) {
            return Err(err(
                f,
                format!(
                    "ordered descending by `{}` but not one of its fields",
                    index.name
                ),
            ));
        }
    }
    let index_fields = model
        .indexes
        .iter()
        .filter(|i| !i.fields.is_empty())
        .map(|i| (&*i.name, &*i.fields));
    let unique_fields = model.constraints.iter().filter_map(|c| match c {
        Constraint::Unique { name, fields } => Some((&**name, &**fields)),
        Constraint::Check { .. } => None,
    });
    for (name, fields) in index_fields.chain(unique_fields) {
        if fields.is_empty() {
            return Err(err(name, "an index or constraint with no fields".into()));
        }
        for f in fields {
            match seen_fields.get(&**f) {
                None => return Err(err(f, format!("named by `{name}` but does not exist"))),
                Some(field) if !field.ty.has_column() => {
                    return Err(err(f, format!("named by `{name}` but has no column")))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
