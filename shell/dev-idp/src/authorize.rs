//! The authorization endpoint (OpenID Connect Core §3.1.2, RFC 6749 §4.1, RFC 7636): the
//! login page with one card per demo user, and the form post that issues the code.
//!
//! The client and the redirect URI are checked first: when either is wrong the browser gets
//! an error page and is never redirected (RFC 6749 §4.1.2.1), so nothing can be sent to an
//! unchecked address. Every other problem goes back to the client as `error=…` on its
//! redirect URI.
//!
//! There is no single sign-on session and no cookie: every authorization request shows the
//! login page again, so switching between demo users is one sign-out and one click away.

use std::time::Instant;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::codes::AuthorizationCode;
use crate::html::{self, escape};
use crate::provider::{AppState, Provider};
use crate::redirects::{is_loopback_http, with_query};
use crate::tokens::now;
use crate::users::{self, DEMO_USERS, DemoUser};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/authorize", get(show_login).post(sign_in))
}

/// The authorization request's parameters; the login form posts them back with `user`.
#[derive(Debug, Default, Deserialize)]
struct AuthorizationRequest {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    /// Only in the form post: the demo user whose button was pressed.
    user: Option<String>,
}

/// A request that passed every check.
#[derive(Debug)]
struct Accepted<'a> {
    redirect_uri: &'a str,
    client_id: &'a str,
    scope: String,
    state: Option<&'a str>,
    nonce: Option<&'a str>,
    code_challenge: &'a str,
}

/// Why a request was refused, and so how to answer.
#[derive(Debug)]
enum Refusal {
    /// The client or redirect URI cannot be trusted: show a page.
    Page(String),
    /// Tell the client on its (checked) redirect URI.
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page(message) => html::error_page(StatusCode::BAD_REQUEST, "This sign-in request was refused", &message),
            Refusal::Redirect { redirect_uri, error, description, state } => {
                let mut params = vec![("error", error), ("error_description", description.as_str())];
                if let Some(state) = &state {
                    params.push(("state", state));
                }
                Redirect::to(&with_query(&redirect_uri, &params)).into_response()
            }
        }
    }
}

fn validate<'a>(provider: &Provider, request: &'a AuthorizationRequest) -> Result<Accepted<'a>, Refusal> {
    let client_id = match request.client_id.as_deref() {
        Some(id) if id == provider.config.client_id => id,
        Some(_) => return Err(Refusal::Page("The application that sent you here is not registered with this provider (unknown client_id).".into())),
        None => return Err(Refusal::Page("The request names no application (client_id is missing).".into())),
    };
    let redirect_uri = match request.redirect_uri.as_deref() {
        Some(uri) if is_loopback_http(uri) => uri,
        Some(_) => {
            return Err(Refusal::Page(
                "The redirect_uri is not allowed: this development provider only sends you back to http:// addresses on this machine."
                    .into(),
            ));
        }
        None => return Err(Refusal::Page("The request names no redirect_uri.".into())),
    };
    let refuse = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.to_string(),
        error,
        description: description.to_string(),
        state: request.state.clone(),
    };

    match request.response_type.as_deref() {
        Some("code") => {}
        Some(_) => return Err(refuse("unsupported_response_type", "only the authorization code flow (response_type=code) is supported")),
        None => return Err(refuse("invalid_request", "response_type is missing")),
    }
    let scopes = normalise_scope(request.scope.as_deref().unwrap_or_default());
    if !scopes.split(' ').any(|scope| scope == "openid") {
        return Err(refuse("invalid_scope", "the openid scope is required"));
    }
    let code_challenge = match request.code_challenge.as_deref() {
        Some(challenge) if is_pkce_value(challenge) => challenge,
        Some(_) => return Err(refuse("invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")),
        None => return Err(refuse("invalid_request", "PKCE is required: code_challenge is missing")),
    };
    if request.code_challenge_method.as_deref() != Some("S256") {
        return Err(refuse("invalid_request", "code_challenge_method must be S256"));
    }
    // With no session to reuse, a request that forbids the login page cannot succeed.
    if request.prompt.as_deref().is_some_and(|prompt| prompt.split(' ').any(|p| p == "none")) {
        return Err(refuse("login_required", "this provider keeps no session; the user must pick a demo user"));
    }
    Ok(Accepted {
        redirect_uri,
        client_id,
        scope: scopes,
        state: request.state.as_deref(),
        nonce: request.nonce.as_deref(),
        code_challenge,
    })
}

