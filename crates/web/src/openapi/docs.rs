//! `GET /api/docs`: the OpenAPI document as a page, drawn on the server from the document
//! the API itself generates (so it cannot describe a different API), without a script
//! bundle from elsewhere.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr, Required};

use super::texts::{DocsTexts, texts};
use crate::auth::MaybeUser;
use crate::error::{ApiError, ErrorBody, ErrorDetail, FieldErrorBody};
use crate::i18n::Lang;
use crate::shell::Shell;
use crate::state::AppState;

/// The document, arranged for reading: operations grouped by tag. Built once, when the
/// router is.
pub struct Reference {
    tags: Vec<Tag>,
}

pub struct Tag {
    name: String,
    operations: Vec<OperationView>,
}

pub struct OperationView {
    /// For links to it: `get-api-v1-people-id`.
    anchor: String,
    method: &'static str,
    path: String,
    /// HTML, from [`prose`].
    summary: String,
    /// HTML, from [`prose`].
    description: String,
    secured: bool,
    parameters: Vec<ParameterView>,
    /// Content type and schema of each accepted body.
    request_body: Vec<(String, String)>,
    responses: Vec<ResponseView>,
}

pub struct ParameterView {
    name: String,
    location: &'static str,
    required: bool,
    ty: String,
    /// HTML, from [`prose`].
    description: String,
}

pub struct ResponseView {
    status: String,
    /// HTML, from [`prose`].
    description: String,
    schema: Option<String>,
}

impl Reference {
    pub fn new(doc: &OpenApi) -> Reference {
        let mut tags: BTreeMap<String, Vec<OperationView>> = BTreeMap::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in operations(item) {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_else(|| "other".into());
                tags.entry(tag)
                    .or_default()
                    .push(OperationView::new(method, path, op));
            }
        }
        Reference {
            tags: tags
                .into_iter()
                .map(|(name, operations)| Tag { name, operations })
                .collect(),
        }
    }
}

/// A path's operations in the order people read them.
fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
        ("HEAD", &item.head),
        ("OPTIONS", &item.options),
        ("TRACE", &item.trace),
        ("QUERY", &item.query),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
}

impl OperationView {
    fn new(method: &'static str, path: &str, op: &Operation) -> OperationView {
        let anchor = format!("{method}{path}")
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        OperationView {
            anchor,
            method,
            path: path.to_string(),
            summary: prose(op.summary.as_deref().unwrap_or_default()),
            description: prose(op.description.as_deref().unwrap_or_default()),
            secured: op.security.as_ref().is_some_and(|s| !s.is_empty()),
            parameters: op
                .parameters
                .iter()
                .flatten()
                .map(|p| match p {
                    RefOr::T(p) => ParameterView::new(p),
                    RefOr::Ref(r) => ParameterView {
                        name: ref_name(&r.ref_location).to_string(),
                        location: "",
                        required: false,
                        ty: String::new(),
                        description: prose(&r.description),
                    },
                })
                .collect(),
            request_body: match &op.request_body {
                Some(RefOr::T(body)) => body
                    .content
                    .iter()
                    .map(|(content_type, content)| {
                        let schema = match content {
                            RefOr::T(c) => c.schema.as_ref().map(schema_name),
                            RefOr::Ref(r) => Some(ref_name(&r.ref_location).to_string()),
                        };
                        (content_type.clone(), schema.unwrap_or_default())
                    })
                    .collect(),
                Some(RefOr::Ref(r)) => vec![(String::new(), ref_name(&r.ref_location).into())],
                None => Vec::new(),
            },
            responses: op
                .responses
                .responses
                .iter()
                .map(|(status, response)| match response {
                    RefOr::T(r) => ResponseView {
                        status: status.clone(),
                        description: prose(&r.description),
                        schema: r.content.values().find_map(|c| match c {
                            RefOr::T(c) => c.schema.as_ref().map(schema_name),
                            RefOr::Ref(r) => Some(ref_name(&r.ref_location).to_string()),
                        }),
                    },
                    RefOr::Ref(r) => ResponseView {
                        status: status.clone(),
                        description: prose(&r.description),
                        schema: Some(ref_name(&r.ref_location).to_string()),
                    },
                })
                .collect(),
        }
    }
}

impl ParameterView {
    fn new(p: &Parameter) -> ParameterView {
        ParameterView {
            name: p.name.clone(),
            location: match p.parameter_in {
                ParameterIn::Query => "query",
                ParameterIn::Path => "path",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
                ParameterIn::QueryString => "querystring",
            },
            required: matches!(p.required, Required::True),
            ty: p.schema.as_ref().map(schema_name).unwrap_or_default(),
            description: prose(p.description.as_deref().unwrap_or_default()),
        }
    }
}

