//! Schemas drawn from the values the server itself parses, so the document and the parser
//! cannot disagree: `#[param(schema_with = …)]` / `#[schema(schema_with = …)]` on a field
//! whose text is checked against a list of names.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string that is one of `values`.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(str::to_string)))
        .build()
}

/// A day (`YYYY-MM-DD`) or an instant (RFC 3339), as the audit log's period takes.
pub fn day_or_instant() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, Schema, SchemaFormat};
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    Schema::AnyOf(
        AnyOfBuilder::new()
            .item(string(KnownFormat::Date))
            .item(string(KnownFormat::DateTime))
            .build(),
    )
}
