//! The error responses of the OpenAPI document, one set per reason a route can fail, each
//! written once. A route lists its success responses and the sets that apply to it:
//! `responses((status = 200, …), Authenticated, JsonBody, NotFound)`. Every error answers with
//! `ErrorBody`.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{Content, Object, Ref, RefOr, Response, ResponseBuilder, Type};

/// Every route that takes an API key (`Auth<S>`).
pub struct Authenticated;
/// Routes that read a JSON body (`ApiJson<T>`).
pub struct JsonBody;
/// Routes with query parameters (`ApiQuery<T>`): a bad value or an unknown parameter.
pub struct Query;
/// Routes whose path names an object: a malformed id answers the same as an unknown one.
pub struct NotFound;
/// Routes that commit through the delivery engine's writer, which refuses while the database
/// cannot commit (`Error::Unavailable`).
pub struct Unavailable;

impl IntoResponses for Authenticated {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let challenge = HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::String)))
            .description(Some("`Bearer`"))
            .build();
        BTreeMap::from([
            (
                "401".to_owned(),
                error_builder("Missing, invalid or revoked API key")
                    .header("WWW-Authenticate", challenge)
                    .build()
                    .into(),
            ),
            error(403, "The API key lacks the scope this route needs"),
        ])
    }
}

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            error(400, "Malformed JSON"),
            error(413, "Body larger than max_payload_bytes"),
            error(
                415,
                "The body is not sent as Content-Type: application/json",
            ),
            error(422, "Validation failed: one details entry per field"),
        ])
    }
}

impl IntoResponses for Query {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([error(
            422,
            "A query parameter is invalid or unknown: one details entry per field",
        )])
    }
}

impl IntoResponses for NotFound {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([error(404, "Not found")])
    }
}

impl IntoResponses for Unavailable {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let retry_after = HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::Integer)))
            .description(Some("Seconds to wait before trying again"))
            .build();
        BTreeMap::from([(
            "503".to_owned(),
            error_builder("The database cannot commit right now; nothing was stored")
                .header("Retry-After", retry_after)
                .build()
                .into(),
        )])
    }
}

/// One more error response, for a route's own reasons (409, …).
pub fn error(status: u16, description: &str) -> (String, RefOr<Response>) {
    (
        status.to_string(),
        error_builder(description).build().into(),
    )
}

fn error_builder(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    )
}
