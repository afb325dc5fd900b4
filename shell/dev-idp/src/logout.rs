//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
//!
//! The provider keeps no session, so there is nothing to end here: it only sends the browser
//! back to the relying party. `id_token_hint` is accepted and not needed. A real provider
//! only honours `post_logout_redirect_uri` values registered for the client; this one takes
//! any `http://` address on a loopback host, as it does for redirect URIs.

use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::html;
use crate::provider::AppState;
use crate::redirects::{is_loopback_http, with_query};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/logout", get(end_session))
}

#[derive(Debug, Default, Deserialize)]
struct LogoutRequest {
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

async fn end_session(query: Result<Query<LogoutRequest>, QueryRejection>) -> Response {
    // A malformed query is no reason to keep anybody signed in: show the page instead.
    let request = query.map(|Query(request)| request).unwrap_or_default();
    match request.post_logout_redirect_uri.as_deref() {
        Some(uri) if is_loopback_http(uri) => {
            let params: Vec<(&str, &str)> = request.state.as_deref().map(|state| ("state", state)).into_iter().collect();
            Redirect::to(&with_query(uri, &params)).into_response()
        }
        _ => html::page(
            StatusCode::OK,
            "Signed out · Tessera Eats",
            r#"<h1>You are signed out</h1>
<p class="lede">The development identity provider keeps no session, so there is nothing more to end. You can close this tab.</p>"#,
        ),
    }
}
