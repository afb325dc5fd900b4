//! The host as an OpenID Connect relying party (`openidconnect`): discovery, the authorization
//! code flow with PKCE, `state` and `nonce`, ID-token validation, refresh, and RP-initiated
//! logout. Nothing here knows which provider it talks to: everything comes from discovery
//! and [`OidcConfig`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreTokenResponse};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use tessera_auth::ClaimPath;
use tokio::sync::RwLock;

use super::sessions::{Tokens, User, now};
use crate::Secret;

/// How the host signs people in: any standards-compliant provider, by configuration.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    /// Where the user's roles are in the ID token (or, failing that, a JWT access token).
    pub roles_claim: ClaimPath,
    /// The browser-facing origin of the host, e.g. `https://eats.example` (no trailing slash).
    pub public_url: String,
}

/// What the provider told us at discovery; looked up again when stale or when a token is
/// signed with a key it did not list then (key rotation).
type Metadata = ProviderMetadataWithLogout;

/// The client as discovery configures it (authorization and token endpoints set, the
/// user-info endpoint when the provider lists one).
type Client = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

const METADATA_MAX_AGE: Duration = Duration::from_secs(3600);

/// A sign-in being started: where to send the browser and what the callback must check.
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Debug)]
pub struct Provider {
    config: OidcConfig,
    http: reqwest::Client,
    metadata: RwLock<Option<(Arc<Metadata>, Instant)>>,
}

impl Provider {
    pub fn new(config: OidcConfig) -> anyhow::Result<Self> {
        // Redirects are not followed: an OIDC client must not be led elsewhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the OIDC HTTP client")?;
        Ok(Self { config, http, metadata: RwLock::new(None) })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    fn redirect_url(&self) -> String {
        format!("{}/auth/callback", self.config.public_url)
    }

    async fn metadata(&self, fresh: bool) -> anyhow::Result<Arc<Metadata>> {
        if !fresh
            && let Some((metadata, at)) = &*self.metadata.read().await
            && at.elapsed() < METADATA_MAX_AGE
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).context("OIDC_ISSUER is not a URL")?;
        let metadata = Arc::new(
            Metadata::discover_async(issuer, &self.http)
                .await
                .with_context(|| format!("discovering the identity provider at {}", self.config.issuer))?,
        );
        *self.metadata.write().await = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    fn client(&self, metadata: &Metadata) -> anyhow::Result<Client> {
        let secret = self.config.client_secret.as_ref().map(|s| ClientSecret::new(s.expose().to_string()));
        Ok(CoreClient::from_provider_metadata(metadata.clone(), ClientId::new(self.config.client_id.clone()), secret)
            .set_redirect_uri(RedirectUrl::new(self.redirect_url())?))
    }

    /// Starts a sign-in: the provider's authorization URL with a fresh state, nonce and PKCE
    /// challenge (S256).
    pub async fn authorize(&self) -> anyhow::Result<Authorization> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier) and validates the ID
    /// token (signature, issuer, audience, expiry, nonce).
    pub async fn exchange(&self, code: &str, pkce_verifier: &str, nonce: &str) -> anyhow::Result<(User, Tokens)> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let request = client.exchange_code(AuthorizationCode::new(code.to_string()))?;
        let response = request
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| anyhow!("the provider refused the authorization code: {e}"))?;
        let id_token = response.id_token().context("the provider sent no ID token")?.clone();
        let nonce = Nonce::new(nonce.to_string());
        let user = match self.user_of(&client, &id_token, &response, |n: Option<&Nonce>| check_nonce(n, Some(&nonce))) {
            Ok(user) => user,
            // The provider may have rotated its keys since discovery: look again, once.
            Err(_) => {
                let metadata = self.metadata(true).await?;
                self.user_of(&self.client(&metadata)?, &id_token, &response, |n: Option<&Nonce>| check_nonce(n, Some(&nonce)))?
            }
        };
        Ok((user, tokens_of(&response, None)))
    }

    /// Renews a session's tokens with its refresh token.
    pub async fn refresh(&self, refresh_token: &str, current: &User) -> anyhow::Result<(User, Tokens)> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let token = RefreshToken::new(refresh_token.to_string());
        let response = client
            .exchange_refresh_token(&token)?
            .request_async(&self.http)
            .await
            .map_err(|e| anyhow!("the provider refused the refresh token: {e}"))?;
        let user = match response.id_token() {
            // A refreshed ID token carries no nonce; it must still be valid and the same user.
            Some(id_token) => {
                let user = self.user_of(&client, id_token, &response, |n: Option<&Nonce>| check_nonce(n, None))?;
                if user.id != current.id {
                    return Err(anyhow!("the refreshed ID token names another user"));
                }
                user
            }
            None => current.clone(),
        };
        Ok((user, tokens_of(&response, Some(refresh_token))))
    }

    fn user_of(
        &self,
        client: &Client,
        id_token: &CoreIdToken,
        response: &CoreTokenResponse,
        nonce: impl FnOnce(Option<&Nonce>) -> Result<(), String>,
    ) -> anyhow::Result<User> {
        let claims = id_token.claims(&client.id_token_verifier(), nonce).map_err(|e| anyhow!("the ID token is not valid: {e}"))?;
        let id = claims.subject().as_str().to_string();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|n| n.as_str().to_string()))
            .unwrap_or_else(|| id.clone());
        let email = claims.email().map(|e| e.as_str().to_string());
        // Roles are not a standard claim: read the configured path from the (now verified) ID
        // token, and from the access token when it is a JWT (Keycloak puts them there).
        let mut roles = self.config.roles_claim.strings(&jwt_payload(&id_token.to_string()).unwrap_or_default());
        for role in self.config.roles_claim.strings(&jwt_payload(response.access_token().secret()).unwrap_or_default()) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(User { id, name, email, roles })
    }

    /// Where to send the browser to end the provider's session too (RP-initiated logout),
    /// when the provider has an end-session endpoint.
    pub async fn end_session_url(&self, id_token: Option<&str>) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut request = openidconnect::LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.config.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(format!("{}/", self.config.public_url)).ok()?);
        if let Some(token) = id_token.and_then(|t| t.parse::<CoreIdToken>().ok()) {
            request = request.set_id_token_hint(&token);
        }
        Some(request.http_get_url().to_string())
    }
}

