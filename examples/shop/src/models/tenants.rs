//! App `tenants`: who pays, at which tier, with which settings.

use chrono::{DateTime, Utc};
use migrate_core::{ForeignKey, Model, OneToOne};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, Model)]
#[model(
    app = "tenants",
    constraints(check(name = "tier_price_non_negative", expr = "monthly_price >= 0"))
)]
pub struct SubscriptionTier {
    #[field(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    #[field(max_length = 50, unique)]
    pub name: String,
    #[field(max_digits = 10, decimal_places = 2, default = 0)]
    pub monthly_price: Decimal,
    #[field(default = 5)]
    pub max_users: i32,
}

#[derive(Debug, Model, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
#[model(app = "tenants")]
pub struct Tenant {
    #[field(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    #[field(max_length = 100)]
    pub name: String,
    #[field(max_length = 50, unique)]
    pub slug: String,
    /// Tenants on no tier are on the free plan; deleting a tier leaves them there.
    #[field(on_delete = SetNull)]
    #[sqlx(rename = "tier_id")]
    pub tier: Option<ForeignKey<SubscriptionTier>>,
    #[field(default = true)]
    pub is_active: bool,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Model, sqlx::FromRow, serde::Serialize)]
#[model(app = "tenants")]
pub struct TenantSettings {
    #[field(on_delete = Cascade)]
    #[sqlx(rename = "tenant_id")]
    pub tenant: OneToOne<Tenant>,
    #[field(max_length = 64, default = "UTC")]
    pub timezone: String,
    #[field(max_length = 10, default = "en")]
    pub locale: String,
    #[field(max_length = 64)]
    pub twilio_sid: Option<String>,
    #[field(max_length = 64)]
    pub twilio_token: Option<String>,
}
