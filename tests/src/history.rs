//! A hand-written history, as the tests that snapshot it need it: the file `makemigrations`
//! writes for one of its steps, and that step's SQL on every backend, both ways.

use migrate_core::autodetector::Autodetector;
use migrate_core::loader::Loader;
use migrate_core::questioner::NonInteractive;
use migrate_core::schema::{migration_sql, Backend};
use migrate_core::{Migration, ProjectState};

fn loader(migrations: &[Migration], n: usize) -> Loader {
    Loader::new(migrations[..n].to_vec()).expect("the test's history loads")
}

/// The state after `migrations[..n]`.
pub fn state_after(migrations: &[Migration], n: usize) -> ProjectState {
    loader(migrations, n)
        .project_state()
        .expect("the test's history replays")
}

/// The file `makemigrations` writes for the change `migrations[n]` makes (from the state
/// before it to the state after it), after the leaves of the ones before it.
pub fn written_file(migrations: &[Migration], n: usize) -> String {
    let leaves = migrate_core::drift::leaves(&loader(migrations, n)).expect("a consistent graph");
    let changes = Autodetector {
        from: &state_after(migrations, n),
        to: &state_after(migrations, n + 1),
        hints: &Default::default(),
        leaves: &leaves,
    }
    .changes(&mut NonInteractive::default())
    .expect("the change is detected");
    changes
        .migrations
        .iter()
        .map(|m| migrate_core::writer::migration_file(m).expect("the file is written"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `migrations[n]` as SQL on each backend, forwards then backwards, from the state before it;
/// a backend that refuses it shows the error instead.
pub fn sql_both_ways(migrations: &[Migration], n: usize) -> String {
    let before = state_after(migrations, n);
    let mut out = String::new();
    for backend in Backend::ALL {
        for backwards in [false, true] {
            let text = match migration_sql(backend, &migrations[n], &before, backwards) {
                Ok(statements) => statements.join(";\n"),
                Err(e) => format!("error: {e}"),
            };
            out.push_str(&format!(
                "-- {backend} {}\n{text}\n",
                if backwards { "backwards" } else { "forwards" },
            ));
        }
    }
    out
}

/// [`written_file`] and [`sql_both_ways`] for every step of the history, each step's SQL
/// under a `==== name` line.
pub fn every_step(migrations: &[Migration]) -> (String, String) {
    let mut files = String::new();
    let mut sql = String::new();
    for (n, m) in migrations.iter().enumerate() {
        files.push_str(&written_file(migrations, n));
        sql.push_str(&format!(
            "==== {}\n{}",
            m.name,
            sql_both_ways(migrations, n)
        ));
    }
    (files, sql)
}
