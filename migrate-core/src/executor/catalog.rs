//! The reader of a live database's catalog: every table with its columns (type as the
//! catalog spells it, nullability, default expression, auto-increment), primary key,
//! foreign keys, indexes and unique constraints (columns, order, expressions, condition)
//! and check constraints (name and expression), on SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! `migrate --check-schema` compares a projection of it with the migrations
//! ([`LiveSchema`](super::LiveSchema)); `inspectdb` turns it into models
//! ([`crate::inspectdb`]). The tool's own tables are left out; the apps its history table
//! names are kept, so that `inspectdb` can tell which app a table belongs to.

use std::collections::BTreeMap;

use sqlx::Row;

use super::connection::DbConnection;
use crate::error::{Error, Result};
use crate::fields::Value;
use crate::schema::{literal, Backend};

/// What a database's catalog says of its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The backend it was read from: types and expressions are spelled its way.
    pub backend: Backend,
    /// Each table by name (the tool's history and progress tables left out).
    pub tables: BTreeMap<String, CatalogTable>,
    /// The apps the tool's history table names, when it has one.
    pub apps: Vec<String>,
}

/// One table, as its catalog describes it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogTable {
    /// The columns, in the table's order.
    pub columns: Vec<CatalogColumn>,
    /// The primary key's columns, in order (empty: none).
    pub primary_key: Vec<String>,
    /// The foreign keys.
    pub foreign_keys: Vec<CatalogForeignKey>,
    /// The indexes and unique constraints, the primary key's left out.
    pub indexes: Vec<CatalogIndex>,
    /// The check constraints.
    pub checks: Vec<CatalogCheck>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogColumn {
    /// Its name.
    pub name: String,
    /// Its type, as the catalog spells it, lowercased without spaces (`varchar(20)`,
    /// `numeric(12,2)`, `timestampwithtimezone`).
    pub ty: String,
    /// Whether it takes NULL.
    pub nullable: bool,
    /// Its default, as the catalog spells the expression.
    pub default: Option<String>,
    /// Whether the database numbers it (identity, serial, `AUTO_INCREMENT`, SQLite's
    /// `INTEGER PRIMARY KEY`).
    pub auto_increment: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogForeignKey {
    /// Its name (SQLite keeps none).
    pub name: Option<String>,
    /// The referencing columns (one for the keys a model can declare).
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// The delete rule, in SQL words (`CASCADE`, `SET NULL`, `RESTRICT`, `NO ACTION`, …).
    pub on_delete: String,
    /// `DEFERRABLE INITIALLY DEFERRED` (PostgreSQL).
    pub deferred: bool,
}

/// An index, or a unique constraint.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogIndex {
    /// Its name; SQLite keeps none for a unique constraint written without one.
    pub name: Option<String>,
    /// The indexed columns, in order.
    pub columns: Vec<String>,
    /// The columns among `columns` sorted descending.
    pub descending: Vec<String>,
    /// The indexed expressions, as the catalog spells them.
    pub expressions: Vec<String>,
    /// The condition of a partial index.
    pub condition: Option<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// Whether it is a unique constraint rather than an index (PostgreSQL, SQLite).
    pub constraint: bool,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogCheck {
    /// Its name; SQLite keeps none for a check written without one.
    pub name: Option<String>,
    /// Its condition, as the catalog spells it.
    pub expr: String,
}

/// Rows of a catalog query as text (MariaDB reports some text as bytes through `Any`);
/// NULL is `None`.
async fn rows(conn: &mut DbConnection, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let found = sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(|source| Error::Database {
            context: "reading the database's catalog".into(),
            source,
        })?;
    Ok(found
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            r.try_get::<Option<Vec<u8>>, _>(i)
                                .ok()
                                .flatten()
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                        })
                })
                .collect()
        })
        .collect())
}

/// [`rows`] with NULL as the empty string.
async fn texts(conn: &mut DbConnection, sql: &str) -> Result<Vec<Vec<String>>> {
    Ok(rows(conn, sql)
        .await?
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect())
}

/// The first column of each row of `sql`, as text.
pub(super) async fn first_column(conn: &mut DbConnection, sql: &str) -> Result<Vec<String>> {
    Ok(texts(conn, sql)
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect())
}

