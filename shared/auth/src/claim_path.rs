//! Where a claim lives in a token's JSON: providers disagree (`roles`, `groups`,
//! Keycloak's `realm_access.roles`, Auth0's namespaced `https://eats.example/roles`).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A path to a claim: dot-separated keys (`realm_access.roles`), or one key when it contains
/// `://` (a namespaced claim such as `https://eats.example/roles`, whose host has dots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath {
    keys: Vec<String>,
}

/// A claim path that names no claim (empty, or with an empty segment like `a..b`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a claim path: use keys separated by dots, like `roles` or `realm_access.roles`")]
pub struct InvalidClaimPath(String);

impl ClaimPath {
    /// The strings at this path: an array of strings, or a single string as one value (a
    /// space- or comma-separated string is not split: some providers put such characters in
    /// role names). Anything else, or nothing there, gives no strings.
    pub fn strings(&self, claims: &Value) -> Vec<String> {
        let found = self.keys.iter().try_fold(claims, |value, key| value.get(key));
        let strings = match found {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(one)) => vec![one.as_str()],
            _ => Vec::new(),
        };
        strings.into_iter().filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
}

impl Default for ClaimPath {
    /// `roles`: what the dev provider and many others use.
    fn default() -> Self {
        Self { keys: vec!["roles".to_string()] }
    }
}

impl FromStr for ClaimPath {
    type Err = InvalidClaimPath;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        let path = path.trim();
        let keys: Vec<String> = if path.contains("://") { vec![path.to_string()] } else { path.split('.').map(str::to_string).collect() };
        if keys.iter().any(String::is_empty) {
            return Err(InvalidClaimPath(path.to_string()));
        }
        Ok(Self { keys })
    }
}

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keys.join("."))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(text: &str) -> ClaimPath {
        text.parse().unwrap()
    }

    #[test]
    fn a_top_level_claim_gives_its_strings() {
        let claims = json!({ "roles": ["customer", "driver"], "groups": "kitchen" });
        assert_eq!(path("roles").strings(&claims), ["customer", "driver"]);
        assert_eq!(path("groups").strings(&claims), ["kitchen"]);
        assert_eq!(ClaimPath::default(), path("roles"));
    }

    #[test]
    fn a_dotted_path_walks_into_objects() {
        let claims = json!({ "realm_access": { "roles": ["restaurant"] } });
        assert_eq!(path("realm_access.roles").strings(&claims), ["restaurant"]);
        assert_eq!(path("realm_access.roles").to_string(), "realm_access.roles");
    }

    #[test]
    fn a_namespaced_claim_is_one_key_even_with_dots() {
        let claims = json!({ "https://eats.example/roles": ["customer"], "https://eats": { "example/roles": ["wrong"] } });
        assert_eq!(path("https://eats.example/roles").strings(&claims), ["customer"]);
    }

    #[test]
    fn a_single_string_is_one_value_never_split() {
        let claims = json!({ "roles": "customer driver,restaurant" });
        assert_eq!(path("roles").strings(&claims), ["customer driver,restaurant"]);
    }

    #[test]
    fn missing_or_other_shapes_give_nothing() {
        let claims = json!({ "roles": 7, "nested": { "roles": { "a": 1 } }, "mixed": ["a", 1, null, "", "b"] });
        assert!(path("roles").strings(&claims).is_empty());
        assert!(path("nested.roles").strings(&claims).is_empty());
        assert!(path("nowhere.roles").strings(&claims).is_empty());
        assert!(path("roles.deeper").strings(&claims).is_empty());
        assert!(path("roles").strings(&Value::Null).is_empty());
        assert_eq!(path("mixed").strings(&claims), ["a", "b"], "non-strings and empty strings are skipped");
    }

    #[test]
    fn paths_that_name_no_claim_are_refused() {
        for bad in ["", "  ", ".roles", "roles.", "realm_access..roles"] {
            assert!(bad.parse::<ClaimPath>().is_err(), "{bad:?}");
        }
        let error = "a..b".parse::<ClaimPath>().unwrap_err();
        assert!(error.to_string().contains("`a..b` is not a claim path"), "{error}");
    }
}
