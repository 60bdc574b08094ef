#![deny(warnings)]

use migrate_core::Model;

// Keywords are fine as app labels and field names: `r#type` is the field `type`, stored in
// the column `type`.
#[derive(Model)]
#[model(app = "type", indexes(index(name = "select", fields = ["type"])))]
pub struct Order {
    pub r#type: i32,
    #[field(db_column = "group")]
    pub r#match: String,
}

fn main() {
    let state = <Order as migrate_core::Model>::DEFINITION.state();
    assert_eq!(state.app, "type");
    assert_eq!(state.fields[1].name, "type");
    assert_eq!(state.fields[1].column, "type");
    assert_eq!(state.fields[2].name, "match");
    assert_eq!(state.fields[2].column, "group");
}
