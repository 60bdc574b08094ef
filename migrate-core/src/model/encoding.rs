//! How `#[derive(Model)]` writes a model's definition: the parts only the compiler can know
//! (each field's [`FieldType`], from its Rust type, and the choices of a `#[derive(Choices)]`
//! enum) as values, and everything else as one string, decoded here when the registry or a
//! test asks for the model's state.
//!
//! The string instead of a `ModelState` literal is for the build: a literal is a constant
//! the compiler type-checks and evaluates field by field, in every build of every crate of
//! models; one string literal per model costs it next to nothing (issue 21: a second off a
//! one-model edit of the 2,000-model crate). Decoding borrows every name from the string.
//!
//! The format is a sequence of items, written by `migrate-macros/src/encode.rs`:
//! a string is `<byte length>:<bytes>`, a number a string of its digits, an absent optional
//! string `-`. In order:
//!
//! - the format's version (`1`), app, name, table, the model flags (1: managed, 2: an
//!   automatic `id` goes first), `renamed_from`;
//! - the number of field renames, then per rename: field, old name (before the fields, so
//!   the autodetector's rename hints read only the front of the string);
//! - the number of fields, then per field: name, column, the field flags (as `field` below
//!   reads them), the default (a tag, `-` for none: `b` and a number, `i` and the integer,
//!   `f` and the number as written, `s` and the string, `u` a new UUID, `t` the time), and
//!   `1` when the field takes the next entry of the choices;
//! - the number of indexes, then per index: name, unique (`0`/`1`), the number of fields
//!   and the fields as written (`-field` descending), the condition, the number of
//!   expressions and the expressions;
//! - the number of constraints, then per constraint `u`, name, the number of fields and the
//!   fields, or `c`, name, expression.

use std::borrow::Cow;

use crate::fields::{FieldType, Value};
use crate::model::FieldRename;
use crate::state::{Constraint, Field, Index, ModelState, Name};

/// The version this decoder reads.
const VERSION: &str = "1";

/// Reads items off the front of the string.
struct Items {
    rest: &'static str,
}

impl Items {
    /// The string is the derive's output, not a user's: an item that does not read means
    /// the derive and this crate disagree on the format, which cargo's version rules rule
    /// out, so it is a bug and panics with what it found.
    fn str(&mut self) -> &'static str {
        // The length's digits by hand: this runs a few times per field of every model at
        // start-up, and `split_once` + `parse` cost several times as much.
        let bytes = self.rest.as_bytes();
        let mut len = 0usize;
        let mut at = 0;
        while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
            len = len
                .saturating_mul(10)
                .saturating_add(usize::from(digit - b'0'));
            at += 1;
        }
        let item = (at > 0 && bytes.get(at) == Some(&b':'))
            .then(|| self.rest.get(at + 1..)?.get(..len))
            .flatten();
        let Some(item) = item else {
            panic!(
                "a model definition the derive wrote does not decode here: {:?}",
                self.rest
            )
        };
        self.rest = &self.rest[at + 1 + item.len()..];
        item
    }

    fn num(&mut self) -> usize {
        let s = self.str();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            panic!("a model definition's number does not decode: {s:?}");
        }
        s.bytes().fold(0usize, |n, b| {
            n.saturating_mul(10).saturating_add(usize::from(b - b'0'))
        })
    }

    fn opt(&mut self) -> Option<&'static str> {
        match self.rest.strip_prefix('-') {
            Some(rest) => {
                self.rest = rest;
                None
            }
            None => Some(self.str()),
        }
    }

    fn names(&mut self) -> Vec<Name> {
        let n = self.num();
        (0..n).map(|_| Cow::Borrowed(self.str())).collect()
    }
}

/// The app and name, without decoding the rest.
pub(crate) fn key(encoded: &'static str) -> (&'static str, &'static str) {
    let mut items = Items { rest: encoded };
    items.str();
    (items.str(), items.str())
}

/// What comes before the fields: the key, the table, the model flags and the rename hints.
struct Header {
    app: &'static str,
    name: &'static str,
    table: &'static str,
    model_flags: usize,
    renamed_from: Option<&'static str>,
    field_renames: Vec<FieldRename>,
}

fn header(items: &mut Items) -> Header {
    let version = items.str();
    assert_eq!(
        version, VERSION,
        "a model definition of another format version"
    );
    let (app, name, table) = (items.str(), items.str(), items.str());
    let model_flags = items.num();
    let renamed_from = items.opt();
    let field_renames = (0..items.num())
        .map(|_| FieldRename {
            field: items.str(),
            from: items.str(),
        })
        .collect();
    Header {
        app,
        name,
        table,
        model_flags,
        renamed_from,
        field_renames,
    }
}

/// The rename hints, without decoding the fields.
pub(crate) fn hints(encoded: &'static str) -> (Option<&'static str>, Vec<FieldRename>) {
    let header = header(&mut Items { rest: encoded });
    (header.renamed_from, header.field_renames)
}

