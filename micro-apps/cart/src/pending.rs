//! Read-your-writes for the cart (docs/offline.md): the cart commands still waiting in the
//! service worker's outbox, laid over the cart the BFF (or the worker's kept copy) answered,
//! in the order they were made. A line a queued command touches is marked pending; a queued
//! checkout empties the cart and shows as "Order queued".
//!
//! Each command carries a note ([`ItemNote`], [`OrderNote`]) with what the cart needs to show
//! it before the BFF has it: a dish's name and price, the order's restaurant, lines and total.
//! The orders app reads [`OrderNote`] too, by its field names (the note is JSON).

use serde::{Deserialize, Serialize};
use tessera_mfe::offline::Entry;

use crate::api::{CartLine, CartView};

/// The note a quantity change leaves in the outbox (`PUT /cart/items/{itemId}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ItemNote {
    /// What the nav's outbox list shows (`3 × Margherita`).
    pub(crate) label: String,
    pub(crate) name: String,
    pub(crate) price_cents: Option<i64>,
    pub(crate) restaurant_id: Option<String>,
    pub(crate) restaurant_name: Option<String>,
}

/// One line of a queued order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderNoteLine {
    pub(crate) item_id: String,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
    pub(crate) quantity: i64,
}

/// What a queued order will be: the cart as it was at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct QueuedOrder {
    pub(crate) id: String,
    pub(crate) restaurant_id: Option<String>,
    pub(crate) restaurant_name: Option<String>,
    pub(crate) lines: Vec<OrderNoteLine>,
    pub(crate) total_cents: i64,
    pub(crate) delivery_address: String,
    pub(crate) note: String,
    /// When the customer placed it (epoch ms).
    pub(crate) placed_at: i64,
}

/// The note a checkout leaves in the outbox (`PUT /orders/{orderId}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct OrderNote {
    pub(crate) label: String,
    pub(crate) order: QueuedOrder,
}

impl OrderNote {
    /// The note for checking out `cart` as order `id`.
    pub(crate) fn for_cart(id: &str, cart: &CartView, delivery_address: &str, note: &str, now: i64) -> Self {
        let restaurant = cart.restaurant_name.clone();
        Self {
            label: match &restaurant {
                Some(name) => format!("Order from {name}"),
                None => "Your order".to_string(),
            },
            order: QueuedOrder {
                id: id.to_string(),
                restaurant_id: cart.restaurant_id.clone(),
                restaurant_name: restaurant,
                lines: cart
                    .lines
                    .iter()
                    .map(|l| OrderNoteLine { item_id: l.item_id.clone(), name: l.name.clone(), price_cents: l.price_cents, quantity: l.quantity })
                    .collect(),
                total_cents: cart.total_cents,
                delivery_address: delivery_address.to_string(),
                note: note.to_string(),
                placed_at: now,
            },
        }
    }
}

/// A cart command waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pending {
    SetQuantity { item_id: String, quantity: i64, note: ItemNote },
    RemoveLine { item_id: String },
    Empty,
    PlaceOrder(QueuedOrder),
}

#[derive(Deserialize)]
struct Quantity {
    quantity: i64,
}

impl Pending {
    /// The cart command an outbox entry is, when it is one (`base`: the cart BFF's URL).
    pub(crate) fn read(entry: &Entry, base: &str) -> Option<Self> {
        if let Some(item_id) = entry.id_after("PUT", base, "/cart/items/") {
            let quantity = entry.body::<Quantity>()?.quantity;
            return Some(Pending::SetQuantity { item_id: decode(item_id), quantity, note: entry.meta().unwrap_or_default() });
        }
        if let Some(item_id) = entry.id_after("DELETE", base, "/cart/items/") {
            return Some(Pending::RemoveLine { item_id: decode(item_id) });
        }
        if entry.method.eq_ignore_ascii_case("DELETE") && entry.path_under(base) == Some("/cart") {
            return Some(Pending::Empty);
        }
        let order_id = entry.id_after("PUT", base, "/orders/")?;
        let mut order = entry.meta::<OrderNote>().map(|note| note.order).unwrap_or_default();
        order.id = order_id.to_string();
        if order.placed_at == 0 {
            order.placed_at = entry.created as i64;
        }
        Some(Pending::PlaceOrder(order))
    }
}

fn decode(id: &str) -> String {
    js_sys::decode_uri_component(id).map(String::from).unwrap_or_else(|_| id.to_string())
}

/// What the outbox changes in a cart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Overlay {
    /// Lines whose quantity (or existence) a queued command sets.
    pub(crate) pending_lines: Vec<String>,
    /// Checkouts not sent yet, oldest first.
    pub(crate) queued_orders: Vec<QueuedOrder>,
}

impl Overlay {
    pub(crate) fn is_pending(&self, item_id: &str) -> bool {
        self.pending_lines.iter().any(|id| id == item_id)
    }
}

