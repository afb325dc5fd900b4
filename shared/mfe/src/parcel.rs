//! Parcels: mounting one app inside another (the cart's `add-to-cart` in a menu item).
//!
//! The shell loads the parcel's app and calls its `mount` with `props.parcel` set; the host
//! app only names the app and parcel and passes parcel props.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html::Div;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::runtime::{call_runtime, object};

#[derive(Default)]
struct ParcelState {
    handle: Option<JsValue>,
    cancelled: bool,
}

fn unmount_handle(handle: &JsValue) {
    if let Ok(unmount) = js_sys::Reflect::get(handle, &JsValue::from_str("unmount")).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = unmount.call0(handle);
    }
}

/// Mounts parcel `parcel` of app `app` here, with `props` (a plain JS object) as parcel props.
#[component]
pub fn Parcel(
    /// The app that provides the parcel.
    app: &'static str,
    /// The parcel's name in that app's manifest.
    parcel: &'static str,
    /// Parcel props, for example built with [`crate::runtime::object`].
    #[prop(optional)]
    props: Option<JsValue>,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    let state = Rc::new(RefCell::new(ParcelState::default()));
    let props = SendWrapper::new(props.unwrap_or(JsValue::UNDEFINED));
    let error = RwSignal::new(None::<String>);

    let effect_state = state.clone();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(element) = node.get() else { return false };
        let state = effect_state.clone();
        let props = (*props).clone();
        leptos::task::spawn_local(async move {
            let args = [JsValue::from_str(app), JsValue::from_str(parcel), element.into(), object(&[("parcelProps", props)])];
            let result = match call_runtime("mountParcel", &args) {
                Ok(promise) => JsFuture::from(js_sys::Promise::resolve(&promise)).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(handle) => {
                    let mut state = state.borrow_mut();
                    if state.cancelled {
                        unmount_handle(&handle);
                    } else {
                        state.handle = Some(handle);
                    }
                }
                Err(err) => error.set(Some(err.as_string().unwrap_or_else(|| "the parcel failed to load".into()))),
            }
        });
        true
    });

    let cleanup_state = SendWrapper::new(state);
    on_cleanup(move || {
        let mut state = cleanup_state.borrow_mut();
        state.cancelled = true;
        if let Some(handle) = state.handle.take() {
            unmount_handle(&handle);
        }
    });

    view! {
        <div class="parcel" node_ref=node data-parcel=format!("{app}/{parcel}")></div>
        {move || error.get().map(|message| view! { <span class="badge badge-danger" role="alert">{message}</span> })}
    }
}
