//! Verification of OpenID Connect access tokens, for any standards-compliant provider: every
//! BFF checks the bearer token the host forwards (signature against the provider's JWKS,
//! `iss`, `aud`, `exp`, `nbf`) and learns the caller from it; the host uses [`ClaimPath`] to
//! find the roles in its tokens.
//!
//! ```no_run
//! # async fn example(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use tessera_auth::{AuthConfig, Verifier};
//!
//! let mut config = AuthConfig::new("https://idp.example", "tessera-api");
//! config.roles_claim = "realm_access.roles".parse()?;
//! let verifier = Verifier::new(config, reqwest::Client::new())?;
//! let identity = verifier.verify(token).await?;
//! println!("{} ({:?})", identity.user_id, identity.roles);
//! # Ok(()) }
//! ```
//!
//! Layout: `verifier.rs` (configuration, the key cache, the checks), `claim_path.rs`,
//! `error.rs` (why a token or a configuration was refused). Tests against the dev identity
//! provider are in `tests/`.

mod claim_path;
mod error;
mod verifier;

pub use claim_path::{ClaimPath, InvalidClaimPath};
pub use error::{AuthError, ConfigError};
/// The signing algorithms, for [`AuthConfig::algorithms`].
pub use jsonwebtoken::Algorithm;
pub use verifier::{AuthConfig, Identity, Verifier};
