//! Migration catalog.0004_product_status, written by `migrate makemigrations`.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("catalog", "0004_product_status")
        .depends_on("catalog", "0003_alter_product_id")
        .operations([
            AddField::new(
                "Product",
                Field::new("status", Varchar(8))
                    .default("active")
                    .choices(["draft", "active", "archived"]),
            )
            .into(),
        ])
}
