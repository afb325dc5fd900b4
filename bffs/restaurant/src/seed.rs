//! The reference catalog a fresh installation starts with, as data, and the startup step that
//! writes it. End-to-end tests rely on the restaurant ids, their owners and on Trattoria
//! Roma's "Pizza Margherita" (`roma-margherita`, 11.50 €) and "Spaghetti Carbonara"
//! (`roma-carbonara`, 13.90 €): change those only together with the tests.

use std::future::Future;
use std::pin::Pin;

use anyhow::Context;
use sqlx::Row;
use tessera_bff_kit::{BffState, now_millis, outbox};
use tessera_contracts::food::{MENU_ITEM_UPDATED, MenuItem, RESTAURANT_UPDATED, Restaurant};
use tessera_contracts::{Envelope, EventType};

#[derive(Debug)]
struct SeedRestaurant {
    id: &'static str,
    name: &'static str,
    cuisine: &'static str,
    description: &'static str,
    emoji: &'static str,
    owner: &'static str,
    categories: &'static [SeedCategory],
}

#[derive(Debug)]
struct SeedCategory {
    name: &'static str,
    items: &'static [SeedItem],
}

#[derive(Debug)]
struct SeedItem {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    price_cents: i64,
    available: bool,
}

const fn dish(id: &'static str, name: &'static str, description: &'static str, price_cents: i64) -> SeedItem {
    SeedItem { id, name, description, price_cents, available: true }
}

/// Sold out today: every restaurant has one, so the apps' "unavailable" state shows.
const fn sold_out(id: &'static str, name: &'static str, description: &'static str, price_cents: i64) -> SeedItem {
    SeedItem { id, name, description, price_cents, available: false }
}

