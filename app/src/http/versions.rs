//! The versioned surface: every operation is served under `/v1`; the unversioned paths of the JobIn
//! document keep answering identically, marked deprecated in the document and in each answer
//! (`Deprecation: true`, `Sunset`, `Link: </v1/…>; rel="successor-version"`). Policy (README): v1
//! only changes additively; a removal goes to v2 with at least 90 days of overlap. This module
//! writes the headers; `http::document` marks the copies deprecated in the document.

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

use crate::endpoints::API_VERSION;
use crate::http::paths::is_unversioned_api_path;

/// Adds the deprecation headers to every answer on an unversioned API path (outermost, after the
/// error envelope has rendered errors). `sunset` is an HTTP date.
pub async fn deprecation_headers<E: Endpoint>(next: E, req: Request, sunset: Arc<str>) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if is_unversioned_api_path(&path) {
        let h = resp.headers_mut();
        h.insert("deprecation", HeaderValue::from_static("true"));
        if let Ok(v) = HeaderValue::from_str(&sunset) {
            h.insert("sunset", v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{API_VERSION}{path}>; rel=\"successor-version\"")) {
            h.insert("link", v);
        }
    }
    Ok(resp)
}
