//! The verifier against a real (dev) OpenID provider: discovery, the JWKS, every check, and
//! how often keys are fetched (through a counting JWKS proxy).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use tessera_auth::{Algorithm, AuthConfig, AuthError, Verifier};
use tessera_dev_idp::{AccessClaims, DevIdp, DevIdpConfig};

async fn idp(dir: &tempfile::TempDir) -> anyhow::Result<DevIdp> {
    DevIdp::start(DevIdpConfig::loopback(dir.path().to_path_buf())).await
}

fn verifier(config: AuthConfig) -> Verifier {
    Verifier::new(config, reqwest::Client::new()).expect("a valid configuration")
}

fn roles(names: &[&str]) -> Vec<String> {
    names.iter().map(|r| r.to_string()).collect()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

fn alice(idp: &DevIdp) -> AccessClaims {
    idp.claims_for("alice", "Alice Customer", &roles(&["customer"]))
}

/// Signs `claims` with any key and header: how an attacker builds a token.
fn forge(header: &Header, claims: &impl serde::Serialize, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("encoding a test token")
}

fn rs256(kid: &str) -> Header {
    Header { kid: Some(kid.to_string()), ..Header::new(Algorithm::RS256) }
}

/// The private key another dev provider generated into `dir` (where its config says it lives).
fn private_key_of(dir: &tempfile::TempDir) -> anyhow::Result<EncodingKey> {
    let pem = std::fs::read(dir.path().join("dev-idp").join("signing-key.pem")).context("the other provider's key")?;
    Ok(EncodingKey::from_rsa_pem(&pem)?)
}

/// A JWKS endpoint serving the union of its upstreams' keys and counting requests.
struct JwksProxy {
    url: String,
    upstreams: Arc<Mutex<Vec<String>>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksProxy {
    async fn start(upstreams: &[&DevIdp]) -> anyhow::Result<Self> {
        let upstreams = Arc::new(Mutex::new(upstreams.iter().map(|idp| format!("{}/jwks", idp.issuer())).collect::<Vec<_>>()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let state = (upstreams.clone(), fetches.clone(), reqwest::Client::new());
        let app = axum::Router::new().route("/jwks", get(serve_jwks)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/jwks", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, upstreams, fetches })
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn add(&self, idp: &DevIdp) {
        self.upstreams.lock().unwrap().push(format!("{}/jwks", idp.issuer()));
    }
}

type ProxyState = (Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>, reqwest::Client);

async fn serve_jwks(State((upstreams, fetches, http)): State<ProxyState>) -> Json<Value> {
    fetches.fetch_add(1, Ordering::SeqCst);
    let urls = upstreams.lock().unwrap().clone();
    let mut keys = Vec::new();
    for url in urls {
        let jwks: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        keys.extend(jwks["keys"].as_array().cloned().unwrap_or_default());
    }
    Json(json!({ "keys": keys }))
}

#[tokio::test]
async fn a_valid_token_gives_who_is_calling_with_keys_from_discovery() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let verifier = verifier(AuthConfig::new(idp.issuer(), &idp.config().audience));
    let identity = verifier.verify(&idp.token_for("alice", "Alice Customer", &roles(&["customer", "driver"]))).await?;
    assert_eq!((identity.user_id.as_str(), identity.name.as_str()), ("alice", "Alice Customer"));
    assert_eq!(identity.email.as_deref(), Some("alice@eats.example"));
    assert_eq!(identity.roles, ["customer", "driver"]);
    let left = identity.expires_at.duration_since(SystemTime::now())?;
    assert!(left > Duration::from_secs(200) && left <= Duration::from_secs(300), "{left:?}");

    let mut nameless = alice(&idp);
    nameless.name = String::new();
    assert_eq!(verifier.verify(&idp.mint(&nameless)).await?.name, "alice", "no name: the subject");

    let mut config = AuthConfig::new(idp.issuer(), &idp.config().audience);
    config.roles_claim = "scope".parse()?;
    let by_scope = self::verifier(config).verify(&idp.mint(&alice(&idp))).await?;
    assert_eq!(by_scope.roles, ["openid profile email"], "the configured claim, one string one value");
    Ok(())
}

#[tokio::test]
async fn time_claims_are_checked_with_leeway() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let verifier = verifier(AuthConfig::new(idp.issuer(), &idp.config().audience));
    let with = |change: &dyn Fn(&mut AccessClaims)| {
        let mut claims = alice(&idp);
        change(&mut claims);
        idp.mint(&claims)
    };
    assert!(verifier.verify(&with(&|c| c.exp = now() - 10)).await.is_ok(), "within the leeway");
    assert_eq!(verifier.verify(&with(&|c| c.exp = now() - 120)).await, Err(AuthError::Expired));
    assert!(verifier.verify(&with(&|c| c.nbf = now() + 10)).await.is_ok(), "within the leeway");
    assert_eq!(verifier.verify(&with(&|c| c.nbf = now() + 120)).await, Err(AuthError::NotYetValid));
    // `nbf` is required (the dev provider's ID and refresh tokens, signed by the same key,
    // have none: a second reason, after `aud`, why they never pass as access tokens).
    let mut claims = serde_json::to_value(alice(&idp))?;
    claims.as_object_mut().context("an object")?.remove("nbf");
    let token = forge(&rs256(idp.key_id()), &claims, &private_key_of(&dir)?);
    assert_eq!(verifier.verify(&token).await.map_err(|e| e.reason()), Err("malformed"));
    Ok(())
}

#[tokio::test]
async fn issuer_and_audience_must_match() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let verifier = verifier(AuthConfig::new(idp.issuer(), &idp.config().audience));
    let mut claims = alice(&idp);
    claims.iss = format!("{}/", idp.issuer());
    assert_eq!(verifier.verify(&idp.mint(&claims)).await, Err(AuthError::Issuer), "exactly, not roughly");
    let mut claims = alice(&idp);
    claims.aud = "another-api".into();
    assert_eq!(verifier.verify(&idp.mint(&claims)).await, Err(AuthError::Audience));
    // An array `iss` that contains the issuer is still not the issuer.
    let mut claims = serde_json::to_value(alice(&idp))?;
    claims["iss"] = json!([idp.issuer()]);
    let token = forge(&rs256(idp.key_id()), &claims, &private_key_of(&dir)?);
    assert_eq!(verifier.verify(&token).await, Err(AuthError::Issuer));
    // `aud` may be a list; ours must be in it.
    let mut claims = serde_json::to_value(alice(&idp))?;
    claims["aud"] = json!(["another-api", idp.config().audience]);
    let token = forge(&rs256(idp.key_id()), &claims, &private_key_of(&dir)?);
    assert!(verifier.verify(&token).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn forged_signatures_and_algorithms_are_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let verifier = verifier(AuthConfig::new(idp.issuer(), &idp.config().audience));
    let kid = idp.key_id();
    let genuine = idp.mint(&alice(&idp));
    assert!(verifier.verify(&genuine).await.is_ok());

    // The payload changed after signing (Alice makes herself a restaurant).
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1])?)?;
    payload["roles"] = json!(["restaurant"]);
    let altered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload)?), parts[2]);
    assert_eq!(verifier.verify(&altered).await, Err(AuthError::Signature));

    // Signed by another RSA key under the real key's id.
    let other_dir = tempfile::tempdir()?;
    drop(self::idp(&other_dir).await?);
    let impostor = forge(&rs256(kid), &alice(&idp), &private_key_of(&other_dir)?);
    assert_eq!(verifier.verify(&impostor).await, Err(AuthError::Signature));

    // `alg: none`, no signature.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT", "kid": kid }).to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&alice(&idp))?)
    );
    assert_eq!(verifier.verify(&none).await.map_err(|e| e.reason()), Err("algorithm"));

    // HS256 with the provider's public key as the HMAC secret (key confusion).
    let hs256 = Header { kid: Some(kid.to_string()), ..Header::new(Algorithm::HS256) };
    let confused = forge(&hs256, &alice(&idp), &EncodingKey::from_secret(idp.public_key_pem().as_bytes()));
    assert_eq!(verifier.verify(&confused).await.map_err(|e| e.reason()), Err("algorithm"));
    // Even when a configuration also accepts another asymmetric family, the key decides.
    let mut config = AuthConfig::new(idp.issuer(), &idp.config().audience);
    config.algorithms = vec![Algorithm::RS256, Algorithm::ES256];
    let es256 = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(json!({ "alg": "ES256", "kid": kid }).to_string()), parts[1], parts[2]);
    assert_eq!(self::verifier(config).verify(&es256).await.map_err(|e| e.reason()), Err("algorithm"));

    // No `kid`: no key can be chosen.
    let no_kid = forge(&Header::new(Algorithm::RS256), &alice(&idp), &private_key_of(&dir)?);
    assert_eq!(verifier.verify(&no_kid).await, Err(AuthError::UnknownKey { kid: None }));

    for (token, reason) in [("", "missing"), ("  ", "missing"), ("abc", "malformed"), ("a.b.c", "malformed"), ("e30.e30.", "malformed")] {
        assert_eq!(verifier.verify(token).await.map_err(|e| e.reason()), Err(reason), "{token:?}");
    }
    Ok(())
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_per_interval() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let proxy = JwksProxy::start(&[&idp]).await?;
    let mut config = AuthConfig::new(idp.issuer(), &idp.config().audience);
    config.jwks_url = Some(proxy.url.clone());
    config.min_refetch_interval = Duration::from_secs(3600);
    let verifier = Arc::new(verifier(config));

    // Concurrent first requests share one fetch.
    let token = idp.token_for("alice", "Alice", &[]);
    let checks: Vec<_> = (0..16)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for check in checks {
        check.await??;
    }
    assert_eq!(proxy.fetches(), 1);

    // A made-up kid, signed by the real key, cannot make us hammer the provider.
    let nope = forge(&rs256("nope"), &alice(&idp), &private_key_of(&dir)?);
    for _ in 0..5 {
        assert_eq!(verifier.verify(&nope).await, Err(AuthError::UnknownKey { kid: Some("nope".into()) }));
    }
    assert_eq!(proxy.fetches(), 1, "the last fetch was less than the interval ago");
    assert!(verifier.verify(&token).await.is_ok(), "known keys keep working");
    Ok(())
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_refetching() -> anyhow::Result<()> {
    let (dir, new_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (idp, rotated) = (idp(&dir).await?, idp(&new_dir).await?);
    let proxy = JwksProxy::start(&[&idp]).await?;
    let mut config = AuthConfig::new(idp.issuer(), &idp.config().audience);
    config.jwks_url = Some(proxy.url.clone());
    config.min_refetch_interval = Duration::ZERO;
    let verifier = verifier(config);
    assert!(verifier.verify(&idp.mint(&alice(&idp))).await.is_ok());

    // The provider starts signing with a new key before publishing it...
    let signed_with_new_key = rotated.mint(&alice(&idp));
    assert_eq!(verifier.verify(&signed_with_new_key).await.map_err(|e| e.reason()), Err("unknown-key"));
    // ...then publishes it.
    proxy.add(&rotated);
    assert_eq!(verifier.verify(&signed_with_new_key).await?.user_id, "alice");
    assert_eq!(proxy.fetches(), 3);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_provider_is_jwks_unavailable_not_a_bad_token() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let idp = idp(&dir).await?;
    let token = idp.token_for("alice", "Alice", &[]);
    let issuer = idp.issuer().to_string();
    idp.stop().await;
    let verifier = verifier(AuthConfig::new(issuer, tessera_dev_idp::DEFAULT_AUDIENCE));
    for _ in 0..2 {
        let error = verifier.verify(&token).await.expect_err("no keys to check with");
        assert_eq!(error.reason(), "jwks-unavailable", "{error}");
    }
    Ok(())
}
