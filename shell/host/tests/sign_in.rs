//! Sign-in through OpenID Connect, end to end over HTTP: the host as relying party against the
//! dev provider (`tessera-dev-idp`, a real OIDC server with RS256 tokens), a stand-in BFF that
//! echoes the credentials it receives, and a cookie-keeping client that follows the browser's
//! redirects by hand so every hop can be checked.

mod common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use common::{Browser, Host, TOKEN, location, setup, sign_in, write_fixtures};
use serde_json::{Value, json};
use tessera_host::client::DeployClient;

/// A stand-in BFF: `GET /whoami` answers the `sub` of the bearer token it received and the
/// cookies it got, or `-`.
async fn spawn_bff() -> String {
    let router = axum::Router::new().route(
        "/whoami",
        axum::routing::get(|headers: axum::http::HeaderMap| async move {
            let subject = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|token| {
                    use base64::Engine;
                    let payload = token.split('.').nth(1).unwrap_or_default();
                    let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap_or_default()).unwrap_or_default();
                    format!("{} {}", claims["sub"].as_str().unwrap_or("?"), claims["jti"].as_str().unwrap_or("?"))
                })
                .unwrap_or_else(|| "-".into());
            let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
            axum::Json(json!({ "subject": subject, "cookie": cookie }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn deploy_shop(host: &Host) {
    let manifest = json!({
        "name": "shop", "version": "1.0.0", "entry": "index.js", "files": ["index.js"],
        "activation": { "kind": "routes", "routes": ["/shop"] },
        "bff": { "upstream": spawn_bff().await },
    });
    let files = vec![
        ("mfe.json".to_string(), serde_json::to_vec(&manifest).unwrap()),
        ("index.js".to_string(), b"export function mount() {} export function unmount() {}".to_vec()),
    ];
    DeployClient::new(host.url.clone(), TOKEN).deploy_files(files).await.expect("deploying the stand-in app");
}

#[tokio::test]
async fn signing_in_gives_a_server_side_session_and_the_bff_the_users_token() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    deploy_shop(&host).await;
    let mut browser = Browser::new();
    assert_eq!(browser.json(&host.url("/auth/session")).await["signedIn"], false);

    let back = sign_in(&mut browser, &host, "alice", "/orders/42").await;

    assert_eq!(back, "/orders/42", "back where the sign-in started");
    let session = browser.get(&host.url("/auth/session")).await;
    assert_eq!(session.headers()[header::CACHE_CONTROL], "no-store");
    let session: Value = session.json().await.unwrap();
    assert_eq!(session, json!({ "signedIn": true, "userId": "alice", "name": "Alice Customer", "email": "alice@eats.example", "roles": ["customer"] }));
    let jar = &browser.cookies[&Browser::origin(&host.url)];
    assert!(jar.contains_key("tessera_session") && !jar.contains_key("tessera_login"), "{jar:?}");
    assert!(jar.values().all(|v| !v.starts_with("eyJ")), "no token reaches the browser: {jar:?}");

    let whoami = browser.json(&host.url("/api/shop/whoami")).await;
    assert!(whoami["subject"].as_str().unwrap().starts_with("alice "), "{whoami}");
    assert_eq!(whoami["cookie"], "-", "the session cookie stays with the host");
}

#[tokio::test]
async fn sessions_survive_a_host_restart_and_end_at_sign_out() {
    let (idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &host, "rita", "/restaurant").await;
    let cookie = browser.cookie_header(&host.url("/"));

    let host = Host::start(host.stop().await, Some(idp.issuer())).await;
    deploy_shop(&host).await;
    let resumed: Value = reqwest::Client::new().get(host.url("/auth/session")).header(header::COOKIE, &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(resumed["userId"], "rita", "the session survived the restart");
    assert_eq!(resumed["roles"], json!(["restaurant"]));

    // The browser keeps its cookie across the port change for this test.
    let mut browser = Browser::new();
    browser.cookies.insert(Browser::origin(&host.url), cookie.split("; ").filter_map(|c| c.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect());
    let out = browser.send(browser.http.post(host.url("/auth/logout")), &host.url("/")).await;
    let to = location(&out);
    assert!(to.starts_with(&format!("{}/logout?", idp.issuer())), "RP-initiated logout at the provider: {to}");
    assert!(to.contains("id_token_hint=") && to.contains("post_logout_redirect_uri="), "{to}");

    let old: Value = reqwest::Client::new().get(host.url("/auth/session")).header(header::COOKIE, &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(old["signedIn"], false, "the old cookie no longer works after sign-out");
    let whoami: Value = reqwest::Client::new().get(host.url("/api/shop/whoami")).header(header::COOKIE, &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(whoami["subject"], "-");
}

#[tokio::test]
async fn access_tokens_are_refreshed_on_the_server() {
    // Tokens that live 5 s are always inside the refresh margin: every call renews.
    let (_idp, host, _keep) = setup(Duration::from_secs(5)).await;
    deploy_shop(&host).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &host, "dan", "/driver").await;

    let first = browser.json(&host.url("/api/shop/whoami")).await["subject"].as_str().unwrap().to_string();
    let second = browser.json(&host.url("/api/shop/whoami")).await["subject"].as_str().unwrap().to_string();

    assert!(first.starts_with("dan ") && second.starts_with("dan "), "{first} / {second}");
    assert_ne!(first, second, "a new access token each time");
    assert_eq!(browser.json(&host.url("/auth/session")).await["signedIn"], true);
}

#[tokio::test]
async fn open_redirects_and_foreign_or_replayed_callbacks_are_refused() {
    let (_idp, host, _keep) = setup(Duration::from_secs(300)).await;
    let mut browser = Browser::new();
    for evil in ["//evil.example/x", "https://evil.example/", "/%5Cevil.example"] {
        let response = browser.get(&host.url(&format!("/auth/login?returnTo={evil}"))).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{evil}");
    }
    let response = browser.get(&host.url("/auth/login?returnTo=/%5C%5Cevil")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // A callback this browser did not start (login CSRF) is refused.
    let response = browser.get(&host.url("/auth/callback?code=abc&state=made-up")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // A callback replayed after it was used is refused.
    let to_provider = browser.get(&host.url("/auth/login?returnTo=/")).await;
    let authorize = location(&to_provider);
    let mut form: Vec<(String, String)> = reqwest::Url::parse(&authorize).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    form.push(("user".into(), "bob".into()));
    let callback = location(&browser.post_form(&format!("{}/authorize", authorize.split("/authorize").next().unwrap()), &form).await);
    let login_cookie = browser.cookie_header(&host.url("/"));
    assert_eq!(location(&browser.get(&callback).await), "/");
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let replayed = replay.get(&callback).header(header::COOKIE, login_cookie).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(replayed.headers().get(header::SET_COOKIE).is_none(), "no session for a replay");
}

#[tokio::test]
async fn without_an_issuer_sign_in_is_off_and_everybody_is_a_guest() {
    let dir = tempfile::tempdir().unwrap();
    write_fixtures(dir.path());
    let host = Host::start(dir, None).await;
    let response = reqwest::get(host.url("/auth/login")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let session: Value = reqwest::get(host.url("/auth/session")).await.unwrap().json().await.unwrap();
    assert_eq!(session["signedIn"], false);
}
