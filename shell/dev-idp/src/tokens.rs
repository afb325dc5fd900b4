//! The three tokens the provider issues, all RS256 JWTs signed with its one key.
//!
//! - **Access token** ([`AccessClaims`], header `typ: at+jwt` as in RFC 9068): what the host
//!   sends to the BFFs, which verify it against `/jwks` and read `roles`.
//! - **ID token** (OpenID Connect Core §2): tells the host who signed in; carries the
//!   authorization request's `nonce`.
//! - **Refresh token**: self-contained (`typ` claim `refresh`, 30 days), so it survives a
//!   restart of the provider, which keeps no sessions. Nothing can revoke it; a real
//!   provider would keep refresh tokens server-side.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys;
use crate::provider::Provider;
use crate::users::DemoUser;

const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const REFRESH_TYP: &str = "refresh";

/// Claims of an access token; used by `mint` (tests craft expired / foreign tokens with it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub scope: String,
    pub client_id: String,
    pub jti: String,
}

/// Claims of an ID token.
#[derive(Debug, Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    /// Binds the ID token to the access token issued with it (OpenID Connect Core §3.1.3.6).
    at_hash: String,
    name: &'a str,
    email: &'a str,
    email_verified: bool,
    preferred_username: &'a str,
    roles: &'a [&'a str],
}

/// Claims of a refresh token. `auth_time` is carried along so refreshed ID tokens keep the
/// time the user actually signed in.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RefreshClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: String,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) typ: String,
    pub(crate) jti: String,
    pub(crate) scope: String,
    pub(crate) auth_time: i64,
}

/// Who got what: the input of one token response.
#[derive(Debug)]
pub(crate) struct Grant<'a> {
    pub(crate) user: &'static DemoUser,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a str,
    /// The authorization request's nonce; `None` on refresh (OpenID Connect Core §12.2).
    pub(crate) nonce: Option<&'a str>,
    pub(crate) auth_time: i64,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    id_token: String,
    scope: String,
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// `bytes` random bytes from the thread's CSPRNG, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::fill(buffer.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buffer)
}

/// BASE64URL(SHA-256(text)): PKCE's S256 transform (RFC 7636 §4.2).
pub(crate) fn s256(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

impl Provider {
    /// Access token claims for a user, valid from now for the configured lifetime.
    pub(crate) fn access_claims(&self, user_id: &str, name: &str, roles: &[String], scope: &str, client_id: &str) -> AccessClaims {
        let now = now();
        AccessClaims {
            iss: self.issuer.clone(),
            sub: user_id.to_string(),
            aud: self.config.audience.clone(),
            exp: now.saturating_add(seconds(self.config.access_token_ttl)),
            iat: now,
            nbf: now,
            name: name.to_string(),
            email: format!("{user_id}@eats.example"),
            roles: roles.to_vec(),
            scope: scope.to_string(),
            client_id: client_id.to_string(),
            jti: random_token(16),
        }
    }

    pub(crate) fn mint_access(&self, claims: &AccessClaims) -> String {
        self.key.sign(claims, "at+jwt")
    }

    /// Access, ID and refresh token for one grant.
    pub(crate) fn issue(&self, grant: &Grant<'_>) -> TokenResponse {
        let user = grant.user;
        let mut access = self.access_claims(user.id, user.name, &user.role_list(), grant.scope, grant.client_id);
        access.email = user.email.to_string();
        let access_token = self.mint_access(&access);

        let id = IdClaims {
            iss: &self.issuer,
            sub: user.id,
            aud: grant.client_id,
            exp: access.exp,
            iat: access.iat,
            auth_time: grant.auth_time,
            nonce: grant.nonce,
            at_hash: at_hash(&access_token),
            name: user.name,
            email: user.email,
            email_verified: true,
            preferred_username: user.id,
            roles: user.roles,
        };
        let refresh = RefreshClaims {
            iss: self.issuer.clone(),
            sub: user.id.to_string(),
            aud: grant.client_id.to_string(),
            exp: access.iat.saturating_add(seconds(REFRESH_TOKEN_TTL)),
            iat: access.iat,
            typ: REFRESH_TYP.to_string(),
            jti: random_token(16),
            scope: grant.scope.to_string(),
            auth_time: grant.auth_time,
        };
        TokenResponse {
            id_token: self.key.sign(&id, "JWT"),
            refresh_token: self.key.sign(&refresh, "JWT"),
            access_token,
            token_type: "Bearer",
            expires_in: self.config.access_token_ttl.as_secs(),
            scope: grant.scope.to_string(),
        }
    }

    /// An access token of this provider, for this provider's audience, still valid.
    pub(crate) fn verify_access(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = keys::validation(&self.issuer, &self.config.audience);
        validation.validate_nbf = true;
        self.key.verify(token, &validation).ok()
    }

    /// A refresh token this provider issued to `client_id`, still valid.
    pub(crate) fn verify_refresh(&self, token: &str, client_id: &str) -> Option<RefreshClaims> {
        let claims: RefreshClaims = self.key.verify(token, &keys::validation(&self.issuer, client_id)).ok()?;
        (claims.typ == REFRESH_TYP).then_some(claims)
    }
}

/// The left half of the access token's SHA-256, base64url (OpenID Connect Core §3.1.3.6).
fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_transform_matches_rfc_7636_appendix_b() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn random_tokens_differ() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(random_token(16).len(), 22);
    }
}
