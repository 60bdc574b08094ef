use super::*;

#[test]
fn a_history_row_is_written_out_as_each_backend_quotes_it() {
    assert_eq!(
        history_row(Backend::Sqlite, "shop", "0002_o'brien\\"),
        r#"INSERT INTO "migrate_migrations" ("app", "name", "applied_at") VALUES ('shop', '0002_o''brien\', CURRENT_TIMESTAMP)"#
    );
    assert_eq!(
        history_row(Backend::Mysql, "shop", "0002_o'brien\\"),
        r#"INSERT INTO `migrate_migrations` (`app`, `name`, `applied_at`) VALUES ('shop', '0002_o''brien\\', CURRENT_TIMESTAMP)"#
    );
}