/// Scopes separated by single spaces, each once, in the order asked.
fn normalise_scope(scope: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for scope in scope.split_ascii_whitespace() {
        if !seen.contains(&scope) {
            seen.push(scope);
        }
    }
    seen.join(" ")
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters (code verifiers and S256 challenges alike).
pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[tracing::instrument(skip_all)]
async fn show_login(State(provider): State<AppState>, query: Result<Query<AuthorizationRequest>, QueryRejection>) -> Response {
    let Ok(Query(request)) = query else {
        return Refusal::Page("The request's parameters could not be read (is one of them given twice?).".into()).into_response();
    };
    match validate(&provider, &request) {
        Ok(_) => login_page(&request),
        Err(refusal) => refusal.into_response(),
    }
}

#[tracing::instrument(skip_all, fields(user))]
async fn sign_in(State(provider): State<AppState>, form: Result<Form<AuthorizationRequest>, FormRejection>) -> Response {
    let Ok(Form(request)) = form else {
        return Refusal::Page("The sign-in form could not be read.".into()).into_response();
    };
    let accepted = match validate(&provider, &request) {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(user) = request.user.as_deref().and_then(users::find) else {
        return Refusal::Redirect {
            redirect_uri: accepted.redirect_uri.to_string(),
            error: "access_denied",
            description: "no such demo user".into(),
            state: accepted.state.map(str::to_string),
        }
        .into_response();
    };
    tracing::Span::current().record("user", user.id);
    let code = provider.codes.issue(
        AuthorizationCode {
            client_id: accepted.client_id.to_string(),
            redirect_uri: accepted.redirect_uri.to_string(),
            user,
            nonce: accepted.nonce.map(str::to_string),
            scope: accepted.scope,
            code_challenge: accepted.code_challenge.to_string(),
            auth_time: now(),
        },
        Instant::now(),
    );
    tracing::info!(user = user.id, "demo user signed in");
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = accepted.state {
        params.push(("state", state));
    }
    Redirect::to(&with_query(accepted.redirect_uri, &params)).into_response()
}

fn login_page(request: &AuthorizationRequest) -> Response {
    let hidden: String = [
        ("response_type", &request.response_type),
        ("client_id", &request.client_id),
        ("redirect_uri", &request.redirect_uri),
        ("scope", &request.scope),
        ("state", &request.state),
        ("nonce", &request.nonce),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
    ]
    .iter()
    .filter_map(|(name, value)| value.as_deref().map(|value| format!(r#"<input type="hidden" name="{name}" value="{}">"#, escape(value))))
    .collect();
    let cards: String = DEMO_USERS.iter().map(|user| user_card(user, &hidden)).collect();
    let body = format!(
        r#"<h1>Sign in</h1>
<p class="lede">Choose a demo user for Tessera Eats. There is no password: whoever uses this machine can be anyone here.</p>
<ul class="users" aria-label="Demo users">
{cards}</ul>
<p class="note">Signing in sends you back to <code>{origin}</code>. Every sign-in shows this page again, so switching users is easy.</p>"#,
        origin = escape(origin(request.redirect_uri.as_deref().unwrap_or_default())),
    );
    html::page(StatusCode::OK, "Sign in · Tessera Eats", &body)
}

fn user_card(user: &DemoUser, hidden: &str) -> String {
    let initials: String = user.name.split_whitespace().filter_map(|word| word.chars().next()).take(2).collect();
    let roles: String = user.roles.iter().map(|role| format!(r#"<span class="role">{}</span>"#, escape(role))).collect();
    format!(
        r#"<li><form class="user" method="post" action="/authorize">{hidden}<input type="hidden" name="user" value="{id}">
<span class="avatar" aria-hidden="true">{initials}</span>
<div class="who"><div class="name">{name}</div><div class="blurb">{blurb}</div><div class="roles">{roles}</div></div>
<button type="submit" aria-label="Sign in as {name}">Sign in</button>
</form></li>
"#,
        id = escape(user.id),
        initials = escape(&initials),
        name = escape(user.name),
        blurb = escape(user.blurb),
    )
}

/// `http://host:port` of a (validated) redirect URI, to tell the user where they are going.
fn origin(uri: &str) -> &str {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[after_scheme..].find(['/', '?']).map_or(uri.len(), |i| after_scheme + i);
    &uri[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_deduplicated_in_order() {
        assert_eq!(normalise_scope("  openid profile\topenid email "), "openid profile email");
        assert_eq!(normalise_scope(""), "");
    }

    #[test]
    fn pkce_values_have_the_rfc_shape() {
        assert!(is_pkce_value("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!is_pkce_value("short"));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
    }

    #[test]
    fn the_origin_is_the_scheme_host_and_port() {
        assert_eq!(origin("http://127.0.0.1:8080/auth/callback?x=1"), "http://127.0.0.1:8080");
        assert_eq!(origin("http://localhost?x"), "http://localhost");
        assert_eq!(origin("http://[::1]:1"), "http://[::1]:1");
    }
}
