//! The autodetector: from the replayed state and the models' state, the operations that turn
//! one into the other, cut into migrations per app with their dependencies.
//!
//! Operations are generated in passes, in an order that applies (renames; table moves;
//! index, constraint and field removals; model deletions; model creations in dependency
//! order; field additions and alterations; index and constraint additions). Each operation
//! is applied to a working copy of the "from" state as it is generated, so every pass
//! compares the state as the earlier passes left it. Then each app's operations are cut into
//! migrations, opening a new migration wherever staying in the current one would make two
//! apps' migrations depend on each other.
//!
//! The autodetector never prompts: questions go to a [`Questioner`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::fields::FieldType;
use crate::migration::{Migration, MigrationKey};
use crate::model::ModelDef;
use crate::operations::{
    AddConstraint, AddField, AddIndex, AlterField, AlterModelManaged, AlterModelTable, CreateModel,
    DeleteModel, Operation, RemoveConstraint, RemoveField, RemoveIndex, RenameField, RenameIndex,
    RenameModel,
};
use crate::questioner::Questioner;
use crate::state::{Field, ModelKey, ModelState, Name, ProjectState};

/// Renames declared in code with `renamed_from`.
#[derive(Clone, Debug, Default)]
pub struct RenameHints {
    /// New model → its old name in the same app.
    pub models: BTreeMap<ModelKey, Name>,
    /// (model, new field name) → old field name.
    pub fields: BTreeMap<(ModelKey, Name), Name>,
}

impl RenameHints {
    /// Collects the `renamed_from` hints of the given model definitions.
    pub fn from_definitions<'a>(defs: impl IntoIterator<Item = &'a ModelDef>) -> Self {
        let mut hints = RenameHints::default();
        for def in defs {
            let (app, model) = def.key();
            let key = ModelKey::new(app, model);
            let (renamed_from, field_renames) = def.hints();
            if let Some(old) = renamed_from {
                hints.models.insert(key.clone(), old.into());
            }
            for r in field_renames {
                hints
                    .fields
                    .insert((key.clone(), r.field.into()), r.from.into());
            }
        }
        hints
    }
}

/// What makemigrations would write: new migrations, in dependency order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// The new migrations, each app's after its previous leaf.
    pub migrations: Vec<Migration>,
}

impl Changes {
    /// Whether the models match the migrations (nothing to write).
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    /// The new migrations of one app, in order.
    pub fn for_app<'s>(&'s self, app: &'s str) -> impl Iterator<Item = &'s Migration> + 's {
        self.migrations.iter().filter(move |m| m.app == app)
    }
}

/// The inputs: the replayed state, the models' state, the declared renames, and the latest
/// existing migration of each app (new migrations follow it).
#[derive(Clone, Copy, Debug)]
pub struct Autodetector<'a> {
    /// The state the existing migrations build.
    pub from: &'a ProjectState,
    /// The state the models declare.
    pub to: &'a ProjectState,
    /// The renames the models declare.
    pub hints: &'a RenameHints,
    /// Each app's latest migration, which its new migrations depend on.
    pub leaves: &'a BTreeMap<Name, MigrationKey>,
}

impl Autodetector<'_> {
    /// The migrations that take `from` to `to`.
    pub fn changes(&self, questioner: &mut dyn Questioner) -> Result<Changes> {
        let mut b = Builder {
            current: self.from.clone(),
            to: self.to,
            hints: self.hints,
            questioner,
            ops: Vec::new(),
            defined_by: HashMap::new(),
            unreferenced_by: HashMap::new(),
            created: HashSet::new(),
        };
        b.renamed_models()?;
        b.handed_over(false)?;
        b.altered_tables()?;
        b.renamed_fields()?;
        b.removed_indexes_and_constraints()?;
        b.removed_fields()?;
        b.deleted_models()?;
        b.created_models()?;
        b.added_fields()?;
        b.altered_fields()?;
        b.added_indexes_and_constraints()?;
        b.handed_over(true)?;
        Ok(Changes {
            migrations: cut_into_migrations(b.ops, self.leaves),
        })
    }
}

