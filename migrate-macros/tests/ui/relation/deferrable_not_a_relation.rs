use migrate_core::Model;

#[derive(Model)]
#[model(app = "shop")]
pub struct Item {
    #[field(deferrable)]
    pub count: i32,
}

fn main() {}
