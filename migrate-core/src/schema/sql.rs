//! The one place where names and values become SQL text. Every identifier (table, column,
//! index, constraint, foreign key, the history table) goes through [`quote`] and every value
//! through [`literal`]; the statement shapes below are built only from those two, so no name
//! or value reaches a statement any other way.
//!
//! sea-query used to build these statements, but it writes index and foreign-key names
//! between quotes without escaping them, so a quote in a name ended the identifier.

use crate::fields::{ColumnType, OnDelete, Value};
use crate::operations::Backend;
use crate::state::{CheckExpr, Column, ForeignKeyConstraint, Table, TableIndex};

/// An identifier, quoted for `backend`: the quote character doubled inside, so any name
/// stays one identifier.
pub fn quote(backend: Backend, ident: &str) -> String {
    let (open, close) = match backend {
        Backend::Mysql => ('`', '`'),
        _ => ('"', '"'),
    };
    let mut out = String::with_capacity(ident.len() + 2);
    out.push(open);
    for c in ident.chars() {
        if c == close {
            out.push(c);
        }
        out.push(c);
    }
    out.push(close);
    out
}

/// A string literal for `backend`. MySQL and MariaDB read `\` as an escape inside quotes,
/// so there it is doubled too (and written `E'…'` on PostgreSQL, which then reads it the
/// same way whatever `standard_conforming_strings` says).
pub fn string(backend: Backend, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 3);
    let escape_backslash = match backend {
        Backend::Mysql => true,
        Backend::Postgres if s.contains('\\') => {
            out.push('E');
            true
        }
        _ => false,
    };
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' if escape_backslash => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A value as an SQL literal, for defaults and one-off values.
pub fn literal(backend: Backend, value: &Value) -> String {
    match value {
        Value::Bool(b) if backend == Backend::Postgres => b.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Number(n) if is_number(n) => n.to_string(),
        // Not a number as written (a hand-edited migration file): a string, never raw SQL.
        Value::Number(n) => string(backend, n),
        Value::Str(s) => string(backend, s),
        Value::Now if backend == Backend::Mysql => "CURRENT_TIMESTAMP(6)".into(),
        Value::Now => "CURRENT_TIMESTAMP".into(),
        Value::NewUuid => new_uuid(backend).into(),
    }
}

/// An expression that makes a new UUID each time it is evaluated, in the column type
/// `Uuid` has on `backend`: PostgreSQL's `gen_random_uuid()` (version 4, built in since
/// PostgreSQL 13); on MySQL and MariaDB the server's `UUID()` (version 1) as 16 bytes; on
/// SQLite 16 random bytes with the version 4 and variant bits set (`unhex` is in SQLite
/// 3.41+; sqlx bundles a newer one).
fn new_uuid(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "gen_random_uuid()",
        Backend::Mysql => "UNHEX(REPLACE(UUID(), '-', ''))",
        Backend::Sqlite => {
            "unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || \
             substr('89AB', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || \
             hex(randomblob(6)))"
        }
    }
}

/// `value` for a column of type `ty`: as [`literal`], except that a UUID bound for a column
/// that stores it as 16 bytes (SQLite's `blob`, MySQL's `binary(16)`, as sqlx encodes
/// `Uuid` there) is written as those bytes, `X'…'`.
pub fn column_literal(backend: Backend, ty: ColumnType, value: &Value) -> String {
    match value {
        Value::Str(s) if ty == ColumnType::Uuid && backend != Backend::Postgres => {
            let hex: String = s.chars().filter(|c| *c != '-').collect();
            if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                format!("X'{hex}'")
            } else {
                literal(backend, value)
            }
        }
        _ => literal(backend, value),
    }
}

/// `-12`, `3.50`, `1e-3`: digits with an optional sign, point and exponent.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((i, f)) => digits(i) && (f.is_empty() || digits(f)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

fn list(backend: Backend, names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn on_delete(action: OnDelete) -> &'static str {
    match action {
        OnDelete::Cascade => "CASCADE",
        OnDelete::Protect | OnDelete::Restrict => "RESTRICT",
        OnDelete::SetNull => "SET NULL",
        OnDelete::SetDefault => "SET DEFAULT",
        OnDelete::DoNothing => "NO ACTION",
    }
}

/// How a column definition is written: in `CREATE TABLE` (`Key`: the table's sole primary
/// key) or in an `ALTER` of an existing column, which keeps its key but not its
/// auto-increment unless told again (`KeptKey`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyRole {
    None,
    Key,
    KeptKey,
}

