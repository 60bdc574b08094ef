#![deny(warnings)]
// The registration is a static in a linker section on Linux, which `unsafe_code` flags when
// written by hand; a project that forbids unsafe code still derives models.
#![forbid(unsafe_code)]

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use migrate_core::{Choices, ForeignKey, ManyToMany, Model, OneToOne};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Model)]
#[model(app = "tenants")]
pub struct Tenant {
    #[field(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    #[field(max_length = 100, unique)]
    pub name: String,
}

#[derive(Model)]
#[model(
    app = "shop",
    table = "items",
    renamed_from = "Product",
    indexes(
        index(name = "item_tenant_sku_idx", fields = ["tenant", "sku"], unique),
        index(name = "item_recent_idx", fields = ["tenant", "-created_at"], condition = "active")
    ),
    constraints(
        unique(name = "item_name_uniq", fields = ["tenant", "name"]),
        unique(name = "item_lower_sku_uniq", expressions = ["lower(stock_keeping_unit)"]),
        unique(name = "item_live_name_uniq", fields = ["name"], condition = "active"),
        check(name = "item_price_positive", expr = "price >= 0")
    )
)]
pub struct Item {
    #[field(on_delete = Cascade, deferrable)]
    pub tenant: ForeignKey<Tenant>,
    #[field(on_delete = SetNull)]
    pub owner: Option<OneToOne<Tenant>>,
    pub related: ManyToMany<Item>,
    #[field(max_length = 32, db_column = "stock_keeping_unit", renamed_from = "code")]
    pub sku: String,
    pub name: String,
    #[field(max_digits = 10, decimal_places = 2, default = 0)]
    pub price: Decimal,
    #[field(default = -1)]
    pub small: i16,
    #[field(db_index)]
    pub medium: i32,
    pub large: Option<i64>,
    #[field(default = true)]
    pub active: bool,
    #[field(default = 0.5)]
    pub ratio: f64,
    pub single: f32,
    pub data: serde_json::Value,
    pub blob: Vec<u8>,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    #[field(auto_now)]
    pub updated_at: NaiveDateTime,
    #[field(default = Utc::now)]
    pub seen_at: DateTime<Utc>,
    #[field(default = uuid::Uuid::new_v4)]
    pub token: Uuid,
    pub day: NaiveDate,
    pub at: Option<NaiveTime>,
    #[field(default = "active")]
    pub status: Status,
    pub level: Option<Level>,
    pub uptime: std::time::Duration,
    pub address: std::net::IpAddr,
    pub elapsed: chrono::TimeDelta,
}

#[derive(Choices)]
pub enum Status {
    Active,
    #[choices(rename = "gone")]
    Retired,
}

#[derive(Choices)]
#[choices(integer)]
pub enum Level {
    Low = 1,
    High = 9,
}

#[derive(Model)]
#[model(app = "shop")]
pub struct Club {
    #[field(through = Membership)]
    pub members: ManyToMany<Tenant>,
}

/// The join model of `Club.members`, with a column of its own.
#[derive(Model)]
#[model(app = "shop")]
pub struct Membership {
    #[field(on_delete = Cascade)]
    pub club: ForeignKey<Club>,
    #[field(on_delete = Cascade)]
    pub tenant: ForeignKey<Tenant>,
    #[field(max_length = 20, default = "member")]
    pub role: String,
}

/// A table someone else owns.
#[derive(Model)]
#[model(app = "shop", table = "legacy_items", managed = false)]
pub struct LegacyItem {
    #[field(max_length = 20)]
    pub code: String,
    #[field(on_delete = SetNull)]
    pub item: Option<ForeignKey<Item>>,
}

fn main() {
    assert!(!<LegacyItem as Model>::DEFINITION.state().managed);
    let item = <Item as Model>::DEFINITION.state();
    assert!(item.managed);
    assert_eq!(item.table, "items");
    assert_eq!(<Item as Model>::DEFINITION.renamed_from(), Some("Product"));
    let fields = &item.fields;
    assert!(fields.iter().find(|f| f.name == "tenant").unwrap().deferrable);
    assert!(!fields.iter().find(|f| f.name == "owner").unwrap().deferrable);
    let indexes = &item.indexes;
    let recent = indexes.iter().find(|i| i.name == "item_recent_idx").unwrap();
    assert_eq!(&recent.fields[..], ["tenant", "created_at"]);
    assert_eq!(&recent.descending[..], ["created_at"]);
    assert_eq!(recent.condition.as_deref(), Some("active"));
    // A unique constraint with expressions or a condition is a unique index.
    let lower = indexes.iter().find(|i| i.name == "item_lower_sku_uniq").unwrap();
    assert!(lower.unique && lower.fields.is_empty() && lower.expressions.len() == 1);
    let live = indexes.iter().find(|i| i.name == "item_live_name_uniq").unwrap();
    assert!(live.unique && live.condition.is_some());
    assert_eq!(item.constraints.len(), 2);
    let club = <Club as Model>::DEFINITION.state();
    let members = &club.fields[1];
    assert_eq!(
        members.ty,
        migrate_core::fields::many_to_many_through("tenants.Tenant", "shop.Membership")
    );
    let status = fields.iter().find(|f| f.name == "status").unwrap();
    assert_eq!(status.choices.len(), 2);
    let level = fields.iter().find(|f| f.name == "level").unwrap();
    assert!(level.null && level.choices.len() == 2);
    let token = fields.iter().find(|f| f.name == "token").unwrap();
    assert_eq!(token.default, Some(migrate_core::fields::Value::NewUuid));
}
