//! The states every page shows the same way, in the design system's classes: loading, error
//! (with a retry), and the as-of line of data that may be stale.

use leptos::prelude::*;

/// A polite loading indicator.
#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <div class="mfe-loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// An error banner with what went wrong and, when given, a retry button.
#[component]
pub fn ErrorBanner(#[prop(into)] message: String, #[prop(optional, into)] retry: Option<Callback<()>>) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert">
            <span>{message}</span>
            {retry.map(|retry| view! {
                <button type="button" class="btn btn-sm btn-secondary" on:click=move |_| retry.run(())>"Try again"</button>
            })}
        </div>
    }
}

/// Formats integer cents for people (`1150` → `€11.50`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}€{}.{:02}", cents / 100, cents % 100)
}

/// A time of day from epoch milliseconds, in the browser's locale (`14:05`).
pub fn time_of_day(epoch_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options("default", &options).into()
}

/// A date and time from epoch milliseconds, in the browser's locale.
pub fn date_time(epoch_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    let options = js_sys::Object::new();
    for (key, value) in [("day", "numeric"), ("month", "short"), ("hour", "2-digit"), ("minute", "2-digit")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date.to_locale_string("default", &options).into()
}
