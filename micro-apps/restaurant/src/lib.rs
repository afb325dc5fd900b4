//! `restaurant`: the restaurant's menu editor and incoming-orders queue (role restaurant).
//!
//! Skeleton: the routes and the page frame are real; the data arrives with the restaurant BFF.

use leptos::prelude::*;
use tessera_mfe::runtime;

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    runtime::app_ready(&props.get_untracked().name);
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Kitchen"</h1>
                    <p class="lede">"Incoming orders and your menu."</p>
                </div>
            </div>
            <div class="empty-state">
                <h2>"No incoming orders"</h2>
                <p>"New orders appear here as soon as customers place them."</p>
            </div>
        </div>
    }
}

tessera_mfe::export_app!(app);
