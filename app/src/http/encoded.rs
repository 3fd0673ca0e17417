//! A JSON answer encoded once: the bytes are written as they are, and the document describes them
//! with `T`'s schema, exactly as `Json<T>` would. Keeping the bytes lets a node serve the same
//! answer again as a copy (see `jobs::copies`), without building and encoding it each time.

use bytes::Bytes;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use std::marker::PhantomData;

/// `Json<T>`'s content type, so both forms of an answer carry the same header.
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The encoded JSON of a `T`.
pub struct Encoded<T> {
    bytes: Bytes,
    of: PhantomData<fn() -> T>,
}

impl<T: ToJSON> Encoded<T> {
    /// `value` encoded as `Json<T>` encodes it (same fields, same order).
    pub fn encode(value: &T) -> Self {
        let json = value.to_json().unwrap_or(serde_json::Value::Null);
        // Encoding a `serde_json::Value` into memory cannot fail.
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        Self::from_bytes(Bytes::from(bytes))
    }
}

impl<T> Encoded<T> {
    /// Bytes encoded earlier from a `T`.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self { bytes, of: PhantomData }
    }

    /// The encoded bytes (a shared handle, not a copy).
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }
}

impl<T: Type> Payload for Encoded<T> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for Encoded<T> {
    fn into_response(self) -> Response {
        Response::builder().content_type(CONTENT_TYPE).body(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::Object;
    use poem_openapi::payload::Json;

    #[derive(Object)]
    struct Answer {
        name: String,
        count: Option<u32>,
        tags: Vec<String>,
    }

    #[tokio::test]
    async fn the_bytes_and_headers_are_those_json_writes() {
        let answer = || Answer { name: "Rust \"dev\" ü".into(), count: None, tags: vec!["a".into(), "b".into()] };
        let json = Json(answer()).into_response();
        let encoded = Encoded::encode(&answer()).into_response();
        assert_eq!(encoded.status(), json.status());
        assert_eq!(encoded.headers(), json.headers());
        let json = json.into_body().into_bytes().await.unwrap();
        let encoded = encoded.into_body().into_bytes().await.unwrap();
        assert_eq!(encoded, json);
        assert_eq!(
            <Encoded<Answer> as Payload>::schema_ref().unwrap_reference(),
            <Json<Answer> as Payload>::schema_ref().unwrap_reference()
        );
    }
}
