//! The SQL of every shop migration on every backend, forwards and backwards: what
//! `sqlmigrate` prints, reviewed as SQL in the snapshots.

use migrate_core::loader::{apply, Loader};
use migrate_core::schema::{migration_sql, Backend};
use migrate_core::ProjectState;

fn history_sql(backend: Backend, backwards: bool) -> String {
    let loader = Loader::new(shop::MIGRATIONS.all()).unwrap();
    let mut state = ProjectState::new();
    let mut out = String::new();
    for key in loader.graph().topological_order() {
        let m = loader.get(key).unwrap();
        let sql = migration_sql(backend, m, &state, backwards).unwrap();
        out.push_str(&format!(
            "-- {key}\n{}\n",
            migrate_core::schema::script(&sql, false)
        ));
        apply(m, &mut state).unwrap();
    }
    out
}

#[test]
fn shop_history_sql_per_backend() {
    for backend in Backend::ALL {
        for backwards in [false, true] {
            let direction = if backwards { "backwards" } else { "forwards" };
            insta::with_settings!({ snapshot_suffix => format!("{backend}-{direction}") }, {
                insta::assert_snapshot!(history_sql(backend, backwards));
            });
        }
    }
}
