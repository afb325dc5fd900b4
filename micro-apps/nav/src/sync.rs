//! The sync area of the header: what the service worker keeps for later (docs/offline.md).
//!
//! - "Update available" when a newer build is ready (reloads into it);
//! - "Sign in to sync" when the backend wants a sign-in before the outbox can be sent;
//! - the outbox button (always there, with the count of writes waiting and of writes the
//!   backend refused) opening a panel: when the last sync was, "Sync now", the writes waiting
//!   (what, when, Discard) and the refused ones with the backend's reason (Discard).

use leptos::prelude::*;
use tessera_mfe::offline::{self, Entry, OfflineState, Outbox};
use tessera_mfe::session::sign_in_href;
use tessera_mfe::ui::{ago, date_time, plural, time_of_day};

/// What the outbox button says to assistive technology (its visible text is the count).
fn outbox_label(state: &OfflineState) -> String {
    let mut label = format!("Outbox: {} waiting to sync", state.pending);
    if state.inbox > 0 {
        label.push_str(&format!(", {} not accepted", state.inbox));
    }
    label
}

/// When the last sync was, for people.
fn last_sync_text(state: &OfflineState) -> String {
    match state.last_sync {
        Some(at) => format!("Last synced at {}", time_of_day(at as i64)),
        None => "Not synced yet".to_string(),
    }
}

/// The sync area for the header.
pub(crate) fn sync_area(state: ReadSignal<OfflineState>, path: RwSignal<String>) -> AnyView {
    view! { <SyncArea state path/> }.into_any()
}