/// One generated operation and what it needs first.
struct Planned {
    app: Name,
    op: Operation,
    /// Earlier operations of this run it must follow.
    deps: Vec<usize>,
    /// Models of other apps it points at that this run does not create.
    external: Vec<ModelKey>,
}

struct Builder<'a, 'q> {
    current: ProjectState,
    to: &'a ProjectState,
    hints: &'a RenameHints,
    questioner: &'q mut dyn Questioner,
    ops: Vec<Planned>,
    /// The operation of this run that created a model (or renamed one into it).
    defined_by: HashMap<ModelKey, usize>,
    /// The operations of this run that removed a reference to a model.
    unreferenced_by: HashMap<ModelKey, Vec<usize>>,
    created: HashSet<ModelKey>,
}

/// The models a field refers to (target, and a many-to-many's `through`).
fn ref_keys(ty: &FieldType) -> Vec<ModelKey> {
    ty.refs().filter_map(|r| r.key()).collect()
}

impl Builder<'_, '_> {
    /// Records `op` for `app`, applies it to the working state, and works out its
    /// dependencies: `refs` are models it points at, `drops` models it stops pointing at.
    fn push(
        &mut self,
        app: &Name,
        op: Operation,
        refs: &[ModelKey],
        drops: &[ModelKey],
    ) -> Result<()> {
        op.state_forwards(app, &mut self.current)
            .map_err(|problem| Error::InvalidOperation {
                migration: format!("{app} (being generated)"),
                operation: op.describe(),
                problem,
            })?;
        let index = self.ops.len();
        let mut deps = Vec::new();
        let mut external = Vec::new();
        for r in refs {
            match self.defined_by.get(r) {
                Some(&d) => deps.push(d),
                None if r.app != *app => external.push(r.clone()),
                None => {}
            }
        }
        if let Operation::DeleteModel(d) = &op {
            let key = ModelKey::new(app.clone(), d.name.clone());
            deps.extend(self.unreferenced_by.remove(&key).unwrap_or_default());
        }
        for d in drops {
            self.unreferenced_by
                .entry(d.clone())
                .or_default()
                .push(index);
        }
        match &op {
            Operation::CreateModel(c) => {
                self.defined_by
                    .insert(ModelKey::new(app.clone(), c.name.clone()), index);
            }
            Operation::RenameModel(r) => {
                self.defined_by
                    .insert(ModelKey::new(app.clone(), r.new_name.clone()), index);
            }
            _ => {}
        }
        self.ops.push(Planned {
            app: app.clone(),
            op,
            deps,
            external,
        });
        Ok(())
    }

    /// Models present before and after (after any rename), in key order.
    fn kept_models(&self) -> Vec<ModelKey> {
        self.to
            .models()
            .map(ModelState::key)
            .filter(|k| self.current.model(k).is_some() && !self.created.contains(k))
            .collect()
    }

    fn renamed_models(&mut self) -> Result<()> {
        let added: Vec<&ModelState> = self
            .to
            .models()
            .filter(|m| self.current.model(&m.key()).is_none())
            .collect();
        let mut removed: BTreeSet<ModelKey> = self
            .current
            .models()
            .map(ModelState::key)
            .filter(|k| self.to.model(k).is_none())
            .collect();
        for new in added {
            let new_key = new.key();
            let declared = self
                .hints
                .models
                .get(&new_key)
                .map(|old| ModelKey::new(new.app.clone(), old.clone()))
                .filter(|old| removed.contains(old));
            let old_key = match declared {
                Some(old) => Some(old),
                None => {
                    let candidate = removed
                        .iter()
                        .find(|k| {
                            k.app == new.app
                                && self.current.model(k).expect("in current").same_fields(new)
                        })
                        .cloned();
                    match candidate {
                        Some(old) if self.questioner.ask_rename_model(&old, &new_key) => Some(old),
                        _ => None,
                    }
                }
            };
            if let Some(old) = old_key {
                removed.remove(&old);
                let op = RenameModel::new(old.model.clone(), new.name.clone()).into();
                self.push(&new.app, op, &[], &[])?;
            }
        }
        Ok(())
    }

