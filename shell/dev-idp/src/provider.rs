//! The state every endpoint shares.

use std::sync::Arc;

use crate::codes::CodeStore;
use crate::config::DevIdpConfig;
use crate::keys::SigningKey;

/// One running provider: who it is, its key and its pending authorization codes.
#[derive(Debug)]
pub(crate) struct Provider {
    /// `http://127.0.0.1:<port>`, exactly as in the discovery document and every token's `iss`.
    pub(crate) issuer: String,
    pub(crate) config: DevIdpConfig,
    pub(crate) key: SigningKey,
    pub(crate) codes: CodeStore,
}

pub(crate) type AppState = Arc<Provider>;

impl Provider {
    /// An absolute URL of one of the provider's endpoints.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