#[component]
fn SyncArea(state: ReadSignal<OfflineState>, path: RwSignal<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    let lists = RwSignal::new(Outbox::default());
    let load = move || {
        leptos::task::spawn_local(async move {
            let now = offline::outbox().await;
            lists.try_set(now);
        });
    };
    // The lists follow the counts while the panel is open.
    Effect::new(move |_| {
        let counts = state.with(|s| (s.pending, s.inbox, s.syncing));
        if open.get() {
            let _ = counts;
            load();
        }
    });
    offline::use_outbox_changes(move |_, _| {
        if open.get_untracked() {
            load();
        }
    });
    let close_on_escape = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "Escape" {
            open.set(false);
        }
    });
    on_cleanup(move || close_on_escape.remove());

    let counts = Memo::new(move |_| state.with(|s| (s.pending, s.inbox)));
    let can_sync = Memo::new(move |_| state.with(|s| s.pending > 0 && !s.syncing));

    view! {
        <div class="sync-area">
            <Show when=move || state.with(|s| s.update_available)>
                <button
                    type="button"
                    class="btn btn-sm btn-primary"
                    title="A new version of the site is ready. Reload to use it."
                    on:click=move |_| offline::apply_update()
                >
                    "Update available"
                </button>
            </Show>
            <Show when=move || state.with(|s| s.sign_in_needed)>
                <a class="btn btn-sm btn-secondary" href=move || sign_in_href(&path.get()) data-external="">"Sign in to sync"</a>
            </Show>
            <button
                type="button"
                class={move || if counts.get().0 > 0 { "btn btn-sm btn-secondary outbox-toggle" } else { "btn btn-sm btn-ghost outbox-toggle" }}
                aria-label=move || state.with(outbox_label)
                aria-expanded={move || if open.get() { "true" } else { "false" }}
                aria-controls="nav-outbox"
                title=move || state.with(|s| format!("{}. {}.", outbox_label(s), last_sync_text(s)))
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span aria-hidden="true">"⇅"</span>
                <span class="outbox-count">{move || counts.get().0}</span>
                {move || {
                    let inbox = counts.get().1;
                    (inbox > 0).then(|| view! { <span class="badge badge-danger outbox-inbox-count">{inbox}</span> })
                }}
            </button>
            <div id="nav-outbox" class="outbox-panel" role="dialog" aria-label="Changes made offline" hidden=move || !open.get()>
                <div class="row outbox-panel-head">
                    <span class="muted outbox-last-sync">{move || state.with(last_sync_text)}</span>
                    <span class="spacer"></span>
                    <button
                        type="button"
                        class="btn btn-sm btn-secondary"
                        aria-disabled={move || if can_sync.get() { "false" } else { "true" }}
                        on:click=move |_| {
                            if can_sync.get_untracked() {
                                offline::sync_now();
                            }
                        }
                    >
                        {move || if state.with(|s| s.syncing) { "Syncing…" } else { "Sync now" }}
                    </button>
                </div>
                <h2 class="outbox-heading">"Waiting to sync"</h2>
                {move || {
                    let pending = lists.with(|l| l.pending.clone());
                    if pending.is_empty() {
                        view! { <p class="muted">"Nothing is waiting: every change reached the service."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="list outbox-list" aria-label="Waiting to sync">
                                {pending.into_iter().map(|entry| view! { <PendingItem entry lists/> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                }}
                <h2 class="outbox-heading">"Not accepted"</h2>
                {move || {
                    let rejected = lists.with(|l| l.rejected.clone());
                    if rejected.is_empty() {
                        view! { <p class="muted">"Nothing was refused."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="list outbox-list" aria-label="Not accepted">
                                {rejected.into_iter().map(|entry| view! { <RejectedItem entry lists/> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                }}
            </div>
        </div>
    }
}

/// `PUT /api/cart/cart/items/x`, for the line under the label.
fn request_line(entry: &Entry) -> String {
    format!("{} {}", entry.method, entry.url)
}

#[component]
fn PendingItem(entry: Entry, lists: RwSignal<Outbox>) -> impl IntoView {
    let label = entry.label();
    let made = ago(js_sys::Date::now() - entry.created);
    // Made by someone else on this device: sent only once they sign in again.
    let owner = tessera_mfe::session().user_id;
    let waits_for = entry.user.as_ref().filter(|user| !user.is_empty() && **user != owner).map(|_| entry.user_name.clone().unwrap_or_default());
    let discard = {
        let entry = entry.clone();
        move |_| {
            offline::discard(&entry, false);
            lists.update(|l| l.pending.retain(|e| e.id != entry.id));
        }
    };
    view! {
        <li class="list-item outbox-item">
            <div class="outbox-item-text">
                <span class="outbox-label">{label.clone()}</span>
                <span class="muted outbox-meta" title=date_time(entry.created as i64)>{format!("{} · {made}", request_line(&entry))}</span>
                {waits_for.map(|name| view! { <span class="muted">{format!("Waits for {name} to sign in")}</span> })}
            </div>
            <button type="button" class="btn btn-sm btn-ghost" aria-label=format!("Discard {label}") on:click=discard>"Discard"</button>
        </li>
    }
}

#[component]
fn RejectedItem(entry: Entry, lists: RwSignal<Outbox>) -> impl IntoView {
    let label = entry.label();
    let why = entry.error.clone().unwrap_or_else(|| "The service refused this change.".to_string());
    let detail = entry.reason.clone().filter(|reason| !why.contains(reason.as_str()));
    let discard = {
        let entry = entry.clone();
        move |_| {
            offline::discard(&entry, true);
            lists.update(|l| l.rejected.retain(|e| e.id != entry.id));
        }
    };
    view! {
        <li class="list-item outbox-item is-rejected">
            <div class="outbox-item-text">
                <span class="outbox-label">{label.clone()}</span>
                <span class="outbox-reason">{why}{detail.map(|d| format!(" ({d})"))}</span>
                <span class="muted outbox-meta">{request_line(&entry)}</span>
            </div>
            <button type="button" class="btn btn-sm btn-ghost" aria-label=format!("Discard {label}") on:click=discard>"Discard"</button>
        </li>
    }
}

/// How many writes wait, for the status sentence (`2 changes wait to be sent`).
pub(crate) fn waiting_sentence(pending: u32) -> Option<String> {
    (pending > 0).then(|| format!("{} to be sent.", plural(pending, "change waits", "changes wait")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_button_names_both_counts() {
        let state = OfflineState { pending: 2, ..OfflineState::default() };
        assert_eq!(outbox_label(&state), "Outbox: 2 waiting to sync");
        let state = OfflineState { pending: 0, inbox: 1, ..OfflineState::default() };
        assert_eq!(outbox_label(&state), "Outbox: 0 waiting to sync, 1 not accepted");
        assert_eq!(waiting_sentence(0), None);
        assert_eq!(waiting_sentence(1).as_deref(), Some("1 change waits to be sent."));
    }
}