/// An expression as text, in the catalog queries.
fn text(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Postgres => format!("({expr})::text"),
        Backend::Mysql => format!("CONVERT({expr} USING utf8mb4)"),
        Backend::Sqlite => format!("CAST({expr} AS TEXT)"),
    }
}

/// Joins a list inside one catalog value (a character no name holds in practice).
const SEP: char = '\u{1f}';

fn split(list: &str) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    list.split(SEP).map(str::to_owned).collect()
}

/// Reads every table of the database the connection is on.
pub(super) async fn read(conn: &mut DbConnection, backend: Backend) -> Result<Catalog> {
    let mut catalog = Catalog {
        backend,
        tables: BTreeMap::new(),
        apps: Vec::new(),
    };
    let tables: Vec<String> = match backend {
        Backend::Postgres => texts(conn,
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ).await?,
        Backend::Mysql => texts(conn, &format!(
            "SELECT {} FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
            text(backend, "TABLE_NAME")
        )).await?,
        Backend::Sqlite => texts(conn,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        ).await?,
    }
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    for table in tables {
        if table == crate::recorder::TABLE {
            let sql = format!(
                "SELECT DISTINCT {} FROM {}",
                text(backend, "app"),
                crate::schema::quote(backend, &table)
            );
            catalog.apps = texts(conn, &sql)
                .await?
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            catalog.apps.sort();
            continue;
        }
        if table == crate::recorder::PROGRESS_TABLE {
            continue;
        }
        let info = match backend {
            Backend::Postgres => postgres(conn, &table).await?,
            Backend::Mysql => mysql(conn, &table).await?,
            Backend::Sqlite => match sqlite(conn, &table).await? {
                Some(info) => info,
                // Dropped since it was listed.
                None => continue,
            },
        };
        catalog.tables.insert(table, info);
    }
    Ok(catalog)
}

/// The server's version and the size of each table (the tool's own left out), for `lint`.
pub(super) async fn server(
    conn: &mut DbConnection,
    backend: Backend,
) -> Result<crate::lint::Server> {
    use crate::lint::{Server, TableSize};
    let version = match backend {
        Backend::Postgres => "SELECT current_setting('server_version')",
        Backend::Mysql => "SELECT VERSION()",
        Backend::Sqlite => "SELECT sqlite_version()",
    };
    let version = texts(conn, version)
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next());
    let number = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|n| *n >= 0.0)
            .map(|n| n as u64)
    };
    let mut server = Server {
        version,
        tables: BTreeMap::new(),
    };
    let own = |t: &str| t == crate::recorder::TABLE || t == crate::recorder::PROGRESS_TABLE;
    match backend {
        // Estimates from the statistics: `reltuples` is -1 before the first ANALYZE.
        Backend::Postgres => {
            for r in texts(conn,
                "SELECT c.relname::text, c.reltuples::text, pg_total_relation_size(c.oid)::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')",
            ).await? {
                if !own(&r[0]) {
                    server.tables.insert(r[0].clone(), TableSize { rows: number(&r[1]), bytes: number(&r[2]) });
                }
            }
        }
        Backend::Mysql => {
            for r in texts(conn, &format!(
                "SELECT {}, CAST(TABLE_ROWS AS CHAR), CAST(DATA_LENGTH + INDEX_LENGTH AS CHAR) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
                text(backend, "TABLE_NAME")
            )).await? {
                if !own(&r[0]) {
                    server.tables.insert(r[0].clone(), TableSize { rows: number(&r[1]), bytes: number(&r[2]) });
                }
            }
        }
        // SQLite keeps no estimate: the highest rowid is one (rows deleted since leave it
        // high), found through the key's b-tree at once where a count reads every row.
        Backend::Sqlite => {
            let tables = texts(conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ).await?;
            for r in tables {
                if own(&r[0]) {
                    continue;
                }
                let table = crate::schema::quote(backend, &r[0]);
                let highest = format!("SELECT CAST(COALESCE(MAX(_rowid_), 0) AS TEXT) FROM {table}");
                let rows = match texts(conn, &highest).await {
                    Ok(found) => found.first().and_then(|c| number(&c[0])),
                    // A table WITHOUT ROWID has none: counted.
                    Err(_) => {
                        let count = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}");
                        texts(conn, &count).await?.first().and_then(|c| number(&c[0]))
                    }
                };
                server.tables.insert(r[0].clone(), TableSize { rows, bytes: None });
            }
        }
    }
    Ok(server)
}

