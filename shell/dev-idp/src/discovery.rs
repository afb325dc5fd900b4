//! What relying parties read before anything else: the discovery document (OpenID Connect
//! Discovery 1.0 §3) and the key set (RFC 7517) that verifies every token.
//!
//! The host finds everything from the issuer URL alone, exactly as it would with Keycloak or
//! Auth0, and the BFFs verify access tokens against `/jwks`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::provider::{AppState, Provider};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(show_configuration))
        .route("/jwks", get(show_jwks))
}

fn configuration(provider: &Provider) -> Value {
    json!({
        "issuer": provider.issuer,
        "authorization_endpoint": provider.url("/authorize"),
        "token_endpoint": provider.url("/token"),
        "jwks_uri": provider.url("/jwks"),
        "userinfo_endpoint": provider.url("/userinfo"),
        "end_session_endpoint": provider.url("/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "name", "email", "email_verified", "preferred_username", "roles"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}

async fn show_configuration(State(provider): State<AppState>) -> Json<Value> {
    Json(configuration(&provider))
}

async fn show_jwks(State(provider): State<AppState>) -> Json<Value> {
    Json(json!({ "keys": [provider.key.jwk()] }))
}
