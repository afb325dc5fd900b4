//! Authorization codes: random, single-use, short-lived, and only in memory.
//!
//! Losing them on restart costs nothing: a code lives for a minute, between the sign-in
//! click and the relying party's token request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::tokens::random_token;
use crate::users::DemoUser;

/// How long a code can be exchanged (RFC 6749 §4.1.2 recommends at most ten minutes).
const CODE_TTL: Duration = Duration::from_secs(60);

/// What the authorization request decided, kept until the token request redeems the code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) user: &'static DemoUser,
    pub(crate) nonce: Option<String>,
    pub(crate) scope: String,
    pub(crate) code_challenge: String,
    /// When the user signed in (seconds since the epoch), for the ID token's `auth_time`.
    pub(crate) auth_time: i64,
}

#[derive(Default)]
pub(crate) struct CodeStore {
    codes: Mutex<HashMap<String, (AuthorizationCode, Instant)>>,
}

impl std::fmt::Debug for CodeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self.codes.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("CodeStore").field("pending", &pending).finish()
    }
}

impl CodeStore {
    /// Stores `grant` under a new random 256-bit code and returns the code.
    pub(crate) fn issue(&self, grant: AuthorizationCode, now: Instant) -> String {
        let code = random_token(32);
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        // Abandoned sign-ins leave codes behind; sweeping on insert keeps the map small.
        codes.retain(|_, (_, expires)| *expires > now);
        codes.insert(code.clone(), (grant, now + CODE_TTL));
        code
    }

    /// Takes the code out (it can be redeemed once, even by a request that then fails) and
    /// returns its grant unless it has expired.
    pub(crate) fn redeem(&self, code: &str, now: Instant) -> Option<AuthorizationCode> {
        let (grant, expires) = self.codes.lock().unwrap_or_else(PoisonError::into_inner).remove(code)?;
        (now < expires).then_some(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::DEMO_USERS;

    fn grant() -> AuthorizationCode {
        AuthorizationCode {
            client_id: "tessera".into(),
            redirect_uri: "http://127.0.0.1:8080/cb".into(),
            user: &DEMO_USERS[0],
            nonce: Some("n".into()),
            scope: "openid".into(),
            code_challenge: "c".into(),
            auth_time: 0,
        }
    }

    #[test]
    fn a_code_is_redeemed_once() {
        let store = CodeStore::default();
        let now = Instant::now();
        let code = store.issue(grant(), now);
        assert_eq!(code.len(), 43, "256 bits, base64url without padding");
        assert!(store.redeem(&code, now).is_some());
        assert!(store.redeem(&code, now).is_none());
    }

    #[test]
    fn an_expired_code_is_refused_and_swept() {
        let store = CodeStore::default();
        let now = Instant::now();
        let code = store.issue(grant(), now);
        assert!(store.redeem(&code, now + CODE_TTL).is_none());
        store.issue(grant(), now);
        store.issue(grant(), now + CODE_TTL + Duration::from_secs(1));
        assert_eq!(store.codes.lock().unwrap().len(), 1);
    }
}
