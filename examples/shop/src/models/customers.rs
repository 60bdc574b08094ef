//! App `customers`: the people who buy from a tenant.

use chrono::{DateTime, Utc};
use migrate_core::{ForeignKey, ManyToMany, Model};
use uuid::Uuid;

use super::catalog::Product;
use super::tenants::Tenant;

#[derive(Debug, Model, sqlx::FromRow, serde::Serialize)]
#[model(
    app = "customers",
    indexes(index(fields = ["tenant", "phone_e164"], name = "customer_tenant_phone_idx"))
)]
pub struct Customer {
    #[field(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    #[field(on_delete = Cascade)]
    #[sqlx(rename = "tenant_id")]
    pub tenant: ForeignKey<Tenant>,
    #[field(max_length = 20)]
    pub phone_e164: String,
    #[field(renamed_from = "display_name")]
    pub nickname: Option<String>,
    #[field(on_delete = SetNull)]
    #[sqlx(rename = "referred_by_id")]
    pub referred_by: Option<ForeignKey<Customer>>,
    /// Rows of the join table, not a column: left out of queries and JSON.
    #[sqlx(skip)]
    #[serde(skip)]
    pub favourite_products: ManyToMany<Product>,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
}
