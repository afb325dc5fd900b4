//! `driver`: available deliveries, pick-up and drop-off (role driver).
//!
//! Skeleton: the routes and the page frame are real; the data arrives with the driver BFF.

use leptos::prelude::*;
use tessera_mfe::runtime;

fn app() -> impl IntoView {
    let props = tessera_mfe::use_props();
    runtime::app_ready(&props.get_untracked().name);
    view! {
        <div class="page">
            <div class="page-header">
                <div>
                    <h1>"Deliveries"</h1>
                    <p class="lede">"Orders ready for pick-up near you."</p>
                </div>
            </div>
            <div class="empty-state">
                <h2>"Nothing to deliver right now"</h2>
                <p>"Orders that restaurants mark ready appear here for you to claim."</p>
            </div>
        </div>
    }
}

tessera_mfe::export_app!(app);