/// `"name" type NULL|NOT NULL [PRIMARY KEY] [auto-increment] [DEFAULT (value)]`.
pub(super) fn column_def(
    backend: Backend,
    column: &Column,
    role: KeyRole,
    default: Option<&Value>,
) -> String {
    let auto = column.auto_increment && role != KeyRole::None;
    let ty = if auto && backend == Backend::Sqlite {
        // Only INTEGER PRIMARY KEY is an alias of the rowid that AUTOINCREMENT needs.
        "integer".to_owned()
    } else {
        super::type_name(backend, column.ty)
    };
    let mut out = format!("{} {ty}", quote(backend, &column.name));
    out.push_str(if column.nullable {
        " NULL"
    } else {
        " NOT NULL"
    });
    if role == KeyRole::Key {
        out.push_str(" PRIMARY KEY");
    }
    if auto {
        out.push_str(match backend {
            Backend::Postgres => " GENERATED BY DEFAULT AS IDENTITY",
            Backend::Mysql => " AUTO_INCREMENT",
            Backend::Sqlite => " AUTOINCREMENT",
        });
    }
    if let Some(value) = default {
        out.push_str(&format!(
            " DEFAULT ({})",
            column_literal(backend, column.ty, value)
        ));
    }
    out
}

/// `CREATE TABLE` with columns, primary key, unique constraints, foreign keys and checks.
pub(super) fn create_table(backend: Backend, table: &Table, name_override: Option<&str>) -> String {
    let q = |s: &str| quote(backend, s);
    let table_name = name_override.unwrap_or(&table.name);
    let sole_key = table.primary_key.len() == 1;
    let mut items: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let role = if sole_key && table.primary_key[0] == c.name {
                KeyRole::Key
            } else {
                KeyRole::None
            };
            column_def(backend, c, role, c.default.as_ref())
        })
        .collect();
    if !sole_key && !table.primary_key.is_empty() {
        items.push(format!(
            "PRIMARY KEY ({})",
            list(backend, &table.primary_key)
        ));
    }
    for u in &table.uniques {
        items.push(match backend {
            Backend::Mysql => format!("UNIQUE KEY {} ({})", q(&u.name), list(backend, &u.columns)),
            _ => format!(
                "CONSTRAINT {} UNIQUE ({})",
                q(&u.name),
                list(backend, &u.columns)
            ),
        });
    }
    for fk in &table.foreign_keys {
        let reference = references(backend, fk);
        items.push(match backend {
            // SQLite cannot drop a constraint by name (a rebuild replaces the table), so it
            // is not named.
            Backend::Sqlite => reference,
            _ => format!("CONSTRAINT {} {reference}", q(&fk.name)),
        });
    }
    for (name, expr) in &table.checks {
        items.push(format!(
            "CONSTRAINT {} CHECK ({})",
            q(name),
            check(backend, table, expr)
        ));
    }
    format!("CREATE TABLE {} ( {} )", q(table_name), items.join(", "))
}

/// `FOREIGN KEY (column) REFERENCES table (column) ON DELETE action`, and
/// `DEFERRABLE INITIALLY DEFERRED` for a deferrable key where the backend has it (MySQL
/// checks every key at once).
fn references(backend: Backend, fk: &ForeignKeyConstraint) -> String {
    let q = |s: &str| quote(backend, s);
    let deferred = match backend {
        Backend::Postgres | Backend::Sqlite if fk.deferrable => " DEFERRABLE INITIALLY DEFERRED",
        _ => "",
    };
    format!(
        "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}{deferred}",
        q(&fk.column),
        q(&fk.ref_table),
        q(&fk.ref_column),
        on_delete(fk.on_delete)
    )
}

pub(super) fn add_foreign_key(backend: Backend, table: &str, fk: &ForeignKeyConstraint) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {}",
        quote(backend, table),
        quote(backend, &fk.name),
        references(backend, fk)
    )
}

pub(super) fn drop_foreign_key(backend: Backend, table: &str, name: &str) -> String {
    let kind = match backend {
        Backend::Mysql => "FOREIGN KEY",
        _ => "CONSTRAINT",
    };
    format!(
        "ALTER TABLE {} DROP {kind} {}",
        quote(backend, table),
        quote(backend, name)
    )
}

