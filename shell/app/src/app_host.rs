//! One app instance in a layout slot: its container, its lifecycle state, and the error slot
//! that isolates its failures from every other app.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use leptos::html::Div;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use tessera_manifests::AppEntry;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::loader::{self, InstanceProps};
use crate::runtime::next_instance_id;

/// Lifecycle states of an app instance, as in the design.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lifecycle {
    NotLoaded,
    Loading,
    Bootstrapping,
    Mounting,
    Mounted,
    /// The module could not be fetched or evaluated.
    LoadError(String),
    /// `bootstrap`/`mount` threw, or the app panicked later.
    Broken(String),
}

impl Lifecycle {
    fn label(&self) -> &'static str {
        match self {
            Self::NotLoaded => "not-loaded",
            Self::Loading => "loading",
            Self::Bootstrapping => "bootstrapping",
            Self::Mounting => "mounting",
            Self::Mounted => "mounted",
            Self::LoadError(_) => "load-error",
            Self::Broken(_) => "broken",
        }
    }
}

/// What the cleanup needs to unmount, kept outside the reactive arena because the owner's
/// signals may already be gone when cleanups run.
#[derive(Default)]
struct Live {
    module: Option<JsValue>,
    element: Option<HtmlElement>,
    disposed: bool,
}

fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Mounts `app` and keeps it mounted while this component lives; `route` feeds `update`.
// The #[component] macro generates a `pub` props struct.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AppHost(app: AppEntry, area: &'static str, route: Signal<(String, BTreeMap<String, String>)>) -> impl IntoView {
    let name = app.name.clone();
    let app = StoredValue::new(app);
    let state = RwSignal::new(Lifecycle::NotLoaded);
    let attempt = RwSignal::new(0u32);
    let container = NodeRef::<Div>::new();
    let instance_id = next_instance_id(&name);
    let live = SendWrapper::new(Rc::new(RefCell::new(Live::default())));

    let props_for = {
        let instance_id = instance_id.clone();
        move |(path, params): (String, BTreeMap<String, String>)| InstanceProps {
            instance_id: instance_id.clone(),
            path,
            params,
            parcel: None,
            parcel_props: None,
        }
    };

    // Mount when the container exists, and again on every Retry.
    let mount_live = live.clone();
    let mount_props = props_for.clone();
    Effect::new(move |_| {
        let attempt = attempt.get();
        let Some(element) = container.get() else { return };
        let element: HtmlElement = element.into();
        let props = mount_props(route.get_untracked());
        let live = (*mount_live).clone();
        leptos::task::spawn_local(async move {
            let entry = app.get_value();
            element.set_inner_html("");
            state.try_set(Lifecycle::Loading);
            let props = loader::props_object(&entry, &props);
            let module = match loader::import(&entry, attempt).await {
                Ok(module) => module,
                Err(error) => {
                    state.try_set(Lifecycle::LoadError(error));
                    return;
                }
            };
            state.try_set(Lifecycle::Bootstrapping);
            if let Err(error) = loader::bootstrap(&entry, attempt, &module, &props).await {
                state.try_set(Lifecycle::Broken(error));
                return;
            }
            if live.borrow().disposed {
                return;
            }
            state.try_set(Lifecycle::Mounting);
            match loader::call(&module, "mount", &[element.clone().into(), props]).await {
                Ok(_) if live.borrow().disposed => {
                    // Navigated away while mounting: undo it at once.
                    let _ = loader::call(&module, "unmount", &[element.into()]).await;
                }
                Ok(_) => {
                    *live.borrow_mut() = Live { module: Some(module), element: Some(element), disposed: false };
                    state.try_set(Lifecycle::Mounted);
                    mark(&format!("mfe:mounted:{}", entry.name));
                }
                Err(error) => {
                    // A panic report (mfe:error) arrives first and says more than the trap
                    // ("unreachable") that follows it.
                    if !matches!(state.get_untracked(), Lifecycle::Broken(_)) {
                        state.try_set(Lifecycle::Broken(error));
                    }
                }
            }
        });
    });

    // Route changes within the same app become `update(props)`.
    let update_live = live.clone();
    Effect::new(move |previous: Option<(String, BTreeMap<String, String>)>| {
        let current = route.get();
        if previous.is_some_and(|p| p != current) && state.get_untracked() == Lifecycle::Mounted {
            let module = update_live.borrow().module.clone();
            if let Some(module) = module {
                let props = loader::props_object(&app.get_value(), &props_for(current.clone()));
                leptos::task::spawn_local(async move {
                    if let Err(error) = loader::call(&module, "update", &[props]).await {
                        state.try_set(Lifecycle::Broken(error));
                    }
                });
            }
        }
        current
    });

    // A panic anywhere in the app's module breaks every instance of that module.
    let panic_name = name.clone();
    let on_error = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
        let detail = event.detail();
        let app_name = js_sys::Reflect::get(&detail, &"app".into()).ok().and_then(|v| v.as_string());
        if app_name.as_deref() == Some(panic_name.as_str()) {
            let message = js_sys::Reflect::get(&detail, &"message".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
            state.try_set(Lifecycle::Broken(format!("the app panicked: {message}")));
        }
    });
    let window = web_sys::window().expect("a window");
    let _ = window.add_event_listener_with_callback("mfe:error", on_error.as_ref().unchecked_ref());
    let listener = SendWrapper::new((window, on_error));

    on_cleanup(move || {
        let (window, on_error) = listener.take();
        let _ = window.remove_event_listener_with_callback("mfe:error", on_error.as_ref().unchecked_ref());
        let mut live = live.borrow_mut();
        live.disposed = true;
        if let (Some(module), Some(element)) = (live.module.take(), live.element.take()) {
            leptos::task::spawn_local(async move {
                let _ = loader::call(&module, "unmount", &[element.into()]).await;
            });
        }
    });

    let retry = move |_| {
        let current = attempt.get_untracked();
        loader::forget_module(&loader::attempt_url(&app.get_value(), current));
        attempt.set(current + 1);
    };
    let error_view = move || {
        let (title, message) = match state.get() {
            Lifecycle::LoadError(message) => ("could not be loaded", message),
            Lifecycle::Broken(message) => ("stopped working", message),
            _ => return None,
        };
        let name = app.with_value(|a| a.name.clone());
        Some(view! {
            <div class="error-slot" role="alert" data-app=name.clone()>
                <h2>{format!("“{name}” {title}")}</h2>
                <p class="muted">"The rest of the page keeps working. You can try again."</p>
                <code>{message}</code>
                <button type="button" class="btn" on:click=retry>"Retry"</button>
            </div>
        })
    };
    let loading = move || {
        matches!(state.get(), Lifecycle::NotLoaded | Lifecycle::Loading | Lifecycle::Bootstrapping | Lifecycle::Mounting)
    };

    view! {
        <section
            class="mfe-container"
            data-app=name.clone()
            data-slot=area
            data-state=move || state.get().label()
            aria-busy=move || loading().to_string()
        >
            <Show when=loading>
                <div class="mfe-loading" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <span>"Loading…"</span>
                </div>
            </Show>
            {error_view}
            <div class="mfe-root" data-slot=area node_ref=container hidden=move || !matches!(state.get(), Lifecycle::Mounted | Lifecycle::Mounting | Lifecycle::Bootstrapping | Lifecycle::Loading | Lifecycle::NotLoaded)></div>
        </section>
    }
}
