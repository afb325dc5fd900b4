//! `orders`: order tracking with a live status timeline and order history (customer).
//!
//! Skeleton: the routes and the page frame are real; the data arrives with the orders BFF.

use leptos::prelude::*;
use tessera_mfe::runtime;

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    runtime::app_ready(&props.get_untracked().name);
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Your orders"</h1>
                    <p class="lede">"Track what is cooking and what is on its way."</p>
                </div>
            </div>
            <div class="empty-state">
                <h2>"No orders yet"</h2>
                <p>"When you place an order, its progress appears here, step by step."</p>
            </div>
        </div>
    }
}

tessera_mfe::export_app!(app);
