//! Who is calling: the [`Caller`] extractor every BFF handler takes.
//!
//! Today the host vouches for the caller in development headers it sets itself on every
//! proxied request (and strips from what browsers send): `X-Tessera-User`,
//! `X-Tessera-Name` and `X-Tessera-Roles` (comma-separated). BFFs listen on loopback only.
//! Sign-in via OpenID Connect replaces how the extractor learns the caller (a verified bearer
//! token); handlers only ever see a `Caller`, so their business code does not change.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::error::ApiError;

pub const USER_HEADER: &str = "x-tessera-user";
pub const NAME_HEADER: &str = "x-tessera-name";
pub const ROLES_HEADER: &str = "x-tessera-roles";

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub name: String,
    pub roles: Vec<String>,
}

impl Caller {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Route-level role assertion: 403 unless the caller holds `role`.
    pub fn require(&self, role: &str) -> Result<(), ApiError> {
        if self.has_role(role) { Ok(()) } else { Err(ApiError::Forbidden(format!("this needs the `{role}` role"))) }
    }

    fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
        let user_id = text(USER_HEADER)?.to_string();
        let name = text(NAME_HEADER).unwrap_or(&user_id).to_string();
        let roles = text(ROLES_HEADER).map(|r| r.split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect()).unwrap_or_default();
        Some(Self { user_id, name, roles })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_headers(&parts.headers).ok_or(ApiError::Unauthorized)
    }
}

/// The caller when there is one (public routes that personalise when signed in).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Caller::from_headers(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_comes_from_the_identity_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(Caller::from_headers(&headers), None);
        headers.insert(USER_HEADER, "alice".parse().unwrap());
        headers.insert(ROLES_HEADER, "customer, driver".parse().unwrap());
        let caller = Caller::from_headers(&headers).unwrap();
        assert_eq!(caller.name, "alice");
        assert!(caller.has_role("driver"));
        assert!(caller.require("restaurant").is_err());
    }
}
