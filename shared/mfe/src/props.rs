//! Props: what the shell tells an app instance about where and why it is mounted.

use std::collections::BTreeMap;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// The props every instance receives (JSON field names in `camelCase`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Props {
    /// The app's name from its manifest.
    pub name: String,
    /// Unique per mounted instance; `update(props)` finds its instance by it.
    pub instance_id: String,
    /// The app's base route (`/orders`), for building links.
    #[serde(default)]
    pub base_route: String,
    /// Base URL of the app's BFF through the host (`/api/orders`), when it has one.
    #[serde(default)]
    pub bff_url: Option<String>,
    /// The current location path.
    #[serde(default)]
    pub path: String,
    /// Parameters of the matched route (`:id` → `id`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Set when the instance is a parcel: which of the app's parcels to render.
    #[serde(default)]
    pub parcel: Option<String>,
}

impl Props {
    /// A route parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The URL of a BFF resource (`bff("/orders")` → `/api/orders/orders`).
    pub fn bff(&self, path: &str) -> String {
        format!("{}{path}", self.bff_url.as_deref().unwrap_or(""))
    }
}

/// What an instance provides to its component tree.
#[derive(Clone, Debug)]
pub(crate) struct InstanceContext {
    pub(crate) props: ArcRwSignal<Props>,
    /// The host app's parcel props, as given (any JSON-like value).
    pub(crate) parcel_props: SendWrapper<JsValue>,
}

/// The instance's props as a reactive signal (they change on `update`, e.g. a route param).
///
/// # Panics
/// Outside a component tree mounted by [`crate::export_app!`].
pub fn use_props() -> ArcRwSignal<Props> {
    expect_context::<InstanceContext>().props
}

/// The parcel props the host app passed, deserialized into `T`; `None` when absent or of
/// another shape.
pub fn parcel_props<T: DeserializeOwned>() -> Option<T> {
    let context = use_context::<InstanceContext>()?;
    serde_wasm_bindgen::from_value((*context.parcel_props).clone()).ok()
}
