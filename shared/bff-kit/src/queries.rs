//! Queries: cacheable JSON with an `ETag` (answering `If-None-Match` with 304), a
//! `Cache-Control` chosen per route, and the view's as-of time (`X-As-Of`, epoch ms).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Cache policies for query routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Read-mostly public data: caches may keep it briefly and must revalidate after.
    Public { max_age_seconds: u32 },
    /// A user's own data: only the browser may keep it, and it revalidates every time.
    Private,
}

impl Cache {
    fn header(self) -> String {
        match self {
            Cache::Public { max_age_seconds } => format!("public, max-age={max_age_seconds}, must-revalidate"),
            Cache::Private => "private, no-cache".to_string(),
        }
    }
}

/// Serializes `value` as a cacheable response.
pub fn cached_json(headers: &HeaderMap, value: &impl Serialize, cache: Cache, as_of: i64) -> Response {
    let body = serde_json::to_vec(value).expect("views serialize");
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", digest.iter().take(10).map(|b| format!("{b:02x}")).collect::<String>());
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_str(&cache.header()).expect("ascii"));
    h.insert("x-as-of", HeaderValue::from(as_of));
    h.insert(header::VARY, HeaderValue::from_static("authorization, cookie"));
    response
}
