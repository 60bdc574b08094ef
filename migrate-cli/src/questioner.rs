//! The interactive questioner: asks at the terminal (or whatever feeds standard input), as
//! Django's does. End of input counts as "no" / "no value".

use std::io::{BufRead, Write};

use migrate_core::questioner::Questioner;
use migrate_core::state::{Field, ModelKey};
use migrate_core::Value;

pub struct Interactive<'a> {
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
}

impl Interactive<'_> {
    fn ask(&mut self, prompt: &str) -> Option<String> {
        let _ = write!(self.out, "{prompt}");
        let _ = self.out.flush();
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = writeln!(self.out);
                None
            }
            Ok(_) => Some(line.trim().to_owned()),
        }
    }

    fn yes(&mut self, prompt: &str) -> bool {
        self.yes_or_no(prompt).unwrap_or(false)
    }

    /// `Some(true)` for y/yes, `Some(false)` for n/no or an empty line, `None` when the input
    /// ended without an answer.
    pub fn yes_or_no(&mut self, prompt: &str) -> Option<bool> {
        loop {
            match self.ask(prompt)?.to_ascii_lowercase().as_str() {
                "" | "n" | "no" => return Some(false),
                "y" | "yes" => return Some(true),
                _ => {
                    let _ = writeln!(self.out, "Please answer y or n.");
                }
            }
        }
    }

    fn one_off(&mut self, explain: &str) -> Option<Value> {
        let _ = writeln!(self.out, "{explain}");
        let _ = writeln!(
            self.out,
            "Enter a one-off value for those rows (a literal: 0, 1.5, true, \"text\"; now for the current time; uuid for a new UUID per row), or nothing to quit and change the model:"
        );
        loop {
            let answer = self.ask(">>> ")?;
            if answer.is_empty() {
                return None;
            }
            match parse_literal(&answer) {
                Some(v) => return Some(v),
                None => {
                    let _ = writeln!(self.out, "Not a literal: {answer}");
                }
            }
        }
    }
}

/// `0`, `-3`, `1.5`, `true`, `"text"` (or `'text'`), `now`, `uuid`.
fn parse_literal(s: &str) -> Option<Value> {
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "now" => return Some(Value::Now),
        "uuid" => return Some(Value::NewUuid),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Int(i));
    }
    if s.parse::<f64>().is_ok() {
        return Some(Value::Number(s.to_owned().into()));
    }
    let quoted = |q: char| s.len() >= 2 && s.starts_with(q) && s.ends_with(q);
    if quoted('"') || quoted('\'') {
        return Some(Value::Str(s[1..s.len() - 1].to_owned().into()));
    }
    None
}

impl Questioner for Interactive<'_> {
    fn ask_rename_field(&mut self, model: &ModelKey, old: &Field, new: &Field, ty: &str) -> bool {
        let lower = model.model.to_lowercase();
        self.yes(&format!(
            "Did you rename {lower}.{} to {lower}.{} (a {ty})? [y/N] ",
            old.name, new.name
        ))
    }

    fn ask_rename_model(&mut self, old: &ModelKey, new: &ModelKey) -> bool {
        self.yes(&format!(
            "Did you rename the {old} model to {}? [y/N] ",
            new.model
        ))
    }

    fn ask_not_null_addition(&mut self, model: &ModelKey, field: &Field) -> Option<Value> {
        self.one_off(&format!(
            "The field {model}.{} is added as NOT NULL without a default, and the table may already have rows.",
            field.name
        ))
    }

    fn ask_not_null_alteration(&mut self, model: &ModelKey, field: &Field) -> Option<Value> {
        self.one_off(&format!(
            "The field {model}.{} becomes NOT NULL without a default, and existing rows may hold NULL.",
            field.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_as_their_kind() {
        assert_eq!(parse_literal("0"), Some(Value::Int(0)));
        assert_eq!(parse_literal("-3"), Some(Value::Int(-3)));
        assert_eq!(parse_literal("1.5"), Some(Value::Number("1.5".into())));
        assert_eq!(parse_literal("\"a b\""), Some(Value::Str("a b".into())));
        assert_eq!(parse_literal("'x'"), Some(Value::Str("x".into())));
        assert_eq!(parse_literal("now"), Some(Value::Now));
        assert_eq!(parse_literal("uuid"), Some(Value::NewUuid));
        assert_eq!(parse_literal("bare words"), None);
    }

    #[test]
    fn end_of_input_means_no() {
        let mut input: &[u8] = b"";
        let mut out = Vec::new();
        let mut q = Interactive {
            input: &mut input,
            out: &mut out,
        };
        let key = ModelKey::new("a", "M");
        let f = Field::new("x", migrate_core::ColumnType::Text);
        assert!(!q.ask_rename_field(&key, &f, &f, "text"));
        assert_eq!(q.ask_not_null_addition(&key, &f), None);
    }
}