    /// Models that become unmanaged (`managed == false`) or managed (`true`). A model is
    /// handed over before its other changes and taken over after them, so no SQL of this
    /// run touches a table that is changing hands.
    fn handed_over(&mut self, managed: bool) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            if to.managed == managed && self.current.model(&key).expect("kept").managed != managed {
                let op = AlterModelManaged::new(key.model.clone(), managed).into();
                self.push(&key.app, op, &[], &[])?;
            }
        }
        Ok(())
    }

    fn altered_tables(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            if self.current.model(&key).expect("kept").table != to.table {
                let op = AlterModelTable::new(key.model.clone(), to.table.clone()).into();
                self.push(&key.app, op, &[], &[])?;
            }
        }
        Ok(())
    }

    fn renamed_fields(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            let current = self.current.model(&key).expect("kept");
            let (to_fields, current_fields) = (&to.fields, &current.fields);
            let mut removed: Vec<Field> = current
                .fields
                .iter()
                .filter(|f| to_fields.get(&f.name).is_none())
                .cloned()
                .collect();
            let added: Vec<Field> = to
                .fields
                .iter()
                .filter(|f| current_fields.get(&f.name).is_none())
                .cloned()
                .collect();
            for new in added {
                let declared = self
                    .hints
                    .fields
                    .get(&(key.clone(), new.name.clone()))
                    .and_then(|old| removed.iter().position(|f| f.name == *old));
                let position = match declared {
                    Some(p) => Some(p),
                    None => match removed.iter().position(|old| same_definition(old, &new)) {
                        Some(p) => {
                            let ty = Self::describe_type(&new);
                            self.questioner
                                .ask_rename_field(&key, &removed[p], &new, &ty)
                                .then_some(p)
                        }
                        None => None,
                    },
                };
                if let Some(p) = position {
                    let old = removed.remove(p);
                    let mut op =
                        RenameField::new(key.model.clone(), old.name.clone(), new.name.clone());
                    // The column goes where the new field wants it in one step: kept, or
                    // renamed once, never renamed by the rule and then back by an alter.
                    if crate::operations::renamed_field(&old, &new.name).column != new.column {
                        op = op.db_column(new.column.clone());
                    }
                    self.push(&key.app, op.into(), &[], &[])?;
                }
            }
        }
        Ok(())
    }

    fn describe_type(field: &Field) -> String {
        match &field.ty {
            FieldType::Column(ty) => ty.to_string(),
            FieldType::ForeignKey { to, .. } => format!("foreign key to {to}"),
            FieldType::OneToOne { to, .. } => format!("one-to-one to {to}"),
            FieldType::ManyToMany { to, through: None } => format!("many-to-many to {to}"),
            FieldType::ManyToMany {
                to,
                through: Some(through),
            } => format!("many-to-many to {to} through {through}"),
        }
    }

    fn removed_indexes_and_constraints(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            let current = self.current.model(&key).expect("kept").clone();
            let mut removed: Vec<_> = current
                .indexes
                .iter()
                .filter(|i| to.indexes.iter().find(|t| t.name == i.name) != Some(*i))
                .collect();
            for new in to
                .indexes
                .iter()
                .filter(|t| !current.indexes.iter().any(|i| i.name == t.name))
            {
                if let Some(p) = removed.iter().position(|old| old.same_but_name(new)) {
                    let old = removed.remove(p);
                    let op =
                        RenameIndex::new(key.model.clone(), old.name.clone(), new.name.clone());
                    self.push(&key.app, op.into(), &[], &[])?;
                }
            }
            for old in removed {
                let op = RemoveIndex::new(key.model.clone(), old.name.clone()).into();
                self.push(&key.app, op, &[], &[])?;
            }
            for old in current.constraints.iter() {
                if to.constraints.iter().find(|c| c.name() == old.name()) != Some(old) {
                    let op = RemoveConstraint::new(key.model.clone(), old.name().to_owned()).into();
                    self.push(&key.app, op, &[], &[])?;
                }
            }
        }
        Ok(())
    }

    fn removed_fields(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = &self.to.model(&key).expect("kept").fields;
            let gone: Vec<Field> = self
                .current
                .model(&key)
                .expect("kept")
                .fields
                .iter()
                .filter(|f| to.get(&f.name).is_none())
                .cloned()
                .collect();
            for field in gone {
                self.remove_field(&key, &field)?;
            }
        }
        Ok(())
    }

    fn remove_field(&mut self, key: &ModelKey, field: &Field) -> Result<()> {
        let drops = ref_keys(&field.ty);
        let op = RemoveField::new(key.model.clone(), field.name.clone()).into();
        self.push(&key.app, op, &[], &drops)
    }

    /// Deletes models in an order the database accepts: a model before the models it points
    /// at. Relations from kept models to a deleted model go first (the field may come back
    /// pointing elsewhere, as an `AddField`); a cycle among deleted models is broken by
    /// removing relation fields first. Kahn's algorithm: linear in models and relations.
    fn deleted_models(&mut self) -> Result<()> {
        let mut pending: BTreeSet<ModelKey> = self
            .current
            .models()
            .map(ModelState::key)
            .filter(|k| self.to.model(k).is_none())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let kept_refs: Vec<(ModelKey, Field)> = self
            .current
            .models()
            .filter(|m| !pending.contains(&m.key()))
            .flat_map(|m| m.fields.iter().map(move |f| (m.key(), f.clone())))
            .filter(|(_, f)| ref_keys(&f.ty).iter().any(|t| pending.contains(t)))
            .collect();
        for (key, field) in kept_refs {
            self.remove_field(&key, &field)?;
        }
        let mut graph =
            Dependencies::new(&pending, |k| self.targets_among(&self.current, k, &pending));
        // A model can go once no other pending model points at it.
        let mut ready: BTreeSet<ModelKey> = pending
            .iter()
            .filter(|k| graph.pointed_at_by(k) == 0)
            .cloned()
            .collect();
        while !pending.is_empty() {
            let Some(key) = ready.pop_first() else {
                // Every pending model is pointed at: cut the relations of the first one that
                // points at another, which shortens some cycle.
                let key = pending
                    .iter()
                    .find(|k| !graph.targets(k).is_empty())
                    .expect("a cycle has a model that points at another")
                    .clone();
                let cut: Vec<Field> = self
                    .current
                    .model(&key)
                    .expect("pending models exist")
                    .fields
                    .iter()
                    .filter(|f| {
                        ref_keys(&f.ty)
                            .iter()
                            .any(|t| *t != key && pending.contains(t))
                    })
                    .cloned()
                    .collect();
                for field in cut {
                    self.remove_field(&key, &field)?;
                }
                ready.extend(graph.drop_targets(&key));
                continue;
            };
            pending.remove(&key);
            let drops: Vec<ModelKey> = self
                .current
                .model(&key)
                .expect("pending models exist")
                .fields
                .iter()
                .flat_map(|f| ref_keys(&f.ty))
                .filter(|t| *t != key)
                .collect();
            let op = DeleteModel::new(key.model.clone()).into();
            self.push(&key.app, op, &[], &drops)?;
            ready.extend(graph.drop_targets(&key));
        }
        Ok(())
    }

    /// The models among `pending` (other than `key` itself) that `key`'s fields point at.
    fn targets_among(
        &self,
        state: &ProjectState,
        key: &ModelKey,
        pending: &BTreeSet<ModelKey>,
    ) -> BTreeSet<ModelKey> {
        state
            .model(key)
            .expect("pending models exist")
            .fields
            .iter()
            .flat_map(|f| ref_keys(&f.ty))
            .filter(|t| t != key && pending.contains(t))
            .collect()
    }

    /// Creates models so that each one's relation targets exist first; on a cycle, the first
    /// model is created without its relations to models still pending, which are added (with
    /// the indexes and constraints that need them) once every model exists. Kahn's
    /// algorithm, in key order among the ready ones.
    fn created_models(&mut self) -> Result<()> {
        let mut pending: BTreeSet<ModelKey> = self
            .to
            .models()
            .map(ModelState::key)
            .filter(|k| self.current.model(k).is_none())
            .collect();
        let mut graph = Dependencies::new(&pending, |k| self.targets_among(self.to, k, &pending));
        // A model can be created once every pending model it points at exists.
        let mut ready: BTreeSet<ModelKey> = pending
            .iter()
            .filter(|k| graph.targets(k).is_empty())
            .cloned()
            .collect();
        let mut deferred: Vec<(ModelKey, Operation, Vec<ModelKey>)> = Vec::new();
        while !pending.is_empty() {
            let key = ready
                .pop_first()
                .unwrap_or_else(|| pending.first().expect("not empty").clone());
            pending.remove(&key);
            ready.extend(graph.drop_pointers(&key));
            let model = self.to.model(&key).expect("in the target").clone();
            let waits_for = |f: &Field| ref_keys(&f.ty).iter().any(|t| pending.contains(t));
            let (later, now): (Vec<&Field>, Vec<&Field>) =
                model.fields.iter().partition(|f| waits_for(f));
            let has = |names: &[Name]| names.iter().all(|n| now.iter().any(|f| f.name == *n));
            let mut create = CreateModel::new(model.name.clone(), model.table.clone())
                .fields(now.iter().map(|f| (*f).clone()));
            create.managed = model.managed;
            // Fields added later come before the indexes and constraints that use them.
            for f in &later {
                let target = ref_keys(&f.ty);
                deferred.push((
                    key.clone(),
                    AddField::new(model.name.clone(), (*f).clone()).into(),
                    target,
                ));
            }
            for index in model.indexes.iter() {
                if has(&index.fields) {
                    create.indexes.push(index.clone());
                } else {
                    let op = AddIndex::new(model.name.clone(), index.clone()).into();
                    deferred.push((key.clone(), op, Vec::new()));
                }
            }
            for constraint in model.constraints.iter() {
                let fits = match constraint {
                    crate::state::Constraint::Unique { fields, .. } => has(fields),
                    crate::state::Constraint::Check { .. } => later.is_empty(),
                };
                if fits {
                    create.constraints.push(constraint.clone());
                } else {
                    let op = AddConstraint::new(model.name.clone(), constraint.clone()).into();
                    deferred.push((key.clone(), op, Vec::new()));
                }
            }
            let refs: Vec<ModelKey> = now.iter().flat_map(|f| ref_keys(&f.ty)).collect();
            self.created.insert(key.clone());
            self.push(&key.app, create.into(), &refs, &[])?;
        }
        for (key, op, refs) in deferred {
            self.push(&key.app, op, &refs, &[])?;
        }
        Ok(())
    }

    fn added_fields(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            let current = self.current.model(&key).expect("kept");
            let current_fields = &current.fields;
            let new: Vec<Field> = to
                .fields
                .iter()
                .filter(|f| current_fields.get(&f.name).is_none())
                .cloned()
                .collect();
            // An unmanaged table gets no SQL, so its rows need no value.
            let managed = current.managed;
            for field in new {
                let mut op = AddField::new(key.model.clone(), field.clone());
                if managed && needs_value_for_existing_rows(&field) {
                    op.one_off_default = Some(
                        self.questioner
                            .ask_not_null_addition(&key, &field)
                            .ok_or_else(|| not_null_error(&key, &field, "added as"))?,
                    );
                }
                let refs = ref_keys(&field.ty);
                self.push(&key.app, op.into(), &refs, &[])?;
            }
        }
        Ok(())
    }

    fn altered_fields(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            let current = self.current.model(&key).expect("kept");
            let current_fields = &current.fields;
            let changed: Vec<(Field, Field)> = to
                .fields
                .iter()
                .filter_map(|f| {
                    let old = current_fields.get(&f.name)?;
                    (old != f).then(|| (old.clone(), f.clone()))
                })
                .collect();
            let managed = current.managed;
            for (old, new) in changed {
                if let (
                    FieldType::ManyToMany { through: was, .. },
                    FieldType::ManyToMany { through: now, .. },
                ) = (&old.ty, &new.ty)
                {
                    if was != now {
                        return Err(Error::InvalidModel {
                            app: key.app.to_string(),
                            model: key.model.to_string(),
                            field: new.name.to_string(),
                            problem: "a many-to-many field cannot change its `through` model (nor gain or lose one), as in Django: its rows live in another table; add a new field for the new relation, move the rows with a data migration, then remove the old field".into(),
                        });
                    }
                }
                let mut op = AlterField::new(key.model.clone(), new.clone());
                if managed && old.null && needs_value_for_existing_rows(&new) {
                    op.one_off_default = Some(
                        self.questioner
                            .ask_not_null_alteration(&key, &new)
                            .ok_or_else(|| not_null_error(&key, &new, "changed to"))?,
                    );
                }
                let refs = ref_keys(&new.ty);
                let drops: Vec<ModelKey> = ref_keys(&old.ty)
                    .into_iter()
                    .filter(|t| !refs.contains(t))
                    .collect();
                self.push(&key.app, op.into(), &refs, &drops)?;
            }
        }
        Ok(())
    }

    fn added_indexes_and_constraints(&mut self) -> Result<()> {
        for key in self.kept_models() {
            let to = self.to.model(&key).expect("kept");
            let current = self.current.model(&key).expect("kept");
            // By name through sets: a model that gains an index every few migrations has
            // hundreds after a long history.
            let indexes: HashSet<&str> = current.indexes.iter().map(|i| &*i.name).collect();
            let constraints: HashSet<&str> = current.constraints.iter().map(|c| c.name()).collect();
            let added: Vec<Operation> = to
                .indexes
                .iter()
                .filter(|i| !indexes.contains(&*i.name))
                .map(|i| AddIndex::new(key.model.clone(), i.clone()).into())
                .chain(
                    to.constraints
                        .iter()
                        .filter(|c| !constraints.contains(c.name()))
                        .map(|c| AddConstraint::new(key.model.clone(), c.clone()).into()),
                )
                .collect();
            for op in added {
                self.push(&key.app, op, &[], &[])?;
            }
        }
        Ok(())
    }
}

