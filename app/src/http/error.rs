//! The error envelope `{"error", "code", "details", "request_id"}` (plus the extra top-level
//! fields the JobIn document shows for a status), the one `Code → status` mapping, and the
//! per-operation error response enums.

use jobin_core::{Code, ErrorCode};
use poem::http::StatusCode;
use poem_openapi::Object;
use poem_openapi::types::ToJSON;
use serde_json::{Value, json};

tokio::task_local! {
    /// The id of the request being served (set by the envelope middleware).
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// The one mapping from error code to HTTP status.
pub const fn status_of(code: Code) -> StatusCode {
    match code {
        Code::ValidationFailed
        | Code::InvalidJson
        | Code::UnknownAiProvider
        | Code::UnknownAiModel
        | Code::AiModelComingSoon
        | Code::InvalidSignature
        | Code::InvalidCursor
        | Code::DestinationNotAllowed => StatusCode::BAD_REQUEST,
        Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        Code::MissingCredentials
        | Code::InvalidCredentials
        | Code::KeyRevoked
        | Code::TokenExpired
        | Code::RefreshTokenReused
        | Code::ApiKeyRequired
        | Code::SessionRevoked => StatusCode::UNAUTHORIZED,
        Code::NotFound
        | Code::KeyNotFound
        | Code::JobNotFound
        | Code::ApplicationNotFound
        | Code::SavedSearchNotFound
        | Code::DeliveryNotFound => StatusCode::NOT_FOUND,
        Code::JobExpired => StatusCode::GONE,
        Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Code::EmailTaken
        | Code::KeyLimitReached
        | Code::AlreadyOnPlan
        | Code::NoBillingCustomer
        | Code::IdempotencyInProgress
        | Code::NoLinkedJob
        | Code::SavedSearchLimitReached
        | Code::NoWebhook => StatusCode::CONFLICT,
        Code::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        Code::PlanUpgradeRequired | Code::InsufficientScope => StatusCode::FORBIDDEN,
        Code::RateLimited | Code::RotationInProgress | Code::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Code::DependencyUnavailable
        | Code::AiProviderUnconfigured
        | Code::AiTimeout
        | Code::AiUnavailable
        | Code::PaymentUnavailable
        | Code::BillingUnconfigured => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// `Code` as an OpenAPI string enum named `ErrorCode`, generated from `Code::ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiCode(pub Code);

/// The `poem_openapi::types::Type` of a string enum whose values come from the domain:
/// `string_enum_type!(Rust type, "SchemaName", description, values)` (description: `&'static str`,
/// values: an iterator of `&'static str`, both evaluated when the document is built).
macro_rules! string_enum_type {
    ($t:ty, $name:literal, $description:expr, $values:expr) => {
        impl poem_openapi::types::Type for $t {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                poem_openapi::registry::MetaSchemaRef::Reference($name.to_owned())
            }

            fn register(registry: &mut poem_openapi::registry::Registry) {
                registry.create_schema::<Self, _>($name.to_owned(), |_| poem_openapi::registry::MetaSchema {
                    description: Some($description),
                    enum_items: $values.map(|v: &'static str| serde_json::Value::String(v.into())).collect(),
                    ..poem_openapi::registry::MetaSchema::new("string")
                });
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }
    };
}
pub(crate) use string_enum_type;

/// A named string enum over a domain value set: `domain_enum_type!(Wrapper(Inner), "SchemaName",
/// description)` for `struct Wrapper(pub Inner)`, where `Inner: Copy` has `ALL` and `as_str()`.
/// Written as its wire string, read back only as one of `ALL`.
macro_rules! domain_enum_type {
    ($t:ident($inner:ty), $name:literal, $description:expr) => {
        $crate::http::error::string_enum_type!($t, $name, $description, <$inner>::ALL.iter().map(|v| v.as_str()));

        impl poem_openapi::types::ToJSON for $t {
            fn to_json(&self) -> Option<serde_json::Value> {
                Some(serde_json::Value::String(self.0.as_str().into()))
            }
        }

        impl poem_openapi::types::ParseFromJSON for $t {
            fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
                let value = value.unwrap_or_default();
                <$inner>::ALL
                    .iter()
                    .find(|v| value.as_str() == Some(v.as_str()))
                    .map(|v| $t(*v))
                    .ok_or_else(|| poem_openapi::types::ParseError::expected_type(value))
            }
        }
    };
}
pub(crate) use domain_enum_type;

domain_enum_type!(ApiCode(Code), "ErrorCode", "Stable machine-readable error code (snake_case, append-only).");

/// An example request id, in the format the server mints (`Uuid::simple`: 32 lowercase hex).
pub const EXAMPLE_REQUEST_ID: &str = "5f0c8e2a9b4d4c71a3e6d2b8f1907c4e";

/// The error envelope, on every non-2xx response.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct ErrorBody {
    /// A sentence for humans.
    pub error: String,
    /// A stable code for programs.
    pub code: ApiCode,
    /// Code-specific details (e.g. the invalid field); an empty object when there are none.
    pub details: Value,
    /// The request's id, also in the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: String,
    /// The limit that was reached (429).
    #[oai(skip_serializing_if_is_none)]
    pub limit: Option<u64>,
    /// Requests counted in the window (429).
    #[oai(skip_serializing_if_is_none)]
    pub used: Option<u64>,
    /// When the window resets, ISO-8601 UTC (429).
    #[oai(skip_serializing_if_is_none)]
    pub resets: Option<String>,
    /// Where to upgrade the plan (403 and quota 429).
    #[oai(skip_serializing_if_is_none)]
    pub upgrade: Option<String>,
    /// How to reach the customer portal (409 on checkout): the documentation of `POST /v1/billing/portal`,
    /// which answers the portal's address.
    #[oai(skip_serializing_if_is_none)]
    pub portal: Option<String>,
    /// Seconds to wait before retrying, as the `Retry-After` header (429 and 503).
    #[oai(skip_serializing_if_is_none)]
    pub retry_after: Option<u64>,
}

impl poem_openapi::types::Example for ErrorBody {
    fn example() -> Self {
        Self {
            error: "email: email must contain exactly one '@' with text on both sides".into(),
            code: ApiCode(Code::ValidationFailed),
            details: json!({"field": "email", "reason": "email must contain exactly one '@' with text on both sides"}),
            request_id: EXAMPLE_REQUEST_ID.into(),
            limit: None,
            used: None,
            resets: None,
            upgrade: None,
            portal: None,
            retry_after: None,
        }
    }
}

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
    /// The extra top-level fields of a 403 or 429 (boxed: most errors have none).
    pub extra: Option<Box<Extra>>,
}

/// Top-level fields the JobIn document shows on 403 (`upgrade`) and 429 (`limit`, `used`,
/// `resets`, `upgrade`).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub limit: Option<u64>,
    pub used: Option<u64>,
    /// ISO-8601 UTC.
    pub resets: Option<String>,
    pub upgrade: Option<String>,
    /// The billing portal URL (409 on checkout).
    pub portal: Option<String>,
}

