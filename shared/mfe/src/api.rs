//! Talking to the app's BFF through the host (`props.bff("/path")`): JSON in and out with
//! the conventions every BFF shares.
//!
//! - Every state-changing request carries an `Idempotency-Key` (a fresh UUID per user action,
//!   or one the caller keeps to retry the same action) and the anti-CSRF header `X-CSRF: 1`.
//! - Errors arrive as [`ApiError`]: the HTTP status and the server's readable `error` text, or
//!   status 0 when the backend could not be reached.
//!
//! JSON goes through the browser's own parser (`Response.json()`, `JSON.stringify`) and
//! `serde-wasm-bindgen`, which keeps `serde_json` out of every app's wasm.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A failed request: `status` 0 means the backend was unreachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    fn network() -> Self {
        Self { status: 0, message: "The service can't be reached right now. Check your connection and try again.".into() }
    }

    pub fn is_network(&self) -> bool {
        self.status == 0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A fresh random id (`crypto.randomUUID()`): client-generated entity ids and idempotency keys.
pub fn new_id() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    match crypto {
        Some(crypto) => crypto.random_uuid(),
        // Only very old browsers lack randomUUID; Math.random is enough for a key there.
        None => format!("{:x}{:x}", (js_sys::Math::random() * 1e15) as u64, (js_sys::Math::random() * 1e15) as u64),
    }
}

/// `GET url` and parse the JSON answer.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    let value = fetch("GET", url, None, None).await?;
    serde_wasm_bindgen::from_value(value).map_err(|e| ApiError { status: 200, message: format!("unexpected answer from the service: {e}") })
}

/// A command with a fresh idempotency key.
pub async fn send<T: DeserializeOwned>(method: &str, url: &str, body: Option<&impl Serialize>) -> Result<T, ApiError> {
    send_keyed(method, url, body, &new_id()).await
}

/// A command with the caller's idempotency key (retrying the same action keeps its key).
pub async fn send_keyed<T: DeserializeOwned>(method: &str, url: &str, body: Option<&impl Serialize>, key: &str) -> Result<T, ApiError> {
    let body = match body {
        Some(body) => {
            let value = body.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| ApiError { status: 0, message: e.to_string() })?;
            Some(js_sys::JSON::stringify(&value).map_err(|_| ApiError { status: 0, message: "the request could not be encoded".into() })?)
        }
        None => None,
    };
    let value = fetch(method, url, body.map(JsValue::from).as_ref(), Some(key)).await?;
    serde_wasm_bindgen::from_value(value).map_err(|e| ApiError { status: 200, message: format!("unexpected answer from the service: {e}") })
}

async fn fetch(method: &str, url: &str, body: Option<&JsValue>, key: Option<&str>) -> Result<JsValue, ApiError> {
    let window = web_sys::window().ok_or_else(ApiError::network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::network())?;
    let _ = headers.set("Accept", "application/json");
    if let Some(key) = key {
        let _ = headers.set("Idempotency-Key", key);
        let _ = headers.set("X-CSRF", "1");
    }
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(body);
    }
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ApiError::network())?
        .dyn_into()
        .map_err(|_| ApiError::network())?;
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if response.ok() {
        return Ok(json);
    }
    let message = js_sys::Reflect::get(&json, &JsValue::from_str("error")).ok().and_then(|v| v.as_string()).unwrap_or_else(|| match status {
        401 => "Please sign in to continue.".to_string(),
        403 => "You don't have access to this.".to_string(),
        404 => "Not found.".to_string(),
        502..=504 => "The service is not available right now. Try again in a moment.".to_string(),
        _ => format!("Something went wrong (HTTP {status})."),
    });
    Err(ApiError { status, message })
}