pub(crate) fn decode(
    encoded: &'static str,
    types: &'static [FieldType],
    choices: &'static [&'static [Value]],
) -> ModelState {
    let mut items = Items { rest: encoded };
    let Header {
        app,
        name,
        table,
        model_flags,
        ..
    } = header(&mut items);

    let n = items.num();
    let mut fields = Vec::with_capacity(n + usize::from(model_flags & 2 != 0));
    if model_flags & 2 != 0 {
        fields.push(Field::auto_id());
    }
    let mut choices = choices.iter();
    for ty in types.iter().take(n) {
        let name = items.str();
        let column = items.str();
        let flags = u8::try_from(items.num()).expect("field flags fit a byte");
        let default = match items.opt() {
            None => None,
            Some("b") => Some(Value::Bool(items.num() != 0)),
            Some("i") => {
                let s = items.str();
                Some(Value::Int(s.parse().unwrap_or_else(|_| {
                    panic!("a model definition's default does not decode: {s:?}")
                })))
            }
            Some("f") => Some(Value::Number(Cow::Borrowed(items.str()))),
            Some("s") => Some(Value::Str(Cow::Borrowed(items.str()))),
            Some("u") => Some(Value::NewUuid),
            Some("t") => Some(Value::Now),
            Some(tag) => panic!("a model definition's default has an unknown tag {tag:?}"),
        };
        let field_choices: &'static [Value] = match items.num() {
            0 => &[],
            _ => choices
                .next()
                .expect("one entry of choices per field that takes one"),
        };
        fields.push(field(
            name,
            column,
            ty.clone(),
            flags,
            default,
            field_choices,
        ));
    }
    assert_eq!(
        fields.len() - usize::from(model_flags & 2 != 0),
        n,
        "one type per field"
    );

    let indexes = (0..items.num())
        .map(|_| {
            let name = Cow::Borrowed(items.str());
            let unique = items.num() != 0;
            let written: Vec<&'static str> = (0..items.num()).map(|_| items.str()).collect();
            let condition = items.opt().map(Cow::Borrowed);
            let expressions = items.names();
            Index {
                name,
                fields: written
                    .iter()
                    .map(|f| Cow::Borrowed(f.strip_prefix('-').unwrap_or(f)))
                    .collect(),
                unique,
                descending: written
                    .iter()
                    .filter_map(|f| f.strip_prefix('-'))
                    .map(Cow::Borrowed)
                    .collect(),
                condition,
                expressions: expressions.into(),
            }
        })
        .collect::<Vec<_>>();

    let constraints = (0..items.num())
        .map(|_| match items.str() {
            "u" => Constraint::Unique {
                name: Cow::Borrowed(items.str()),
                fields: items.names().into(),
            },
            "c" => Constraint::Check {
                name: Cow::Borrowed(items.str()),
                expr: Cow::Borrowed(items.str()),
            },
            kind => panic!("a model definition's constraint has an unknown kind {kind:?}"),
        })
        .collect::<Vec<_>>();

    assert!(
        items.rest.is_empty(),
        "a model definition with more than it declares"
    );

    ModelState {
        app: Cow::Borrowed(app),
        name: Cow::Borrowed(name),
        table: Cow::Borrowed(table),
        fields: fields.into(),
        indexes: indexes.into(),
        constraints: constraints.into(),
        managed: model_flags & 1 != 0,
    }
}

/// A decoded field, its flags in one byte, lowest bit first: `null`, `primary_key`, `auto`,
/// `unique`, `db_index`, `auto_now_add`, `auto_now`, `deferrable` (the derive's `expand.rs`
/// writes them in this order).
fn field(
    name: &'static str,
    column: &'static str,
    ty: FieldType,
    flags: u8,
    default: Option<Value>,
    choices: &'static [Value],
) -> Field {
    Field {
        name: Cow::Borrowed(name),
        column: Cow::Borrowed(column),
        ty,
        null: flags & 1 != 0,
        primary_key: flags & 2 != 0,
        auto: flags & 4 != 0,
        unique: flags & 8 != 0,
        db_index: flags & 16 != 0,
        default,
        auto_now_add: flags & 32 != 0,
        auto_now: flags & 64 != 0,
        deferrable: flags & 128 != 0,
        choices: Cow::Borrowed(choices),
    }
}

#[cfg(test)]
mod tests {
    use super::field;
    use crate::fields::{ColumnType, FieldType, Value};

    /// The derive's stub for a struct with errors (`expand::fallback`): no app, table,
    /// rename or field. Never registered, but `DEFINITION` must still decode.
    #[test]
    fn the_stub_of_a_model_with_errors_decodes_to_an_empty_model() {
        let encoded = "1:10:3:Foo0:1:1-1:01:01:01:0";
        let state = super::decode(encoded, &[], &[]);
        assert_eq!((&*state.app, &*state.name, &*state.table), ("", "Foo", ""));
        assert!(state.managed && state.fields.is_empty() && state.indexes.is_empty());
        assert_eq!(super::hints(encoded), (None, vec![]));
    }

    /// A string the derive did not write (another format, a cut or absurd length) stops
    /// with what it found, whatever the numbers in it.
    #[test]
    #[should_panic(expected = "does not decode here")]
    fn a_definition_that_does_not_read_says_so() {
        super::key("1:199999999999999999999999999:x");
    }

    /// Each flag bit lands on its own field, in the order the derive writes them.
    #[test]
    fn the_derive_s_field_flags_are_read_bit_by_bit() {
        let ty = FieldType::Column(ColumnType::Integer);
        let f = |flags| field("n", "c", ty.clone(), flags, None, &[]);
        let set = |x: crate::Field| {
            [
                x.null,
                x.primary_key,
                x.auto,
                x.unique,
                x.db_index,
                x.auto_now_add,
                x.auto_now,
                x.deferrable,
            ]
        };
        for bit in 0..8 {
            let expected: Vec<bool> = (0..8).map(|i| i == bit).collect();
            assert_eq!(set(f(1 << bit)).to_vec(), expected, "bit {bit}");
        }
        assert_eq!(set(f(0)), [false; 8]);
        const CHOICES: &[Value] = &[Value::Int(1)];
        let x = field("n", "c", ty, 0, Some(Value::Int(1)), CHOICES);
        assert_eq!((&*x.name, &*x.column), ("n", "c"));
        assert_eq!((x.default, x.choices.len()), (Some(Value::Int(1)), 1));
    }
}
