//! The [`Verifier`]: checks an access token against the provider's published keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::{AuthError, ClaimPath, ConfigError};

/// How tokens are checked. [`AuthConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Compared exactly with `iss`; discovery lives at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Must be one of the token's `aud` values.
    pub audience: String,
    /// Where the roles are in the token.
    pub roles_claim: ClaimPath,
    /// The provider's JWKS; when `None`, the `jwks_uri` of the discovery document.
    pub jwks_url: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// The `alg`s accepted; asymmetric only.
    pub algorithms: Vec<Algorithm>,
    /// A token naming an unknown `kid` refetches the keys (the provider may have rotated), but
    /// at most this often, so that made-up `kid`s cannot make us hammer the provider.
    pub min_refetch_interval: Duration,
}

impl AuthConfig {
    /// RS256 tokens of `issuer` for `audience`, roles in `roles`, keys from discovery, 30 s
    /// leeway, refetching keys at most every 30 s.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            roles_claim: ClaimPath::default(),
            jwks_url: None,
            leeway: Duration::from_secs(30),
            algorithms: vec![Algorithm::RS256],
            min_refetch_interval: Duration::from_secs(30),
        }
    }
}

/// Who a verified token says is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`.
    pub user_id: String,
    /// `name`, else `preferred_username`, else `sub`.
    pub name: String,
    pub email: Option<String>,
    /// From [`AuthConfig::roles_claim`].
    pub roles: Vec<String>,
    /// `exp`.
    pub expires_at: SystemTime,
}

/// Verifies access tokens. Keys are fetched on first use and cached; one `Verifier` is meant
/// to be shared by every request (the refetch rate limit lives in it).
#[derive(Debug)]
pub struct Verifier {
    config: AuthConfig,
    http: reqwest::Client,
    /// Read on every request; only replaced after a fetch.
    keys: RwLock<Arc<HashMap<String, Arc<Key>>>>,
    /// Held while fetching, so that concurrent misses wait for one fetch instead of each
    /// starting their own.
    refresh: tokio::sync::Mutex<Refresh>,
}

#[derive(Debug)]
struct Key {
    decoding: DecodingKey,
    family: AlgorithmFamily,
    /// The JWK's `alg`, when the provider pins one.
    alg: Option<Algorithm>,
}

#[derive(Debug, Default)]
struct Refresh {
    last_attempt: Option<Instant>,
    /// Why the last fetch failed, while that is still the latest news.
    last_error: Option<String>,
    /// From discovery, kept until a fetch from it fails.
    discovered_jwks_url: Option<String>,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<Value>,
}

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

impl Verifier {
    pub fn new(config: AuthConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        if config.issuer.trim().is_empty() {
            return Err(ConfigError::NoIssuer);
        }
        if config.audience.trim().is_empty() {
            return Err(ConfigError::NoAudience);
        }
        if config.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithm);
        }
        if let Some(&symmetric) = config.algorithms.iter().find(|a| a.family() == AlgorithmFamily::Hmac) {
            return Err(ConfigError::Symmetric(symmetric));
        }
        Ok(Self { config, http, keys: RwLock::default(), refresh: tokio::sync::Mutex::default() })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Checks `token` (the bearer token, without the scheme) and says who it is for.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let header = jose_header(token)?;
        // The header is the attacker's: its `alg` only selects among what we accept, and must
        // fit the key it names. That is what refuses `none` and an RSA public key used as an
        // HMAC secret.
        let alg: Algorithm = header.alg.parse().map_err(|_| AuthError::Algorithm(format!("`{}` is not supported", header.alg)))?;
        if !self.config.algorithms.contains(&alg) {
            return Err(AuthError::Algorithm(format!("`{}` is not accepted", header.alg)));
        }
        if header.crit.is_some() {
            return Err(AuthError::Malformed("critical header extensions are not supported".into()));
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey { kid: None })?;
        let key = self.key(&kid).await?;
        if key.family != alg.family() || key.alg.is_some_and(|pinned| pinned != alg) {
            return Err(AuthError::Algorithm(format!("key `{kid}` is not for `{}`", header.alg)));
        }
        let claims = jsonwebtoken::decode::<Value>(token, &key.decoding, &self.validation(alg))?.claims;
        // The library also accepts an array `iss` containing the issuer; OpenID says it is
        // one string, equal to the issuer.
        if claims.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(AuthError::Issuer);
        }
        self.identity(&claims)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway.as_secs();
        validation
    }

    fn identity(&self, claims: &Value) -> Result<Identity, AuthError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let user_id = text("sub").ok_or_else(|| AuthError::Malformed("the `sub` claim is empty".into()))?;
        let name = text("name").or_else(|| text("preferred_username")).unwrap_or_else(|| user_id.clone());
        // `exp` was validated as a number; a fraction is allowed by the JWT spec.
        let exp = claims.get("exp").and_then(|e| e.as_u64().or_else(|| e.as_f64().map(|f| f as u64))).unwrap_or_default();
        let expires_at = UNIX_EPOCH.checked_add(Duration::from_secs(exp)).ok_or_else(|| AuthError::Malformed("`exp` is out of range".into()))?;
        Ok(Identity { user_id, name, email: text("email"), roles: self.config.roles_claim.strings(claims), expires_at })
    }

    fn cached(&self, kid: &str) -> Option<Arc<Key>> {
        let keys = self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(kid).cloned()
    }

    /// The key named `kid`: from the cache, else after one (rate-limited) fetch.
    async fn key(&self, kid: &str) -> Result<Arc<Key>, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut refresh = self.refresh.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let due = refresh.last_attempt.is_none_or(|at| at.elapsed() >= self.config.min_refetch_interval);
        if due {
            refresh.last_attempt = Some(Instant::now());
            match self.fetch(&mut refresh).await {
                Ok(keys) => {
                    tracing::info!(issuer = %self.config.issuer, keys = keys.len(), "fetched the provider's signing keys");
                    *self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keys);
                    refresh.last_error = None;
                }
                Err(error) => {
                    tracing::warn!(issuer = %self.config.issuer, %error, "cannot fetch the provider's signing keys");
                    refresh.last_error = Some(error);
                }
            }
        }
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        match &refresh.last_error {
            Some(error) => Err(AuthError::JwksUnavailable(error.clone())),
            None => Err(AuthError::UnknownKey { kid: Some(kid.to_string()) }),
        }
    }

    async fn fetch(&self, refresh: &mut Refresh) -> Result<HashMap<String, Arc<Key>>, String> {
        let url = match (&self.config.jwks_url, &refresh.discovered_jwks_url) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                let url = self.discover().await?;
                refresh.discovered_jwks_url = Some(url.clone());
                url
            }
        };
        let jwks: Value = match self.get_json(&url).await {
            Ok(jwks) => jwks,
            Err(error) => {
                // The provider may have moved its keys: ask discovery again next time.
                refresh.discovered_jwks_url = None;
                return Err(error);
            }
        };
        let listed = jwks.get("keys").and_then(Value::as_array).ok_or_else(|| format!("{url} has no `keys` array"))?;
        Ok(listed.iter().filter_map(usable_key).collect())
    }

    async fn discover(&self) -> Result<String, String> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let document = self.get_json(&url).await?;
        // OpenID Connect Discovery §4.3: a document naming another issuer must not be used.
        let issuer = document.get("issuer").and_then(Value::as_str).unwrap_or_default();
        if issuer != self.config.issuer {
            return Err(format!("{url} names the issuer `{issuer}`, not `{}`", self.config.issuer));
        }
        document.get("jwks_uri").and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("{url} has no `jwks_uri`"))
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let response = self.http.get(url).timeout(FETCH_TIMEOUT).send().await.map_err(|e| format!("GET {url}: {e}"))?;
        let response = response.error_for_status().map_err(|e| format!("GET {url}: {e}"))?;
        response.json().await.map_err(|e| format!("GET {url}: {e}"))
    }
}

