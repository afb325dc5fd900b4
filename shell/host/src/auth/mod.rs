//! Sign-in through OpenID Connect, with the host as the relying party ([`oidc`]) and sessions
//! kept on the server ([`sessions`]).
//!
//! The browser only ever holds an HttpOnly, SameSite=Lax session cookie (Secure when the host
//! is served over HTTPS); access, refresh and ID tokens stay in the session store. The proxy
//! asks [`Auth::bearer`] for the signed-in user's access token (refreshed on the server
//! shortly before it expires) and forwards it to the BFFs, which verify it themselves.
//!
//! Routes:
//! - `GET /auth/session`: `{signedIn, userId, name, email, roles}`, never tokens;
//! - `GET /auth/login?returnTo=/path`: starts the code flow (PKCE, state, nonce) at the
//!   provider; only same-site paths are accepted as `returnTo`;
//! - `GET /auth/callback`: the provider's redirect back; checks state (also against a
//!   short-lived cookie binding the sign-in to this browser), exchanges the code, validates the
//!   ID token, creates the session and goes back to `returnTo`;
//! - `POST /auth/logout`: ends the session and, when the provider has an end-session
//!   endpoint, ends the provider's session too (RP-initiated logout).
//!
//! Without an issuer configured, sign-in is off: `/auth/login` answers 503 and every visitor
//! is a guest.

pub mod oidc;
pub mod sessions;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::AppState;
pub use oidc::{OidcConfig, Provider};
pub use sessions::{Session, SessionStore, User};

const SESSION_COOKIE: &str = "tessera_session";
/// Binds a sign-in under way to the browser that started it (login CSRF).
const LOGIN_COOKIE: &str = "tessera_login";
/// Refresh the access token when it has less than this left, so a proxied call never
/// carries a token that expires on the way.
const REFRESH_MARGIN_SECS: i64 = 30;

/// Sign-in state shared by the handlers and the proxy.
#[derive(Debug)]
pub struct Auth {
    pub sessions: SessionStore,
    pub provider: Option<Provider>,
    /// Cookies get `Secure` when the host is served over HTTPS.
    pub secure_cookies: bool,
    pub session_ttl_secs: i64,
    /// One refresh at a time: providers that rotate refresh tokens refuse the second use.
    refresh: tokio::sync::Mutex<()>,
}

impl Auth {
    pub fn new(sessions: SessionStore, provider: Option<Provider>, secure_cookies: bool, session_ttl_secs: i64) -> Self {
        Self { sessions, provider, secure_cookies, session_ttl_secs, refresh: tokio::sync::Mutex::new(()) }
    }

    /// The live session of a request, from its cookie.
    pub async fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        match self.sessions.find(id).await {
            Ok(session) => session,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "reading the session store");
                None
            }
        }
    }

    /// The access token to forward for this request's user, renewed first when it is about to
    /// expire. A session whose refresh the provider refuses is ended: the user signs in again.
    pub async fn bearer(&self, headers: &HeaderMap) -> Option<String> {
        let session = self.session(headers).await?;
        if session.tokens.access_expires_at - sessions::now() > REFRESH_MARGIN_SECS {
            return Some(session.tokens.access_token);
        }
        let _one_at_a_time = self.refresh.lock().await;
        // Another request may have refreshed it while this one waited.
        let session = self.session(headers).await?;
        if session.tokens.access_expires_at - sessions::now() > REFRESH_MARGIN_SECS {
            return Some(session.tokens.access_token);
        }
        let (Some(provider), Some(refresh_token)) = (&self.provider, session.tokens.refresh_token.as_deref()) else {
            return None;
        };
        match provider.refresh(refresh_token, &session.user).await {
            Ok((user, tokens)) => {
                if let Err(error) = self.sessions.renew(&session.key, &user, &tokens).await {
                    tracing::error!(error = format!("{error:#}"), "storing refreshed tokens");
                }
                tracing::debug!(user = %user.id, "access token refreshed");
                Some(tokens.access_token)
            }
            Err(error) => {
                tracing::warn!(user = %session.user.id, error = format!("{error:#}"), "refresh refused; the session ends");
                let _ = self.sessions.delete(&session.key).await;
                None
            }
        }
    }

    fn cookie(&self, name: &str, value: &str, path: &str, max_age: i64) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// What `/auth/session` answers.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub roles: Vec<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/session", get(current_session))
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

