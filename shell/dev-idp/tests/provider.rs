//! The provider over real HTTP, driven the way relying parties and BFFs drive a real one.

use std::collections::HashMap;
use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{StatusCode, Url, header};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tessera_dev_idp::{AccessClaims, DEFAULT_AUDIENCE, DevIdp, DevIdpConfig};

/// Never contacted: the tests read the redirect instead of following it.
const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";
const CLIENT_ID: &str = "tessera";
const CLIENT_SECRET: &str = "tessera-dev-secret";

struct TestIdp {
    idp: DevIdp,
    http: reqwest::Client,
    data: TempDir,
}

async fn spawn_idp() -> TestIdp {
    let data = tempfile::tempdir().unwrap();
    let idp = DevIdp::start(DevIdpConfig::loopback(data.path().to_path_buf())).await.unwrap();
    TestIdp { idp, http: http_client(), data }
}

fn http_client() -> reqwest::Client {
    // Redirects are what the tests look at, and openidconnect requires them not to be followed.
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorization_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid profile email".into()),
        ("state", "state-123".into()),
        ("nonce", "nonce-456".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

fn query_of(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response.headers().get(header::LOCATION).expect("a redirect").to_str().unwrap();
    assert_eq!(location.split('?').next(), Some(REDIRECT_URI), "back to the redirect URI");
    Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

impl TestIdp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.idp.issuer())
    }

    /// Signs in as `user` through the form and returns the code.
    async fn sign_in(&self, user: &str, challenge: &str) -> String {
        let mut form = authorization_params(challenge);
        form.push(("user", user.into()));
        let response = self.http.post(self.url("/authorize")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let query = query_of(&response);
        assert_eq!(query["state"], "state-123");
        query["code"].clone()
    }

    async fn exchange(&self, code: &str, verifier: &str) -> reqwest::Response {
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT_URI), ("code_verifier", verifier)];
        self.http.post(self.url("/token")).basic_auth(CLIENT_ID, Some(CLIENT_SECRET)).form(&form).send().await.unwrap()
    }

    async fn tokens_for(&self, user: &str) -> Value {
        let (verifier, challenge) = pkce();
        let code = self.sign_in(user, &challenge).await;
        let response = self.exchange(&code, &verifier).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// The key from `/jwks`, as a BFF would load it.
    async fn jwks_key(&self) -> DecodingKey {
        let jwks: JwkSet = self.http.get(self.url("/jwks")).send().await.unwrap().json().await.unwrap();
        assert_eq!(jwks.keys.len(), 1);
        let jwk = jwks.find(self.idp.key_id()).expect("the key under its kid");
        DecodingKey::from_jwk(jwk).unwrap()
    }

    fn validation(&self, audience: &str) -> Validation {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.idp.issuer()]);
        validation.set_audience(&[audience]);
        validation
    }
}