/// `CREATE [UNIQUE] INDEX name ON table (column [DESC] [opclass], …, (expression), …)
/// [WHERE condition]`. MySQL has neither expressions nor conditions here: its schema editor
/// refuses such an index before rendering (`mysql::unsupported`).
pub(super) fn create_index(backend: Backend, table: &str, index: &TableIndex) -> String {
    let mut parts: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = quote(backend, c);
            if index.descending.contains(c) {
                part.push_str(" DESC");
            }
            if let Some(opclass) = index.opclass {
                part.push(' ');
                part.push_str(opclass);
            }
            part
        })
        .collect();
    parts.extend(index.expressions.iter().map(|e| format!("({e})")));
    let mut out = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        quote(backend, &index.name),
        quote(backend, table),
        parts.join(", ")
    );
    if let Some(condition) = &index.condition {
        out.push_str(&format!(" WHERE {condition}"));
    }
    out
}

/// Drops an index. A pattern-ops index (PostgreSQL) is dropped `IF EXISTS`: databases made
/// before the tool created them do not have one.
pub(super) fn drop_index(backend: Backend, table: &str, index: &TableIndex) -> String {
    if index.opclass.is_some() {
        return format!("DROP INDEX IF EXISTS {}", quote(backend, &index.name));
    }
    drop_index_named(backend, table, &index.name)
}

pub(super) fn drop_index_named(backend: Backend, table: &str, name: &str) -> String {
    match backend {
        Backend::Mysql => format!(
            "DROP INDEX {} ON {}",
            quote(backend, name),
            quote(backend, table)
        ),
        _ => format!("DROP INDEX {}", quote(backend, name)),
    }
}

/// Renames an index; `maybe_absent` (a PostgreSQL pattern-ops index, which databases made
/// before the tool created them do not have) renames it `IF EXISTS`.
pub(super) fn rename_index(
    backend: Backend,
    table: &str,
    from: &str,
    to: &str,
    maybe_absent: bool,
) -> String {
    let q = |s: &str| quote(backend, s);
    match backend {
        Backend::Mysql => format!(
            "ALTER TABLE {} RENAME INDEX {} TO {}",
            q(table),
            q(from),
            q(to)
        ),
        _ => format!(
            "ALTER INDEX {}{} RENAME TO {}",
            if maybe_absent { "IF EXISTS " } else { "" },
            q(from),
            q(to)
        ),
    }
}

/// Renames a unique constraint or a foreign key (PostgreSQL); MySQL's unique constraint is
/// an index and is renamed as one.
pub(super) fn rename_constraint(backend: Backend, table: &str, from: &str, to: &str) -> String {
    match backend {
        Backend::Mysql => rename_index(backend, table, from, to, false),
        _ => format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            quote(backend, table),
            quote(backend, from),
            quote(backend, to)
        ),
    }
}

pub(super) fn add_unique(backend: Backend, table: &str, name: &str, columns: &[String]) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
        quote(backend, table),
        quote(backend, name),
        list(backend, columns)
    )
}

pub(super) fn drop_unique(backend: Backend, table: &str, name: &str) -> String {
    let kind = match backend {
        Backend::Mysql => "INDEX",
        _ => "CONSTRAINT",
    };
    format!(
        "ALTER TABLE {} DROP {kind} {}",
        quote(backend, table),
        quote(backend, name)
    )
}

pub(super) fn add_check(backend: Backend, table: &Table, name: &str, expr: &CheckExpr) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
        quote(backend, &table.name),
        quote(backend, name),
        check(backend, table, expr)
    )
}

/// A check's condition: the user's SQL as written, or `"column" IN (values)` with the column
/// quoted and each value a literal of the column's type.
fn check(backend: Backend, table: &Table, expr: &CheckExpr) -> String {
    match expr {
        CheckExpr::Sql(sql) => sql.clone(),
        CheckExpr::OneOf { column, values } => {
            let ty = table
                .columns
                .iter()
                .find(|c| c.name == *column)
                .map(|c| c.ty);
            let values: Vec<String> = values
                .iter()
                .map(|v| match ty {
                    Some(ty) => column_literal(backend, ty, v),
                    None => literal(backend, v),
                })
                .collect();
            format!("{} IN ({})", quote(backend, column), values.join(", "))
        }
        CheckExpr::JsonValid { column } => format!("JSON_VALID({})", quote(backend, column)),
    }
}

pub(super) fn drop_check(backend: Backend, table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        quote(backend, table),
        quote(backend, name)
    )
}

