//! Migration customers.0004_alter_customer_id, written by `migrate makemigrations`.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("customers", "0004_alter_customer_id")
        .depends_on("customers", "0003_rename_display_name_customer_nickname")
        .operations([
            AlterField::new(
                "Customer",
                Field::new("id", Uuid).primary_key().default(Value::NewUuid),
            )
            .into(),
        ])
}