fn check_nonce(found: Option<&Nonce>, expected: Option<&Nonce>) -> Result<(), String> {
    match (found, expected) {
        (Some(found), Some(expected)) if found.secret() == expected.secret() => Ok(()),
        (_, Some(_)) => Err("the nonce does not match this sign-in".into()),
        (_, None) => Ok(()),
    }
}

fn tokens_of(response: &CoreTokenResponse, previous_refresh: Option<&str>) -> Tokens {
    // Without `expires_in`, assume a short life: the proxy refreshes early rather than late.
    let lifetime = response.expires_in().map_or(300, |d| d.as_secs() as i64);
    Tokens {
        access_token: response.access_token().secret().clone(),
        access_expires_at: now() + lifetime,
        // Providers that do not rotate refresh tokens send none on refresh: keep the old one.
        refresh_token: response.refresh_token().map(|t| t.secret().clone()).or_else(|| previous_refresh.map(str::to_string)),
        id_token: response.id_token().map(|t| t.to_string()),
    }
}

/// The claims of a JWT, without checking it: only for tokens already verified, or received
/// directly from the provider's token endpoint.
fn jwt_payload(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let mut parts = token.split('.');
    let payload = parts.nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_expected_nonce_passes() {
        let expected = Nonce::new("n1".into());
        assert!(check_nonce(Some(&Nonce::new("n1".into())), Some(&expected)).is_ok());
        assert!(check_nonce(Some(&Nonce::new("n2".into())), Some(&expected)).is_err());
        assert!(check_nonce(None, Some(&expected)).is_err());
        assert!(check_nonce(None, None).is_ok());
    }

    #[test]
    fn payloads_of_non_jwts_are_none() {
        assert!(jwt_payload("opaque-token").is_none());
        assert_eq!(jwt_payload("e30.eyJhIjoxfQ.sig").unwrap()["a"], 1);
    }
}
