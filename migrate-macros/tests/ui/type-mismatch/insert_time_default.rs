use chrono::{DateTime, Utc};
use migrate_core::Model;
use uuid::Uuid;

#[derive(Model)]
#[model(app = "shop")]
pub struct Product {
    #[field(default = Uuid::new_v4)]
    pub code: String,
    #[field(default = Utc::now)]
    pub stock: i32,
    #[field(default = make_id)]
    pub id2: Uuid,
    #[field(default = Uuid::new_v4)]
    pub token: Uuid,
    #[field(default = Utc::now)]
    pub seen_at: DateTime<Utc>,
}

fn main() {}
