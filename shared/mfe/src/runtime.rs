//! Talking to the shell and to other apps: only through window `CustomEvent`s and the
//! runtime object the shell installs as `window.tessera`. Micro-apps never import each other.
//!
//! Events (all on `window`, `detail` is a plain object):
//! - `mfe:navigate` `{to}`: ask the shell to navigate (it pushes history and activates apps);
//! - `mfe:error` `{app, message}`: an app broke (sent by the panic hook);
//! - `mfe:app-ready` `{app}`: an app's first data is on screen (performance mark).
//!
//! Any other event name is free for apps to agree on (`cart:changed`, …).
//!
//! Also the timing helpers every page needs the same way: [`ReadyMark`] (send `mfe:app-ready`
//! once, after the first data is painted) and [`use_polling`] (fetch again on a timer and on
//! focus; under live updates, [`crate::live::use_live_polling`]).

use std::time::Duration;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Builds a plain JS object from string pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// Dispatches a window `CustomEvent` with `detail`.
pub fn emit(name: &str, detail: &JsValue) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    if let (Some(window), Ok(event)) = (web_sys::window(), web_sys::CustomEvent::new_with_event_init_dict(name, &init)) {
        let _ = window.dispatch_event(&event);
    }
}

/// Asks the shell to navigate to a path on this site.
pub fn navigate(to: &str) {
    emit("mfe:navigate", &object(&[("to", JsValue::from_str(to))]));
}

/// Tells the shell this app's first data is on screen (sets the `mfe:first-mounted` mark once
/// per page load).
pub fn app_ready(app: &str) {
    emit("mfe:app-ready", &object(&[("app", JsValue::from_str(app))]));
}

/// Tells the shell an instance's first data is on screen ([`app_ready`]): once, after the
/// browser painted it.
///
/// Make one per instance (`ReadyMark::new(props.name)`, usually provided as context) and call
/// [`mark`](Self::mark) wherever an answer lands, the error and signed-out states included:
/// only the first call counts. It is `Copy`, so async tasks can keep it; a mark after the
/// instance is gone does nothing.
#[derive(Debug, Clone, Copy)]
pub struct ReadyMark(StoredValue<Option<String>>);

impl ReadyMark {
    /// A mark for app `app` (the props' `name`), not sent yet.
    pub fn new(app: impl Into<String>) -> Self {
        Self(StoredValue::new(Some(app.into())))
    }

    /// Sends `mfe:app-ready` on the next animation frame, the first time only.
    pub fn mark(self) {
        if let Some(app) = self.0.try_update_value(Option::take).flatten() {
            // The next frame: what the answer changed has been laid out and painted by then.
            request_animation_frame(move || app_ready(&app));
        }
    }
}

/// Calls `refresh` every `every` while the page is visible, and whenever the window regains
/// focus, for as long as the calling component lives (the timer and the listener end with it).
///
/// A hidden tab skips the timer's turns rather than queueing them: coming back focuses the
/// window, which refreshes at once. `refresh` decides itself whether a fetch is needed (data
/// that can no longer change, a fetch already running).
pub fn use_polling(every: Duration, refresh: impl Fn() + Clone + 'static) {
    let tick = refresh.clone();
    let interval = set_interval_with_handle(
        move || {
            if !document().hidden() {
                tick();
            }
        },
        every,
    )
    .ok();
    let focus = window_event_listener(leptos::ev::focus, move |_| refresh());
    on_cleanup(move || {
        if let Some(interval) = interval {
            interval.clear();
        }
        focus.remove();
    });
}

pub(crate) fn report_error(app: &str, message: &str) {
    emit("mfe:error", &object(&[("app", JsValue::from_str(app)), ("message", JsValue::from_str(message))]));
}

/// Listens to a window event for as long as the calling component lives; `handler` gets the
/// event's `detail`.
pub fn use_window_event(name: &'static str, handler: impl Fn(JsValue) + 'static) {
    let Some(window) = web_sys::window() else { return };
    let closure = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| handler(event.detail()));
    let _ = window.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    let guard = SendWrapper::new((window, closure));
    on_cleanup(move || {
        let (window, closure) = guard.take();
        let _ = window.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    });
}

/// The runtime object the shell installs (`window.tessera`), if a shell is present.
pub fn shell_runtime() -> Option<js_sys::Object> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &JsValue::from_str("tessera")).ok().and_then(|v| v.dyn_into().ok())
}

/// Calls a method of the shell runtime with arguments.
pub(crate) fn call_runtime(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let runtime = shell_runtime().ok_or_else(|| JsValue::from_str("no shell runtime (window.tessera)"))?;
    let function: js_sys::Function = js_sys::Reflect::get(&runtime, &JsValue::from_str(method))?.dyn_into()?;
    let array: js_sys::Array = args.iter().collect();
    function.apply(&runtime, &array)
}