impl ApiError {
    /// A 503 `dependency_unavailable` says when to retry (1 s unless set otherwise): the stores
    /// and Redis fail fast for about that long after an outage is seen.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let retry_after = (code == Code::DependencyUnavailable).then_some(1);
        Self { code, message: message.into(), details: json!({}), retry_after, extra: None }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    pub fn with_extra(mut self, extra: Extra) -> Self {
        self.extra = Some(Box::new(extra));
        self
    }

    /// 500 `internal`: the sentence a client sees for our defect (the detail goes to the log).
    pub fn internal() -> Self {
        Self::new(Code::Internal, "An unexpected error occurred. Quote the request id when reporting it.")
    }

    /// 503 `dependency_unavailable`: a backing service (database, Redis) does not answer.
    pub fn dependency_unavailable() -> Self {
        Self::new(Code::DependencyUnavailable, "A backing service is temporarily unavailable. Retry shortly.")
    }

    /// 401 `missing_credentials`: no API key or token was sent.
    pub fn missing_credentials() -> Self {
        Self::new(
            Code::MissingCredentials,
            "Send an API key as `X-API-Key: jl_live_…` or `Authorization: Bearer jl_live_…`.",
        )
    }

    /// 404 `not_found`: no operation at this path.
    pub fn no_such_endpoint() -> Self {
        Self::new(Code::NotFound, "No such endpoint; see /openapi.json.")
    }

