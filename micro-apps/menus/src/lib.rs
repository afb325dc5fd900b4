//! `menus`: browse restaurants and their menus (customer).
//!
//! Routes: `/` searches the menus BFF's catalogue (text and cuisine filter) and
//! `/restaurants/:id` shows one restaurant's menu, with the cart app's `add-to-cart` parcel in
//! every dish that can be ordered.
//!
//! Layout: [`api`] (the BFF calls and the views they answer), [`pages`] (one module per
//! route); this file holds the root that picks the page and provides the readiness mark
//! ([`ReadyMark`]).

mod api;
mod pages;

use leptos::prelude::*;
use tessera_mfe::runtime::ReadyMark;

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
