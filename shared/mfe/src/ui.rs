//! The states every page shows the same way, in the design system's classes: loading, error
//! (with a retry), empty (with what to do next, sign-in included), and the as-of line of data
//! that may be stale ([`Freshness`]); the frame of a page ([`PageHeader`], [`BackLink`]); and
//! numbers, times and ids written for people.
//!
//! The markup here is what end-to-end tests and the stylesheet find (classes, roles, ARIA):
//! apps pass their own words, icons and links, never other markup.

use std::fmt::Display;

use leptos::prelude::*;

use crate::api::Latest;
use crate::runtime::ReadyMark;
use crate::session::sign_in_href;

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

/// A page's header: its `h1`, a lede under it when given, and `children` (an action, a
/// picker) beside them.
#[component]
pub fn PageHeader(
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] lede: Option<Signal<String>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                {lede.map(|lede| view! { <p class="lede">{lede}</p> })}
            </div>
            {children.map(|children| children())}
        </div>
    }
}

/// The way back up, above a page's content while it loads, fails or is gone.
#[component]
pub fn BackLink(#[prop(into)] href: String, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <div class="row">
            <a class="btn btn-ghost btn-sm" href=href>{label}</a>
        </div>
    }
}

/// Nothing to show, and why: an icon, a heading, a sentence, and what to do next
/// (`children`: a link or a button in the design system's classes).
#[component]
pub fn EmptyState(
    /// An emoji; decorative, so hidden from assistive technology.
    #[prop(optional)]
    icon: Option<&'static str>,
    /// The heading, when the page's own heading does not already say it.
    #[prop(optional, into)]
    title: Option<String>,
    /// `1` when the empty state is all the page shows (the title is then its `h1`, sized like
    /// the others with `empty-state-title`); otherwise `2`.
    #[prop(default = 2)]
    heading_level: u8,
    #[prop(into)] body: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let heading = title.map(|title| {
        if heading_level == 1 {
            view! { <h1 class="empty-state-title">{title}</h1> }.into_any()
        } else {
            view! { <h2>{title}</h2> }.into_any()
        }
    });
    view! {
        <div class="empty-state">
            {icon.map(|icon| view! { <span class="empty-state-icon" aria-hidden="true">{icon}</span> })}
            {heading}
            <p>{body}</p>
            {children.map(|children| children())}
        </div>
    }
}

/// What a signed-out visitor sees instead of a part of a page: an empty state whose action is
/// signing in, coming back to `return_to` afterwards.
#[component]
pub fn SignInPrompt(
    icon: &'static str,
    #[prop(into)] title: String,
    #[prop(into)] body: String,
    #[prop(into)] return_to: String,
) -> impl IntoView {
    view! {
        <EmptyState icon title body>
            <SignInLink return_to/>
        </EmptyState>
    }
}

/// A page for one role: `children` for a visitor signed in with `role`; anyone else (signed
/// out, or without the role) gets the page's `title` and an empty state (`icon`, `body`) whose
/// action is signing in, coming back to `return_to`. It follows sign-in and sign-out.
#[component]
pub fn RoleGate(
    role: &'static str,
    #[prop(into)] title: String,
    icon: &'static str,
    #[prop(into)] body: String,
    #[prop(into)] return_to: String,
    /// Marked when the sign-in page shows: it is all the visitor waits for.
    ready: ReadyMark,
    children: ChildrenFn,
) -> impl IntoView {
    let session = crate::use_session();
    let allowed = Memo::new(move |_| session.with(|s| s.has_role(role)));
    move || {
        if allowed.get() {
            children().into_any()
        } else {
            ready.mark();
            view! { <SignInPage title=title.clone() icon body=body.clone() return_to=return_to.clone()/> }.into_any()
        }
    }
}

/// What [`RoleGate`] shows a visitor who may not see the page.
#[component]
fn SignInPage(
    #[prop(into)] title: String,
    icon: &'static str,
    #[prop(into)] body: String,
    #[prop(into)] return_to: String,
) -> impl IntoView {
    view! {
        <div class="page">
            <PageHeader title/>
            <EmptyState icon body>
                <SignInLink return_to/>
            </EmptyState>
        </div>
    }
}

/// The way in: the host's sign-in page, coming back to `return_to` afterwards.
#[component]
fn SignInLink(return_to: String) -> impl IntoView {
    // A full page load: signing in is the host's page, not a micro-app route.
    view! { <a class="btn btn-primary" href=sign_in_href(&return_to) data-external="">"Sign in"</a> }
}