/// `#/components/schemas/PersonBody` → `PersonBody`.
fn ref_name(location: &str) -> &str {
    location.rsplit('/').next().unwrap_or(location)
}

/// A schema as a reader names it: the component's name, `T[]` for a list, `A | B` for one
/// of several, the values of an enumeration, else its JSON type.
fn schema_name(schema: &RefOr<Schema>) -> String {
    match schema {
        RefOr::Ref(r) => ref_name(&r.ref_location).to_string(),
        RefOr::T(Schema::Array(a)) => match &a.items {
            ArrayItems::RefOrSchema(item) => format!("{}[]", schema_name(item)),
            ArrayItems::False => "[]".into(),
        },
        RefOr::T(Schema::OneOf(o)) => names(&o.items, " | "),
        RefOr::T(Schema::AnyOf(o)) => names(&o.items, " | "),
        RefOr::T(Schema::AllOf(o)) => names(&o.items, " & "),
        RefOr::T(other) => serde_json::to_value(other)
            .ok()
            .and_then(|v| match (&v["enum"], &v["type"]) {
                (serde_json::Value::Array(values), _) => Some(
                    values
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                (_, serde_json::Value::String(t)) => Some(t.clone()),
                (_, serde_json::Value::Array(types)) => Some(
                    types
                        .iter()
                        .filter_map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                _ => None,
            })
            .unwrap_or_else(|| "object".into()),
    }
}

/// Handlers describe themselves in doc comments, which use `backticks` for code and blank
/// lines between paragraphs: shown as such, everything else escaped.
fn prose(text: &str) -> String {
    let mut html = String::new();
    for (i, paragraph) in text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        if i > 0 {
            html.push_str("<br><br>");
        }
        for (j, part) in paragraph.trim().split('`').enumerate() {
            // Odd parts are between backticks; an unmatched one just stays code to the end.
            let escaped = escape(part);
            if j % 2 == 1 {
                html.push_str(&format!("<code>{escaped}</code>"));
            } else {
                html.push_str(&escaped);
            }
        }
    }
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn names(items: &[RefOr<Schema>], separator: &str) -> String {
    items
        .iter()
        .map(schema_name)
        .collect::<Vec<_>>()
        .join(separator)
}

#[derive(Template, WebTemplate)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    shell: Shell,
    t: &'static DocsTexts,
    reference: Arc<Reference>,
    /// Where this hub answers, for the example call.
    base_url: String,
    error_example: String,
    /// (code, status) of every error the API answers.
    error_codes: Vec<(&'static str, u16)>,
}

/// Any logged-in user may read it. The path is under `/api/` (where a missing login is a
/// JSON 401), but this is a page, so it sends people to log in.
pub async fn show(
    state: AppState,
    MaybeUser(user): MaybeUser,
    lang: Lang,
    reference: Arc<Reference>,
) -> Result<DocsPage, crate::error::PageError> {
    let Some(user) = user else {
        return Err(crate::error::PageError::LoginRequired {
            next: "/api/docs".into(),
        });
    };
    let t = texts(lang.0);
    Ok(DocsPage {
        shell: Shell::new(&state, &user, lang, t.title, "/api/docs"),
        t,
        reference,
        base_url: state.config.public_url().trim_end_matches('/').to_string(),
        error_example: error_example(),
        error_codes: error_codes(),
    })
}

/// A real error body (the type the API serialises), so the example cannot drift from it.
fn error_example() -> String {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "invalid".into(),
            message: ApiError::Invalid(Vec::new()).to_string(),
            fields: vec![FieldErrorBody {
                field: "emails".into(),
                code: "duplicate_email".into(),
                message: "ivan@agency.ru belongs to Иван Петров".into(),
            }],
        },
    };
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

fn error_codes() -> Vec<(&'static str, u16)> {
    [
        ApiError::BadRequest(String::new()),
        ApiError::Unauthorized,
        ApiError::Forbidden,
        ApiError::Csrf,
        ApiError::NotFound(""),
        ApiError::Conflict(String::new()),
        ApiError::Invalid(Vec::new()),
        ApiError::RateLimited {
            retry_after_secs: 0,
        },
        ApiError::Internal(String::new()),
        ApiError::Unavailable,
    ]
    .iter()
    .map(|e| (e.code(), e.status().as_u16()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_shows_code_and_paragraphs_and_escapes_the_rest() {
        assert_eq!(
            prose("Pass `before_id` <here>.\n\nThen & again."),
            "Pass <code>before_id</code> &lt;here&gt;.<br><br>Then &amp; again."
        );
        assert_eq!(prose("`<b>`"), "<code>&lt;b&gt;</code>");
        assert_eq!(prose(""), "");
    }
}
