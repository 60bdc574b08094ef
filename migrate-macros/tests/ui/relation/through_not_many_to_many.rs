use migrate_core::{ForeignKey, Model};

#[derive(Model)]
#[model(app = "shop")]
pub struct Tenant {
    pub name: String,
}

#[derive(Model)]
#[model(app = "shop")]
pub struct Order {
    #[field(on_delete = Cascade, through = Tenant)]
    pub tenant: ForeignKey<Tenant>,
    #[field(through = Tenant)]
    pub name: String,
}

fn main() {}