/// Lays the queued commands over `cart`, oldest first, as the BFF will apply them.
pub(crate) fn apply(cart: &mut CartView, pending: &[Pending]) -> Overlay {
    let mut overlay = Overlay::default();
    for command in pending {
        match command {
            Pending::SetQuantity { item_id, quantity, note } => {
                match cart.lines.iter_mut().find(|line| &line.item_id == item_id) {
                    Some(line) => line.quantity = *quantity,
                    // A dish not in the (kept) cart: what the note says about it.
                    None => match note.price_cents {
                        Some(price_cents) if !note.name.is_empty() => {
                            if cart.lines.is_empty() {
                                cart.restaurant_id = note.restaurant_id.clone();
                                cart.restaurant_name = note.restaurant_name.clone();
                            }
                            cart.lines.push(CartLine {
                                item_id: item_id.clone(),
                                name: note.name.clone(),
                                price_cents,
                                quantity: *quantity,
                                available: true,
                                line_total_cents: 0,
                            });
                        }
                        _ => continue,
                    },
                }
                if !overlay.is_pending(item_id) {
                    overlay.pending_lines.push(item_id.clone());
                }
            }
            Pending::RemoveLine { item_id } => {
                cart.lines.retain(|line| &line.item_id != item_id);
                overlay.pending_lines.retain(|id| id != item_id);
            }
            Pending::Empty => empty(cart, &mut overlay),
            Pending::PlaceOrder(order) => {
                empty(cart, &mut overlay);
                overlay.queued_orders.push(order.clone());
            }
        }
    }
    if !pending.is_empty() {
        for line in &mut cart.lines {
            line.line_total_cents = line.price_cents * line.quantity;
        }
        cart.item_count = cart.lines.iter().map(|line| line.quantity).sum();
        cart.total_cents = cart.lines.iter().map(|line| line.line_total_cents).sum();
        if cart.lines.is_empty() {
            cart.restaurant_id = None;
            cart.restaurant_name = None;
        }
    }
    overlay
}

fn empty(cart: &mut CartView, overlay: &mut Overlay) {
    cart.lines.clear();
    overlay.pending_lines.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, price: i64, quantity: i64) -> CartLine {
        CartLine { item_id: id.into(), name: id.into(), price_cents: price, quantity, available: true, line_total_cents: price * quantity }
    }

    fn cart(lines: Vec<CartLine>) -> CartView {
        let total = lines.iter().map(|l| l.line_total_cents).sum();
        let count = lines.iter().map(|l| l.quantity).sum();
        CartView { restaurant_id: Some("roma".into()), restaurant_name: Some("Trattoria Roma".into()), lines, item_count: count, total_cents: total }
    }

    fn set(id: &str, quantity: i64) -> Pending {
        Pending::SetQuantity { item_id: id.into(), quantity, note: ItemNote::default() }
    }

    #[test]
    fn a_queued_quantity_replaces_the_kept_one_and_marks_the_line_pending() {
        let mut view = cart(vec![line("margherita", 900, 1), line("tiramisu", 500, 1)]);
        let overlay = apply(&mut view, &[set("margherita", 3)]);
        assert_eq!(view.lines[0].quantity, 3);
        assert_eq!(view.lines[0].line_total_cents, 2700);
        assert_eq!((view.item_count, view.total_cents), (4, 3200));
        assert!(overlay.is_pending("margherita"));
        assert!(!overlay.is_pending("tiramisu"));
    }

    #[test]
    fn a_dish_added_offline_shows_from_its_note_and_one_without_a_note_is_left_out() {
        let mut view = CartView::default();
        let note = ItemNote {
            label: "2 × Nigiri".into(),
            name: "Nigiri".into(),
            price_cents: Some(1200),
            restaurant_id: Some("sakura".into()),
            restaurant_name: Some("Sakura Sushi".into()),
        };
        let overlay = apply(&mut view, &[Pending::SetQuantity { item_id: "nigiri".into(), quantity: 2, note }, set("unknown", 1)]);
        assert_eq!(view.lines.len(), 1);
        assert_eq!(view.restaurant_name.as_deref(), Some("Sakura Sushi"));
        assert_eq!(view.total_cents, 2400);
        assert_eq!(overlay.pending_lines, vec!["nigiri".to_string()]);
    }

    #[test]
    fn commands_apply_in_the_order_they_were_made() {
        let mut view = cart(vec![line("margherita", 900, 1)]);
        apply(&mut view, &[set("margherita", 2), Pending::RemoveLine { item_id: "margherita".into() }]);
        assert!(view.lines.is_empty());
        assert_eq!(view.restaurant_name, None);

        let mut view = cart(vec![line("margherita", 900, 1)]);
        let overlay = apply(&mut view, &[Pending::Empty, set("margherita", 2)]);
        // The kept line is gone with the emptied cart, and the note has no price to show it by.
        assert!(view.lines.is_empty());
        assert!(overlay.pending_lines.is_empty());
    }

    #[test]
    fn a_queued_checkout_empties_the_cart_and_is_kept_as_a_queued_order() {
        let mut view = cart(vec![line("margherita", 900, 2)]);
        let note = OrderNote::for_cart("o-1", &view, "Via Roma 1", "", 1_700_000_000_000);
        assert_eq!(note.label, "Order from Trattoria Roma");
        assert_eq!(note.order.total_cents, 1800);
        let overlay = apply(&mut view, &[set("margherita", 2), Pending::PlaceOrder(note.order.clone())]);
        assert!(view.lines.is_empty());
        assert_eq!((view.item_count, view.total_cents), (0, 0));
        assert_eq!(overlay.queued_orders, vec![note.order]);
        assert!(overlay.pending_lines.is_empty());
    }

    #[test]
    fn nothing_queued_leaves_the_cart_as_answered() {
        let mut view = cart(vec![line("margherita", 900, 2)]);
        let before = view.clone();
        assert_eq!(apply(&mut view, &[]), Overlay::default());
        assert_eq!(view, before);
    }
}
