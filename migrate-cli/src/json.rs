//! `--format json`: the shapes of the documents and events, in one place, so that the
//! README's "JSON output" section describes this file. Every document and every event
//! carries `"version": VERSION`; a change that removes or renames a field, or changes
//! its meaning, raises it (adding a field does not).

use std::io::Write;

use migrate_core::executor::{Event, Progress};
use migrate_core::planner::{Direction, Step};
use migrate_core::MigrationKey;
use serde_json::{json, Value};

/// The version of the JSON schema.
pub const VERSION: u32 = 1;

/// Writes `doc` (an object) with the version first, on one line.
pub fn write(out: &mut dyn Write, doc: Value) -> std::io::Result<()> {
    let mut object = serde_json::Map::new();
    object.insert("version".into(), VERSION.into());
    if let Value::Object(fields) = doc {
        object.extend(fields);
    }
    writeln!(out, "{}", Value::Object(object))
}

/// `forwards` or `backwards`.
pub fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Forwards => "forwards",
        Direction::Backwards => "backwards",
    }
}

/// How far a migration that stopped part-way got (MySQL), or null.
pub fn partial(p: Option<&Progress>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({
            "direction": direction(if p.forwards { Direction::Forwards } else { Direction::Backwards }),
            "done": p.done,
            "total": p.total,
            "reverting": p.reverting.is_some(),
        }),
    }
}

/// `app.name`.
pub fn key(k: &MigrationKey) -> Value {
    json!({ "app": &*k.app, "name": &*k.name })
}

/// One event of a `migrate` run, or None for events that JSON leaves out (`Sql` below
/// verbosity 3).
pub fn event(e: &Event<'_>, fake: bool, verbosity: u8) -> Option<Value> {
    let step = |event: &str, s: &Step| {
        json!({
            "event": event,
            "app": &*s.key.app,
            "name": &*s.key.name,
            "direction": direction(s.direction),
        })
    };
    Some(match e {
        Event::Started(s) => {
            let mut v = step("started", s);
            v["fake"] = fake.into();
            v
        }
        Event::Finished(s, took) => {
            let mut v = step("finished", s);
            v["seconds"] = took.as_secs_f64().into();
            v
        }
        Event::Skipped(s) => step("skipped", s),
        Event::Faked(s) => step("faked", s),
        Event::WaitingForLock => json!({ "event": "waiting_for_lock" }),
        Event::Resumed { done, total } => {
            json!({ "event": "resumed", "done": done, "total": total })
        }
        Event::Reverting { done, total } => {
            json!({ "event": "reverting", "done": done, "total": total })
        }
        Event::RustRerun => json!({ "event": "rust_rerun" }),
        Event::Progress { label, done } => {
            json!({ "event": "progress", "label": label, "rows": done })
        }
        Event::Sql(sql) if verbosity >= 3 => json!({ "event": "sql", "sql": sql }),
        Event::Sql(_) => return None,
    })
}

/// The error document written on stderr.
pub fn error(message: &str, exit_code: u8) -> Value {
    json!({ "error": { "message": message, "exit_code": exit_code } })
}
