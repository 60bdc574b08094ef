#![doc = include_str!("reference.md")]

// The table's rows use every optional type crate but `time`.
#[cfg(all(
    test,
    feature = "chrono",
    feature = "uuid",
    feature = "decimal",
    feature = "json"
))]
mod tests {
    use crate::fields::{ColumnType, ColumnValue};
    use crate::schema::{type_name, Backend};

    /// A row of the reference's type table, as the code spells the column on each backend.
    fn row(rust: &str, feature: &str, ty: ColumnType) -> String {
        let mut row = match feature {
            "" => format!("| {rust} | |"),
            _ => format!("| {rust} | {feature} |"),
        };
        for backend in Backend::ALL {
            let name = type_name(backend, ty)
                .replace("4321", "n")
                .replace("(41, 7)", "(p, s)");
            row.push_str(&format!(" `{name}` |"));
        }
        row
    }

    fn of<T: ColumnValue>(rust: &str, feature: &str) -> String {
        let feature = if feature.is_empty() {
            String::new()
        } else {
            format!("`{feature}`")
        };
        let ty = match T::COLUMN_TYPE {
            ColumnType::Decimal { .. } => T::COLUMN_TYPE.with_precision(41, 7),
            ty => ty,
        };
        row(rust, &feature, ty)
    }

    #[cfg(feature = "time")]
    fn time_rows() -> [String; 5] {
        [
            of::<time::OffsetDateTime>("`time::OffsetDateTime`", "time"),
            of::<time::PrimitiveDateTime>("`time::PrimitiveDateTime`", "time"),
            of::<time::Date>("`time::Date`", "time"),
            of::<time::Time>("`time::Time`", "time"),
            of::<time::Duration>("`time::Duration`", "time"),
        ]
    }

    /// Without the feature, the column types `ui/pass/time_types.rs` checks in migrate-macros.
    #[cfg(not(feature = "time"))]
    fn time_rows() -> [String; 5] {
        [
            row("`time::OffsetDateTime`", "`time`", ColumnType::TimestampTz),
            row("`time::PrimitiveDateTime`", "`time`", ColumnType::Timestamp),
            row("`time::Date`", "`time`", ColumnType::Date),
            row("`time::Time`", "`time`", ColumnType::Time),
            row("`time::Duration`", "`time`", ColumnType::Duration),
        ]
    }

    /// The type table says what the schema editors write: a change to either shows here.
    #[test]
    fn the_type_table_matches_the_code() {
        let expected = [
            of::<i16>("`i16`", ""),
            of::<i32>("`i32`", ""),
            of::<i64>("`i64`", ""),
            of::<bool>("`bool`", ""),
            of::<f32>("`f32`", ""),
            of::<f64>("`f64`", ""),
            of::<String>("`String`", ""),
            row(
                "`String` with `max_length = n`",
                "",
                String::COLUMN_TYPE.with_max_length(4321),
            ),
            of::<Vec<u8>>("`Vec<u8>`", ""),
            of::<std::time::Duration>("`std::time::Duration`", ""),
            of::<std::net::IpAddr>("`std::net::IpAddr`, `Ipv4Addr`, `Ipv6Addr`", ""),
            of::<uuid::Uuid>("`uuid::Uuid`", "uuid"),
            of::<rust_decimal::Decimal>(
                "`rust_decimal::Decimal` with `max_digits = p, decimal_places = s`",
                "decimal",
            ),
            of::<serde_json::Value>("`serde_json::Value`", "json"),
            of::<chrono::DateTime<chrono::Utc>>("`chrono::DateTime<Utc>`", "chrono"),
            of::<chrono::NaiveDateTime>("`chrono::NaiveDateTime`", "chrono"),
            of::<chrono::NaiveDate>("`chrono::NaiveDate`", "chrono"),
            of::<chrono::NaiveTime>("`chrono::NaiveTime`", "chrono"),
            of::<chrono::TimeDelta>("`chrono::TimeDelta`", "chrono"),
        ]
        .into_iter()
        .chain(time_rows());
        let reference = include_str!("reference.md");
        let table: Vec<&str> = reference
            .lines()
            .skip_while(|l| !l.starts_with("| Rust type | feature |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(
            table,
            expected.collect::<Vec<_>>(),
            "update the type table of reference.md"
        );
    }
}
