//! App `catalog`: what each tenant sells.

use chrono::{DateTime, Utc};
use migrate_core::{Choices, ForeignKey, Model};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::tenants::Tenant;

/// Where a product is in its life: stored as `draft`, `active` or `archived`, and the
/// column accepts nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Choices)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

#[derive(Debug, Model)]
#[model(
    app = "catalog",
    constraints(
        unique(name = "product_tenant_sku_uniq", fields = ["tenant", "sku"]),
        check(name = "product_price_non_negative", expr = "price >= 0")
    )
)]
pub struct Product {
    #[field(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    /// A tenant with products cannot be deleted until its catalog is.
    #[field(on_delete = Protect)]
    pub tenant: ForeignKey<Tenant>,
    #[field(max_length = 64)]
    pub sku: String,
    #[field(max_length = 200)]
    pub name: String,
    pub description: Option<String>,
    #[field(max_digits = 12, decimal_places = 2)]
    pub price: Decimal,
    #[field(default = "active")]
    pub status: ProductStatus,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Model)]
#[model(
    app = "catalog",
    indexes(index(name = "variant_product_name_idx", fields = ["product", "name"]))
)]
pub struct ProductVariant {
    #[field(on_delete = Cascade)]
    pub product: ForeignKey<Product>,
    #[field(max_length = 100)]
    pub name: String,
    #[field(max_digits = 12, decimal_places = 2, default = 0)]
    pub price_delta: Decimal,
    #[field(default = 0)]
    pub stock: i32,
    pub attributes: serde_json::Value,
}
