use std::borrow::Cow;

use super::*;
use crate::fields::Value;
use crate::registry::state_of;
use crate::{ForeignKey, ManyToMany, Model};

#[derive(Model)]
#[model(app = "library")]
#[allow(dead_code)]
struct Author {
    #[field(max_length = 100)]
    name: String,
    born: Option<i32>,
}

#[derive(Model)]
#[model(app = "library", table = "books",
        indexes(index(name = "book_title_idx", fields = ["title", "author"])),
        constraints(unique(name = "book_isbn_author_uniq", fields = ["isbn", "author"]),
                    check(name = "book_pages_positive", expr = "pages > 0")))]
#[allow(dead_code)]
struct Book {
    #[field(primary_key)]
    isbn: String,
    title: String,
    #[field(default = 1)]
    pages: i32,
    #[field(on_delete = Cascade)]
    author: ForeignKey<Author>,
    #[field(on_delete = SetNull)]
    editor: Option<ForeignKey<Author>>,
    tags: ManyToMany<Tag>,
}

#[derive(Model)]
#[model(app = "tagging")]
#[allow(dead_code)]
struct Tag {
    #[field(primary_key, auto)]
    id: i32,
    #[field(unique, max_length = 30)]
    label: String,
}

fn defs() -> Vec<&'static crate::ModelDef> {
    vec![Author::DEFINITION, Book::DEFINITION, Tag::DEFINITION]
}

#[test]
fn the_order_of_registration_does_not_matter() {
    let forwards = state_of(defs()).unwrap();
    let backwards = state_of(defs().into_iter().rev()).unwrap();
    let mut shuffled = defs();
    shuffled.swap(0, 1);
    assert_eq!(forwards, backwards);
    assert_eq!(forwards, state_of(shuffled).unwrap());
    let keys: Vec<String> = forwards.models().map(|m| m.key().to_string()).collect();
    assert_eq!(keys, ["library.Author", "library.Book", "tagging.Tag"]);
}

#[test]
fn tables_spell_out_implied_columns_keys_and_indexes() {
    let state = state_of(defs()).unwrap();
    let dump: String = state
        .tables()
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect();
    insta::assert_snapshot!(dump);
}

#[test]
fn a_foreign_key_column_takes_the_targets_key_type() {
    let state = state_of(defs()).unwrap();
    let book = state.model(&ModelKey::new("library", "Book")).unwrap();
    let author = book.field("author").unwrap();
    assert_eq!(state.column_type(book, author).unwrap(), ColumnType::BigInt);
    assert_eq!(author.column, "author_id");
    let pages = book.field("pages").unwrap();
    assert_eq!(pages.default, Some(Value::Int(1)));
}

fn model(app: &'static str, name: &'static str, fields: Vec<Field>) -> ModelState {
    let mut all = vec![Field::auto_id()];
    all.extend(fields);
    ModelState {
        app: Cow::Borrowed(app),
        name: Cow::Borrowed(name),
        table: format!("{app}_{}", name.to_lowercase()).into(),
        fields: all.into(),
        indexes: Cow::Borrowed(&[]),
        constraints: Cow::Borrowed(&[]),
        managed: true,
    }
}

#[test]
fn a_bare_reference_resolves_in_its_own_app_first_then_anywhere() {
    let fk = |to: &str| Field::foreign_key("owner", ModelRef::parse(to), OnDelete::Cascade);
    let state = ProjectState::from_models([
        model("a", "Owner", vec![]),
        model("b", "Owner", vec![]),
        model("b", "Pet", vec![fk("Owner")]),
        model("c", "Only", vec![]),
        model("c", "Toy", vec![fk("Only")]),
    ])
    .unwrap();
    let target = |app, m| {
        let model = state.model(&ModelKey::new(app, m)).unwrap();
        model
            .field("owner")
            .unwrap()
            .ty
            .target()
            .unwrap()
            .to_string()
    };
    assert_eq!(target("b", "Pet"), "b.Owner");
    assert_eq!(target("c", "Toy"), "c.Only");
}