const CATALOG: &[SeedRestaurant] = &[
    SeedRestaurant {
        id: "trattoria-roma",
        name: "Trattoria Roma",
        cuisine: "Italian",
        description: "A family-run trattoria with wood-fired pizza and fresh pasta rolled every morning.",
        emoji: "🍝",
        owner: "rita",
        categories: &[
            SeedCategory {
                name: "Antipasti",
                items: &[
                    dish("roma-bruschetta", "Bruschetta al Pomodoro", "Grilled sourdough rubbed with garlic, piled with ripe tomatoes, basil and Ligurian olive oil.", 690),
                    dish("roma-burrata", "Burrata Pugliese", "Creamy burrata with cherry tomatoes, wild rocket and a drizzle of aged balsamic.", 1090),
                ],
            },
            SeedCategory {
                name: "Pizze",
                items: &[
                    dish("roma-margherita", "Pizza Margherita", "San Marzano tomato, fior di latte, fresh basil and extra-virgin olive oil, blistered in the wood-fired oven.", 1150),
                    dish("roma-diavola", "Pizza Diavola", "Spicy salame, tomato and mozzarella, finished with a swirl of Calabrian chilli honey.", 1350),
                    dish("roma-quattro-formaggi", "Pizza Quattro Formaggi", "Mozzarella, gorgonzola, fontina and parmigiano on a crisp, airy crust.", 1390),
                ],
            },
            SeedCategory {
                name: "Pasta",
                items: &[
                    dish("roma-carbonara", "Spaghetti Carbonara", "Crispy guanciale, egg yolk, pecorino romano and plenty of black pepper: the Roman way, no cream.", 1390),
                    dish("roma-cacio-e-pepe", "Tonnarelli Cacio e Pepe", "Fresh square spaghetti tossed with pecorino and toasted black pepper until silky.", 1290),
                    sold_out("roma-lasagne", "Lasagne della Nonna", "Layers of fresh egg pasta, slow-cooked beef ragù and béchamel, baked until golden.", 1450),
                ],
            },
        ],
    },
    SeedRestaurant {
        id: "green-bowl",
        name: "Green Bowl",
        cuisine: "Vegan",
        description: "Plant-powered bowls, wraps and smoothies, made to order with seasonal produce.",
        emoji: "🥗",
        owner: "rita",
        categories: &[
            SeedCategory {
                name: "Bowls",
                items: &[
                    dish("green-buddha-bowl", "Buddha Bowl", "Roasted sweet potato, quinoa, kale, pickled red cabbage and a creamy tahini dressing.", 1190),
                    dish("green-tofu-poke", "Tofu Poke Bowl", "Sesame-marinated tofu, sushi rice, edamame, mango and crunchy seaweed salad.", 1250),
                    dish("green-falafel-bowl", "Falafel & Hummus Bowl", "Herby falafel, smoky hummus, tabbouleh and warm flatbread on the side.", 1150),
                ],
            },
            SeedCategory {
                name: "Wraps",
                items: &[
                    dish("green-avocado-wrap", "Smashed Avocado Wrap", "Avocado, black beans, charred corn and chipotle mayo in a toasted spinach tortilla.", 950),
                    sold_out("green-tempeh-wrap", "Smoky Tempeh Wrap", "Maple-glazed tempeh, crunchy slaw and sriracha cashew cream.", 990),
                ],
            },
            SeedCategory {
                name: "Drinks",
                items: &[
                    dish("green-matcha-smoothie", "Matcha Mango Smoothie", "Ceremonial matcha blended with mango, banana and oat milk.", 590),
                    dish("green-ginger-lemonade", "Ginger Mint Lemonade", "Freshly squeezed lemons, fiery ginger and garden mint.", 450),
                ],
            },
        ],
    },
    SeedRestaurant {
        id: "sakura-sushi",
        name: "Sakura Sushi",
        cuisine: "Japanese",
        description: "Nigiri, maki and warming bowls, with fish delivered fresh every morning.",
        emoji: "🍣",
        owner: "kenji",
        categories: &[
            SeedCategory {
                name: "Nigiri & Sashimi",
                items: &[
                    dish("sakura-salmon-nigiri", "Salmon Nigiri (2 pcs)", "Buttery Norwegian salmon over hand-pressed, lightly vinegared rice.", 550),
                    dish("sakura-tuna-nigiri", "Tuna Nigiri (2 pcs)", "Deep-red yellowfin tuna with a brush of house soy.", 650),
                    sold_out("sakura-sashimi-moriawase", "Sashimi Moriawase", "The chef's selection of twelve slices of the day's freshest fish.", 1890),
                ],
            },
            SeedCategory {
                name: "Maki",
                items: &[
                    dish("sakura-california-roll", "California Roll", "Crab, avocado and cucumber rolled inside-out in toasted sesame.", 890),
                    dish("sakura-dragon-roll", "Dragon Roll", "Tempura prawn and cucumber topped with avocado, eel sauce and tobiko.", 1390),
                    dish("sakura-avocado-maki", "Avocado Maki", "Ripe avocado and a touch of wasabi in crisp nori.", 690),
                ],
            },
            SeedCategory {
                name: "Hot Dishes",
                items: &[
                    dish("sakura-chicken-katsu", "Chicken Katsu Curry", "Panko-crusted chicken thigh with a mellow Japanese curry sauce and steamed rice.", 1490),
                    dish("sakura-miso-soup", "Miso Soup", "White miso broth with silken tofu, wakame and spring onion.", 390),
                ],
            },
        ],
    },
    SeedRestaurant {
        id: "taqueria-sol",
        name: "Taqueria Sol",
        cuisine: "Mexican",
        description: "Street-style tacos on hand-pressed corn tortillas, with salsas made in-house every day.",
        emoji: "🌮",
        owner: "kenji",
        categories: &[
            SeedCategory {
                name: "Tacos",
                items: &[
                    dish("sol-al-pastor", "Tacos al Pastor (3)", "Achiote-marinated pork shaved from the trompo, with grilled pineapple, onion and coriander.", 1090),
                    dish("sol-carnitas", "Tacos de Carnitas (3)", "Slow-braised pork shoulder, crisped on the plancha, with salsa verde.", 1090),
                    dish("sol-baja-fish", "Baja Fish Tacos (3)", "Beer-battered cod, lime crema and crunchy cabbage.", 1190),
                    dish("sol-hongos", "Mushroom Tacos (3)", "Garlicky oyster mushrooms with epazote, queso fresco and salsa roja.", 990),
                ],
            },
            SeedCategory {
                name: "Burritos & Bowls",
                items: &[
                    dish("sol-burrito-pollo", "Chicken Burrito", "Chipotle chicken, rice, refried beans, cheese and pico de gallo in a flour tortilla.", 1250),
                    sold_out("sol-burrito-bowl", "Black Bean Burrito Bowl", "Cilantro-lime rice, black beans, fajita vegetables, guacamole and pickled jalapeños.", 1150),
                ],
            },
            SeedCategory {
                name: "Sides & Sweets",
                items: &[
                    dish("sol-guacamole", "Guacamole & Totopos", "Avocado mashed to order with lime and chilli, with warm tortilla chips.", 690),
                    dish("sol-elote", "Elote", "Grilled corn on the cob with chipotle mayo, cotija and a squeeze of lime.", 550),
                    dish("sol-churros", "Churros con Chocolate", "Cinnamon-sugar churros with a cup of thick Mexican hot chocolate for dipping.", 590),
                ],
            },
        ],
    },
];

/// The startup step (`BffSpec::startup`).
pub(crate) fn seed_catalog(state: BffState) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> {
    Box::pin(seed_if_empty(state))
}