/// The first segment of a compact JWS, decoded. Parsed here rather than by the library so that
/// an unknown `alg` (like `none`) is told apart from a malformed token.
fn jose_header(token: &str) -> Result<JoseHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::Malformed("not three dot-separated parts".into()));
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::Malformed("the header is not base64url".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed("the header is not a JOSE header".into()))
}

/// A signature key from the JWKS, under its `kid`; anything else is skipped (encryption keys,
/// symmetric keys, keys without `kid`, shapes the library does not know).
fn usable_key(jwk: &Value) -> Option<(String, Arc<Key>)> {
    let jwk: Jwk = serde_json::from_value(jwk.clone()).ok()?;
    let kid = jwk.common.key_id.clone()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa,
        AlgorithmParameters::EllipticCurve(_) => AlgorithmFamily::Ec,
        AlgorithmParameters::OctetKeyPair(_) => AlgorithmFamily::Ed,
        _ => return None,
    };
    let alg = match jwk.common.key_algorithm {
        // A pinned `alg` that is not a signature algorithm we know (e.g. `RSA-OAEP`): not a signing key.
        Some(pinned) => Some(Algorithm::try_from(pinned).ok()?),
        None => None,
    };
    let decoding = DecodingKey::from_jwk(&jwk).ok()?;
    Some((kid, Arc::new(Key { decoding, family, alg })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn the_header_is_read_without_trusting_it() {
        let header = jose_header(&format!("{}.e30.", encode(r#"{"alg":"none"}"#))).unwrap();
        assert_eq!((header.alg.as_str(), header.kid), ("none", None));
        for bad in ["", "a.b", "a.b.c.d", "!!!.e30.sig", &format!("{}.e30.sig", encode("[1]"))] {
            assert!(matches!(jose_header(bad), Err(AuthError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn only_signature_keys_with_a_kid_are_kept() {
        let rsa = serde_json::json!({ "kty": "RSA", "kid": "a", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB" });
        assert!(usable_key(&rsa).is_some_and(|(kid, key)| kid == "a" && key.family == AlgorithmFamily::Rsa && key.alg == Some(Algorithm::RS256)));
        let mut no_kid = rsa.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut encryption = rsa.clone();
        encryption["use"] = "enc".into();
        let mut oaep = rsa.clone();
        oaep["alg"] = "RSA-OAEP".into();
        let symmetric = serde_json::json!({ "kty": "oct", "kid": "s", "k": "c2VjcmV0" });
        for skipped in [no_kid, encryption, oaep, symmetric, serde_json::json!({ "kid": "x" })] {
            assert!(usable_key(&skipped).is_none(), "{skipped}");
        }
    }

    #[test]
    fn symmetric_or_no_algorithms_are_refused_at_construction() {
        let http = reqwest::Client::new();
        let mut config = AuthConfig::new("https://idp.example", "tessera-api");
        assert!(Verifier::new(config.clone(), http.clone()).is_ok());
        config.algorithms = vec![Algorithm::RS256, Algorithm::HS256];
        assert_eq!(Verifier::new(config.clone(), http.clone()).unwrap_err(), ConfigError::Symmetric(Algorithm::HS256));
        config.algorithms.clear();
        assert_eq!(Verifier::new(config.clone(), http.clone()).unwrap_err(), ConfigError::NoAlgorithm);
        assert_eq!(Verifier::new(AuthConfig::new("", "tessera"), http).unwrap_err(), ConfigError::NoIssuer);
    }
}
