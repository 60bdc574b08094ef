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

/// `RenameIndex` renames in place where the backend can (SQLite cannot rename an index, so
/// it makes it again), both ways.
#[test]
fn an_index_is_renamed_where_the_backend_can() {
    use crate::fields::ColumnType::Varchar;
    use crate::operations::{CreateModel, RenameIndex};
    use crate::state::{Field, Index};
    use crate::Migration;
    let initial =
        Migration::new("shop", "0001").operations([CreateModel::new("Item", "shop_item")
            .fields([Field::auto_id(), Field::new("sku", Varchar(10))])
            .indexes([Index::new("item_sku", ["sku"])])
            .into()]);
    let mut state = crate::ProjectState::new();
    crate::loader::apply(&initial, &mut state).unwrap();
    let rename = Migration::new("shop", "0002").operations([RenameIndex::new(
        "Item",
        "item_sku",
        "item_code",
    )
    .into()]);
    let sql = |backend, backwards| -> Vec<String> {
        render_migration(backend, &rename, &state, backwards)
            .unwrap()
            .into_iter()
            .flat_map(|o| o.statements)
            .collect()
    };
    assert_eq!(
        sql(Backend::Postgres, false),
        [r#"ALTER INDEX "item_sku" RENAME TO "item_code""#]
    );
    assert_eq!(
        sql(Backend::Mysql, true),
        ["ALTER TABLE `shop_item` RENAME INDEX `item_code` TO `item_sku`"]
    );
    assert_eq!(
        sql(Backend::Sqlite, false),
        [
            r#"DROP INDEX "item_sku""#,
            r#"CREATE INDEX "item_code" ON "shop_item" ("sku")"#
        ]
    );
}