/// Writes the catalog and its events in one transaction when there are no restaurants yet,
/// so a restart (or a crash half-way) never seeds twice and never publishes half a catalog.
async fn seed_if_empty(state: BffState) -> anyhow::Result<()> {
    let mut tx = state.store.begin().await?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM restaurants").fetch_one(&mut *tx).await?.get(0);
    if existing > 0 {
        return Ok(());
    }
    let now = now_millis();
    let mut events = Vec::new();
    for seed in CATALOG {
        let restaurant = Restaurant {
            id: seed.id.into(),
            name: seed.name.into(),
            cuisine: seed.cuisine.into(),
            description: seed.description.into(),
            emoji: seed.emoji.into(),
            owner: seed.owner.into(),
            version: 1,
        };
        let inserted = sqlx::query(
            "INSERT INTO restaurants (id, name, cuisine, description, emoji, owner, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&restaurant.id)
        .bind(&restaurant.name)
        .bind(&restaurant.cuisine)
        .bind(&restaurant.description)
        .bind(&restaurant.emoji)
        .bind(&restaurant.owner)
        .bind(restaurant.version)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Another instance on the same PostgreSQL database seeded meanwhile (its insert
            // made ours wait, then win): leave it to that one; dropping `tx` rolls ours back.
            return Ok(());
        }
        events.push(restaurant_updated(state.name, &restaurant, now)?);
        // Positions run through the whole menu, not restart per category: listing dishes by
        // position then keeps the categories in menu order too.
        let items: Vec<(&str, &SeedItem)> = seed.categories.iter().flat_map(|c| c.items.iter().map(move |i| (c.name, i))).collect();
        for (position, (category, seed_item)) in items.into_iter().enumerate() {
            let item = MenuItem {
                id: seed_item.id.into(),
                restaurant_id: seed.id.into(),
                category: category.into(),
                name: seed_item.name.into(),
                description: seed_item.description.into(),
                price_cents: seed_item.price_cents,
                available: seed_item.available,
                position: i64::try_from(position).context("menu position")?,
                version: 1,
            };
            crate::menu::insert_item(&mut tx, &item, now).await?;
            events.push(crate::menu::item_event(state.name, MENU_ITEM_UPDATED, &item, now)?);
        }
    }
    outbox::enqueue(&mut tx, &events).await?;
    tx.commit().await?;
    state.events_committed();
    tracing::info!(restaurants = CATALOG.len(), events = events.len(), "seeded the catalog");
    Ok(())
}

fn restaurant_updated(source: &str, restaurant: &Restaurant, now: i64) -> anyhow::Result<Envelope> {
    let kind = EventType::parse(RESTAURANT_UPDATED).map_err(anyhow::Error::msg)?;
    Ok(Envelope::new(kind, source, &restaurant.id, &restaurant.version.to_string(), now, serde_json::to_value(restaurant)?)
        .with_tag("restaurant", &restaurant.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_keeps_the_shape_the_apps_and_end_to_end_tests_rely_on() {
        let ids: Vec<_> = CATALOG.iter().map(|r| (r.id, r.owner)).collect();
        assert_eq!(ids, [("trattoria-roma", "rita"), ("green-bowl", "rita"), ("sakura-sushi", "kenji"), ("taqueria-sol", "kenji")]);
        let mut item_ids = std::collections::HashSet::new();
        for restaurant in CATALOG {
            assert!((2..=3).contains(&restaurant.categories.len()), "{}", restaurant.id);
            let items: Vec<_> = restaurant.categories.iter().flat_map(|c| c.items).collect();
            assert!((6..=9).contains(&items.len()), "{}", restaurant.id);
            assert_eq!(items.iter().filter(|i| !i.available).count(), 1, "one dish sold out at {}", restaurant.id);
            let prefix = items[0].id.split('-').next().unwrap_or_default();
            assert!(restaurant.id.split('-').any(|word| word == prefix), "{prefix} names {}", restaurant.id);
            for item in items {
                assert!(item_ids.insert(item.id), "{} is unique", item.id);
                assert!(item.id.starts_with(&format!("{prefix}-")), "{} is prefixed", item.id);
                assert!((1..=100_000).contains(&item.price_cents));
                assert!(item.name.chars().count() <= 80 && item.description.chars().count() <= 300);
            }
        }
        let roma: Vec<_> = CATALOG[0].categories.iter().flat_map(|c| c.items).map(|i| (i.id, i.name, i.price_cents)).collect();
        assert!(roma.contains(&("roma-margherita", "Pizza Margherita", 1150)));
        assert!(roma.contains(&("roma-carbonara", "Spaghetti Carbonara", 1390)));
    }
}
