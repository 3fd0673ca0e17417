//! The `/auth/*` error responses (documented per operation) and how use-case errors become the
//! envelope.

use crate::http::error::{ApiError, error_responses};

error_responses!(RegisterErrorResponse {
    400 => BadRequest: "Invalid email, short password, or malformed body.",
    409 => Conflict: "The email is already registered.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "Body is not application/json.",
    429 => TooManyRequests: "More than 5 registrations from this IP in the current minute.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(LoginErrorResponse {
    400 => BadRequest: "Malformed body or missing field.",
    401 => Unauthorized: "Wrong email or password (one message for both), or an invalid, expired or reused refresh token.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "Body is not application/json.",
    429 => TooManyRequests: "Over the per-IP minute limit (login 10, refresh 10), or (login) 10 failed logins for this account in the current 15-minute window (`rate_limited`, `details.reason` = `login_failures`); both with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(MeErrorResponse {
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`; 60 a minute by default, never spent by data requests), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(LogoutErrorResponse {
    400 => BadRequest: "`/v1/auth/logout` called with an API key instead of a session token (`validation_failed`).",
    401 => Unauthorized: "Missing, invalid, expired or already ended credentials (`session_revoked`).",
    403 => Forbidden: "`/v1/auth/logout-all` with a key that lacks `keys:write` (`insufficient_scope`).",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(PasswordErrorResponse {
    400 => BadRequest: "The new password is shorter than 8 characters (`validation_failed`, `details.field` = `new_password`), or a malformed body.",
    401 => Unauthorized: "Missing, invalid or ended credentials, or a wrong `current_password` (`invalid_credentials`).",
    403 => Forbidden: "The key lacks `keys:write` (`insufficient_scope`).",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "Body is not application/json.",
    429 => TooManyRequests: "10 wrong passwords for this account in the current 15-minute window, counted with failed logins (`rate_limited`, `details.reason` = `login_failures`), or over the account-request limit (`details.class` = `account`); both with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(CreateKeyErrorResponse {
    400 => BadRequest: "Invalid name, an unknown scope or an empty `scopes` list (`validation_failed`, naming the field), or a malformed body.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    403 => Forbidden: "The key lacks `keys:write` (`insufficient_scope`, `details.required` names it), or asks to grant scopes the calling key does not hold (`insufficient_scope`, `details.missing` lists them).",
    409 => Conflict: "The account already has 20 active keys.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "A body was sent that is not application/json.",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`; 60 a minute by default, never spent by data requests), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(RotateErrorResponse {
    400 => BadRequest: "Invalid name, an unknown scope or an empty `scopes` list (`validation_failed`, naming the field), or a malformed body.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    403 => Forbidden: "The key lacks `keys:write` (`insufficient_scope`, `details.required` names it), or asks to grant scopes the calling key does not hold (`insufficient_scope`, `details.missing` lists them).",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "A body was sent that is not application/json.",
    429 => TooManyRequests: "Another rotation of this account is in progress (`rotation_in_progress`), or over the account-request limit (`rate_limited`, `details.class` = `account`).",
    503 => Unavailable: "The database or lock backend is unreachable.",
});

error_responses!(RevokeErrorResponse {
    400 => BadRequest: "The prefix is not of the form `jl_live_ab12****`.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    403 => Forbidden: "The key lacks `keys:write` (`insufficient_scope`, `details.required` names it).",
    404 => NotFound: "The caller has no active key with this prefix.",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`; 60 a minute by default, never spent by data requests), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

/// Use-case errors, with the invalid field in `details` for validation failures.
pub(super) fn usecase_field_error<E>(e: E) -> ApiError
where
    E: jobin_core::ErrorCode + std::error::Error + InvalidField,
{
    if let Some(f) = e.invalid_field() {
        return ApiError::field(jobin_core::Code::ValidationFailed, f.field, &f.reason);
    }
    match e.scopes_not_held() {
        Some(missing) => ApiError::from_usecase(e).with_details(crate::http::security::scope_details(missing)),
        None => ApiError::from_usecase(e),
    }
}

/// Use-case errors that can carry a field validation failure.
pub(super) trait InvalidField {
    fn invalid_field(&self) -> Option<jobin_core::usecases::FieldError>;

    /// The scopes a key asked to grant without holding them.
    fn scopes_not_held(&self) -> Option<jobin_core::domain::Scopes> {
        None
    }
}

/// `invalid_field!(T, …)` for errors with an `Invalid(FieldError)` variant; `scopes: T, …` for those
/// that also have `ScopeNotHeld(Scopes)`.
macro_rules! invalid_field {
    (@field) => {
        fn invalid_field(&self) -> Option<jobin_core::usecases::FieldError> {
            match self {
                Self::Invalid(f) => Some(f.clone()),
                _ => None,
            }
        }
    };
    (scopes: $($t:ty),*) => {$(
        impl InvalidField for $t {
            invalid_field!(@field);

            fn scopes_not_held(&self) -> Option<jobin_core::domain::Scopes> {
                match self {
                    Self::ScopeNotHeld(missing) => Some(*missing),
                    _ => None,
                }
            }
        }
    )*};
    ($($t:ty),*) => {$(
        impl InvalidField for $t {
            invalid_field!(@field);
        }
    )*};
}

invalid_field!(scopes: jobin_core::usecases::keys::CreateKeyError, jobin_core::usecases::RotateError);
invalid_field!(
    jobin_core::usecases::RevokeError,
    jobin_core::usecases::RegisterError,
    jobin_core::usecases::ChangePasswordError
);