async fn current_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let view = match state.auth.session(&headers).await {
        Some(session) => SessionView {
            signed_in: true,
            user_id: Some(session.user.id),
            name: Some(session.user.name),
            email: session.user.email,
            roles: session.user.roles,
        },
        None => SessionView::default(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response()
}

/// Only paths on this site: `/x`, never `//evil.example`, `/\evil` or `https://…`.
fn safe_return(to: Option<&str>) -> Option<String> {
    match to {
        None => Some("/".to_string()),
        Some(to) if to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') && !to.chars().any(char::is_control) => {
            Some(to.to_string())
        }
        Some(_) => None,
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

async fn login(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Response {
    let Some(return_to) = safe_return(query.return_to.as_deref()) else {
        tracing::warn!(return_to = ?query.return_to, "refused a sign-in with a return path off this site");
        return page(StatusCode::BAD_REQUEST, "That sign-in link is not valid", "It would have sent you to another site afterwards.");
    };
    let Some(provider) = &state.auth.provider else {
        return page(StatusCode::SERVICE_UNAVAILABLE, "Sign-in is not configured", "This host has no identity provider (OIDC_ISSUER).");
    };
    let authorization = match provider.authorize().await {
        Ok(authorization) => authorization,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "starting a sign-in");
            return page(StatusCode::BAD_GATEWAY, "Sign-in is unavailable", "The identity provider cannot be reached. Try again in a moment.");
        }
    };
    let pending = sessions::PendingLogin {
        state: authorization.state.clone(),
        pkce_verifier: authorization.pkce_verifier,
        nonce: authorization.nonce,
        return_to,
    };
    if let Err(error) = state.auth.sessions.put_pending(&pending).await {
        tracing::error!(error = format!("{error:#}"), "storing a sign-in");
        return page(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Something went wrong on the server.");
    }
    let bind = state.auth.cookie(LOGIN_COOKIE, &authorization.state, "/auth/callback", 900);
    ([(header::SET_COOKIE, bind)], Redirect::to(&authorization.url)).into_response()
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<CallbackQuery>) -> Response {
    let auth = &state.auth;
    let Some(provider) = &auth.provider else {
        return page(StatusCode::SERVICE_UNAVAILABLE, "Sign-in is not configured", "This host has no identity provider (OIDC_ISSUER).");
    };
    if let Some(error) = &query.error {
        tracing::info!(%error, description = ?query.error_description, "the provider ended a sign-in");
        return page(StatusCode::BAD_REQUEST, "Sign-in did not complete", query.error_description.as_deref().unwrap_or(error));
    }
    let (Some(code), Some(returned_state)) = (&query.code, &query.state) else {
        return page(StatusCode::BAD_REQUEST, "Sign-in did not complete", "The provider's answer is missing the code or state.");
    };
    // The state must be one this host issued, to this browser, not used before.
    if cookie(&headers, LOGIN_COOKIE) != Some(returned_state.as_str()) {
        tracing::warn!("refused a sign-in callback whose state this browser did not start");
        return page(StatusCode::BAD_REQUEST, "Sign-in did not complete", "This sign-in was not started in this browser. Please sign in again.");
    }
    let pending = match auth.sessions.take_pending(returned_state).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return page(StatusCode::BAD_REQUEST, "Sign-in did not complete", "This sign-in has expired or was already used. Please sign in again."),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "reading a sign-in");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Something went wrong on the server.");
        }
    };
    let (user, tokens) = match provider.exchange(code, &pending.pkce_verifier, &pending.nonce).await {
        Ok(signed_in) => signed_in,
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "sign-in refused");
            return page(StatusCode::BAD_REQUEST, "Sign-in did not complete", "The identity provider's answer could not be verified. Please sign in again.");
        }
    };
    let (id, _) = match auth.sessions.create(&user, &tokens, auth.session_ttl_secs).await {
        Ok(created) => created,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "storing a session");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Something went wrong on the server.");
        }
    };
    tracing::info!(user = %user.id, roles = ?user.roles, "signed in");
    let mut response = Redirect::to(&pending.return_to).into_response();
    let headers = response.headers_mut();
    for value in [auth.cookie(SESSION_COOKIE, &id, "/", auth.session_ttl_secs), auth.cookie(LOGIN_COOKIE, "", "/auth/callback", 0)] {
        if let Ok(value) = value.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let auth = &state.auth;
    let mut to = "/".to_string();
    if let Some(session) = auth.session(&headers).await {
        if let Err(error) = auth.sessions.delete(&session.key).await {
            tracing::error!(error = format!("{error:#}"), "ending a session");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Sign-out failed", "Something went wrong on the server. Please try again.");
        }
        tracing::info!(user = %session.user.id, "signed out");
        if let Some(provider) = &auth.provider
            && let Some(url) = provider.end_session_url(session.tokens.id_token.as_deref()).await
        {
            to = url;
        }
    }
    ([(header::SET_COOKIE, auth.cookie(SESSION_COOKIE, "", "/", 0))], Redirect::to(&to)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A small page in the site's style for what goes wrong around sign-in.
fn page(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tessera Eats</title><link rel="stylesheet" href="/styles.css"></head>
<body><main class="page" style="max-width: 40rem; margin: 0 auto; padding: var(--space-8) var(--space-4)">
<div class="page-header"><div><h1>{title}</h1><p class="lede">{detail}</p></div></div>
<p><a class="btn btn-primary" href="/auth/login">Sign in</a> <a class="btn" href="/">Back to the start</a></p></main></body></html>"#,
        title = escape(title),
        detail = escape(detail),
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// Shared sign-in state for [`AppState`].
pub type SharedAuth = Arc<Auth>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(safe_return(Some("/orders/1?x=2")).as_deref(), Some("/orders/1?x=2"));
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "orders", "/\nSet-Cookie:x"] {
            assert_eq!(safe_return(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_return(None).as_deref(), Some("/"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=b; tessera_session=xyz".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, LOGIN_COOKIE), None);
    }
}
