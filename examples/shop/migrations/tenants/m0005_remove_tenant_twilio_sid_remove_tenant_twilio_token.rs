//! Migration tenants.0005_remove_tenant_twilio_sid_remove_tenant_twilio_token, written by `migrate makemigrations`.

use migrate_core::prelude::*;

pub fn migration() -> Migration {
    Migration::new(
        "tenants",
        "0005_remove_tenant_twilio_sid_remove_tenant_twilio_token",
    )
    .depends_on("tenants", "0004_move_twilio_credentials")
    .allow(
        "drop-column",
        "0004 moved the credentials to TenantSettings; nothing reads these columns since",
    )
    .operations([
        RemoveField::new("Tenant", "twilio_sid").into(),
        RemoveField::new("Tenant", "twilio_token").into(),
    ])
}
