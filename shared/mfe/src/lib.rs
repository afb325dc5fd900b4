//! The micro-app SDK: everything a Leptos crate needs to be a Tessera micro-app.
//!
//! One declaration exports the lifecycle the shell calls (`bootstrap`, `mount`, `update`,
//! `unmount`), each instance gets typed [`Props`], and [`runtime`] reaches the shell
//! (navigation, window events, parcels, readiness marks):
//!
//! ```text
//! use leptos::prelude::*;
//!
//! fn app() -> impl IntoView {
//!     let props = tessera_mfe::use_props();
//!     view! { <h1>{move || props.get().name}</h1> }
//! }
//!
//! tessera_mfe::export_app!(app);
//! ```
//!
//! The contract is framework-agnostic (see the README): the build wraps the wasm-bindgen
//! output in an ES module whose exports call the functions generated here.
//!
//! Layout: [`props`] (what the shell passes), [`lifecycle`] (instances by element),
//! [`runtime`] (talking to the shell, the readiness mark, polling), [`parcel`] (mounting
//! another app inside this one), [`api`] (JSON requests to the app's BFF, [`api::Bff`] for one
//! instance, [`api::Latest`] for data fetched again and again), [`live`] (domain events pushed
//! live, the connection's state), [`offline`] (the service worker's state, the outbox for
//! read-your-writes), [`session`](mod@session) (who is signed in, the way to sign
//! in), [`ui`] (the loading, error, empty and stale states, the page frame and the formatting
//! every app shows the same way).
//!
//! What two apps would otherwise write twice belongs here: the apps keep only their own
//! endpoints, words and pages.

pub mod api;
pub mod lifecycle;
pub mod live;
pub mod offline;
pub mod parcel;
pub mod props;
pub mod runtime;
pub mod session;
pub mod ui;

pub use parcel::Parcel;
pub use props::{Props, parcel_props, use_props};
pub use session::{Session, session, use_session};

/// Re-exports used by [`export_app!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use wasm_bindgen;
    pub use web_sys::HtmlElement;
}

/// Exports the micro-app lifecycle for a root view function `fn() -> impl IntoView`.
///
/// The crate must be a `cdylib` and depend on `wasm-bindgen` directly (the attribute macro
/// refers to it by name).
#[macro_export]
macro_rules! export_app {
    ($app:path) => {
        /// Called once per loaded module, before the first mount.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn bootstrap(props: ::wasm_bindgen::JsValue) -> ::core::result::Result<(), ::wasm_bindgen::JsValue> {
            $crate::lifecycle::bootstrap(props)
        }

        /// Mounts one instance into `element`.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn mount(
            element: $crate::__private::HtmlElement,
            props: ::wasm_bindgen::JsValue,
        ) -> ::core::result::Result<(), ::wasm_bindgen::JsValue> {
            $crate::lifecycle::mount($app, element, props)
        }

        /// Passes new props (same `instanceId`) to a mounted instance.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn update(props: ::wasm_bindgen::JsValue) -> ::core::result::Result<(), ::wasm_bindgen::JsValue> {
            $crate::lifecycle::update(props)
        }

        /// Unmounts the instance mounted into `element`.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn unmount(element: $crate::__private::HtmlElement) -> ::core::result::Result<(), ::wasm_bindgen::JsValue> {
            $crate::lifecycle::unmount(element)
        }
    };
}
