//! The shop's committed migrations record every model change: the one-line drift check a
//! project keeps in its own tests, plus the exact comparison behind it.

use migrate_core::loader::Loader;
use migrate_core::registry;

#[test]
fn migrations_match_models() {
    migrate_core::drift::assert_no_drift(shop::MIGRATIONS.all());
}

#[test]
fn replaying_the_migrations_gives_exactly_the_models_state() {
    let replayed = Loader::new(shop::MIGRATIONS.all())
        .unwrap()
        .project_state()
        .unwrap();
    let models = registry::project_state().unwrap();
    assert!(
        replayed.same_schema(&models),
        "replayed:\n{replayed:#?}\nmodels:\n{models:#?}"
    );
    // Not merely equivalent: the SQL-level tables agree column for column.
    let columns = |s: &migrate_core::ProjectState| {
        let mut tables = s.tables().unwrap();
        for t in &mut tables {
            t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
        tables
    };
    assert_eq!(columns(&replayed), columns(&models));
}
