//! The questions the autodetector cannot answer alone (is this a rename? what goes in the
//! existing rows?), behind a trait. `NonInteractive` answers from what the code declares and
//! never guesses; the interactive questioner lives in `migrate-cli`.

use crate::fields::Value;
use crate::state::{Field, ModelKey};

/// The autodetector's questions; `makemigrations` asks them on a terminal.
pub trait Questioner {
    /// "Did you rename `model.old` to `model.new` (a varchar(20))?"
    fn ask_rename_field(&mut self, model: &ModelKey, old: &Field, new: &Field, ty: &str) -> bool;

    /// "Did you rename the `app.Old` model to `New`?"
    fn ask_rename_model(&mut self, old: &ModelKey, new: &ModelKey) -> bool;

    /// A one-off value for existing rows when a NOT NULL field without a default is added.
    /// `None` refuses, and makemigrations stops.
    fn ask_not_null_addition(&mut self, model: &ModelKey, field: &Field) -> Option<Value>;

    /// A one-off value for existing NULLs when a nullable field becomes NOT NULL.
    fn ask_not_null_alteration(&mut self, model: &ModelKey, field: &Field) -> Option<Value>;
}

/// Answers without asking: no rename that the code does not declare (each likely one is
/// noted as a warning naming the `renamed_from` that would declare it), no invented defaults.
#[derive(Debug, Default)]
pub struct NonInteractive {
    /// One line per rename it declined that looked likely.
    pub warnings: Vec<String>,
}

impl Questioner for NonInteractive {
    fn ask_rename_field(&mut self, model: &ModelKey, old: &Field, new: &Field, ty: &str) -> bool {
        self.warnings.push(format!(
            "{model}: field `{}` was removed and `{}` ({ty}) added; if this is a rename, declare it with #[field(renamed_from = \"{}\")] on `{}`",
            old.name, new.name, old.name, new.name
        ));
        false
    }

    fn ask_rename_model(&mut self, old: &ModelKey, new: &ModelKey) -> bool {
        self.warnings.push(format!(
            "model {old} was removed and {new} added with the same fields; if this is a rename, declare it with #[model(renamed_from = \"{}\")] on `{}`",
            old.model, new.model
        ));
        false
    }

    fn ask_not_null_addition(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        None
    }

    fn ask_not_null_alteration(&mut self, _: &ModelKey, _: &Field) -> Option<Value> {
        None
    }
}
