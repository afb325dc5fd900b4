//! The signed-in user, as the shell knows it (`window.tessera.session()`), and changes to it
//! (`mfe:session` window event); signing in is the host's page ([`sign_in_href`]).

use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::runtime;

/// Who is signed in. Tokens never reach the browser; this is what the host tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub signed_in: bool,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Session {
    pub fn has_role(&self, role: &str) -> bool {
        self.signed_in && self.roles.iter().any(|r| r == role)
    }
}

/// The current session (signed out when the shell has none).
pub fn session() -> Session {
    let value = runtime::call_runtime("session", &[]).unwrap_or(JsValue::NULL);
    if value.is_null() || value.is_undefined() {
        return Session::default();
    }
    serde_wasm_bindgen::from_value(value).unwrap_or_default()
}

/// The session as a signal that follows sign-in and sign-out.
pub fn use_session() -> RwSignal<Session> {
    let signal = RwSignal::new(session());
    runtime::use_window_event("mfe:session", move |_| signal.set(session()));
    signal
}

/// The host's sign-in page, coming back to `return_to` (a path on this site) afterwards.
///
/// Link to it with `data-external`: it is a full page load, not a micro-app route.
pub fn sign_in_href(return_to: &str) -> String {
    format!("/auth/login?returnTo={return_to}")
}
