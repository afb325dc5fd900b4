//! Who is calling: the [`Caller`] extractor every BFF handler takes, and the middleware that
//! learns it from a verified bearer token.
//!
//! The host forwards the signed-in user's OpenID Connect access token as
//! `Authorization: Bearer …`, and every BFF verifies it itself ([`tessera_auth::Verifier`]:
//! signature against the provider's JWKS, `iss`, `aud`, `exp`, `nbf`), so a BFF trusts no
//! network position and no header it cannot check. [`authenticate`] runs on every request:
//!
//! - no `Authorization` header → no caller: public routes work, [`Caller`] answers 401;
//! - a valid bearer token → the [`Caller`] (`sub`, `name`, the roles claim) for the handlers;
//! - anything else (another scheme, a bad token) → 401 with `WWW-Authenticate: Bearer
//!   error="invalid_token"`, logged and counted in `bff_auth_refused_total{reason}`.
//!
//! Handlers only ever see a `Caller`, so their business code does not depend on how the
//! caller was learnt.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_auth::{AuthError, Identity, Verifier};

use crate::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub name: String,
    pub roles: Vec<String>,
}

impl Caller {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Route-level role assertion: 403 unless the caller holds `role`.
    pub fn require(&self, role: &str) -> Result<(), ApiError> {
        if self.has_role(role) { Ok(()) } else { Err(ApiError::Forbidden(format!("this needs the `{role}` role"))) }
    }
}

impl From<Identity> for Caller {
    fn from(identity: Identity) -> Self {
        Self { user_id: identity.user_id, name: identity.name, roles: identity.roles }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or(ApiError::Unauthorized)
    }
}

/// The caller when there is one (public routes that personalise when signed in).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Caller>().cloned()))
    }
}

/// Middleware: verifies a bearer token when there is one and puts the [`Caller`] into the
/// request's extensions; refuses the request when the token does not verify.
pub async fn authenticate(State(verifier): State<Arc<Verifier>>, mut request: Request, next: Next) -> Response {
    let Some(authorization) = request.headers().get(header::AUTHORIZATION) else {
        return next.run(request).await;
    };
    let verified = match bearer_token(authorization) {
        Ok(token) => verifier.verify(token).await,
        Err(error) => Err(error),
    };
    match verified {
        Ok(identity) => {
            request.extensions_mut().insert(Caller::from(identity));
            next.run(request).await
        }
        Err(error) => refuse(&error, request.uri().path()),
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
fn bearer_token(authorization: &HeaderValue) -> Result<&str, AuthError> {
    let value = authorization.to_str().map_err(|_| AuthError::Malformed("the Authorization header is not text".into()))?;
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(AuthError::Missing),
    }
}

fn refuse(error: &AuthError, path: &str) -> Response {
    let reason = error.reason();
    crate::metrics::auth_refused(reason);
    if let AuthError::JwksUnavailable(_) = error {
        // Not the caller's fault: the token may be fine and a retry may succeed, so no 401
        // (which would tell the host to drop the session).
        tracing::error!(reason, path, %error, "cannot verify a token");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "sign-in cannot be checked right now; try again shortly" }))).into_response();
    }
    tracing::warn!(reason, path, %error, "refused a token");
    let mut response = (StatusCode::UNAUTHORIZED, Json(json!({ "error": error.to_string() }))).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer error="invalid_token""#));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_scheme_with_a_token_passes() {
        let token = |value: &str| bearer_token(&HeaderValue::from_str(value).unwrap()).map(str::to_string);
        assert_eq!(token("Bearer abc.def.ghi"), Ok("abc.def.ghi".into()));
        assert_eq!(token("bearer   abc "), Ok("abc".into()));
        for refused in ["Basic YWxpY2U6cHc=", "Bearer", "Bearer   ", "abc.def.ghi", "Token abc"] {
            assert_eq!(token(refused), Err(AuthError::Missing), "{refused}");
        }
    }

    #[test]
    fn roles_decide_what_a_caller_may_do() {
        let caller = Caller { user_id: "alice".into(), name: "Alice".into(), roles: vec!["customer".into(), "driver".into()] };
        assert!(caller.has_role("driver"));
        assert!(caller.require("customer").is_ok());
        assert!(matches!(caller.require("restaurant"), Err(ApiError::Forbidden(_))));
    }
}
