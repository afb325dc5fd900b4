//! Why a token was refused, and why a configuration was.

use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::ErrorKind;

/// Why a token was refused. The messages are safe to show to the caller; [`AuthError::reason`]
/// is the stable word for logs and metrics labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token's algorithm is not accepted: {0}")]
    Algorithm(String),
    /// The token names a key the provider does not list (or names none).
    #[error("the token is signed with an unknown key{}", kid.as_deref().map(|k| format!(" `{k}`")).unwrap_or_else(|| " (no `kid`)".into()))]
    UnknownKey { kid: Option<String> },
    #[error("the token's signature is not valid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is from another issuer")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
    /// The provider's keys could not be fetched: the token may be fine, it cannot be checked.
    #[error("the identity provider's keys are unavailable: {0}")]
    JwksUnavailable(String),
}

impl AuthError {
    /// A stable, lowercase word for logs and metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed(_) => "malformed",
            Self::Algorithm(_) => "algorithm",
            Self::UnknownKey { .. } => "unknown-key",
            Self::Signature => "signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::JwksUnavailable(_) => "jwks-unavailable",
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidSignature => Self::Signature,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidIssuer => Self::Issuer,
            ErrorKind::InvalidAudience => Self::Audience,
            ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => Self::Issuer,
            ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => Self::Audience,
            ErrorKind::MissingRequiredClaim(claim) => Self::Malformed(format!("the `{claim}` claim is missing")),
            ErrorKind::InvalidClaimFormat(claim) => Self::Malformed(format!("the `{claim}` claim is not a number")),
            ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::MissingAlgorithm => {
                Self::Algorithm(error.to_string())
            }
            // A key the provider published that the crypto backend cannot use: the signature
            // cannot be valid with it.
            ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidKeyFormat | ErrorKind::Provider(_) => {
                Self::Signature
            }
            _ => Self::Malformed(error.to_string()),
        }
    }
}

/// A verifier configuration that cannot be safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the issuer must not be empty")]
    NoIssuer,
    #[error("the audience must not be empty")]
    NoAudience,
    #[error("at least one signing algorithm must be accepted")]
    NoAlgorithm,
    /// An HMAC algorithm would let anyone holding the shared secret (or, with a confused
    /// verifier, the provider's public key) mint tokens.
    #[error("{0:?} is symmetric; only asymmetric algorithms (RS*, PS*, ES*, EdDSA) can be verified with public keys")]
    Symmetric(Algorithm),
}
