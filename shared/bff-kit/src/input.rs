//! Input checks every BFF shares: path ids, text fields and JSON bodies, each failure a 422
//! `{"error", "field", "reason"}` naming the field so the micro-app can put the message next
//! to it. Take bodies as [`JsonBody<T>`] rather than axum's `Json<T>`, whose rejections are
//! plain text.

use axum::body::Bytes;
use serde::de::DeserializeOwned;
use axum::extract::{FromRequest, Request};

use crate::error::ApiError;

/// Ids in paths: 1 to 64 of `A-Z a-z 0-9 - _` (docs/food-delivery.md, conventions).
pub fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(ApiError::invalid(field, "must be 1 to 64 letters, digits, `-` or `_`")) }
}

/// A required text field, trimmed, of `min..=max` characters (not bytes: "Crème brûlée" is 12).
pub fn text(field: &str, value: Option<String>, min: usize, max: usize) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| ApiError::invalid(field, "is required"))?;
    let value = value.trim();
    let length = value.chars().count();
    if length < min || length > max {
        let reason = if min == 0 { format!("must be at most {max} characters") } else { format!("must be {min} to {max} characters") };
        return Err(ApiError::invalid(field, reason));
    }
    Ok(value.to_string())
}

/// A required field of any other type.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "is required"))
}

/// Parses a JSON body. Axum's `Json` rejects with plain text; this answers like every other
/// validation failure, naming the field whose type is wrong. An empty body reads as `{}`, so
/// commands without input may be sent bare.
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else if field == "." {
            ApiError::invalid("body", inner.to_string())
        } else {
            ApiError::invalid(&field, inner.to_string())
        }
    })?;
    deserializer.end().map_err(|error| ApiError::BadRequest(format!("the body is not valid JSON: {error}")))?;
    Ok(value)
}

/// A JSON request body parsed with [`parse_body`]: 422 naming the field on a wrong shape,
/// 400 on invalid JSON.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state).await.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        parse_body(&body).map(JsonBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // only deserialized
    struct Dish {
        name: String,
        price_cents: i64,
    }

    #[test]
    fn ids_are_short_and_plain() {
        assert!(check_id("id", "roma-margherita_2").is_ok());
        for bad in ["", "a/b", "a b", &"x".repeat(65)] {
            assert!(matches!(check_id("id", bad), Err(ApiError::Invalid { .. })), "{bad}");
        }
    }

    #[test]
    fn bodies_of_the_wrong_shape_name_the_field() {
        let error = parse_body::<Dish>(&Bytes::from_static(br#"{"name": "x", "price_cents": "cheap"}"#)).unwrap_err();
        assert!(matches!(error, ApiError::Invalid { ref field, .. } if field == "price_cents"), "{error:?}");
        assert!(matches!(parse_body::<Dish>(&Bytes::from_static(b"{nope")), Err(ApiError::BadRequest(_))));
    }
}
