//! `/api/<app>/…` → the BFF upstream declared in that app's current manifest, so a newly
//! deployed app's BFF is reachable without changing the host's configuration.
//!
//! The proxy forwards the signed-in user's access token (`Authorization: Bearer`, from the
//! server-side session, [`crate::auth`]) and never the browser's own `Authorization` or
//! cookies; the BFF verifies the token. It refuses state-changing requests without the
//! anti-CSRF header `X-CSRF` (403): a cross-site form can send the session cookie but cannot
//! set a custom header.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, header};
use axum::response::Response;
use axum::routing::any;

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/{app}", any(forward_root)).route("/api/{app}/{*rest}", any(forward))
}

/// Present on every state-changing request the apps send (the SDK sets it).
const CSRF_HEADER: &str = "x-csrf";

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "keep-alive" | "proxy-authenticate" | "proxy-authorization" | "te" | "trailer" | "transfer-encoding" | "upgrade" | "host"
    )
}

async fn forward_root(state: State<AppState>, Path(app): Path<String>, request: Request) -> Result<Response, ApiError> {
    forward(state, Path((app, String::new())), request).await
}

#[tracing::instrument(skip_all, fields(app = %app))]
async fn forward(State(state): State<AppState>, Path((app, _)): Path<(String, String)>, request: Request) -> Result<Response, ApiError> {
    let manifest = state.store.manifest(&app).await.ok_or_else(|| ApiError::NotFound(format!("no app `{app}` is deployed")))?;
    let bff = manifest.bff.ok_or_else(|| ApiError::NotFound(format!("app `{app}` has no BFF")))?;
    // The rest of the path as sent, still percent-encoded: the decoded `Path` would turn `%2F`
    // into a separator, `%3F` into a query and `%23` into a fragment.
    let rest = request.uri().path().splitn(4, '/').nth(3).unwrap_or_default().to_string();
    let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("{}/{rest}{query}", bff.upstream.trim_end_matches('/'));

    let (parts, body) = request.into_parts();
    if !parts.method.is_safe() && !parts.headers.contains_key(CSRF_HEADER) {
        return Err(ApiError::Forbidden("state-changing requests need the X-CSRF header".into()));
    }
    let bearer = state.auth.bearer(&parts.headers).await;
    let mut upstream = state.http.request(parts.method, &url);
    for (name, value) in &parts.headers {
        // The browser's credentials are for the host: the BFF gets the session's token only.
        if !hop_by_hop(name) && name != header::AUTHORIZATION && name != header::COOKIE {
            upstream = upstream.header(name, value);
        }
    }
    if let Some(token) = bearer {
        upstream = upstream.bearer_auth(token);
    }
    let upstream = upstream.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    let answer = upstream.send().await.map_err(|error| {
        tracing::warn!(%url, %error, "upstream unreachable");
        ApiError::BadGateway(format!("the `{app}` service is unreachable"))
    })?;

    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) && name != header::CONTENT_LENGTH {
            response = response.header(name, value);
        }
    }
    response.body(Body::from_stream(answer.bytes_stream())).map_err(|e| ApiError::Internal(e.into()))
}
