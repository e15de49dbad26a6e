//! Errors of the admin API as problem details (RFC 9457): `application/problem+json` with
//! `type`, `title`, `status`, `detail`, and `field` naming the offending input.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// Why the backend refused or failed an operation; mapped once to a problem response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminFailure {
    /// An input is not acceptable: which field, and why.
    Invalid {
        /// The field, as the API names it.
        field: String,
        /// Why, for people.
        reason: String,
    },
    /// No such thing.
    NotFound(String),
    /// The change conflicts with the current state (an id already taken, ...).
    Conflict(String),
    /// The actor's role may not do this to this resource (a client holding a restricted
    /// scope, say): why.
    Forbidden(String),
    /// Storage or another dependency is down; the operation did not complete and is safe to
    /// retry.
    Unavailable,
}

impl AdminFailure {
    /// An invalid input.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A problem details document (RFC 9457 3).
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The input field at fault, when one is.
    pub field: Option<String>,
}

/// The base of DAN's problem type URIs.
const TYPES: &str = "https://dan.gov.mn/problems/";

impl Problem {
    /// A problem of kind `slug` (`invalid-field`, `forbidden`, ...).
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPES}{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            field: None,
        }
    }
}

/// Every error answer of the admin API.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "unreadable_request")]
pub enum Failure {
    /// The request or one of its fields is not acceptable.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid admin token (RFC 6750 3.1).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The token's role does not allow this operation.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// Conflicts with the current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is over 1 MiB (answered before the operation runs).
    #[oai(status = 413, content_type = "application/problem+json")]
    TooLarge(Json<Problem>),
    /// The body is not JSON (answered before the operation runs).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A dependency is down; the operation did not complete and is safe to retry.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

/// poem-openapi's own parse errors (malformed JSON, a missing or mistyped field or
/// parameter) as problem details.
fn unreadable_request(error: poem::Error) -> Failure {
    Failure::BadRequest(Json(Problem::new(
        400,
        "invalid-request",
        "The request is not valid",
        error.to_string(),
    )))
}

impl Failure {
    /// 401, with the Bearer challenge.
    pub fn unauthorized(detail: &str) -> Self {
        Self::Unauthorized(
            Json(Problem::new(
                401,
                "unauthorized",
                "Not authenticated",
                detail,
            )),
            r#"Bearer realm="dan-admin", error="invalid_token""#.to_owned(),
        )
    }

    /// 403 for a role that does not allow the operation.
    pub fn forbidden(role: &str, operation: &str) -> Self {
        Self::Forbidden(Json(Problem::new(
            403,
            "forbidden",
            "Not allowed for this role",
            format!("the {role} role may not {operation}"),
        )))
    }

    /// The problem document.
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(p)
            | Self::Unauthorized(p, _)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::Conflict(p)
            | Self::TooLarge(p)
            | Self::UnsupportedMediaType(p)
            | Self::Unavailable(p) => &p.0,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(..) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::TooLarge(_) => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::Unavailable(_) => 503,
        }
    }
}

impl From<AdminFailure> for Failure {
    fn from(failure: AdminFailure) -> Self {
        match failure {
            AdminFailure::Invalid { field, reason } => {
                let mut problem =
                    Problem::new(400, "invalid-field", "A field is not valid", reason);
                problem.field = Some(field);
                Self::BadRequest(Json(problem))
            }
            AdminFailure::NotFound(what) => {
                Self::NotFound(Json(Problem::new(404, "not-found", "Not found", what)))
            }
            AdminFailure::Conflict(why) => {
                Self::Conflict(Json(Problem::new(409, "conflict", "Conflict", why)))
            }
            AdminFailure::Forbidden(why) => Self::Forbidden(Json(Problem::new(
                403,
                "forbidden",
                "Not allowed for this role",
                why,
            ))),
            AdminFailure::Unavailable => Self::Unavailable(Json(Problem::new(
                503,
                "unavailable",
                "Temporarily unavailable",
                "storage is unavailable; the operation did not complete and is safe to retry",
            ))),
        }
    }
}
