//! One module per route: `/` ([`restaurants`]) and `/restaurants/:id` ([`restaurant`]).

pub(crate) mod restaurant;
pub(crate) mod restaurants;

use tessera_contracts::food;

/// The events that change what the pages show (this app's `mfe.json` `liveEvents`).
pub(crate) const MENU_EVENTS: &[&str] = &[food::RESTAURANT_UPDATED, food::MENU_ITEM_UPDATED, food::MENU_ITEM_REMOVED];
