//! How an operation folds with a later one on the same model (Django's `reduce`): the pair
//! becomes the returned operations, possibly none.

use super::Operation;
use crate::state::Constraint;

impl Operation {
    /// What an operation changes, for clash detection: the model, and the field, index or
    /// constraint within it (`None`: the whole model).
    pub fn touches(&self) -> Vec<(String, Option<String>)> {
        let whole = |m: &str| (m.to_lowercase(), None);
        let part = |m: &str, p: String| (m.to_lowercase(), Some(p));
        match self {
            Operation::CreateModel(o) => vec![whole(&o.name)],
            Operation::DeleteModel(o) => vec![whole(&o.name)],
            Operation::AlterModelTable(o) => vec![whole(&o.name)],
            Operation::AlterModelManaged(o) => vec![whole(&o.name)],
            Operation::RenameModel(o) => vec![whole(&o.old_name), whole(&o.new_name)],
            Operation::AddField(o) => vec![part(&o.model, format!("field {}", o.field.name))],
            Operation::AlterField(o) => vec![part(&o.model, format!("field {}", o.field.name))],
            Operation::RemoveField(o) => vec![part(&o.model, format!("field {}", o.name))],
            Operation::RenameField(o) => vec![
                part(&o.model, format!("field {}", o.old_name)),
                part(&o.model, format!("field {}", o.new_name)),
            ],
            Operation::AddIndex(o) => vec![part(&o.model, format!("index {}", o.index.name))],
            Operation::RemoveIndex(o) => vec![part(&o.model, format!("index {}", o.name))],
            Operation::RenameIndex(o) => vec![
                part(&o.model, format!("index {}", o.old_name)),
                part(&o.model, format!("index {}", o.new_name)),
            ],
            Operation::AddConstraint(o) => vec![part(
                &o.model,
                format!("constraint {}", o.constraint.name()),
            )],
            Operation::RemoveConstraint(o) => {
                vec![part(&o.model, format!("constraint {}", o.name))]
            }
            Operation::RunSql(_) | Operation::RunRust(_) => Vec::new(),
        }
    }

    /// `self` followed by `next`, as fewer operations; `None` when they do not fold.
    pub fn reduce(&self, next: &Operation) -> Option<Vec<Operation>> {
        use Operation::*;
        let same = |a: &str, b: &str| a == b;
        match (self, next) {
            (CreateModel(c), DeleteModel(d)) if same(&c.name, &d.name) => Some(vec![]),
            (CreateModel(c), RenameModel(r)) if same(&c.name, &r.old_name) => {
                let mut c = c.clone();
                c.name = r.new_name.clone();
                Some(vec![c.into()])
            }
            (CreateModel(c), AlterModelTable(t)) if same(&c.name, &t.name) => {
                let mut c = c.clone();
                c.table = t.table.clone();
                Some(vec![c.into()])
            }
            // A model created and then handed over (or the other way) ran different SQL
            // than one created as it ends up: `AlterModelManaged` never folds into another
            // operation.
            (CreateModel(c), AddField(a)) if same(&c.name, &a.model) => {
                let mut c = c.clone();
                c.fields.push(a.field.clone());
                Some(vec![c.into()])
            }
            (CreateModel(c), AlterField(a)) if same(&c.name, &a.model) => {
                let mut c = c.clone();
                let slot = c.fields.iter_mut().find(|f| f.name == a.field.name)?;
                *slot = a.field.clone();
                Some(vec![c.into()])
            }
            (CreateModel(c), RemoveField(r)) if same(&c.name, &r.model) => {
                let mut c = c.clone();
                let uses = |fields: &[crate::state::Name]| fields.contains(&r.name);
                let indexed = c.indexes.iter().any(|i| uses(&i.fields))
                    || c.constraints.iter().any(
                        |k| matches!(k, Constraint::Unique { fields, .. } if uses(&fields[..])),
                    );
                if indexed {
                    return None;
                }
                c.fields.retain(|f| f.name != r.name);
                Some(vec![c.into()])
            }
            (CreateModel(c), RenameField(r)) if same(&c.name, &r.model) => {
                let mut c = c.clone();
                let slot = c.fields.iter_mut().find(|f| f.name == r.old_name)?;
                *slot = r.apply(slot);
                for index in &mut c.indexes {
                    index.rename_field(&r.old_name, &r.new_name);
                }
                for k in &mut c.constraints {
                    if let Constraint::Unique { fields, .. } = k {
                        for f in fields.to_mut() {
                            if *f == r.old_name {
                                *f = r.new_name.clone();
                            }
                        }
                    }
                }
                Some(vec![c.into()])
            }
            (CreateModel(c), AddIndex(a)) if same(&c.name, &a.model) => {
                let mut c = c.clone();
                c.indexes.push(a.index.clone());
                Some(vec![c.into()])
            }
            (CreateModel(c), AddConstraint(a)) if same(&c.name, &a.model) => {
                let mut c = c.clone();
                c.constraints.push(a.constraint.clone());
                Some(vec![c.into()])
            }
            (AddField(a), AlterField(b))
                if same(&a.model, &b.model) && a.field.name == b.field.name =>
            {
                let mut a = a.clone();
                a.field = b.field.clone();
                Some(vec![a.into()])
            }
            (AddField(a), RemoveField(r)) if same(&a.model, &r.model) && a.field.name == r.name => {
                Some(vec![])
            }
            (AddField(a), RenameField(r))
                if same(&a.model, &r.model) && a.field.name == r.old_name =>
            {
                let mut a = a.clone();
                a.field = r.apply(&a.field);
                Some(vec![a.into()])
            }
            (AlterField(a), AlterField(b))
                if same(&a.model, &b.model) && a.field.name == b.field.name =>
            {
                let mut b = b.clone();
                b.one_off_default = b
                    .one_off_default
                    .clone()
                    .or_else(|| a.one_off_default.clone());
                Some(vec![b.into()])
            }
            (AlterField(a), RemoveField(r))
                if same(&a.model, &r.model) && a.field.name == r.name =>
            {
                Some(vec![next.clone()])
            }
            // An explicit column on the first rename only would change what the second
            // rename's column rule sees: those two stay apart.
            (RenameField(a), RenameField(b))
                if same(&a.model, &b.model)
                    && a.new_name == b.old_name
                    && (a.db_column.is_none() || b.db_column.is_some()) =>
            {
                let mut folded = super::RenameField::new(
                    a.model.clone(),
                    a.old_name.clone(),
                    b.new_name.clone(),
                );
                folded.db_column = b.db_column.clone();
                Some(vec![folded.into()])
            }
            (RenameModel(a), RenameModel(b)) if a.new_name == b.old_name => {
                Some(vec![super::RenameModel::new(
                    a.old_name.clone(),
                    b.new_name.clone(),
                )
                .into()])
            }
            _ => None,
        }
    }
}

/// Whether two `touches()` entries are the same thing (a whole model covers its parts).
pub fn overlap(a: &(String, Option<String>), b: &(String, Option<String>)) -> bool {
    a.0 == b.0 && (a.1.is_none() || b.1.is_none() || a.1 == b.1)
}
