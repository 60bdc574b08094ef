//! The attribute names the derive understands, in one place.

pub const MODEL: &str = "model";
pub const FIELD: &str = "field";

// #[model(...)]
pub const APP: &str = "app";
pub const TABLE: &str = "table";
pub const INDEXES: &str = "indexes";
pub const CONSTRAINTS: &str = "constraints";
pub const RENAMED_FROM: &str = "renamed_from";
pub const CRATE: &str = "crate";
pub const MANAGED: &str = "managed";
pub const MODEL_ATTRS: &[&str] = &[
    APP,
    TABLE,
    INDEXES,
    CONSTRAINTS,
    RENAMED_FROM,
    MANAGED,
    CRATE,
];

// indexes(index(...)), constraints(unique(...), check(...))
pub const INDEX: &str = "index";
pub const UNIQUE: &str = "unique";
pub const CHECK: &str = "check";
pub const NAME: &str = "name";
pub const FIELDS: &str = "fields";
pub const EXPR: &str = "expr";
pub const CONDITION: &str = "condition";
pub const EXPRESSIONS: &str = "expressions";

// #[field(...)]
pub const PRIMARY_KEY: &str = "primary_key";
pub const AUTO: &str = "auto";
pub const MAX_LENGTH: &str = "max_length";
pub const MAX_DIGITS: &str = "max_digits";
pub const DECIMAL_PLACES: &str = "decimal_places";
pub const DEFAULT: &str = "default";
pub const DB_INDEX: &str = "db_index";
pub const DB_COLUMN: &str = "db_column";
pub const AUTO_NOW_ADD: &str = "auto_now_add";
pub const AUTO_NOW: &str = "auto_now";
pub const ON_DELETE: &str = "on_delete";
pub const DEFERRABLE: &str = "deferrable";
pub const THROUGH: &str = "through";
pub const FIELD_ATTRS: &[&str] = &[
    PRIMARY_KEY,
    AUTO,
    MAX_LENGTH,
    MAX_DIGITS,
    DECIMAL_PLACES,
    DEFAULT,
    UNIQUE,
    DB_INDEX,
    DB_COLUMN,
    AUTO_NOW_ADD,
    AUTO_NOW,
    RENAMED_FROM,
    ON_DELETE,
    DEFERRABLE,
    THROUGH,
];

pub const ON_DELETE_ACTIONS: &[&str] = &[
    "Cascade",
    "Protect",
    "Restrict",
    "SetNull",
    "SetDefault",
    "DoNothing",
];
