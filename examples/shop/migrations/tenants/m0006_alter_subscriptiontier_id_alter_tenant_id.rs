//! Migration tenants.0006_alter_subscriptiontier_id_alter_tenant_id, written by `migrate makemigrations`.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new("tenants", "0006_alter_subscriptiontier_id_alter_tenant_id")
        .depends_on("tenants", "0005_remove_tenant_twilio_sid_remove_tenant_twilio_token")
        .operations([
            AlterField::new(
                "SubscriptionTier",
                Field::new("id", Uuid).primary_key().default(Value::NewUuid),
            )
            .into(),
            AlterField::new("Tenant", Field::new("id", Uuid).primary_key().default(Value::NewUuid))
                .into(),
        ])
}
