use super::*;

#[test]
fn a_history_row_is_written_out_as_each_backend_quotes_it() {
    assert_eq!(
        history_row(Backend::Sqlite, "shop", "0002_o'brien\\", None),
        r#"INSERT INTO "migrate_migrations" ("app", "name", "applied_at", "checksum") VALUES ('shop', '0002_o''brien\', CURRENT_TIMESTAMP, NULL)"#
    );
    assert_eq!(
        history_row(Backend::Mysql, "shop", "0002_o'brien\\", Some("v1 ab")),
        r#"INSERT INTO `migrate_migrations` (`app`, `name`, `applied_at`, `checksum`) VALUES ('shop', '0002_o''brien\\', CURRENT_TIMESTAMP, 'v1 ab')"#
    );
}