#[tokio::test]
async fn a_code_flow_with_pkce_yields_tokens_that_verify_against_the_jwks() {
    let app = spawn_idp().await;
    let (verifier, challenge) = pkce();

    let page = app.http.get(app.url("/authorize")).query(&authorization_params(&challenge)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Sign in · Tessera Eats</title>"));
    assert!(html.contains("Development sign-in — not a real identity provider"));
    for name in ["Alice Customer", "Bob Customer", "Rita Rossi", "Kenji Sato", "Dan Driver"] {
        assert!(html.contains(&format!(r#"aria-label="Sign in as {name}""#)), "{name}");
    }
    assert!(html.contains(r#"<input type="hidden" name="nonce" value="nonce-456">"#));

    let code = app.sign_in("alice", &challenge).await;
    let response = app.exchange(&code, &verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(tokens["scope"], "openid profile email");
    assert!(tokens["refresh_token"].is_string());

    let key = app.jwks_key().await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(id_token).unwrap().kid.as_deref(), Some(app.idp.key_id()));
    let id: Value = jsonwebtoken::decode(id_token, &key, &app.validation(CLIENT_ID)).unwrap().claims;
    assert_eq!(id["sub"], "alice");
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["name"], "Alice Customer");
    assert_eq!(id["email"], "alice@eats.example");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["preferred_username"], "alice");
    assert_eq!(id["roles"], serde_json::json!(["customer"]));
    assert!(id["auth_time"].as_i64().unwrap() <= id["iat"].as_i64().unwrap());

    let access_token = tokens["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let access: AccessClaims = jsonwebtoken::decode(access_token, &key, &app.validation(DEFAULT_AUDIENCE)).unwrap().claims;
    // Access and ID tokens have different audiences, so neither passes for the other.
    let wrong = jsonwebtoken::decode::<AccessClaims>(access_token, &key, &app.validation(CLIENT_ID)).unwrap_err();
    assert_eq!(wrong.kind(), &jsonwebtoken::errors::ErrorKind::InvalidAudience);
    assert_eq!((access.sub.as_str(), access.name.as_str(), access.email.as_str()), ("alice", "Alice Customer", "alice@eats.example"));
    assert_eq!(access.roles, ["customer"]);
    assert_eq!(access.client_id, CLIENT_ID);
    assert_eq!(access.exp - access.iat, 300);
    assert_eq!(access.nbf, access.iat);

    let me: Value = app.http.get(app.url("/userinfo")).bearer_auth(access_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me, serde_json::json!({ "sub": "alice", "name": "Alice Customer", "email": "alice@eats.example", "roles": ["customer"] }));
    let anonymous = app.http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let with_id_token = app.http.get(app.url("/userinfo")).bearer_auth(id_token).send().await.unwrap();
    assert_eq!(with_id_token.status(), StatusCode::UNAUTHORIZED, "an ID token is no access token");
}

#[tokio::test]
async fn an_authorization_code_can_be_exchanged_only_once() {
    let app = spawn_idp().await;
    let (verifier, challenge) = pkce();
    let code = app.sign_in("bob", &challenge).await;
    assert_eq!(app.exchange(&code, &verifier).await.status(), StatusCode::OK);

    let again = app.exchange(&code, &verifier).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused() {
    let app = spawn_idp().await;
    let (_, challenge) = pkce();
    let (other_verifier, _) = pkce();
    let code = app.sign_in("alice", &challenge).await;
    let response = app.exchange(&code, &other_verifier).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    let (verifier, challenge) = pkce();
    let code = app.sign_in("alice", &challenge).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT_URI)];
    let missing = app.http.post(app.url("/token")).basic_auth(CLIENT_ID, Some(CLIENT_SECRET)).form(&form).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST, "PKCE is not optional");
    assert_eq!(app.exchange(&code, &verifier).await.status(), StatusCode::BAD_REQUEST, "and the code is gone");
}

#[tokio::test]
async fn a_wrong_client_secret_is_unauthorized() {
    let app = spawn_idp().await;
    let (verifier, challenge) = pkce();
    let code = app.sign_in("alice", &challenge).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT_URI), ("code_verifier", verifier.as_str())];

    let basic = app.http.post(app.url("/token")).basic_auth(CLIENT_ID, Some("guess")).form(&form).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert!(basic.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(basic.json::<Value>().await.unwrap()["error"], "invalid_client");

    let mut posted = form.to_vec();
    posted.extend([("client_id", CLIENT_ID), ("client_secret", "guess")]);
    let post = app.http.post(app.url("/token")).form(&posted).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post.json::<Value>().await.unwrap()["error"], "invalid_client");

    // The right secret in the form (client_secret_post) works too; the code was not spent by
    // the refused requests because client authentication comes first.
    let mut posted = form.to_vec();
    posted.extend([("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    let post = app.http.post(app.url("/token")).form(&posted).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_foreign_redirect_uri_or_unknown_client_gets_an_error_page_and_no_redirect() {
    let app = spawn_idp().await;
    let (_, challenge) = pkce();
    for (name, value) in [("redirect_uri", "https://evil.example/cb"), ("redirect_uri", "http://127.0.0.1.evil.example/cb"), ("client_id", "mallory")] {
        let mut params = authorization_params(&challenge);
        params.retain(|(param, _)| *param != name);
        params.push((name, value.into()));
        let get = app.http.get(app.url("/authorize")).query(&params).send().await.unwrap();
        assert_eq!(get.status(), StatusCode::BAD_REQUEST, "{value}");
        assert!(get.headers().get(header::LOCATION).is_none());
        assert!(get.text().await.unwrap().contains("This sign-in request was refused"));

        params.push(("user", "alice".into()));
        let post = app.http.post(app.url("/authorize")).form(&params).send().await.unwrap();
        assert_eq!(post.status(), StatusCode::BAD_REQUEST, "{value}");
        assert!(post.headers().get(header::LOCATION).is_none());
    }
}

#[tokio::test]
async fn other_protocol_errors_go_back_to_the_client_with_the_state() {
    let app = spawn_idp().await;
    let (_, challenge) = pkce();
    let cases: [(&str, Option<&str>, &str); 5] = [
        ("response_type", Some("token"), "unsupported_response_type"),
        ("scope", Some("profile email"), "invalid_scope"),
        ("code_challenge", None, "invalid_request"),
        ("code_challenge_method", Some("plain"), "invalid_request"),
        ("code_challenge_method", None, "invalid_request"),
    ];
    for (name, value, error) in cases {
        let mut params = authorization_params(&challenge);
        params.retain(|(param, _)| *param != name);
        if let Some(value) = value {
            params.push((name, value.into()));
        }
        let response = app.http.get(app.url("/authorize")).query(&params).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name}={value:?}");
        let query = query_of(&response);
        assert_eq!(query["error"], error, "{name}={value:?}");
        assert!(!query["error_description"].is_empty());
        assert_eq!(query["state"], "state-123");
        assert!(!query.contains_key("code"));
    }

    let mut params = authorization_params(&challenge);
    params.push(("user", "nobody".into()));
    let response = app.http.post(app.url("/authorize")).form(&params).send().await.unwrap();
    assert_eq!(query_of(&response)["error"], "access_denied");
}

#[tokio::test]
async fn a_refresh_token_yields_new_tokens_and_a_tampered_one_is_refused() {
    let app = spawn_idp().await;
    let tokens = app.tokens_for("dan").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let refresh = |token: String| {
        let form = [("grant_type", "refresh_token".to_string()), ("refresh_token", token)];
        app.http.post(app.url("/token")).basic_auth(CLIENT_ID, Some(CLIENT_SECRET)).form(&form).send()
    };
    let response = refresh(refresh_token.to_string()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let renewed: Value = response.json().await.unwrap();
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let key = app.jwks_key().await;
    let access: AccessClaims = jsonwebtoken::decode(renewed["access_token"].as_str().unwrap(), &key, &app.validation(DEFAULT_AUDIENCE)).unwrap().claims;
    assert_eq!((access.sub.as_str(), access.roles.as_slice()), ("dan", ["driver".to_string()].as_slice()));
    let id: Value = jsonwebtoken::decode(renewed["id_token"].as_str().unwrap(), &key, &app.validation(CLIENT_ID)).unwrap().claims;
    assert_eq!(id["sub"], "dan");
    assert!(id.get("nonce").is_none(), "no nonce on refresh");

    // Swap the payload for one that claims to be rita, keeping dan's signature.
    let mut parts: Vec<String> = refresh_token.split('.').map(str::to_string).collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = "rita".into();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    for forged in [parts.join("."), "not-a-jwt".to_string(), tokens["access_token"].as_str().unwrap().to_string()] {
        let response = refresh(forged).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn the_discovery_document_names_every_endpoint_under_the_exact_issuer() {
    let app = spawn_idp().await;
    let issuer = app.idp.issuer();
    assert_eq!(issuer, format!("http://127.0.0.1:{}", app.idp.port()));
    let doc: Value = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], issuer);
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks"),
        ("userinfo_endpoint", "/userinfo"),
        ("end_session_endpoint", "/logout"),
    ] {
        assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["subject_types_supported"], serde_json::json!(["public"]));
    assert_eq!(doc["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["grant_types_supported"], serde_json::json!(["authorization_code", "refresh_token"]));
    assert_eq!(doc["token_endpoint_auth_methods_supported"], serde_json::json!(["client_secret_basic", "client_secret_post"]));
    assert_eq!(doc["scopes_supported"], serde_json::json!(["openid", "profile", "email", "offline_access"]));
    assert!(doc["claims_supported"].as_array().unwrap().contains(&"roles".into()));

    let jwks: Value = app.http.get(app.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!((key["kty"].as_str(), key["use"].as_str(), key["alg"].as_str()), (Some("RSA"), Some("sig"), Some("RS256")));
    assert_eq!(key["kid"], app.idp.key_id());
    assert_eq!(key["e"], "AQAB");
    assert_eq!(URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap().len(), 256, "2048-bit modulus");

    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!((health.status(), health.text().await.unwrap().as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn the_openidconnect_crate_discovers_the_provider() {
    use openidconnect::IssuerUrl;
    use openidconnect::core::CoreProviderMetadata;

    let app = spawn_idp().await;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.idp.issuer().to_string()).unwrap(), &app.http).await.unwrap();
    assert_eq!(metadata.issuer().as_str(), app.idp.issuer());
    assert_eq!(metadata.jwks().keys().len(), 1);
}

#[tokio::test]
async fn the_openidconnect_crate_completes_the_code_flow_and_accepts_the_id_token() {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
        RedirectUrl, Scope, TokenResponse,
    };

    let app = spawn_idp().await;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.idp.issuer().to_string()).unwrap(), &app.http).await.unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(CLIENT_ID.into()), Some(ClientSecret::new(CLIENT_SECRET.into())))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser's part: open the page, press "Sign in as Rita Rossi" (its form repeats the
    // request's parameters).
    let page = app.http.get(authorize_url.clone()).send().await.unwrap();
    assert!(page.text().await.unwrap().contains(r#"aria-label="Sign in as Rita Rossi""#));
    let mut form: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
    form.push(("user".into(), "rita".into()));
    let response = app.http.post(app.url("/authorize")).form(&form).send().await.unwrap();
    let query = query_of(&response);
    assert_eq!(&query["state"], csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&app.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), "rita");
    assert_eq!(claims.email().map(|email| email.as_str()), Some("rita@eats.example"));
    let expected_hash =
        AccessTokenHash::from_token(tokens.access_token(), id_token.signing_alg().unwrap(), id_token.signing_key(&id_verifier).unwrap()).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&app.http)
        .await
        .unwrap();
    assert!(refreshed.id_token().is_some());
}

#[tokio::test]
async fn the_signing_key_and_its_refresh_tokens_survive_a_restart() {
    let app = spawn_idp().await;
    let (kid, addr) = (app.idp.key_id().to_string(), SocketAddr::from(([127, 0, 0, 1], app.idp.port())));
    let refresh_token = app.tokens_for("kenji").await["refresh_token"].as_str().unwrap().to_string();
    let TestIdp { idp, http, data } = app;
    idp.stop().await;

    let config = DevIdpConfig { addr, ..DevIdpConfig::loopback(data.path().to_path_buf()) };
    let idp = DevIdp::start(config).await.unwrap();
    assert_eq!(idp.key_id(), kid);
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token.as_str())];
    let response = http.post(format!("{}/token", idp.issuer())).basic_auth(CLIENT_ID, Some(CLIENT_SECRET)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn start_refuses_anything_but_loopback_in_dev_mode() {
    let data = tempfile::tempdir().unwrap();
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let config = DevIdpConfig { addr: addr.parse().unwrap(), ..DevIdpConfig::loopback(data.path().to_path_buf()) };
        let err = DevIdp::start(config).await.unwrap_err();
        assert!(err.to_string().contains("loopback"), "{addr}: {err}");
    }
    let config = DevIdpConfig { dev_mode: false, ..DevIdpConfig::loopback(data.path().to_path_buf()) };
    let err = DevIdp::start(config).await.unwrap_err();
    assert_eq!(err.to_string(), "the dev identity provider only runs in dev mode");
    assert!(!data.path().join("dev-idp").exists(), "refused before generating a key");
}

#[tokio::test]
async fn minted_tokens_verify_against_the_published_key_unless_expired() {
    let app = spawn_idp().await;
    let roles = ["restaurant".to_string()];
    let key = app.jwks_key().await;
    let token = app.idp.token_for("rita", "Rita Rossi", &roles);
    let claims: AccessClaims = jsonwebtoken::decode(&token, &key, &app.validation(DEFAULT_AUDIENCE)).unwrap().claims;
    assert_eq!((claims.sub.as_str(), claims.email.as_str(), claims.roles.as_slice()), ("rita", "rita@eats.example", roles.as_slice()));
    let pem_key = DecodingKey::from_rsa_pem(app.idp.public_key_pem().as_bytes()).unwrap();
    assert!(jsonwebtoken::decode::<AccessClaims>(&token, &pem_key, &app.validation(DEFAULT_AUDIENCE)).is_ok());

    let mut expired = app.idp.claims_for("rita", "Rita Rossi", &roles);
    expired.exp = expired.iat - 600;
    let expired = app.idp.mint(&expired);
    let refused = jsonwebtoken::decode::<AccessClaims>(&expired, &key, &app.validation(DEFAULT_AUDIENCE)).unwrap_err();
    assert_eq!(refused.kind(), &jsonwebtoken::errors::ErrorKind::ExpiredSignature);
    let response = app.http.get(app.url("/userinfo")).bearer_auth(&expired).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The classic key confusion: HS256 with the public key as the HMAC secret.
    let claims = app.idp.claims_for("rita", "Rita Rossi", &roles);
    let hmac_key = jsonwebtoken::EncodingKey::from_secret(app.idp.public_key_pem().as_bytes());
    let confused = jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), &claims, &hmac_key).unwrap();
    let response = app.http.get(app.url("/userinfo")).bearer_auth(&confused).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_returns_to_a_loopback_address_or_shows_a_page() {
    let app = spawn_idp().await;
    let back = app
        .http
        .get(app.url("/logout"))
        .query(&[("post_logout_redirect_uri", "http://127.0.0.1:9/signed-out"), ("state", "s 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[header::LOCATION], "http://127.0.0.1:9/signed-out?state=s%201");

    for query in [vec![("post_logout_redirect_uri", "https://evil.example/")], vec![]] {
        let page = app.http.get(app.url("/logout")).query(&query).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("You are signed out"));
    }
}
