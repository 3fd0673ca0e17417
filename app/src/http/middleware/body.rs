//! Request bodies: the size limit (413) and the time a body may take to arrive whole (408).

use jobin_core::Code;
use poem::http::HeaderValue;
use poem::{Endpoint, Request};
use serde_json::json;
use std::sync::Arc;

use crate::http::error::ApiError;
use crate::state::AppState;

fn too_large(max: usize) -> poem::Error {
    ApiError::new(Code::PayloadTooLarge, format!("The request body exceeds the limit of {max} bytes."))
        .with_details(json!({"max_bytes": max}))
        .into()
}

/// Rejects bodies over the configured size with 413 (by `Content-Length` up front, or while
/// reading a body sent without one), and reads every body whole within the body-read timeout of
/// its head: a client trickling its body cannot hold a connection (408 `request_timeout`, and the
/// connection is closed).
pub async fn body_limit<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<E::Output> {
    let (max, within) = req
        .data::<Arc<AppState>>()
        .map(|s| (s.http.max_body_bytes, s.http.connections.body_read_timeout))
        .unwrap_or((64 * 1024, crate::listener::ConnectionSettings::default().body_read_timeout));
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(poem::http::header::TRANSFER_ENCODING);
    match declared {
        Some(n) if n > max as u64 => return Err(too_large(max)),
        Some(0) => {}
        None if !chunked => {}
        _ => {
            let read = tokio::time::timeout(within, req.take_body().into_bytes_limit(max)).await;
            let bytes = match read {
                Err(_) => return Err(body_timeout(within)),
                Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return Err(too_large(max)),
                // A broken chunked encoding or a body cut short is a bad request, not a big one.
                Ok(Err(_)) => {
                    return Err(ApiError::new(
                        Code::ValidationFailed,
                        "The request body could not be read (malformed chunked encoding or an incomplete body).",
                    )
                    .into());
                }
                Ok(Ok(bytes)) => bytes,
            };
            req.set_body(bytes);
        }
    }
    next.call(req).await
}

fn body_timeout(within: std::time::Duration) -> poem::Error {
    let secs = within.as_secs();
    let err = ApiError::new(
        Code::RequestTimeout,
        format!("The request body did not arrive whole within {secs} s of its head; send it again."),
    )
    .with_details(json!({"body_read_timeout_secs": secs}));
    let mut resp = poem::Error::from(err).into_response();
    resp.headers_mut().insert(poem::http::header::CONNECTION, HeaderValue::from_static("close"));
    poem::Error::from_response(resp)
}
