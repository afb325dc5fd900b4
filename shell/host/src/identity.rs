//! Who is using the page, for the proxy to tell the BFFs.
//!
//! **Development sign-in, a placeholder.** Until sign-in through OpenID Connect lands, the
//! host offers the demo users of the reference system on a sign-in page (`/auth/login`) and
//! remembers the choice in an HttpOnly cookie. The proxy then vouches for that user to the
//! BFFs in the identity headers of `tessera_bff_kit::auth` (and strips any such header a
//! browser sends). OIDC replaces this module; the BFFs' `Caller` stays as it is.
//!
//! Routes: `GET /auth/session` (`{signedIn, userId, name, roles}`, never secrets),
//! `GET /auth/login?returnTo=/path` (the sign-in page), `POST /auth/login` (form: `user`,
//! `returnTo`), `POST /auth/logout`.

use axum::Form;
use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::AppState;

const COOKIE: &str = "tessera_dev_user";

/// The headers the BFF kit reads (`tessera_bff_kit::auth`).
pub const USER_HEADER: &str = "x-tessera-user";
pub const NAME_HEADER: &str = "x-tessera-name";
pub const ROLES_HEADER: &str = "x-tessera-roles";

/// A demo user of the reference system.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    pub id: &'static str,
    pub name: &'static str,
    pub roles: &'static [&'static str],
    pub blurb: &'static str,
}

/// The demo users (docs/food-delivery.md).
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser { id: "alice", name: "Alice Customer", roles: &["customer"], blurb: "Orders dinner" },
    DemoUser { id: "bob", name: "Bob Customer", roles: &["customer"], blurb: "Another hungry customer" },
    DemoUser { id: "rita", name: "Rita Rossi", roles: &["restaurant"], blurb: "Runs Trattoria Roma and Green Bowl" },
    DemoUser { id: "kenji", name: "Kenji Sato", roles: &["restaurant"], blurb: "Runs Sakura Sushi and Taqueria Sol" },
    DemoUser { id: "dan", name: "Dan Driver", roles: &["driver"], blurb: "Delivers by scooter" },
];

/// What `/auth/session` answers.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub roles: Vec<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/session", get(current_session))
        .route("/auth/login", get(login_page).post(sign_in))
        .route("/auth/logout", post(sign_out))
}

/// The signed-in demo user of a request, from its cookie.
pub fn user_of(headers: &HeaderMap) -> Option<&'static DemoUser> {
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';'));
    let id = cookies.filter_map(|c| c.trim().split_once('=')).find(|(name, _)| *name == COOKIE).map(|(_, value)| value)?;
    DEMO_USERS.iter().find(|u| u.id == id)
}

/// Replaces whatever identity headers came from the browser with the signed-in user's.
pub fn vouch(headers: &mut HeaderMap, user: Option<&DemoUser>) {
    for name in [USER_HEADER, NAME_HEADER, ROLES_HEADER] {
        headers.remove(name);
    }
    if let Some(user) = user {
        let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set(headers, USER_HEADER, user.id);
        // Header values are ASCII-safe here: the demo users' names are.
        set(headers, NAME_HEADER, user.name);
        set(headers, ROLES_HEADER, &user.roles.join(","));
    }
}

async fn current_session(headers: HeaderMap) -> Response {
    let view = match user_of(&headers) {
        Some(user) => SessionView {
            signed_in: true,
            user_id: Some(user.id.to_string()),
            name: Some(user.name.to_string()),
            roles: user.roles.iter().map(|r| r.to_string()).collect(),
        },
        None => SessionView::default(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response()
}

/// Only paths on this site: `/x`, never `//evil.example` or `https://…`.
fn safe_return(to: Option<&str>) -> String {
    match to {
        Some(to) if to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') => to.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

async fn login_page(Query(query): Query<LoginQuery>) -> Html<String> {
    let return_to = escape(&safe_return(query.return_to.as_deref()));
    let users: String = DEMO_USERS
        .iter()
        .map(|u| {
            format!(
                r#"<li class="card"><form method="post" action="/auth/login" class="row">
<input type="hidden" name="user" value="{id}"><input type="hidden" name="returnTo" value="{return_to}">
<div class="stack"><span class="card-title">{name}</span><span class="muted">{blurb} · {roles}</span></div>
<span class="spacer"></span><button class="btn btn-primary" type="submit" aria-label="Sign in as {name}">Sign in</button></form></li>"#,
                id = u.id,
                name = escape(u.name),
                blurb = escape(u.blurb),
                roles = u.roles.join(", "),
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Tessera Eats</title><link rel="stylesheet" href="/styles.css"></head>
<body><main class="page" style="max-width: 40rem; margin: 0 auto; padding: var(--space-8) var(--space-4)">
<div class="page-header"><div><h1>Sign in</h1><p class="lede">Choose a demo user. This development sign-in stands in for your identity provider.</p></div></div>
<ul class="stack" role="list">{users}</ul>
<p class="muted"><a href="{return_to}">Continue without signing in</a></p></main></body></html>"#
    ))
}

#[derive(Debug, Deserialize)]
struct SignIn {
    user: String,
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

async fn sign_in(Form(form): Form<SignIn>) -> Response {
    let Some(user) = DEMO_USERS.iter().find(|u| u.id == form.user) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(serde_json::json!({ "error": "user: no such demo user", "field": "user", "reason": "no such demo user" })))
            .into_response();
    };
    let cookie = format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000", user.id);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&safe_return(form.return_to.as_deref()))).into_response()
}

async fn sign_out() -> Response {
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(safe_return(Some("/orders/1?x=2")), "/orders/1?x=2");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "orders"] {
            assert_eq!(safe_return(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return(None), "/");
    }

    #[test]
    fn browsers_cannot_claim_an_identity() {
        let mut headers = HeaderMap::new();
        headers.insert(USER_HEADER, HeaderValue::from_static("mallory"));
        headers.insert(ROLES_HEADER, HeaderValue::from_static("restaurant"));
        vouch(&mut headers, None);
        assert!(headers.get(USER_HEADER).is_none() && headers.get(ROLES_HEADER).is_none());
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; tessera_dev_user=dan"));
        let user = user_of(&headers);
        vouch(&mut headers, user);
        assert_eq!(headers.get(USER_HEADER).unwrap(), "dan");
        assert_eq!(headers.get(ROLES_HEADER).unwrap(), "driver");
    }
}