#[test]
fn dangling_and_ambiguous_references_name_the_field() {
    let fk = |to: &str| Field::foreign_key("owner", ModelRef::parse(to), OnDelete::Cascade);
    let err = ProjectState::from_models([model("a", "Pet", vec![fk("zoo.Keeper")])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field a.Pet.owner refers to model `zoo.Keeper`, which does not exist"
    );
    let err = ProjectState::from_models([
        model("a", "Owner", vec![]),
        model("b", "Owner", vec![]),
        model("c", "Pet", vec![fk("Owner")]),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "field c.Pet.owner refers to model `Owner`, which is ambiguous: it could be any of a.Owner, b.Owner; write it as `app.Model`"
    );
}

#[test]
fn duplicate_tables_and_names_are_refused() {
    let mut twin = model("b", "Other", vec![]);
    twin.table = "a_one".into();
    let err = ProjectState::from_models([model("a", "One", vec![]), twin]).unwrap_err();
    assert!(matches!(err, crate::Error::DuplicateTable { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("a.One and b.Other both use table `a_one`"));
}

#[test]
fn set_null_needs_a_nullable_field() {
    let f = Field::foreign_key("owner", ModelRef::parse("a.One"), OnDelete::SetNull);
    let err = ProjectState::from_models([model("a", "One", vec![]), model("a", "Two", vec![f])])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "field a.Two.owner: on_delete SetNull on a non-null field"
    );
}

#[test]
fn cloning_a_state_shares_models_until_one_changes() {
    let state = state_of(defs()).unwrap();
    let mut copy = state.clone();
    let key = ModelKey::new("tagging", "Tag");
    copy.model_mut(&key).unwrap().table = "tags".into();
    assert_eq!(state.model(&key).unwrap().table, "tagging_tag");
    assert_eq!(copy.model(&key).unwrap().table, "tags");
    let author = ModelKey::new("library", "Author");
    assert!(std::ptr::eq(
        state.model(&author).unwrap(),
        copy.model(&author).unwrap()
    ));
}

#[test]
fn fields_are_found_by_name_in_narrow_and_wide_models() {
    for width in [3, Fields::SCAN, Fields::SCAN + 1, 300] {
        let fields: Vec<Field> = (0..width)
            .map(|i| Field::new(format!("f{i}"), crate::ColumnType::Integer))
            .collect();
        let model = ModelState {
            app: "app".into(),
            name: "Wide".into(),
            table: "app_wide".into(),
            fields: fields.clone().into(),
            indexes: Cow::Borrowed(&[]),
            constraints: Cow::Borrowed(&[]),
            managed: true,
        };
        let by_name = &model.fields;
        for f in &fields {
            assert_eq!(by_name.get(&f.name), Some(f), "{width} fields");
        }
        assert_eq!(by_name.get("missing"), None, "{width} fields");
        let mut reversed = model.clone();
        reversed.fields.to_mut().reverse();
        assert!(model.same_fields(&reversed), "{width} fields");
        reversed.fields.to_mut()[0].null = true;
        assert!(!model.same_fields(&reversed), "{width} fields");
    }
}

/// Every text a user writes goes through the derive's encoded string: lengths, colons,
/// dashes, digits, quotes, backslashes and non-ASCII must come back as written.
#[derive(Model)]
#[model(app = "odd", table = "12:odd-\"table`",
        indexes(index(name = "1:-x", fields = ["-note", "n"], condition = "note <> '-'")),
        constraints(check(name = "3:c", expr = "note <> 'a:b\\' AND n > -1")))]
#[allow(dead_code)]
struct Odd {
    #[field(db_column = "9:col\\`x", default = "2:é-\"'`\\", max_length = 40)]
    note: String,
    #[field(default = -12, renamed_from = "1:old-")]
    n: i64,
    #[field(default = -1.50)]
    ratio: f64,
    empty: Option<String>,
}

#[test]
fn the_derive_s_encoded_definition_keeps_hostile_text_as_written() {
    let state = Odd::DEFINITION.state();
    assert_eq!(Odd::DEFINITION.key(), ("odd", "Odd"));
    assert_eq!(Odd::DEFINITION.renamed_from(), None);
    assert_eq!(
        Odd::DEFINITION.field_renames(),
        [crate::model::FieldRename {
            field: "n",
            from: "1:old-"
        }]
    );
    assert_eq!(state.table, "12:odd-\"table`");
    let note = state.field("note").unwrap();
    assert_eq!(note.column, "9:col\\`x");
    assert_eq!(note.default, Some(Value::Str("2:é-\"'`\\".into())));
    assert_eq!(state.field("n").unwrap().default, Some(Value::Int(-12)));
    assert_eq!(
        state.field("ratio").unwrap().default,
        Some(Value::Number("-1.50".into()))
    );
    assert!(state.field("empty").unwrap().null);
    assert_eq!(state.fields[0].name, "id", "the automatic key first");
    let index = &state.indexes[0];
    assert_eq!(index.name, "1:-x");
    assert_eq!(&index.fields[..], ["note", "n"]);
    assert_eq!(&index.descending[..], ["note"]);
    assert_eq!(index.condition.as_deref(), Some("note <> '-'"));
    assert_eq!(
        state.constraints[..],
        [Constraint::Check {
            name: "3:c".into(),
            expr: "note <> 'a:b\\' AND n > -1".into(),
        }]
    );
}

#[test]
fn the_registry_finds_each_derived_model_once() {
    // The models derived in this crate's tests, as the linker (or `inventory`) gathered them.
    let found = crate::registry::definitions();
    for def in defs() {
        let same = found.iter().filter(|d| std::ptr::eq(**d, def)).count();
        assert_eq!(same, 1, "{:?} registered {same} times", def.key());
    }
    let keys: Vec<(&str, &str)> = found.iter().map(|d| d.key()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted by (app, model), no duplicates");
}

/// `Fields` answers as a scan of its list would, through every change, past the width at
/// which it keeps an index of names.
#[test]
fn fields_find_by_name_as_a_scan_does_through_every_change() {
    use crate::state::Fields;
    let field = |n: usize| Field::new(format!("f{n}"), ColumnType::Integer);
    let mut fields: Fields = (0..40).map(field).collect();
    let agrees = |fields: &Fields, step: &str| {
        for n in 0..60 {
            let name = format!("f{n}");
            let scan = fields.iter().position(|f| f.name == name);
            assert_eq!(fields.position(&name), scan, "{name} after {step}");
        }
        let renamed = fields.iter().position(|f| f.name == "renamed");
        assert_eq!(fields.position("renamed"), renamed, "after {step}");
    };
    agrees(&fields, "building");
    fields.push(field(45));
    agrees(&fields, "push");
    assert!(fields.replace("f3", Field::new("f3", ColumnType::BigInt)));
    assert_eq!(
        fields.get("f3").map(|f| &f.ty),
        Some(&ColumnType::BigInt.into())
    );
    assert!(fields.replace("f7", Field::new("renamed", ColumnType::Integer)));
    agrees(&fields, "rename");
    assert!(!fields.replace("f7", field(7)));
    assert_eq!(fields.remove("f0").map(|f| f.name), Some("f0".into()));
    assert_eq!(fields.remove("f0"), None);
    agrees(&fields, "remove");
    // Two fields of one name (validation refuses such a state; lookups still find the
    // first, and the second once the first is gone).
    fields.push(field(5));
    agrees(&fields, "a second f5");
    assert!(fields.remove("f5").is_some());
    assert_eq!(fields.position("f5"), Some(fields.len() - 1));
    agrees(&fields, "removing the first f5");
    fields.to_mut().swap(1, 30);
    agrees(&fields, "to_mut");
    let copy = fields.clone();
    agrees(&copy, "clone");
    assert_eq!(copy, fields);
    while fields.len() > 10 {
        let last = fields.last().map(|f| f.name.to_string()).unwrap();
        fields.remove(&last);
        agrees(&fields, "removing down to a scan");
    }
}