/// Which pending models point at which, with counts for Kahn's algorithm.
struct Dependencies {
    targets: HashMap<ModelKey, BTreeSet<ModelKey>>,
    pointers: HashMap<ModelKey, BTreeSet<ModelKey>>,
}

impl Dependencies {
    fn new(
        pending: &BTreeSet<ModelKey>,
        targets_of: impl Fn(&ModelKey) -> BTreeSet<ModelKey>,
    ) -> Self {
        let mut d = Dependencies {
            targets: HashMap::new(),
            pointers: HashMap::new(),
        };
        for key in pending {
            let targets = targets_of(key);
            for t in &targets {
                d.pointers.entry(t.clone()).or_default().insert(key.clone());
            }
            d.targets.insert(key.clone(), targets);
        }
        d
    }

    fn targets(&self, key: &ModelKey) -> &BTreeSet<ModelKey> {
        &self.targets[key]
    }

    fn pointed_at_by(&self, key: &ModelKey) -> usize {
        self.pointers.get(key).map_or(0, BTreeSet::len)
    }

    /// `key` stops pointing at its targets; returns the targets nobody points at any more.
    fn drop_targets(&mut self, key: &ModelKey) -> Vec<ModelKey> {
        let targets = std::mem::take(self.targets.get_mut(key).expect("pending"));
        targets
            .into_iter()
            .filter(|t| {
                let pointers = self.pointers.get_mut(t).expect("recorded");
                pointers.remove(key);
                pointers.is_empty()
            })
            .collect()
    }

