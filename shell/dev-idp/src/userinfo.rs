//! The UserInfo endpoint (OpenID Connect Core §5.3): the claims about the bearer of an access
//! token, for relying parties that ask instead of reading the ID token.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::provider::AppState;

pub(crate) fn router() -> Router<AppState> {
    // Core §5.3.1: the endpoint answers GET and POST alike.
    Router::new().route("/userinfo", get(show_userinfo).post(show_userinfo))
}

#[derive(Debug, Serialize)]
struct UserInfoView {
    sub: String,
    name: String,
    email: String,
    roles: Vec<String>,
}

#[tracing::instrument(skip_all)]
async fn show_userinfo(State(provider): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match token.and_then(|token| provider.verify_access(token)) {
        Some(claims) => {
            let view = UserInfoView { sub: claims.sub, name: claims.name, email: claims.email, roles: claims.roles };
            ([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response()
        }
        // RFC 6750 §3: say why in the challenge, nothing in the body.
        None => {
            let challenge = if token.is_some() { r#"Bearer error="invalid_token""# } else { "Bearer" };
            (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge))]).into_response()
        }
    }
}
