//! The provider's RSA signing key: generated once, kept in the data directory.
//!
//! Persisting the key matters more than it seems: refresh tokens are self-contained JWTs and
//! the host caches the JWKS, so a key that changed on every start would sign everybody out
//! whenever `cargo xtask dev` restarts.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

const KEY_BITS: usize = 2048;

/// Where the key of a data directory lives.
pub(crate) fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("dev-idp").join("signing-key.pem")
}

/// The private key in the two shapes `jsonwebtoken` wants, and the public parts the JWKS shows.
pub(crate) struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    public_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads `<data_dir>/dev-idp/signing-key.pem`, or generates and stores a new key when there
    /// is none. Blocking (generation takes a moment): call it off the async workers.
    pub(crate) fn load_or_generate(data_dir: &Path) -> anyhow::Result<Self> {
        let path = key_path(data_dir);
        if path.exists() {
            return Self::load(&path);
        }
        let dir = path.parent().context("the key path has a parent")?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let private = RsaPrivateKey::new(&mut OsRng, KEY_BITS).context("generating the signing key")?;
        let pem = private.to_pkcs8_pem(LineEnding::LF).context("encoding the signing key")?;

        // Write to a private temporary file, then link it into place: a crash never leaves a
        // half-written key, and when two processes race, both end up using the one that won.
        let tmp = dir.join(format!("signing-key.pem.{}.tmp", std::process::id()));
        write_private(&tmp, pem.as_bytes()).with_context(|| format!("writing {}", tmp.display()))?;
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                tracing::info!(path = %path.display(), "generated a new signing key");
                Self::from_private(&private)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Self::load(&path),
            Err(err) => Err(err).with_context(|| format!("storing {}", path.display())),
        }
    }

    fn load(path: &Path) -> anyhow::Result<Self> {
        let pem = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let private = RsaPrivateKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("{} is not a PKCS#8 PEM RSA private key", path.display()))?;
        anyhow::ensure!(private.size() * 8 >= KEY_BITS, "{} holds an RSA key shorter than {KEY_BITS} bits", path.display());
        Self::from_private(&private)
    }

    fn from_private(private: &RsaPrivateKey) -> anyhow::Result<Self> {
        let public = RsaPublicKey::from(private);
        let der = public.to_public_key_der().context("encoding the public key")?;
        let kid = hex(&Sha256::digest(der.as_bytes())[..8]);
        let public_pem = public.to_public_key_pem(LineEnding::LF).context("encoding the public key")?;
        let pkcs1 = private.to_pkcs1_der().context("encoding the signing key")?;
        let modulus = public.n().to_bytes_be();
        let exponent = public.e().to_bytes_be();
        Ok(Self {
            kid,
            encoding: EncodingKey::from_rsa_der(pkcs1.as_bytes()),
            decoding: DecodingKey::from_rsa_raw_components(&modulus, &exponent),
            modulus,
            exponent,
            public_pem,
        })
    }

    /// First 16 hex digits of the SHA-256 of the DER public key: stable for a key, new for a new one.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// SPKI PEM of the public key.
    pub(crate) fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid` and the given `typ` header.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T, typ: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_string());
        // The claims are this crate's plain structs and the key was checked when loaded, so
        // neither serialising nor signing has a way to fail.
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing with a loaded RSA key")
    }

    /// Verifies an RS256 JWT signed by this key (no other algorithm: no key confusion).
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str, validation: &Validation) -> jsonwebtoken::errors::Result<T> {
        debug_assert_eq!(validation.algorithms, [Algorithm::RS256]);
        jsonwebtoken::decode::<T>(token, &self.decoding, validation).map(|data| data.claims)
    }

    /// The key as a JWK (RFC 7517) for `/jwks`.
    pub(crate) fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.modulus),
            "e": URL_SAFE_NO_PAD.encode(&self.exponent),
        })
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A validation for RS256 tokens of this issuer that must carry `exp`, `iss` and `aud`.
pub(crate) fn validation(issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // The provider checks its own tokens on its own clock: no skew to allow for.
    validation.leeway = 0;
    validation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_generated_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKey::load_or_generate(dir.path()).unwrap();
        let second = SigningKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.kid(), second.kid());
        assert_eq!(first.kid().len(), 16);
        let pem = fs::read_to_string(key_path(dir.path())).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(key_path(dir.path())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_corrupt_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("dev-idp")).unwrap();
        fs::write(key_path(dir.path()), "not a key").unwrap();
        let err = SigningKey::load_or_generate(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("not a PKCS#8 PEM RSA private key"), "{err:#}");
    }
}