pub(super) fn drop_table(backend: Backend, table: &str) -> String {
    format!("DROP TABLE {}", quote(backend, table))
}

pub(super) fn rename_table(backend: Backend, from: &str, to: &str) -> String {
    let q = |s: &str| quote(backend, s);
    match backend {
        Backend::Mysql => format!("RENAME TABLE {} TO {}", q(from), q(to)),
        _ => format!("ALTER TABLE {} RENAME TO {}", q(from), q(to)),
    }
}

pub(super) fn add_column(backend: Backend, table: &str, definition: &str) -> String {
    format!(
        "ALTER TABLE {} ADD COLUMN {definition}",
        quote(backend, table)
    )
}

pub(super) fn drop_column(backend: Backend, table: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} DROP COLUMN {}",
        quote(backend, table),
        quote(backend, column)
    )
}

pub(super) fn rename_column(backend: Backend, table: &str, from: &str, to: &str) -> String {
    let q = |s: &str| quote(backend, s);
    format!(
        "ALTER TABLE {} RENAME COLUMN {} TO {}",
        q(table),
        q(from),
        q(to)
    )
}

/// `ALTER TABLE t ALTER COLUMN c <rest>` (PostgreSQL, and MySQL's default changes).
pub(super) fn alter_column(backend: Backend, table: &str, column: &str, rest: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} {rest}",
        quote(backend, table),
        quote(backend, column)
    )
}

/// `UPDATE t SET c = value WHERE c IS NULL`: a one-off value for existing NULLs.
pub(super) fn fill_nulls(backend: Backend, table: &str, column: &Column, value: &Value) -> String {
    let c = quote(backend, &column.name);
    format!(
        "UPDATE {} SET {c} = {} WHERE {c} IS NULL",
        quote(backend, table),
        column_literal(backend, column.ty, value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_its_sixteen_bytes_where_the_column_stores_bytes() {
        let id = Value::Str("F0E1D2C3-b4a5-4697-8877-665544332211".into());
        for backend in [Backend::Sqlite, Backend::Mysql] {
            assert_eq!(
                column_literal(backend, ColumnType::Uuid, &id),
                "X'F0E1D2C3b4a546978877665544332211'"
            );
        }
        assert_eq!(
            column_literal(Backend::Postgres, ColumnType::Uuid, &id),
            "'F0E1D2C3-b4a5-4697-8877-665544332211'"
        );
        // Not a UUID: a string as ever (the database says what it thinks of it).
        let odd = Value::Str("x'); DROP TABLE t; --".into());
        assert_eq!(
            column_literal(Backend::Sqlite, ColumnType::Uuid, &odd),
            literal(Backend::Sqlite, &odd)
        );
        assert_eq!(
            column_literal(Backend::Mysql, ColumnType::Varchar(36), &id),
            literal(Backend::Mysql, &id)
        );
    }

    #[test]
    fn identifiers_double_their_quote_character() {
        assert_eq!(quote(Backend::Postgres, "a\"b`c"), "\"a\"\"b`c\"");
        assert_eq!(quote(Backend::Sqlite, "x\"; DROP"), "\"x\"\"; DROP\"");
        assert_eq!(quote(Backend::Mysql, "a`b\"c"), "`a``b\"c`");
    }

    #[test]
    fn strings_escape_what_each_backend_reads_as_an_escape() {
        let s = "\\')); DROP TABLE victim; #";
        assert_eq!(string(Backend::Mysql, s), r"'\\'')); DROP TABLE victim; #'");
        assert_eq!(
            string(Backend::Postgres, s),
            r"E'\\'')); DROP TABLE victim; #'"
        );
        assert_eq!(string(Backend::Sqlite, s), r"'\'')); DROP TABLE victim; #'");
        assert_eq!(string(Backend::Postgres, "it's"), "'it''s'");
    }

    #[test]
    fn numbers_as_written_are_checked() {
        for ok in ["0", "-3", "1.50", "2.", "1e-3", "-4.5E+10"] {
            assert!(is_number(ok), "{ok}");
            assert_eq!(literal(Backend::Mysql, &Value::Number(ok.into())), ok);
        }
        for bad in ["", "-", ".5", "1;DROP TABLE t", "1e", "0x10", "1 "] {
            assert!(!is_number(bad), "{bad}");
        }
        assert_eq!(
            literal(
                Backend::Sqlite,
                &Value::Number("1); DROP TABLE t; --".into())
            ),
            "'1); DROP TABLE t; --'"
        );
    }
}
