//! The answers the shell gives on any operation's behalf, written into every operation of
//! the finished document, so that a route added tomorrow describes them without anyone
//! remembering to: a malformed path parameter, query or body (400, from the shared
//! extractors), no token (401, from authentication), no such object behind a path id
//! (404), a body over the limit (413) or not JSON (415, from [`crate::json_errors`] and the
//! extractors), invalid fields — a reference to something that does not exist included —
//! (422), the internal error (500) and the database being away (503). An operation that
//! lists one of these itself keeps its own description.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use crate::error::ErrorBody;

pub fn complete(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(op);
        }
    }
}

fn complete_operation(op: &mut Operation) {
    let parameters = op.parameters.as_deref().unwrap_or_default();
    let in_path = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path)));
    let has_parameters = !parameters.is_empty();
    let has_body = op.request_body.is_some();
    let secured = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| *r != Default::default()));

    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    };
    if has_parameters || has_body {
        add("400", "A malformed path parameter, query or body");
    }
    if secured {
        add("401", "No token, or a wrong or revoked one");
    }
    if in_path {
        add("404", "No such object");
    }
    if has_body {
        add("413", "The body is larger than the hub accepts");
        add("415", "The body is not in the content type described above");
        add(
            "422",
            "Invalid fields (a reference to something that does not exist included); nothing was written",
        );
    }
    add("500", "Internal error, logged with the request id");
    add("503", "The database is unavailable");
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    use utoipa::ToSchema;
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                    .build(),
            )
            .build(),
    )
}
