use migrate_core::Model;

#[derive(Model)]
#[model(app = "shop", managed = "no")]
pub struct Legacy {
    pub code: String,
}

fn main() {}
