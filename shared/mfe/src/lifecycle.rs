//! Instances of the app mounted by the shell, keyed by their container element.
//!
//! One wasm module can be mounted several times at once (a parcel in every menu item), so
//! each `mount` keeps its own Leptos [`UnmountHandle`](leptos::mount::UnmountHandle) and
//! props signal; `unmount` drops exactly that one.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Once;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::props::{InstanceContext, Props};
use crate::runtime;

struct Instance {
    element: HtmlElement,
    id: String,
    props: ArcRwSignal<Props>,
    // Dropping the handle unmounts the view and disposes its reactive owner.
    _handle: Box<dyn Any>,
}

thread_local! {
    static INSTANCES: RefCell<Vec<Instance>> = const { RefCell::new(Vec::new()) };
    static APP_NAME: RefCell<String> = const { RefCell::new(String::new()) };
}

fn parse_props(props: &JsValue) -> Result<Props, JsValue> {
    serde_wasm_bindgen::from_value(props.clone()).map_err(|err| JsValue::from_str(&format!("invalid props: {err}")))
}

/// Installs the panic hook once: the panic is logged, and the shell is told which app broke
/// (`mfe:error`), since after a panic this module's memory can no longer be trusted.
fn install_panic_hook(app: &str) {
    static HOOK: Once = Once::new();
    APP_NAME.with(|name| {
        if name.borrow().is_empty() {
            *name.borrow_mut() = app.to_string();
        }
    });
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            let app = APP_NAME.with(|name| name.borrow().clone());
            runtime::report_error(&app, &info.to_string());
        }));
    });
}

/// `bootstrap(props)`: one-time module setup.
pub fn bootstrap(props: JsValue) -> Result<(), JsValue> {
    let props = parse_props(&props)?;
    install_panic_hook(&props.name);
    Ok(())
}

/// `mount(element, props)`: renders `app` into `element`.
pub fn mount<V: IntoView + 'static>(app: fn() -> V, element: HtmlElement, props: JsValue) -> Result<(), JsValue> {
    let parsed = parse_props(&props)?;
    install_panic_hook(&parsed.name);
    if INSTANCES.with(|list| list.borrow().iter().any(|i| i.element == element)) {
        return Err(JsValue::from_str("an instance is already mounted into this element"));
    }
    let parcel_props = js_sys::Reflect::get(&props, &JsValue::from_str("parcelProps")).unwrap_or(JsValue::UNDEFINED);
    let id = parsed.instance_id.clone();
    let signal = ArcRwSignal::new(parsed);
    let context = InstanceContext { props: signal.clone(), parcel_props: SendWrapper::new(parcel_props) };
    let handle = leptos::mount::mount_to(element.clone().unchecked_into(), move || {
        provide_context(context);
        app()
    });
    INSTANCES.with(|list| list.borrow_mut().push(Instance { element, id, props: signal, _handle: Box::new(handle) }));
    Ok(())
}

/// `update(props)`: new props for the instance with the same `instanceId`.
pub fn update(props: JsValue) -> Result<(), JsValue> {
    let parsed = parse_props(&props)?;
    let signal = INSTANCES.with(|list| list.borrow().iter().find(|i| i.id == parsed.instance_id).map(|i| i.props.clone()));
    match signal {
        Some(signal) => {
            if signal.with_untracked(|current| current != &parsed) {
                signal.set(parsed);
            }
            Ok(())
        }
        None => Err(JsValue::from_str(&format!("no mounted instance `{}`", parsed.instance_id))),
    }
}

/// `unmount(element)`: removes the instance mounted into `element`.
pub fn unmount(element: HtmlElement) -> Result<(), JsValue> {
    // Take the instance out before dropping it: its cleanups may call back into this module.
    let instance = INSTANCES.with(|list| {
        let mut list = list.borrow_mut();
        let index = list.iter().position(|i| i.element == element)?;
        Some(list.remove(index))
    });
    match instance {
        Some(instance) => {
            drop(instance);
            Ok(())
        }
        None => Err(JsValue::from_str("nothing is mounted into this element")),
    }
}
