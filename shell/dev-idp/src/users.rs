//! The demo users of the reference system (docs/food-delivery.md). They sign in without a
//! password: picking one on the login page is the whole authentication.

/// A demo user. The ids are the reference system's: alice, bob (customer), rita, kenji
/// (restaurant), dan (driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoUser {
    pub id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub roles: &'static [&'static str],
    pub blurb: &'static str,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        id: "alice",
        name: "Alice Customer",
        email: "alice@eats.example",
        roles: &["customer"],
        blurb: "Orders dinner",
    },
    DemoUser {
        id: "bob",
        name: "Bob Customer",
        email: "bob@eats.example",
        roles: &["customer"],
        blurb: "Another hungry customer",
    },
    DemoUser {
        id: "rita",
        name: "Rita Rossi",
        email: "rita@eats.example",
        roles: &["restaurant"],
        blurb: "Runs Trattoria Roma and Green Bowl",
    },
    DemoUser {
        id: "kenji",
        name: "Kenji Sato",
        email: "kenji@eats.example",
        roles: &["restaurant"],
        blurb: "Runs Sakura Sushi and Taqueria Sol",
    },
    DemoUser { id: "dan", name: "Dan Driver", email: "dan@eats.example", roles: &["driver"], blurb: "Delivers by scooter" },
];

/// The demo user with this id.
pub(crate) fn find(id: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|user| user.id == id)
}

impl DemoUser {
    pub(crate) fn role_list(&self) -> Vec<String> {
        self.roles.iter().map(|role| role.to_string()).collect()
    }
}
