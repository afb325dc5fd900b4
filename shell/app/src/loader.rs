//! Loading app modules and calling their lifecycle exports.

use std::collections::BTreeMap;

use js_sys::{Array, Object, Promise, Reflect};
use tessera_manifests::{AppEntry, AppsManifest};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    fn load_module(url: &str) -> Promise;
    fn bootstrap_module(url: &str, module: &JsValue, props: &JsValue) -> Promise;
    pub(crate) fn forget_module(url: &str);
    fn call_export(module: &JsValue, name: &str, args: &Array) -> Promise;
    pub(crate) fn fetch_json(url: &str, etag: Option<String>) -> Promise;
    fn ensure_styles(urls: &Array) -> Promise;
    pub(crate) fn describe_error(error: &JsValue) -> String;
    pub(crate) fn parcel_handle(module: &JsValue, element: &web_sys::HtmlElement) -> JsValue;
}

/// A failure, described for people.
pub(crate) type LoadResult<T> = Result<T, String>;

pub(crate) async fn await_promise(promise: Promise) -> LoadResult<JsValue> {
    JsFuture::from(promise).await.map_err(|err| describe_error(&err))
}

/// The URL to import for an attempt: a retry uses a fresh URL so the browser neither reuses
/// a failed fetch nor a module instance whose wasm memory a panic has poisoned.
pub(crate) fn attempt_url(app: &AppEntry, attempt: u32) -> String {
    if attempt == 0 { app.url.clone() } else { format!("{}?attempt={attempt}", app.url) }
}

/// What the shell passes to an instance (see `tessera_mfe::Props`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InstanceProps {
    pub(crate) instance_id: String,
    pub(crate) path: String,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) parcel: Option<String>,
    pub(crate) parcel_props: Option<SendProps>,
}

/// Parcel props handed through untouched (a JS object).
#[derive(Debug, Clone)]
pub(crate) struct SendProps(pub(crate) JsValue);

impl PartialEq for SendProps {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

pub(crate) fn props_object(app: &AppEntry, props: &InstanceProps) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
    };
    set("name", app.name.as_str().into());
    set("instanceId", props.instance_id.as_str().into());
    set("baseRoute", AppsManifest::base_route(app).into());
    set("bffUrl", app.bff.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL));
    set("path", props.path.as_str().into());
    let params = Object::new();
    for (key, value) in &props.params {
        let _ = Reflect::set(&params, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    set("params", params.into());
    set("parcel", props.parcel.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL));
    if let Some(parcel_props) = &props.parcel_props {
        set("parcelProps", parcel_props.0.clone());
    }
    object.into()
}

/// Imports an app module (once per URL) with its stylesheets.
pub(crate) async fn import(app: &AppEntry, attempt: u32) -> LoadResult<JsValue> {
    let styles: Array = app.styles.iter().map(|s| JsValue::from_str(s)).collect();
    await_promise(ensure_styles(&styles)).await?;
    await_promise(load_module(&attempt_url(app, attempt))).await
}

/// Runs a loaded module's `bootstrap(props)` (once per URL).
pub(crate) async fn bootstrap(app: &AppEntry, attempt: u32, module: &JsValue, props: &JsValue) -> LoadResult<()> {
    await_promise(bootstrap_module(&attempt_url(app, attempt), module, props)).await.map(drop)
}

/// Imports and bootstraps, for callers that need no intermediate state.
pub(crate) async fn load(app: &AppEntry, attempt: u32, props: &JsValue) -> LoadResult<JsValue> {
    let module = import(app, attempt).await?;
    bootstrap(app, attempt, &module, props).await?;
    Ok(module)
}

/// Calls a lifecycle export (`mount`, `update`, `unmount`) and awaits it.
pub(crate) async fn call(module: &JsValue, name: &str, args: &[JsValue]) -> LoadResult<JsValue> {
    let args: Array = args.iter().collect();
    await_promise(call_export(module, name, &args)).await
}
