//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 7636 §4.6): authorization codes and
//! refresh tokens in, tokens out. Errors are the JSON of RFC 6749 §5.2.

use std::time::Instant;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::authorize::is_pkce_value;
use crate::config::DevIdpConfig;
use crate::provider::{AppState, Provider};
use crate::redirects::form_decode;
use crate::tokens::{Grant, TokenResponse, s256};
use crate::users;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/token", post(exchange_token))
}

/// The parameters of both grants, and the client's credentials when posted in the form.
#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The outcomes RFC 6749 §5.2 names; the message becomes `error_description`.
#[derive(Debug, thiserror::Error)]
enum TokenError {
    #[error("client authentication failed")]
    InvalidClient,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    InvalidScope(&'static str),
}

impl TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidClient => "invalid_client",
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnsupportedGrantType(_) => "unsupported_grant_type",
            TokenError::InvalidScope(_) => "invalid_scope",
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let status = match self {
            TokenError::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = serde_json::json!({ "error": self.code(), "error_description": self.to_string() });
        let mut response = (status, no_store(), Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Basic realm="tessera-dev-idp""#));
        }
        response
    }
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

#[tracing::instrument(skip_all, fields(grant_type))]
async fn exchange_token(
    State(provider): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(request) =
        form.map_err(|_| TokenError::InvalidRequest("the body must be a form (application/x-www-form-urlencoded), each parameter once".into()))?;
    let client_id = authenticate_client(&provider.config, &headers, &request)?;
    tracing::Span::current().record("grant_type", request.grant_type.as_deref());
    let tokens = match request.grant_type.as_deref() {
        Some("authorization_code") => redeem_code(&provider, &client_id, &request)?,
        Some("refresh_token") => refresh(&provider, &client_id, &request)?,
        Some(other) => return Err(TokenError::UnsupportedGrantType(format!("grant_type {other:?} is not supported"))),
        None => return Err(TokenError::InvalidRequest("grant_type is missing".into())),
    };
    Ok((no_store(), Json(tokens)).into_response())
}

/// Checks the client's credentials, from HTTP Basic (`client_secret_basic`, each part
/// form-encoded as RFC 6749 §2.3.1 says) or the form (`client_secret_post`), and returns its id.
fn authenticate_client(config: &DevIdpConfig, headers: &HeaderMap, request: &TokenRequest) -> Result<String, TokenError> {
    let (id, secret) = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            if request.client_secret.is_some() {
                return Err(TokenError::InvalidRequest("use one client authentication method, not both Basic and the form".into()));
            }
            let (id, secret) = basic_credentials(value).ok_or(TokenError::InvalidClient)?;
            if request.client_id.as_ref().is_some_and(|form_id| *form_id != id) {
                return Err(TokenError::InvalidClient);
            }
            (id, secret)
        }
        None => match (&request.client_id, &request.client_secret) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return Err(TokenError::InvalidClient),
        },
    };
    let id_ok = constant_time_eq(id.as_bytes(), config.client_id.as_bytes());
    let secret_ok = constant_time_eq(secret.as_bytes(), config.client_secret.as_bytes());
    if id_ok && secret_ok { Ok(id) } else { Err(TokenError::InvalidClient) }
}

fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let encoded = value.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Compares without leaking, through timing, how much of a guessed secret was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn redeem_code(provider: &Provider, client_id: &str, request: &TokenRequest) -> Result<TokenResponse, TokenError> {
    let code = request.code.as_deref().ok_or_else(|| TokenError::InvalidRequest("code is missing".into()))?;
    let redirect_uri = request.redirect_uri.as_deref().ok_or_else(|| TokenError::InvalidRequest("redirect_uri is missing".into()))?;
    // Taken out before any other check: a code that was presented once is gone.
    let grant = provider
        .codes
        .redeem(code, Instant::now())
        .ok_or(TokenError::InvalidGrant("the authorization code is unknown, expired or already used"))?;
    if grant.client_id != client_id {
        return Err(TokenError::InvalidGrant("the authorization code was issued to another client"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(TokenError::InvalidGrant("redirect_uri differs from the one in the authorization request"));
    }
    let verifier = request.code_verifier.as_deref().ok_or(TokenError::InvalidGrant("code_verifier is missing"))?;
    if !is_pkce_value(verifier) || !constant_time_eq(s256(verifier).as_bytes(), grant.code_challenge.as_bytes()) {
        return Err(TokenError::InvalidGrant("code_verifier does not match the code_challenge"));
    }
    Ok(provider.issue(&Grant {
        user: grant.user,
        client_id,
        scope: &grant.scope,
        nonce: grant.nonce.as_deref(),
        auth_time: grant.auth_time,
    }))
}

fn refresh(provider: &Provider, client_id: &str, request: &TokenRequest) -> Result<TokenResponse, TokenError> {
    let token = request.refresh_token.as_deref().ok_or_else(|| TokenError::InvalidRequest("refresh_token is missing".into()))?;
    let claims = provider.verify_refresh(token, client_id).ok_or(TokenError::InvalidGrant("the refresh token is invalid or expired"))?;
    let user = users::find(&claims.sub).ok_or(TokenError::InvalidGrant("the refresh token's user no longer exists"))?;
    // A refresh may narrow the scope, never widen it (RFC 6749 §6).
    let scope = match request.scope.as_deref() {
        Some(asked) => {
            let granted: Vec<&str> = claims.scope.split(' ').collect();
            if !asked.split_ascii_whitespace().all(|scope| granted.contains(&scope)) {
                return Err(TokenError::InvalidScope("a refresh cannot add scopes that were not granted"));
            }
            asked.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
        }
        None => claims.scope.clone(),
    };
    Ok(provider.issue(&Grant { user, client_id, scope: &scope, nonce: None, auth_time: claims.auth_time }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn clients_authenticate_by_basic_or_form_but_not_both() {
        let config = DevIdpConfig::loopback(PathBuf::new());
        let good = format!("Basic {}", STANDARD.encode("tessera:tessera-dev-secret"));
        let none = TokenRequest::default();
        assert_eq!(authenticate_client(&config, &basic(&good), &none).unwrap(), "tessera");

        let wrong = format!("Basic {}", STANDARD.encode("tessera:guess"));
        assert!(matches!(authenticate_client(&config, &basic(&wrong), &none), Err(TokenError::InvalidClient)));
        assert!(matches!(authenticate_client(&config, &basic("Bearer x"), &none), Err(TokenError::InvalidClient)));
        assert!(matches!(authenticate_client(&config, &basic("Basic !!!"), &none), Err(TokenError::InvalidClient)));

        let posted = TokenRequest { client_id: Some("tessera".into()), client_secret: Some("tessera-dev-secret".into()), ..Default::default() };
        assert_eq!(authenticate_client(&config, &HeaderMap::new(), &posted).unwrap(), "tessera");
        assert!(matches!(authenticate_client(&config, &basic(&good), &posted), Err(TokenError::InvalidRequest(_))));
        assert!(matches!(authenticate_client(&config, &HeaderMap::new(), &none), Err(TokenError::InvalidClient)));

        let other_id = TokenRequest { client_id: Some("other".into()), ..Default::default() };
        assert!(matches!(authenticate_client(&config, &basic(&good), &other_id), Err(TokenError::InvalidClient)));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let value = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("my%20app:p%3Ass+word"))).unwrap();
        assert_eq!(basic_credentials(&value), Some(("my app".to_string(), "p:ss word".to_string())));
    }
}
