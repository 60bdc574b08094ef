use migrate_core::Model;

#[derive(Model)]
#[model(app = "shop",
        table = "a_table_name_that_goes_on_and_on_past_what_postgres_keeps_of_it_yes",
        indexes(index(name = "café_🚀_idx", fields = ["name"])),
        constraints(unique(name = "trailing ", fields = ["name"])))]
pub struct Product {
    #[field(db_column = "")]
    pub name: String,
    pub a_field_name_so_long_that_its_column_would_be_cut_by_postgres_xyz: i32,
    #[field(db_column = "ok \"quoted\" `name`; -- fine")]
    pub quoted: i32,
}

#[derive(Model)]
#[model(app = "self")]
pub struct Selfish {
    pub name: String,
}

#[derive(Model)]
#[model(app = "an_app_with_a_rather_long_label_for_its_tables")]
pub struct AModelNameLongEnoughToPushTheTableNamePast {
    pub name: String,
}

fn main() {}
