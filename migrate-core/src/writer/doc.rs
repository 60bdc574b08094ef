//! A small pretty-printer for the expressions migration files are made of: calls, method
//! chains, arrays and struct literals. An expression goes on one line when it fits in
//! [`WIDTH`] columns; otherwise it breaks, one argument, element or method per line.
//!
//! Printing directly, rather than building tokens, parsing them with syn and printing them
//! with prettyplease, is what keeps `makemigrations` fast on large projects.

/// The column limit of a line.
pub const WIDTH: usize = 100;
const INDENT: usize = 4;

/// An expression to print.
#[derive(Clone, Debug)]
pub enum Doc {
    /// Printed as is: a literal, a path, an identifier.
    Atom(String),
    /// `path(args)`.
    Call(String, Vec<Doc>),
    /// `receiver.method(args)…`.
    Chain(Box<Doc>, Vec<(String, Vec<Doc>)>),
    /// `[items]`.
    Array(Vec<Doc>),
    /// `Name { field: value, … }`.
    Struct(String, Vec<(String, Doc)>),
}

/// A string literal.
pub fn lit(s: &str) -> Doc {
    Doc::Atom(format!("{s:?}"))
}

pub fn atom(s: impl Into<String>) -> Doc {
    Doc::Atom(s.into())
}

pub fn call(path: &str, args: impl IntoIterator<Item = Doc>) -> Doc {
    Doc::Call(path.to_owned(), args.into_iter().collect())
}

pub fn array(items: impl IntoIterator<Item = Doc>) -> Doc {
    Doc::Array(items.into_iter().collect())
}

impl Doc {
    /// `self.method(args)`, extending the chain when `self` is one.
    pub fn method(self, method: &str, args: impl IntoIterator<Item = Doc>) -> Doc {
        let call = (method.to_owned(), args.into_iter().collect());
        match self {
            Doc::Chain(receiver, mut calls) => {
                calls.push(call);
                Doc::Chain(receiver, calls)
            }
            other => Doc::Chain(Box::new(other), vec![call]),
        }
    }

    /// The one-line form.
    /// The whole document on one line.
    pub fn flat_string(&self) -> String {
        let mut out = String::new();
        self.flat(&mut out);
        out
    }

    fn flat(&self, out: &mut String) {
        match self {
            Doc::Atom(s) => out.push_str(s),
            Doc::Call(path, args) => {
                out.push_str(path);
                flat_list(out, "(", args, ")");
            }
            Doc::Chain(receiver, calls) => {
                receiver.flat(out);
                for (method, args) in calls {
                    out.push('.');
                    out.push_str(method);
                    flat_list(out, "(", args, ")");
                }
            }
            Doc::Array(items) => flat_list(out, "[", items, "]"),
            Doc::Struct(name, fields) => {
                out.push_str(name);
                out.push_str(" { ");
                for (i, (field, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(field);
                    out.push_str(": ");
                    value.flat(out);
                }
                out.push_str(" }");
            }
        }
    }

    /// Prints at the current position of `out`, whose line is indented by `indent`, with
    /// `trail` characters still to follow on the last line.
    pub fn print(&self, out: &mut String, indent: usize, trail: usize) {
        let start = out.len();
        self.flat(out);
        let column = out[..start].rsplit('\n').next().map_or(0, str::len);
        let flat_len = out.len() - start;
        if column + flat_len + trail <= WIDTH || matches!(self, Doc::Atom(_)) {
            return;
        }
        out.truncate(start);
        match self {
            Doc::Atom(_) => unreachable!("atoms always print flat"),
            Doc::Call(path, args) => {
                out.push_str(path);
                broken_args(out, args, indent);
            }
            Doc::Chain(receiver, calls) => {
                receiver.print(out, indent, 0);
                // After a receiver that broke, its closing parenthesis is back at `indent`,
                // and the methods line up with it.
                let inner = if out[start..].contains('\n') {
                    indent
                } else {
                    indent + INDENT
                };
                for (i, (method, args)) in calls.iter().enumerate() {
                    newline(out, inner);
                    out.push('.');
                    out.push_str(method);
                    let last = i + 1 == calls.len();
                    let after = if last { trail } else { 0 };
                    let before = out.len();
                    flat_list(out, "(", args, ")");
                    let column = out[..before].rsplit('\n').next().map_or(0, str::len);
                    if column + (out.len() - before) + after > WIDTH {
                        out.truncate(before);
                        broken_args(out, args, inner);
                    }
                }
            }
            Doc::Array(items) => broken_list(out, "[", items, "]", indent),
            Doc::Struct(name, fields) => {
                out.push_str(name);
                out.push_str(" {");
                for (field, value) in fields {
                    newline(out, indent + INDENT);
                    out.push_str(field);
                    out.push_str(": ");
                    value.print(out, indent + INDENT, 1);
                    out.push(',');
                }
                newline(out, indent);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

fn flat_list(out: &mut String, open: &str, items: &[Doc], close: &str) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.flat(out);
    }
    out.push_str(close);
}

/// The arguments of a call that does not fit: a lone array argument hugs the parentheses
/// (`f([` … `])`), others go one per line.
fn broken_args(out: &mut String, args: &[Doc], indent: usize) {
    if let [Doc::Array(items)] = args {
        out.push('(');
        if items.is_empty() {
            out.push_str("[]");
        } else {
            broken_list(out, "[", items, "]", indent);
        }
        out.push(')');
    } else {
        broken_list(out, "(", args, ")", indent);
    }
}

fn broken_list(out: &mut String, open: &str, items: &[Doc], close: &str, indent: usize) {
    out.push_str(open);
    for item in items {
        newline(out, indent + INDENT);
        item.print(out, indent + INDENT, 1);
        out.push(',');
    }
    newline(out, indent);
    out.push_str(close);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(doc: &Doc, indent: usize) -> String {
        let mut out = " ".repeat(indent);
        doc.print(&mut out, indent, 0);
        out
    }

    #[test]
    fn short_expressions_stay_on_one_line() {
        let d = call("Field::new", [lit("id"), atom("BigInt")])
            .method("primary_key", [])
            .method("auto", []);
        assert_eq!(
            printed(&d, 0),
            r#"Field::new("id", BigInt).primary_key().auto()"#
        );
    }

    #[test]
    fn long_chains_break_one_method_per_line_and_arrays_one_item_per_line() {
        let fields: Vec<Doc> = (0..6)
            .map(|i| call("Field::new", [lit(&format!("field_{i}")), atom("Text")]))
            .collect();
        let d = call("CreateModel::new", [lit("Model"), lit("app_model")])
            .method("fields", [array(fields)])
            .method("into", []);
        let text = printed(&d, 4);
        assert!(text.lines().all(|l| l.len() <= WIDTH), "{text}");
        assert_eq!(
            text,
            r#"    CreateModel::new("Model", "app_model")
        .fields([
            Field::new("field_0", Text),
            Field::new("field_1", Text),
            Field::new("field_2", Text),
            Field::new("field_3", Text),
            Field::new("field_4", Text),
            Field::new("field_5", Text),
        ])
        .into()"#
        );
    }

    #[test]
    fn methods_after_a_broken_receiver_line_up_with_its_closing_parenthesis() {
        let long = "x".repeat(60);
        let d = call("AddConstraint::new", [lit("Book"), lit(&long)]).method("into", []);
        assert_eq!(
            printed(&d, 12),
            format!(
                "            AddConstraint::new(\n                \"Book\",\n                \"{long}\",\n            )\n            .into()"
            )
        );
    }
}
