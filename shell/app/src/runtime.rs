//! `window.tessera`: the runtime API the shell offers micro-apps (besides window events).
//!
//! - `navigate(to)`: navigate within the site;
//! - `mountParcel(app, parcel, element, props)`: mount another app's parcel, resolving to
//!   `{unmount(), update(props)}`;
//! - `mountPoints()`: the current `mount-points` object; `version()`: the composition version;
//! - `path()`: the current path; `session()`: `{signedIn, userId, name, roles}` from the host,
//!   or `null` while unknown;
//! - `liveSubscribe(types)`, `liveStatus()`: live updates (installed by [`crate::live`]);
//! - `offline()`, `outbox()`, `syncNow()`, `discard(store, id)`, `applyUpdate()`: the service
//!   worker (installed by [`crate::offline`]).
//!
//! Changes are announced as window events: `mfe:composition` `{version}`, `mfe:route` `{path}`
//! and `mfe:session` (the session); live updates as `mfe:live`, `mfe:live-reset` and
//! `mfe:live-status`; the service worker's reports as `mfe:offline` and `mfe:outbox`.

use std::cell::{Cell, RefCell};

use js_sys::{Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::HtmlElement;

use crate::composition::{Composition, Loaded};
use crate::loader::{self, InstanceProps, SendProps};
use crate::router::Router;

thread_local! {
    static MOUNT_POINTS: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };
    static VERSION: RefCell<String> = const { RefCell::new(String::new()) };
    static SESSION: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };
    static NEXT_INSTANCE: Cell<u64> = const { Cell::new(1) };
}

/// A page-unique instance id for `props.instanceId`.
pub(crate) fn next_instance_id(app: &str) -> String {
    NEXT_INSTANCE.with(|n| {
        let id = n.get();
        n.set(id + 1);
        format!("{app}-{id}")
    })
}

/// Dispatches a window `CustomEvent`.
pub(crate) fn emit(name: &str, detail: &JsValue) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    if let (Some(window), Ok(event)) = (web_sys::window(), web_sys::CustomEvent::new_with_event_init_dict(name, &init)) {
        let _ = window.dispatch_event(&event);
    }
}

pub(crate) fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// Called when a new composition arrives.
pub(crate) fn composition_changed(loaded: &Loaded) {
    let points = serde_wasm_bindgen::to_value(&loaded.mount_points).unwrap_or(JsValue::NULL);
    MOUNT_POINTS.with(|m| *m.borrow_mut() = points);
    VERSION.with(|v| *v.borrow_mut() = loaded.apps.version.clone());
    emit("mfe:composition", &object(&[("version", loaded.apps.version.as_str().into())]));
}

/// Asks the host who is signed in (`/auth/session`) and announces it as `mfe:session`.
/// Apps are mounted after this resolves, so their first `session()` is already right; an
/// unreachable host leaves the session unknown (`null`).
pub(crate) async fn load_session() {
    let session = match crate::loader::await_promise(crate::loader::fetch_json("/auth/session", None)).await {
        Ok(answer) => Reflect::get(&answer, &JsValue::from_str("body")).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    SESSION.with(|s| *s.borrow_mut() = session.clone());
    emit("mfe:session", &session);
}

/// Whether the current session may open routes restricted to `roles` (none: everybody).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    Allowed,
    /// Signed out: sign in first.
    SignIn,
    /// Signed in as `name`, without any of the roles.
    Denied { name: String },
}

pub(crate) fn access(roles: &[String]) -> Access {
    if roles.is_empty() {
        return Access::Allowed;
    }
    let session = SESSION.with(|s| s.borrow().clone());
    // Unknown (the host was unreachable, e.g. offline): let the app and its BFF decide.
    if session.is_null() || session.is_undefined() {
        return Access::Allowed;
    }
    let field = |name: &str| Reflect::get(&session, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if field("signedIn").as_bool() != Some(true) {
        return Access::SignIn;
    }
    let held = js_sys::Array::from(&field("roles"));
    if held.iter().filter_map(|r| r.as_string()).any(|r| roles.contains(&r)) {
        Access::Allowed
    } else {
        Access::Denied { name: field("name").as_string().unwrap_or_default() }
    }
}

pub(crate) fn route_changed(path: &str) {
    emit("mfe:route", &object(&[("path", path.into())]));
}

fn set_fn(target: &Object, name: &str, function: JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), &function);
}

/// Installs `window.tessera`. The closures live as long as the page.
pub(crate) fn install(composition: Composition, router: Router) {
    let api = Object::new();
    set_fn(&api, "navigate", Closure::<dyn Fn(String)>::new(move |to: String| router.navigate(&to)).into_js_value());
    set_fn(&api, "path", Closure::<dyn Fn() -> String>::new(move || router.path.get_untracked()).into_js_value());
    set_fn(&api, "mountPoints", Closure::<dyn Fn() -> JsValue>::new(|| MOUNT_POINTS.with(|m| m.borrow().clone())).into_js_value());
    set_fn(&api, "version", Closure::<dyn Fn() -> String>::new(|| VERSION.with(|v| v.borrow().clone())).into_js_value());
    set_fn(&api, "session", Closure::<dyn Fn() -> JsValue>::new(|| SESSION.with(|s| s.borrow().clone())).into_js_value());
    let mount_parcel = move |app: String, parcel: String, element: HtmlElement, props: JsValue| -> Promise {
        future_to_promise(async move { mount_parcel(composition, router, app, parcel, element, props).await.map_err(|e| JsValue::from(js_sys::Error::new(&e))) })
    };
    set_fn(&api, "mountParcel", Closure::<dyn Fn(String, String, HtmlElement, JsValue) -> Promise>::new(mount_parcel).into_js_value());
    if let Some(window) = web_sys::window() {
        let _ = Reflect::set(&window, &JsValue::from_str("tessera"), &api);
    }
}

async fn mount_parcel(composition: Composition, router: Router, app: String, parcel: String, element: HtmlElement, props: JsValue) -> Result<JsValue, String> {
    let apps = composition.apps_untracked().ok_or("the composition is not loaded yet")?;
    let entry = apps.apps.iter().find(|a| a.name == app).ok_or_else(|| format!("no app `{app}` is deployed"))?;
    if !entry.parcels.contains(&parcel) {
        return Err(format!("app `{app}` has no parcel `{parcel}`"));
    }
    let parcel_props = Reflect::get(&props, &JsValue::from_str("parcelProps")).unwrap_or(JsValue::UNDEFINED);
    let instance = InstanceProps {
        instance_id: next_instance_id(&app),
        path: router.path.get_untracked(),
        params: Default::default(),
        parcel: Some(parcel),
        parcel_props: Some(SendProps(parcel_props)),
    };
    let props = loader::props_object(entry, &instance);
    let module = loader::load(entry, 0, &props).await?;
    loader::call(&module, "mount", &[element.clone().into(), props]).await?;
    Ok(loader::parcel_handle(&module, &element))
}