    /// `key` exists now; returns the models pointing at it whose targets all exist.
    fn drop_pointers(&mut self, key: &ModelKey) -> Vec<ModelKey> {
        let pointers = self.pointers.remove(key).unwrap_or_default();
        pointers
            .into_iter()
            .filter(|p| {
                let targets = self.targets.get_mut(p).expect("recorded");
                targets.remove(key);
                targets.is_empty()
            })
            .collect()
    }
}

/// A NOT NULL column with nothing to put in the rows that already exist.
fn needs_value_for_existing_rows(field: &Field) -> bool {
    field.ty.has_column() && !field.null && !field.auto && field.db_default().is_none()
}

fn not_null_error(key: &ModelKey, field: &Field, change: &'static str) -> Error {
    Error::NotNullWithoutDefault {
        app: key.app.to_string(),
        model: key.model.to_string(),
        field: field.name.to_string(),
        change,
    }
}

/// Two fields alike but for their name, with a column derived from the name or the same
/// column as before: a likely rename.
fn same_definition(old: &Field, new: &Field) -> bool {
    let same_column = Field {
        name: new.name.clone(),
        ..old.clone()
    };
    crate::operations::renamed_field(old, &new.name) == *new || same_column == *new
}

/// Cuts each app's operations into migrations. An operation joins its app's open migration
/// unless a migration it depends on (in another app) already depends on that open one; then
/// the app opens a new migration after it. Apps and operations keep their generated order.
fn cut_into_migrations(ops: Vec<Planned>, leaves: &BTreeMap<Name, MigrationKey>) -> Vec<Migration> {
    struct Chunk {
        app: Name,
        ops: Vec<Operation>,
        deps: BTreeSet<usize>,
        /// Apps of models it points at that this run does not create.
        external: BTreeSet<Name>,
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut open: HashMap<Name, usize> = HashMap::new();
    let mut chunk_of: Vec<usize> = Vec::with_capacity(ops.len());
    /// What each chunk reaches through dependencies, as a bit set per chunk, kept up to date
    /// as dependencies are added (they are never removed): a question is one bit. Without
    /// it, each operation that depends on another app searched the chunks afresh, which grew
    /// faster than the models (issue 21).
    #[derive(Default)]
    struct Reach {
        sets: Vec<Vec<u64>>,
    }
    impl Reach {
        fn has(set: &[u64], i: usize) -> bool {
            set.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
        }

        fn reaches(&self, from: usize, to: usize) -> bool {
            from == to || Self::has(&self.sets[from], to)
        }

        /// A new chunk, which nothing depends on yet.
        fn chunk(&mut self) {
            self.sets.push(Vec::new());
        }

        /// Chunk `from` now depends on `to`: it and every chunk that reaches it reach `to`
        /// and all `to` reaches.
        fn depend(&mut self, from: usize, to: usize) {
            let mut gained = self.sets[to].clone();
            let words = gained.len().max(to / 64 + 1);
            gained.resize(words, 0);
            gained[to / 64] |= 1 << (to % 64);
            for x in 0..self.sets.len() {
                if x == from || Self::has(&self.sets[x], from) {
                    let set = &mut self.sets[x];
                    if set.len() < words {
                        set.resize(words, 0);
                    }
                    for (w, g) in set.iter_mut().zip(&gained) {
                        *w |= g;
                    }
                }
            }
        }
    }
    let mut reach = Reach::default();
    for planned in ops {
        let dep_chunks: BTreeSet<usize> = planned
            .deps
            .iter()
            .map(|&d| chunk_of[d])
            .filter(|&c| chunks[c].app != planned.app)
            .collect();
        let current = open.get(&planned.app).copied();
        let chunk = match current {
            Some(c) if !dep_chunks.iter().any(|&d| reach.reaches(d, c)) => c,
            _ => {
                chunks.push(Chunk {
                    app: planned.app.clone(),
                    ops: Vec::new(),
                    deps: current.into_iter().collect(),
                    external: BTreeSet::new(),
                });
                let new = chunks.len() - 1;
                reach.chunk();
                if let Some(c) = current {
                    reach.depend(new, c);
                }
                open.insert(planned.app.clone(), new);
                new
            }
        };
        for d in dep_chunks {
            if chunks[chunk].deps.insert(d) {
                reach.depend(chunk, d);
            }
        }
        for model in planned.external {
            chunks[chunk].external.insert(model.app);
        }
        chunks[chunk].ops.push(planned.op);
        chunk_of.push(chunk);
    }

    // A model of another app is as that app's newest migration of this run leaves it, as in
    // Django: the latest chunk of that app that does not itself lead here (else, the app's
    // existing leaf). Chunks only gain dependencies on earlier or unrelated chunks, so no
    // cycle appears.
    let mut of_app: HashMap<Name, Vec<usize>> = HashMap::new();
    for (i, chunk) in chunks.iter().enumerate() {
        of_app.entry(chunk.app.clone()).or_default().push(i);
    }
    let mut external_deps: Vec<BTreeSet<MigrationKey>> = Vec::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter_mut().enumerate() {
        let mut leaf_deps = BTreeSet::new();
        for app in &chunk.external {
            let newest = of_app.get(app).and_then(|own| {
                own.iter()
                    .rev()
                    .copied()
                    .find(|&c| c != i && !reach.reaches(c, i))
            });
            match newest {
                Some(c) => {
                    if chunk.deps.insert(c) {
                        reach.depend(i, c);
                    }
                }
                None => leaf_deps.extend(leaves.get(app).cloned()),
            }
        }
        external_deps.push(leaf_deps);
    }

    // Name and number each app's chunks after its existing leaf.
    let mut keys: Vec<MigrationKey> = Vec::with_capacity(chunks.len());
    let mut next: HashMap<Name, u32> = HashMap::new();
    for chunk in &chunks {
        let n = next.entry(chunk.app.clone()).or_insert_with(|| {
            leaves
                .get(&chunk.app)
                .and_then(|l| Migration::number(&l.name))
                .map_or(1, |n| n + 1)
        });
        let initial = !leaves.contains_key(&chunk.app);
        let suffix = if initial {
            "initial".to_owned()
        } else {
            suggest_name(&chunk.ops)
        };
        keys.push(MigrationKey::new(
            chunk.app.clone(),
            format!("{:04}_{suffix}", *n),
        ));
        *n += 1;
    }
    // Dependency order, earliest chunk first among those ready (the generated order where
    // dependencies allow it).
    let mut order = Vec::with_capacity(chunks.len());
    let mut waiting: Vec<usize> = chunks.iter().map(|c| c.deps.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); chunks.len()];
    for (i, chunk) in chunks.iter().enumerate() {
        for &d in &chunk.deps {
            dependents[d].push(i);
        }
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..chunks.len())
        .filter(|&i| waiting[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        order.push(i);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(std::cmp::Reverse(j));
            }
        }
    }
    debug_assert_eq!(order.len(), chunks.len(), "chunk dependencies never cycle");

    let mut migrations = Vec::with_capacity(chunks.len());
    for ((i, chunk), external) in chunks.into_iter().enumerate().zip(external_deps) {
        let key = &keys[i];
        let mut m = Migration::new(key.app.clone(), key.name.clone());
        m.initial = !leaves.contains_key(&chunk.app);
        let mut deps: BTreeSet<MigrationKey> = external;
        deps.extend(chunk.deps.iter().map(|&d| keys[d].clone()));
        if !chunk.deps.iter().any(|&d| keys[d].app == chunk.app) {
            if let Some(leaf) = leaves.get(&chunk.app) {
                deps.insert(leaf.clone());
            }
        }
        m.dependencies = deps.into_iter().collect();
        m.operations = chunk.ops;
        migrations.push(Some(m));
    }
    order
        .into_iter()
        .map(|i| migrations[i].take().expect("each chunk once"))
        .collect()
}

/// Django's naming: the operations' fragments joined by `_`, cut with `_and_more` past 52
/// characters; `auto` when an operation has no fragment.
pub fn suggest_name(ops: &[Operation]) -> String {
    let fragments: Option<Vec<String>> = ops.iter().map(Operation::name_fragment).collect();
    let Some(fragments) = fragments.filter(|f| !f.is_empty()) else {
        return "auto".into();
    };
    let mut name = fragments[0].clone();
    for fragment in &fragments[1..] {
        let longer = format!("{name}_{fragment}");
        if longer.len() > 52 {
            name.push_str("_and_more");
            break;
        }
        name = longer;
    }
    name
}

#[cfg(test)]
mod tests;