/// The table's name as a string literal: names here may hold any character.
fn lit(backend: Backend, table: &str) -> String {
    literal(backend, &Value::Str(table.to_owned().into()))
}

async fn postgres(conn: &mut DbConnection, table: &str) -> Result<CatalogTable> {
    let lit = lit(Backend::Postgres, table);
    let mut info = CatalogTable::default();
    let of_table = format!(
        "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname = {lit}"
    );
    for c in rows(conn, &format!(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (NOT a.attnotnull)::text, \
         pg_get_expr(d.adbin, d.adrelid), (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%')::text \
         FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         {of_table} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    )).await? {
        let get = |i: usize| c[i].clone().unwrap_or_default();
        let auto_increment = get(4) == "true";
        info.columns.push(CatalogColumn {
            name: get(0),
            ty: normalize(Backend::Postgres, &get(1)),
            nullable: get(2) == "true",
            // A serial's `nextval(…)` is how it numbers rows, not a default to declare.
            default: c[3].clone().filter(|_| !auto_increment),
            auto_increment,
        });
    }
    let attname = |array: &str, rel: &str| {
        format!(
            "array_to_string(ARRAY(SELECT a.attname::text FROM unnest({array}) WITH ORDINALITY k(num, ord) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num ORDER BY k.ord), chr(31))"
        )
    };
    for f in texts(conn, &format!(
        "SELECT c.conname::text, {}, cf.relname::text, {}, c.confdeltype::text, (c.condeferrable AND c.condeferred)::text \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class cf ON cf.oid = c.confrelid \
         {of_table} AND c.contype = 'f' ORDER BY c.conname",
        attname("c.conkey", "c.conrelid"),
        attname("c.confkey", "c.confrelid"),
    )).await? {
        let on_delete = match f[4].as_str() {
            "a" => "NO ACTION",
            "r" => "RESTRICT",
            "c" => "CASCADE",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            other => other,
        };
        info.foreign_keys.push(CatalogForeignKey {
            name: Some(f[0].clone()),
            columns: split(&f[1]),
            ref_table: f[2].clone(),
            ref_columns: split(&f[3]),
            on_delete: on_delete.to_owned(),
            deferred: f[5] == "true",
        });
    }
    // Each key column of each index: `c` + its name, or `e` + the expression; `-` when
    // sorted descending.
    for i in texts(conn, &format!(
        "SELECT ic.relname::text, i.indisunique::text, i.indisprimary::text, (con.oid IS NOT NULL)::text, \
         coalesce(pg_get_expr(i.indpred, i.indrelid), ''), \
         array_to_string(ARRAY(SELECT CASE WHEN i.indoption[k] & 1 = 1 THEN '-' ELSE '+' END || \
           CASE WHEN i.indkey[k] = 0 THEN 'e' || pg_get_indexdef(i.indexrelid, k + 1, true) \
           ELSE 'c' || (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k]) END \
           FROM generate_series(0, i.indnkeyatts - 1) k ORDER BY k), chr(31)) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype = 'u' \
         {of_table} ORDER BY ic.relname"
    )).await? {
        let parts = split(&i[5]);
        if i[2] == "true" {
            info.primary_key = parts.iter().map(|p| p[2..].to_owned()).collect();
            continue;
        }
        let mut index = CatalogIndex {
            name: Some(i[0].clone()),
            unique: i[1] == "true",
            constraint: i[3] == "true",
            condition: Some(i[4].clone()).filter(|c| !c.is_empty()),
            ..CatalogIndex::default()
        };
        for part in parts {
            index.add_part(&part);
        }
        info.indexes.push(index);
    }
    for c in texts(conn, &format!(
        "SELECT c.conname::text, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         {of_table} AND c.contype = 'c' ORDER BY c.conname"
    )).await? {
        // `CHECK ((price >= (0)::numeric))`, perhaps ` NOT VALID` after.
        let def = c[1].trim_end_matches(" NOT VALID");
        let mut expr = def
            .strip_prefix("CHECK (")
            .and_then(|e| e.strip_suffix(')'))
            .unwrap_or(def);
        // PostgreSQL wraps the condition in parentheses of its own.
        while let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
            if !balanced(inner) {
                break;
            }
            expr = inner;
        }
        info.checks.push(CatalogCheck {
            name: Some(c[0].clone()),
            expr: expr.to_owned(),
        });
    }
    Ok(info)
}

async fn mysql(conn: &mut DbConnection, table: &str) -> Result<CatalogTable> {
    let backend = Backend::Mysql;
    let lit = lit(backend, table);
    let t = |e: &str| text(backend, e);
    let mut info = CatalogTable::default();
    for c in rows(conn, &format!(
        "SELECT {}, {}, IF(IS_NULLABLE = 'YES', 'true', 'false'), {}, {} \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} ORDER BY ORDINAL_POSITION",
        t("COLUMN_NAME"),
        t("COLUMN_TYPE"),
        t("COLUMN_DEFAULT"),
        t("EXTRA"),
    )).await? {
        let get = |i: usize| c[i].clone().unwrap_or_default();
        info.columns.push(CatalogColumn {
            name: get(0),
            ty: normalize(backend, &get(1)),
            nullable: get(2) == "true",
            // MariaDB spells "no default" of a nullable column as `NULL`.
            default: c[3].clone().filter(|d| d != "NULL"),
            auto_increment: get(4).to_lowercase().contains("auto_increment"),
        });
    }
    for f in texts(conn, &format!(
        "SELECT {}, {}, {}, {}, {} FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
         ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = {lit} AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        t("k.CONSTRAINT_NAME"),
        t("k.COLUMN_NAME"),
        t("k.REFERENCED_TABLE_NAME"),
        t("k.REFERENCED_COLUMN_NAME"),
        t("r.DELETE_RULE"),
    )).await? {
        add_key_column(&mut info.foreign_keys, &f);
    }
    for i in texts(
        conn,
        &format!(
            "SELECT {}, IF(NON_UNIQUE = 0, 'true', 'false'), {}, IF(COLLATION = 'D', '-', '+') \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit} \
         ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            t("INDEX_NAME"),
            t("COLUMN_NAME"),
        ),
    )
    .await?
    {
        if i[0] == "PRIMARY" {
            info.primary_key.push(i[2].clone());
            continue;
        }
        if info.indexes.last().and_then(|x| x.name.as_deref()) != Some(i[0].as_str()) {
            let unique = i[1] == "true";
            info.indexes.push(CatalogIndex {
                name: Some(i[0].clone()),
                unique,
                constraint: unique,
                ..CatalogIndex::default()
            });
        }
        let index = info.indexes.last_mut().expect("pushed above");
        index.add_part(&format!("{}c{}", i[3], i[2]));
    }
    for c in texts(conn, &format!(
        "SELECT {}, {} FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.CHECK_CONSTRAINTS c \
         ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
         WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = {lit} AND t.CONSTRAINT_TYPE = 'CHECK' ORDER BY 1",
        t("t.CONSTRAINT_NAME"),
        t("c.CHECK_CLAUSE"),
    )).await? {
        info.checks.push(CatalogCheck {
            name: Some(c[0].clone()),
            expr: c[1].clone(),
        });
    }
    Ok(info)
}

async fn sqlite(conn: &mut DbConnection, table: &str) -> Result<Option<CatalogTable>> {
    let backend = Backend::Sqlite;
    let lit = lit(backend, table);
    let sql = texts(
        conn,
        &format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {lit}"),
    )
    .await?;
    let Some(sql) = sql.into_iter().next().and_then(|r| r.into_iter().next()) else {
        return Ok(None);
    };
    let parsed = sqlite_sql::parse_table(&sql);
    let mut info = CatalogTable::default();
    let columns = rows(conn, &format!(
        "SELECT name, type, CASE WHEN \"notnull\" = 0 AND pk = 0 THEN 'true' ELSE 'false' END, dflt_value, CAST(pk AS TEXT) \
         FROM pragma_table_info({lit}) ORDER BY cid"
    )).await?;
    let mut key: Vec<(i64, String)> = Vec::new();
    for c in &columns {
        let get = |i: usize| c[i].clone().unwrap_or_default();
        let pk: i64 = get(4).parse().unwrap_or(0);
        if pk > 0 {
            key.push((pk, get(0)));
        }
        info.columns.push(CatalogColumn {
            name: get(0),
            ty: normalize(backend, &get(1)),
            nullable: get(2) == "true",
            default: c[3].clone(),
            auto_increment: false,
        });
    }
    key.sort();
    info.primary_key = key.into_iter().map(|(_, c)| c).collect();
    // `INTEGER PRIMARY KEY` is the rowid: SQLite numbers it.
    if let [pk] = info.primary_key.as_slice() {
        if let Some(c) = info.columns.iter_mut().find(|c| &c.name == pk) {
            c.auto_increment = c.ty == "integer";
        }
    }
    for f in texts(conn, &format!(
        "SELECT CAST(id AS TEXT), \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list({lit}) ORDER BY id, seq"
    )).await? {
        // Named by its number until every column is read.
        add_key_column(&mut info.foreign_keys, &f);
    }
    for fk in &mut info.foreign_keys {
        fk.name = None;
        fk.deferred = parsed.deferred.contains(&fk.columns);
    }
    for l in texts(conn, &format!(
        "SELECT l.name, CAST(l.\"unique\" AS TEXT), l.origin, CAST(l.partial AS TEXT), coalesce(m.sql, '') \
         FROM pragma_index_list({lit}) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name ORDER BY l.name"
    )).await? {
        if l[2] == "pk" {
            continue;
        }
        let columns = texts(conn, &format!(
            "SELECT CAST(cid AS TEXT), coalesce(name, ''), CAST(\"desc\" AS TEXT) FROM pragma_index_xinfo({}) WHERE key = 1 ORDER BY seqno",
            literal(backend, &Value::Str(l[0].clone().into()))
        )).await?;
        let constraint = l[2] == "u";
        let mut index = CatalogIndex {
            name: (!constraint).then(|| l[0].clone()),
            unique: l[1] == "1",
            constraint,
            ..CatalogIndex::default()
        };
        let (terms, condition) = sqlite_sql::parse_index(&l[4]);
        if l[3] == "1" {
            index.condition = condition;
        }
        for (k, c) in columns.iter().enumerate() {
            let order = if c[2] == "1" { '-' } else { '+' };
            match c[0].as_str() {
                // An expression: its text from the index's SQL.
                "-2" => {
                    let term = terms.get(k).cloned().unwrap_or_default();
                    index.add_part(&format!("{order}e{term}"));
                }
                _ => index.add_part(&format!("{order}c{}", c[1])),
            }
        }
        if constraint {
            index.name = parsed
                .uniques
                .iter()
                .find(|(_, cols)| *cols == index.columns)
                .map(|(name, _)| name.clone());
        }
        info.indexes.push(index);
    }
    info.checks = parsed
        .checks
        .into_iter()
        .map(|(name, expr)| CatalogCheck { name, expr })
        .collect();
    Ok(Some(info))
}

/// Whether the parentheses of an SQL expression balance, outside string literals and
/// quoted names.
pub(crate) fn balanced(expr: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in expr.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && quote.is_none()
}

/// One row of a foreign key listing, `[key, column, table, referenced column, delete
/// rule]` in key order: a new key, or the next column of the last one.
fn add_key_column(keys: &mut Vec<CatalogForeignKey>, row: &[String]) {
    match keys.last_mut() {
        Some(fk) if fk.name.as_deref() == Some(row[0].as_str()) => {
            fk.columns.push(row[1].clone());
            fk.ref_columns.push(row[3].clone());
        }
        _ => keys.push(CatalogForeignKey {
            name: Some(row[0].clone()),
            columns: vec![row[1].clone()],
            ref_table: row[2].clone(),
            ref_columns: vec![row[3].clone()],
            on_delete: row[4].clone(),
            deferred: false,
        }),
    }
}

impl CatalogIndex {
    /// Whether it covers columns only, each ascending, without a condition.
    pub fn plain(&self) -> bool {
        self.condition.is_none() && self.expressions.is_empty() && self.descending.is_empty()
    }

    /// Adds a key part: `+`/`-` (ascending or descending), then `c` + a column or `e` + an
    /// expression.
    fn add_part(&mut self, part: &str) {
        let mut chars = part.chars();
        let descending = chars.next() == Some('-');
        let kind = chars.next();
        let rest = chars.as_str();
        if kind == Some('e') {
            self.expressions
                .push(rest.trim_end_matches(" DESC").to_owned());
        } else {
            if descending {
                self.descending.push(rest.to_owned());
            }
            self.columns.push(rest.to_owned());
        }
    }
}

/// A type as the catalog spells it, reduced to compare with what the tool asks for:
/// lowercase without spaces, with the synonyms of each backend made one.
pub fn normalize(backend: Backend, raw: &str) -> String {
    let mut t = raw.to_lowercase().replace(' ', "");
    match backend {
        Backend::Postgres => {
            t = t.replace("charactervarying", "varchar");
            t = t.replace("withouttimezone", "");
            if let Some(n) = t.strip_prefix("character(") {
                t = format!("char({n}");
            }
        }
        Backend::Mysql => {
            if t == "tinyint(1)" {
                return "bool".into();
            }
            for int in ["smallint", "bigint", "int"] {
                if let Some(rest) = t.strip_prefix(&format!("{int}(")) {
                    if rest.ends_with(')')
                        && rest[..rest.len() - 1].chars().all(|c| c.is_ascii_digit())
                    {
                        t = int.to_owned();
                    }
                }
            }
            // MariaDB's json is longtext with a json_valid() check.
            if t == "json" {
                t = "longtext".into();
            }
        }
        Backend::Sqlite => {}
    }
    t
}

/// Reading SQLite's own `CREATE TABLE` and `CREATE INDEX` text for what its pragmas do not
/// say: the names of unique and check constraints, check conditions, deferred keys, index
/// expressions and conditions.
mod sqlite_sql {
    /// A token: a word or quoted name (unquoted), a string literal, or one other character;
    /// with where it starts and ends in the text.
    #[derive(Debug)]
    struct Token {
        kind: Kind,
        text: String,
        quoted: bool,
        start: usize,
        end: usize,
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Kind {
        Word,
        Str,
        Punct,
    }

    fn tokens(sql: &str) -> Vec<Token> {
        let bytes: Vec<(usize, char)> = sql.char_indices().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let (start, c) = bytes[i];
            let close = match c {
                '"' => Some('"'),
                '`' => Some('`'),
                '[' => Some(']'),
                '\'' => Some('\''),
                _ => None,
            };
            if let Some(close) = close {
                // Quoted: a doubled closing quote stands for itself.
                let mut text = String::new();
                i += 1;
                while i < bytes.len() {
                    let (_, ch) = bytes[i];
                    if ch == close {
                        if close != ']' && bytes.get(i + 1).is_some_and(|(_, n)| *n == close) {
                            text.push(ch);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    text.push(ch);
                    i += 1;
                }
                i += 1;
                let end = bytes.get(i).map_or(sql.len(), |(p, _)| *p);
                let kind = if c == '\'' { Kind::Str } else { Kind::Word };
                out.push(Token {
                    kind,
                    text,
                    quoted: true,
                    start,
                    end,
                });
            } else if c.is_whitespace() {
                i += 1;
            } else if c.is_alphanumeric() || c == '_' {
                let mut text = String::new();
                while i < bytes.len() && (bytes[i].1.is_alphanumeric() || bytes[i].1 == '_') {
                    text.push(bytes[i].1);
                    i += 1;
                }
                let end = bytes.get(i).map_or(sql.len(), |(p, _)| *p);
                out.push(Token {
                    kind: Kind::Word,
                    text,
                    quoted: false,
                    start,
                    end,
                });
            } else {
                i += 1;
                let end = bytes.get(i).map_or(sql.len(), |(p, _)| *p);
                out.push(Token {
                    kind: Kind::Punct,
                    text: c.to_string(),
                    quoted: false,
                    start,
                    end,
                });
            }
        }
        out
    }

    fn is(token: Option<&Token>, word: &str) -> bool {
        token
            .is_some_and(|t| t.kind == Kind::Word && !t.quoted && t.text.eq_ignore_ascii_case(word))
    }

    fn punct(token: Option<&Token>, c: &str) -> bool {
        token.is_some_and(|t| t.kind == Kind::Punct && t.text == c)
    }

    /// The index of the token that closes the parenthesis opened at `open`.
    fn closing(tokens: &[Token], open: usize) -> usize {
        let mut depth = 0;
        for (i, t) in tokens.iter().enumerate().skip(open) {
            if t.kind == Kind::Punct {
                match t.text.as_str() {
                    "(" => depth += 1,
                    ")" => {
                        depth -= 1;
                        if depth == 0 {
                            return i;
                        }
                    }
                    _ => {}
                }
            }
        }
        tokens.len().saturating_sub(1)
    }

    /// What a `CREATE TABLE` says beyond the pragmas.
    #[derive(Debug, Default)]
    pub(super) struct TableSql {
        /// Named unique constraints: (name, columns).
        pub uniques: Vec<(String, Vec<String>)>,
        /// Check constraints: (name, condition).
        pub checks: Vec<(Option<String>, String)>,
        /// The columns of each `DEFERRABLE INITIALLY DEFERRED` foreign key.
        pub deferred: Vec<Vec<String>>,
    }

    pub(super) fn parse_table(sql: &str) -> TableSql {
        let toks = tokens(sql);
        let mut out = TableSql::default();
        // The body: between the first `(` and its match.
        let Some(open) = toks.iter().position(|t| punct(Some(t), "(")) else {
            return out;
        };
        let close = closing(&toks, open);
        // Each top-level item of the body: a column or a table constraint.
        let mut items = Vec::new();
        let (mut depth, mut begin) = (0, open + 1);
        for (i, tok) in toks.iter().enumerate().take(close).skip(open + 1) {
            match tok.text.as_str() {
                "(" if tok.kind == Kind::Punct => depth += 1,
                ")" if tok.kind == Kind::Punct => depth -= 1,
                "," if tok.kind == Kind::Punct && depth == 0 => {
                    items.push(begin..i);
                    begin = i + 1;
                }
                _ => {}
            }
        }
        items.push(begin..close);
        for item in items {
            let t = &toks[item.clone()];
            let column_item = !(is(t.first(), "CONSTRAINT")
                || is(t.first(), "PRIMARY")
                || is(t.first(), "UNIQUE")
                || is(t.first(), "CHECK")
                || is(t.first(), "FOREIGN"));
            let mut name: Option<String> = None;
            let mut k = 0;
            while k < t.len() {
                if is(t.get(k), "CONSTRAINT") && t.get(k + 1).is_some() {
                    name = Some(t[k + 1].text.clone());
                    k += 2;
                    continue;
                }
                if is(t.get(k), "CHECK") && punct(t.get(k + 1), "(") {
                    let end = closing(t, k + 1);
                    let expr = sql[t[k + 1].end..t[end].start].trim().to_owned();
                    out.checks.push((name.take(), expr));
                    k = end + 1;
                    continue;
                }
                if is(t.get(k), "UNIQUE") && punct(t.get(k + 1), "(") && !column_item {
                    let end = closing(t, k + 1);
                    let columns = t[k + 2..end]
                        .iter()
                        .filter(|c| c.kind == Kind::Word)
                        .map(|c| c.text.clone())
                        .collect();
                    if let Some(n) = name.take() {
                        out.uniques.push((n, columns));
                    }
                    k = end + 1;
                    continue;
                }
                if is(t.get(k), "DEFERRED") {
                    let columns = if column_item {
                        t.first().map(|c| vec![c.text.clone()]).unwrap_or_default()
                    } else {
                        // `FOREIGN KEY (a, b) REFERENCES …`
                        let open = t.iter().position(|x| punct(Some(x), "("));
                        match open {
                            Some(o) => t[o + 1..closing(t, o)]
                                .iter()
                                .filter(|c| c.kind == Kind::Word)
                                .map(|c| c.text.clone())
                                .collect(),
                            None => Vec::new(),
                        }
                    };
                    out.deferred.push(columns);
                }
                // A constraint name belongs to the clause right after it.
                let clause = [
                    "PRIMARY",
                    "FOREIGN",
                    "REFERENCES",
                    "UNIQUE",
                    "NOT",
                    "DEFAULT",
                    "COLLATE",
                ];
                if clause.iter().any(|w| is(t.get(k), w)) {
                    name = None;
                }
                k += 1;
            }
        }
        out
    }

    /// The key terms of a `CREATE INDEX` (each as written, without `ASC`/`DESC`) and its
    /// `WHERE` condition.
    pub(super) fn parse_index(sql: &str) -> (Vec<String>, Option<String>) {
        let toks = tokens(sql);
        let Some(on) = toks.iter().position(|t| is(Some(t), "ON")) else {
            return (Vec::new(), None);
        };
        let Some(open) = toks[on..]
            .iter()
            .position(|t| punct(Some(t), "("))
            .map(|p| p + on)
        else {
            return (Vec::new(), None);
        };
        let close = closing(&toks, open);
        let mut terms = Vec::new();
        let (mut depth, mut begin) = (0, open + 1);
        for i in open + 1..=close {
            let t = &toks[i];
            let end_of_term = i == close || (t.kind == Kind::Punct && t.text == "," && depth == 0);
            if t.kind == Kind::Punct && t.text == "(" {
                depth += 1;
            } else if t.kind == Kind::Punct && t.text == ")" && i != close {
                depth -= 1;
            }
            if end_of_term {
                let mut last = i;
                // Leave out a trailing ASC / DESC / COLLATE x.
                while last > begin
                    && (is(toks.get(last - 1), "ASC") || is(toks.get(last - 1), "DESC"))
                {
                    last -= 1;
                }
                if last > begin {
                    let mut text = sql[toks[begin].start..toks[last - 1].end].trim().to_owned();
                    // `(expr)` is how an expression is written in an index.
                    if text.starts_with('(')
                        && text.ends_with(')')
                        && closing(&toks, begin) == last - 1
                    {
                        text = text[1..text.len() - 1].to_owned();
                    }
                    terms.push(text);
                }
                begin = i + 1;
            }
        }
        let condition = toks[close + 1..]
            .iter()
            .position(|t| is(Some(t), "WHERE"))
            .map(|w| {
                sql[toks[close + 1 + w].end..]
                    .trim()
                    .trim_end_matches(';')
                    .trim()
                    .to_owned()
            });
        (terms, condition)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_what_the_pragmas_do_not_say() {
            let t = parse_table(
                r#"CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY, "a""b" text UNIQUE CHECK (length("a""b") > 1), "c" integer REFERENCES "u" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "t_u" UNIQUE ("a""b", "c"), CONSTRAINT "pos" CHECK (c > 0 AND (c < 10)), CHECK (c <> 5))"#,
            );
            assert_eq!(
                t.uniques,
                [("t_u".to_owned(), vec!["a\"b".to_owned(), "c".to_owned()])]
            );
            assert_eq!(
                t.checks,
                [
                    (None, "length(\"a\"\"b\") > 1".to_owned()),
                    (Some("pos".to_owned()), "c > 0 AND (c < 10)".to_owned()),
                    (None, "c <> 5".to_owned()),
                ]
            );
            assert_eq!(t.deferred, [vec!["c".to_owned()]]);
        }

        #[test]
        fn reads_index_terms_and_condition() {
            let (terms, condition) = parse_index(
                r#"CREATE UNIQUE INDEX "i" ON "t" ("a", (lower("b")) DESC, "c" ASC) WHERE "d" IS NULL AND x = 'y'"#,
            );
            assert_eq!(terms, ["\"a\"", "lower(\"b\")", "\"c\""]);
            assert_eq!(condition.as_deref(), Some("\"d\" IS NULL AND x = 'y'"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::ColumnType;
    use crate::schema::type_name;

    #[test]
    fn catalog_spellings_match_the_tools() {
        // What each catalog reports for a column the tool made, and what the tool asked for.
        for (backend, reported, ty) in [
            (
                Backend::Postgres,
                "timestamp without time zone",
                ColumnType::Timestamp,
            ),
            (
                Backend::Postgres,
                "time without time zone",
                ColumnType::Time,
            ),
            (
                Backend::Postgres,
                "timestamp with time zone",
                ColumnType::TimestampTz,
            ),
            (
                Backend::Postgres,
                "character varying(20)",
                ColumnType::Varchar(20),
            ),
            (Backend::Postgres, "inet", ColumnType::IpAddr),
            (Backend::Mysql, "int(11)", ColumnType::Integer),
            (Backend::Mysql, "tinyint(1)", ColumnType::Boolean),
            (Backend::Mysql, "json", ColumnType::Json),
            (
                Backend::Sqlite,
                "decimal(12, 2)",
                ColumnType::Decimal {
                    max_digits: 12,
                    decimal_places: 2,
                },
            ),
        ] {
            assert_eq!(
                normalize(backend, reported),
                normalize(backend, &type_name(backend, ty)),
                "{backend:?} {reported}"
            );
        }
    }

    #[test]
    fn parentheses_balance_outside_quotes() {
        assert!(balanced("(a) + ')'"));
        assert!(!balanced("a) + (b"));
        assert!(balanced(r#""a(" > 0"#));
    }
}