    /// From a use-case error: the message of client errors is shown; internal detail is logged
    /// under the request id and replaced by a generic sentence.
    pub fn from_usecase<E: ErrorCode + std::error::Error>(e: E) -> Self {
        let code = e.code();
        match code {
            Code::Internal => {
                tracing::error!(error = ?anyhow_chain(&e), "internal error");
                Self::internal()
            }
            Code::DependencyUnavailable => {
                tracing::warn!(error = ?anyhow_chain(&e), "dependency unavailable");
                Self::dependency_unavailable()
            }
            _ => Self::new(code, e.to_string()),
        }
    }

    pub fn field(code: Code, field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(code, format!("{field}: {reason}"))
            .with_details(json!({"field": field, "reason": reason.to_string()}))
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message.clone(),
            code: ApiCode(self.code),
            details: self.details.clone(),
            request_id: current_request_id(),
            limit: self.extra.as_ref().and_then(|x| x.limit),
            used: self.extra.as_ref().and_then(|x| x.used),
            resets: self.extra.as_ref().and_then(|x| x.resets.clone()),
            upgrade: self.extra.as_ref().and_then(|x| x.upgrade.clone()),
            portal: self.extra.as_ref().and_then(|x| x.portal.clone()),
            retry_after: self.retry_after,
        }
    }

    pub fn into_response(self) -> poem::Response {
        let mut resp = poem::Response::builder()
            .status(self.status())
            .content_type("application/json; charset=utf-8")
            .body(serde_json::to_vec(&self.body().to_json()).unwrap_or_default());
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert("retry-after", secs.into());
        }
        resp
    }
}

fn anyhow_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    fn as_response(&self) -> poem::Response {
        self.clone().into_response()
    }
}

/// Declares an operation's error responses: exactly the listed statuses (plus 500), each with
/// the envelope and an optional `Retry-After`.
macro_rules! error_responses {
    ($(#[$meta:meta])* $name:ident { $($status:literal => $variant:ident : $doc:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(poem_openapi::ApiResponse, Debug)]
        pub enum $name {
            $(
                #[doc = $doc]
                #[oai(status = $status)]
                $variant(
                    poem_openapi::payload::Json<$crate::http::error::ErrorBody>,
                    /// Seconds to wait before retrying (429, 503).
                    #[oai(header = "Retry-After")] Option<u64>,
                ),
            )*
            /// Unexpected server error; the request id identifies it in the logs.
            #[oai(status = 500)]
            Internal(
                poem_openapi::payload::Json<$crate::http::error::ErrorBody>,
                /// Seconds to wait before retrying.
                #[oai(header = "Retry-After")] Option<u64>,
            ),
        }

        impl From<$crate::http::error::ApiError> for $name {
            fn from(e: $crate::http::error::ApiError) -> Self {
                let retry = e.retry_after;
                match e.status().as_u16() {
                    $( $status => Self::$variant(poem_openapi::payload::Json(e.body()), retry), )*
                    other => {
                        if other != 500 {
                            tracing::error!(code = %e.code, status = other, "error status not declared for this operation");
                        }
                        Self::Internal(poem_openapi::payload::Json(e.body()), retry)
                    }
                }
            }
        }
    };
}
pub(crate) use error_responses;

/// ISO-8601 UTC with milliseconds, the document's timestamp format (`2025-05-01T00:00:00.000Z`).
pub fn iso_millis(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