/// Where a [`Latest`] stands, above the data it shows: loading until the first answer, the
/// error with a retry while there is none, and while later refreshes fail, a warning that
/// what is shown is as of the last answer (`"{what} could not be refreshed: … Showing them as
/// of 14:05."`). An answer the service worker gave from its kept copy, because the backend
/// could not be reached, shows as [`OfflineNotice`] does.
#[component]
pub fn Freshness<T>(
    latest: Latest<T>,
    #[prop(into)] loading: String,
    /// What is shown, as the warning's subject (`"The orders"`).
    what: &'static str,
    retry: Callback<()>,
) -> impl IntoView
where
    T: Send + Sync + 'static,
{
    // A memo, so that a poll failing again the same way does not re-render (and re-announce)
    // the alert.
    let state = Memo::new(move |_| (latest.data.with(Option::is_some), latest.error.with(|e| e.as_ref().map(|e| e.message.clone()))));
    let offline = Memo::new(move |_| latest.offline_as_of.get());
    move || match state.get() {
        (false, None) => view! { <Loading label=loading.clone()/> }.into_any(),
        (false, Some(message)) => view! { <ErrorBanner message=message retry=retry/> }.into_any(),
        (true, None) if offline.get().is_some() => view! { <OfflineNotice what=lowercase_first(what) as_of=offline/> }.into_any(),
        (true, Some(message)) => {
            let since = latest.fetched_at.get_untracked().map(time_of_day).unwrap_or_default();
            view! {
                <div class="banner banner-warning" role="alert">
                    {format!("{what} could not be refreshed: {message} Showing them as of {since}.")}
                </div>
            }
            .into_any()
        }
        (true, None) => ().into_any(),
    }
}

/// Data shown from the service worker's kept copy because the backend could not be reached:
/// `"Offline: showing {what} as of 14:05."` (a polite status, not an alert: it is the expected
/// state offline). Nothing while `as_of` is `None`.
#[component]
pub fn OfflineNotice(
    /// What is shown, as it reads after "showing" (`"the orders"`, `"your cart"`).
    #[prop(into)]
    what: String,
    /// The time of the kept copy (epoch ms); `Some(0)` when unknown.
    #[prop(into)]
    as_of: Signal<Option<i64>>,
) -> impl IntoView {
    move || {
        as_of.get().map(|as_of| {
            let when = if as_of > 0 { format!("as of {}", date_or_time(as_of)) } else { "as last saved".to_string() };
            view! { <div class="banner banner-warning offline-notice" role="status">{format!("Offline: showing {what} {when}.")}</div> }
        })
    }
}

/// `"The orders"` → `"the orders"`, for a subject that moves into a sentence. The subjects are
/// the apps' own English words: ASCII case mapping keeps Unicode's case tables (about 20 KB of
/// wasm) out of every app.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_lowercase()).chain(chars).collect(),
        None => String::new(),
    }
}

/// A time of day for today, a date and time before.
fn date_or_time(epoch_ms: i64) -> String {
    let day = |ms: f64| js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_date_string();
    if day(epoch_ms as f64) == day(js_sys::Date::now()) { time_of_day(epoch_ms) } else { date_time(epoch_ms) }
}

/// A count with its noun (`1 item`, `3 items`, `0 items`).
pub fn plural<N: Copy + PartialEq + From<u8> + Display>(n: N, one: &str, many: &str) -> String {
    if n == N::from(1) { format!("1 {one}") } else { format!("{n} {many}") }
}

/// The first characters of an id (letters and digits, upper-cased), enough for people to talk
/// about it: the kitchen and the driver read the same six for one order.
pub fn short_id(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric()).take(6).map(|c| c.to_ascii_uppercase()).collect()
}

/// Formats integer cents for people (`1150` → `€11.50`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}€{}.{:02}", cents / 100, cents % 100)
}

/// How long ago something happened, for people (`just now`, `5 min ago`, `2 h ago`,
/// `3 days ago`), from the milliseconds elapsed since.
pub fn ago(elapsed_ms: f64) -> String {
    let minutes = (elapsed_ms.max(0.0) / 60_000.0).floor() as i64;
    match minutes {
        0 => "just now".to_string(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 => format!("{} h ago", minutes / 60),
        _ => plural(minutes / 1440, "day ago", "days ago"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_written_for_people() {
        assert_eq!(ago(-5.0), "just now");
        assert_eq!(ago(59_000.0), "just now");
        assert_eq!(ago(5.0 * 60_000.0), "5 min ago");
        assert_eq!(ago(125.0 * 60_000.0), "2 h ago");
        assert_eq!(ago(26.0 * 3_600_000.0), "1 day ago");
        assert_eq!(ago(3.0 * 86_400_000.0), "3 days ago");
    }

    #[test]
    fn short_ids_and_subjects_are_cased_for_people() {
        assert_eq!(short_id("9f3e-a1b2-c3d4"), "9F3EA1");
        assert_eq!(short_id("ab"), "AB");
        assert_eq!(lowercase_first("The orders"), "the orders");
        assert_eq!(lowercase_first("menu"), "menu");
        assert_eq!(lowercase_first(""), "");
    }
}
