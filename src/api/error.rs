//! Errors as the API answers them: `{"success": false, "error": "...",
//! "code": "...", "field": "..."}` with the right status. One `recover`
//! turns every rejection (ours and warp's) into that shape, and
//! `unknown_route` answers 404 for a path no route has.

use crate::metrics::routes;
use serde::Serialize;
use std::convert::Infallible;
use warp::http::StatusCode;
use warp::reject::Reject;
use warp::{Filter, Rejection};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Machine-readable, stable: clients branch on it.
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<&'static str>,
}

impl Reject for ApiError {}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_field", message)
        }
    }

    pub fn missing(field: &'static str) -> Self {
        Self {
            field: Some(field),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "missing_field",
                format!("{field} is required"),
            )
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn unknown_instance(id: &str) -> Self {
        Self {
            field: Some("instanceId"),
            ..Self::new(
                StatusCode::NOT_FOUND,
                "unknown_instance",
                format!("there is no instance {id:?}"),
            )
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Full(detail) => {
                tracing::warn!(error = %detail, "a request was refused: no room for the store");
                Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "the gateway's storage is full, so nothing was stored; free space and retry",
                )
            }
            other => {
                tracing::error!(error = %other, "store error while answering a request");
                Self::unavailable("the gateway's store is not available right now; try again shortly")
            }
        }
    }
}

impl From<crate::ghl::client::GhlError> for ApiError {
    fn from(e: crate::ghl::client::GhlError) -> Self {
        use crate::ghl::client::GhlError;
        match e {
            GhlError::Store(e) => e.into(),
            GhlError::NotConfigured(what) => Self::conflict("ghl_not_configured", what),
            GhlError::Secret(e) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "secrets", e.to_string()),
            other => Self::new(StatusCode::BAD_GATEWAY, "ghl_error", other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

pub fn reply(e: &ApiError) -> warp::reply::WithStatus<warp::reply::Json> {
    let body = Body {
        success: false,
        error: &e.message,
        code: e.code,
        field: e.field,
    };
    warp::reply::with_status(warp::reply::json(&body), e.status)
}

/// Tried after every route: a path that no route in the table has is a
/// 404 whatever the method. Left to `recover`, it would be a 405, since
/// warp prefers "wrong method" to "not found" and most routes check the
/// method before the whole path. A path some route has falls through to
/// `recover`, so a wrong method there stays a 405.
pub fn unknown_route(
) -> impl Filter<Extract = (warp::reply::WithStatus<warp::reply::Json>,), Error = Rejection> + Clone {
    warp::path::full().and_then(|path: warp::path::FullPath| async move {
        if routes::template(path.as_str()) == routes::UNKNOWN {
            Ok(reply(&ApiError::not_found("no such route")))
        } else {
            Err(warp::reject::not_found())
        }
    })
}

/// Maps every rejection to the JSON error shape.
pub async fn recover(rejection: Rejection) -> Result<warp::reply::WithStatus<warp::reply::Json>, Infallible> {
    Ok(reply(&classify(&rejection)))
}

fn classify(r: &Rejection) -> ApiError {
    if let Some(e) = r.find::<ApiError>() {
        return e.clone();
    }
    if r.is_not_found() {
        return ApiError::not_found("no such route");
    }
    if let Some(e) = r.find::<warp::filters::body::BodyDeserializeError>() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON for this route: {e}"),
        );
    }
    if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is too large",
        );
    }
    if r.find::<warp::reject::UnsupportedMediaType>().is_some() {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        );
    }
    if r.find::<warp::reject::LengthRequired>().is_some() {
        return ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "a Content-Length header is required",
        );
    }
    if let Some(e) = r.find::<warp::reject::InvalidQuery>() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("the query string is not valid: {e}"),
        );
    }
    if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method",
        );
    }
    if let Some(e) = r.find::<warp::reject::MissingHeader>() {
        return ApiError::new(StatusCode::BAD_REQUEST, "missing_header", e.to_string());
    }
    if let Some(e) = r.find::<warp::reject::InvalidHeader>() {
        return ApiError::new(StatusCode::BAD_REQUEST, "invalid_header", e.to_string());
    }
    tracing::error!(rejection = ?r, "unhandled rejection");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong inside the gateway",
    )
}
