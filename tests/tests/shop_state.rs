//! The shop's models as the schema state sees them: every table, column, type, key, index
//! and constraint, exactly; and the same state whatever order the models arrive in.

use migrate_core::registry::{self, state_of};
use migrate_core::state::ProjectState;
use migrate_core::{ColumnType, Model, ModelDef, ModelKey, OnDelete, Value};
use shop::models::catalog::{Product, ProductVariant};
use shop::models::customers::Customer;
use shop::models::tenants::{SubscriptionTier, Tenant, TenantSettings};

fn shop_definitions() -> Vec<&'static ModelDef> {
    vec![
        SubscriptionTier::DEFINITION,
        Tenant::DEFINITION,
        TenantSettings::DEFINITION,
        Product::DEFINITION,
        ProductVariant::DEFINITION,
        Customer::DEFINITION,
    ]
}

fn dump(state: &ProjectState) -> String {
    let tables = state.tables().expect("the shop's models are consistent");
    tables
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shop_state_is_exactly_what_the_models_declare() {
    let state = state_of(shop_definitions()).unwrap();
    assert_eq!(state.apps(), ["catalog", "customers", "tenants"]);
    insta::assert_snapshot!(dump(&state), @r#"
    table catalog_product (catalog.Product)
      id uuid not null primary key default new_uuid()
      tenant_id uuid not null
      sku varchar(64) not null
      name varchar(200) not null
      description text null
      price decimal(12, 2) not null
      status varchar(8) not null default "active"
      created_at timestamptz not null default now()
      updated_at timestamptz not null default now()
      foreign key tenant_id -> tenants_tenant(id) on delete RESTRICT [catalog_product_tenant_id_fd5cac3d_fk]
      index catalog_product_tenant_id_d703f7a1_idx (tenant_id)
      unique product_tenant_sku_uniq (tenant_id, sku)
      check catalog_product_status_afa1ab0e_check (status in ("draft", "active", "archived"))
      check product_price_non_negative (price >= 0)

    table catalog_productvariant (catalog.ProductVariant)
      id bigint not null primary key auto_increment
      product_id uuid not null
      name varchar(100) not null
      price_delta decimal(12, 2) not null default 0
      stock integer not null default 0
      attributes json not null
      foreign key product_id -> catalog_product(id) on delete CASCADE [catalog_productvariant_product_id_f2de3cbf_fk]
      index catalog_productvariant_product_id_6a8ec82f_idx (product_id)
      index variant_product_name_idx (product_id, name)

    table customers_customer (customers.Customer)
      id uuid not null primary key default new_uuid()
      tenant_id uuid not null
      phone_e164 varchar(20) not null
      nickname text null
      referred_by_id uuid null
      created_at timestamptz not null default now()
      foreign key tenant_id -> tenants_tenant(id) on delete CASCADE [customers_customer_tenant_id_a2d3ff16_fk]
      foreign key referred_by_id -> customers_customer(id) on delete SET NULL [customers_customer_referred_by_id_25754a91_fk]
      index customers_customer_tenant_id_54cd37e4_idx (tenant_id)
      index customers_customer_referred_by_id_73c9ed7d_idx (referred_by_id)
      index customer_tenant_phone_idx (tenant_id, phone_e164)

    table customers_customer_favourite_products (join table of customers.Customer.favourite_products)
      id bigint not null primary key auto_increment
      customer_id uuid not null
      product_id uuid not null
      foreign key customer_id -> customers_customer(id) on delete CASCADE [customers_customer_favourite_products_customer_id_ba120b11_fk]
      foreign key product_id -> catalog_product(id) on delete CASCADE [customers_customer_favourite_products_product_id_85ff41b8_fk]
      index customers_customer_favourite_products_customer_id_e68cf6fd_idx (customer_id)
      index customers_customer_favourite_products_product_id_6c9015a2_idx (product_id)
      unique customers_customer_favourite_products_customer_id_d3d07a32_uniq (customer_id, product_id)

    table tenants_subscriptiontier (tenants.SubscriptionTier)
      id uuid not null primary key default new_uuid()
      name varchar(50) not null
      monthly_price decimal(10, 2) not null default 0
      max_users integer not null default 5
      unique tenants_subscriptiontier_name_e0c0791a_uniq (name)
      check tier_price_non_negative (monthly_price >= 0)

    table tenants_tenant (tenants.Tenant)
      id uuid not null primary key default new_uuid()
      name varchar(100) not null
      slug varchar(50) not null
      tier_id uuid null
      is_active boolean not null default true
      created_at timestamptz not null default now()
      foreign key tier_id -> tenants_subscriptiontier(id) on delete SET NULL [tenants_tenant_tier_id_dfbdd70a_fk]
      index tenants_tenant_tier_id_0f0083c0_idx (tier_id)
      unique tenants_tenant_slug_eebc1c09_uniq (slug)

    table tenants_tenantsettings (tenants.TenantSettings)
      id bigint not null primary key auto_increment
      tenant_id uuid not null
      timezone varchar(64) not null default "UTC"
      locale varchar(10) not null default "en"
      twilio_sid varchar(64) null
      twilio_token varchar(64) null
      foreign key tenant_id -> tenants_tenant(id) on delete CASCADE [tenants_tenantsettings_tenant_id_1d371ac7_fk]
      unique tenants_tenantsettings_tenant_id_6d4e5429_uniq (tenant_id)
    "#);
}

/// The same facts through the typed API, so that a change in the dump's format cannot hide
/// a change in meaning.
#[test]
fn relations_resolve_to_their_targets_with_their_actions() {
    let state = state_of(shop_definitions()).unwrap();
    let tables = state.tables().unwrap();
    let table = |name: &str| tables.iter().find(|t| t.name == name).unwrap();

    let fks: Vec<(&str, &str, &str, OnDelete)> = tables
        .iter()
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .map(move |fk| (&*t.name, &*fk.column, &*fk.ref_table, fk.on_delete))
        })
        .collect();
    assert_eq!(
        fks,
        [
            (
                "catalog_product",
                "tenant_id",
                "tenants_tenant",
                OnDelete::Protect
            ),
            (
                "catalog_productvariant",
                "product_id",
                "catalog_product",
                OnDelete::Cascade
            ),
            (
                "customers_customer",
                "tenant_id",
                "tenants_tenant",
                OnDelete::Cascade
            ),
            (
                "customers_customer",
                "referred_by_id",
                "customers_customer",
                OnDelete::SetNull
            ),
            (
                "customers_customer_favourite_products",
                "customer_id",
                "customers_customer",
                OnDelete::Cascade
            ),
            (
                "customers_customer_favourite_products",
                "product_id",
                "catalog_product",
                OnDelete::Cascade
            ),
            (
                "tenants_tenant",
                "tier_id",
                "tenants_subscriptiontier",
                OnDelete::SetNull
            ),
            (
                "tenants_tenantsettings",
                "tenant_id",
                "tenants_tenant",
                OnDelete::Cascade
            ),
        ]
    );

    let tier = table("tenants_tenant")
        .columns
        .iter()
        .find(|c| c.name == "tier_id")
        .unwrap();
    assert_eq!((tier.ty, tier.nullable), (ColumnType::Uuid, true));
    let price = table("catalog_product")
        .columns
        .iter()
        .find(|c| c.name == "price")
        .unwrap();
    assert_eq!(
        price.ty,
        ColumnType::Decimal {
            max_digits: 12,
            decimal_places: 2
        }
    );
    let active = table("tenants_tenant")
        .columns
        .iter()
        .find(|c| c.name == "is_active")
        .unwrap();
    assert_eq!(active.default, Some(Value::Bool(true)));
    assert_eq!(table("tenants_tenantsettings").primary_key, ["id"]);

    let customer = state
        .model(&ModelKey::new("customers", "Customer"))
        .unwrap();
    let target = customer
        .field("favourite_products")
        .unwrap()
        .ty
        .target()
        .unwrap();
    assert_eq!(target.to_string(), "catalog.Product");
}

#[test]
fn any_registration_order_gives_the_same_state() {
    let expected = state_of(shop_definitions()).unwrap();
    // Every rotation and its reverse: each model comes first and last at least once.
    let defs = shop_definitions();
    for start in 0..defs.len() {
        let mut order = defs.clone();
        order.rotate_left(start);
        assert_eq!(state_of(order.iter().copied()).unwrap(), expected);
        order.reverse();
        assert_eq!(state_of(order).unwrap(), expected);
    }
}

#[test]
fn the_registry_holds_exactly_the_shops_models() {
    let from_inventory = registry::project_state().unwrap();
    assert_eq!(from_inventory, state_of(shop_definitions()).unwrap());
}
