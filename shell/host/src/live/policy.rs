//! Who may see which event, decided on the event's tags (docs/live-updates.md, "Who sees what").

use std::collections::{BTreeMap, HashMap};

use crate::auth::User;

/// Restaurant id → the user id of its owner, learnt from `restaurant-updated` events.
pub type Owners = HashMap<String, String>;

/// The tags that make an event personal; an event with none of them is public. A
/// `restaurant` tag alone does not: the catalogue (`restaurant-*`, `menu-item-*`) carries it,
/// and every order also carries its `owner`.
const PERSONAL_TAGS: [&str; 2] = ["owner", "driver"];

pub fn visible(kind: &str, tags: &BTreeMap<String, String>, user: Option<&User>, owners: &Owners) -> bool {
    if kind == "fault" {
        return false;
    }
    if !PERSONAL_TAGS.iter().any(|t| tags.contains_key(*t)) {
        return true;
    }
    let Some(user) = user else { return false };
    let has_role = |role: &str| user.roles.iter().any(|r| r == role);
    let tag = |name: &str| tags.get(name).map(String::as_str);
    tag("owner") == Some(user.id.as_str())
        || tag("driver") == Some(user.id.as_str())
        // Orders ready for pickup are offered to every driver.
        || (has_role("driver") && kind == "order-ready" && tag("driver").is_none())
        || (has_role("restaurant") && tag("restaurant").and_then(|r| owners.get(r)).is_some_and(|owner| *owner == user.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, role: &str) -> User {
        User { id: id.into(), name: id.into(), email: None, roles: vec![role.into()] }
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_catalogue_is_public_and_orders_are_personal() {
        let owners = Owners::from([("roma".to_string(), "rita".to_string())]);
        let public = tags(&[("source", "restaurant"), ("restaurant", "roma")]);
        assert!(visible("menu-item-updated", &public, None, &owners), "the catalogue is for everyone");
        assert!(visible("restaurant-updated", &public, Some(&user("bob", "customer")), &owners));
        assert!(!visible("fault", &public, Some(&user("alice", "customer")), &owners));

        let order = tags(&[("source", "cart"), ("owner", "alice"), ("restaurant", "roma")]);
        assert!(!visible("order-placed", &order, None, &owners), "guests see no orders");
        assert!(visible("order-placed", &order, Some(&user("alice", "customer")), &owners));
        assert!(!visible("order-placed", &order, Some(&user("bob", "customer")), &owners), "another customer's order");
        assert!(visible("order-placed", &order, Some(&user("rita", "restaurant")), &owners), "the restaurant's owner");
        assert!(!visible("order-placed", &order, Some(&user("kenji", "restaurant")), &owners), "another restaurant");
        assert!(!visible("order-placed", &order, Some(&user("dan", "driver")), &owners));
        assert!(visible("order-ready", &order, Some(&user("dan", "driver")), &owners), "offered to drivers");

        let claimed = tags(&[("owner", "alice"), ("restaurant", "roma"), ("driver", "dan")]);
        assert!(visible("order-picked-up", &claimed, Some(&user("dan", "driver")), &owners));
        assert!(!visible("order-picked-up", &claimed, Some(&user("dina", "driver")), &owners), "another driver's delivery");
        assert!(!visible("order-ready", &claimed, Some(&user("dina", "driver")), &owners));
    }
}
