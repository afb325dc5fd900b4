//! `menus`: browse restaurants and their menus (customer).
//!
//! Routes: `/` searches the menus BFF's catalogue (text and cuisine filter) and
//! `/restaurants/:id` shows one restaurant's menu, with the cart app's `add-to-cart` parcel in
//! every dish that can be ordered.
//!
//! Layout: [`api`] (the BFF calls and the views they answer), [`pages`] (one module per
//! route); this file holds the root that picks the page and the readiness mark.

mod api;
mod pages;

use leptos::prelude::*;
use tessera_mfe::runtime;

/// Tells the shell this instance's first data is on screen: once, after the browser painted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyMark(StoredValue<Option<String>>);

impl ReadyMark {
    fn new(app: String) -> Self {
        Self(StoredValue::new(Some(app)))
    }

    pub(crate) fn mark(self) {
        if let Some(app) = self.0.try_update_value(Option::take).flatten() {
            request_animation_frame(move || runtime::app_ready(&app));
        }
    }
}

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    provide_context(ReadyMark::new(props.get_untracked().name));
    // Only a different restaurant swaps the page: other prop changes keep it (and its data).
    let restaurant = Memo::new(move |_| props.with(|p| p.param("id").map(str::to_string)));
    move || match restaurant.get() {
        Some(id) => pages::restaurant::page(id),
        None => pages::restaurants::page(),
    }
}

tessera_mfe::export_app!(app);
