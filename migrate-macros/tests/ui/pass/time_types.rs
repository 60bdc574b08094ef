//! The `time` crate's types beside chrono's (feature `time` of migrate-core).

use migrate_core::{ColumnType, FieldType, Model};

#[derive(Model)]
#[model(app = "events")]
pub struct Event {
    #[field(auto_now_add)]
    pub created: time::OffsetDateTime,
    pub local: time::PrimitiveDateTime,
    pub day: time::Date,
    pub at: Option<time::Time>,
    #[field(default = time::OffsetDateTime::now_utc)]
    pub seen: time::OffsetDateTime,
}

fn main() {
    let state = Event::DEFINITION.state();
    let columns: Vec<(&str, FieldType, bool)> = state
        .fields
        .iter()
        .map(|f| (&*f.name, f.ty.clone(), f.null))
        .collect();
    assert_eq!(
        &columns[1..],
        [
            ("created", FieldType::Column(ColumnType::TimestampTz), false),
            ("local", FieldType::Column(ColumnType::Timestamp), false),
            ("day", FieldType::Column(ColumnType::Date), false),
            ("at", FieldType::Column(ColumnType::Time), true),
            ("seen", FieldType::Column(ColumnType::TimestampTz), false),
        ]
    );
    let seen = state.fields.last().unwrap();
    assert_eq!(seen.default, Some(migrate_core::fields::Value::Now));
}
