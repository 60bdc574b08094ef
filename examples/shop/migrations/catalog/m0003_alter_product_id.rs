//! Migration catalog.0003_alter_product_id, written by `migrate makemigrations`.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("catalog", "0003_alter_product_id")
        .depends_on("catalog", "0002_alter_product_name")
        .operations([
            AlterField::new("Product", Field::new("id", Uuid).primary_key().default(Value::NewUuid))
                .into(),
        ])
}
