//! The composer: from every deployed manifest to the three master manifests.
//!
//! - `/importmap.json`: a standard import map, app name → content-hashed entry URL;
//! - `/apps.json`: what the shell needs to register and activate apps (routes, slots, styles,
//!   BFF base URLs, live event types) plus the composition version;
//! - `/mount-points.json`: `{"mount-points": {"left-nav": [...]}}`, entries ordered by `order`.
//!
//! Composition fails (and the caller keeps the previous one) when two apps claim the same
//! route, the same mount-point key, or the same always-on slot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hash::bytes_hash;
use crate::manifest::{Activation, Manifest, MountPointEntry};

/// One app as deployed on a host.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedApp {
    pub manifest: Manifest,
    /// URL of the version's directory, ending in `/` (`/apps/menus/0.1.0-3f2a…/`).
    pub base_url: String,
}

/// A standard import map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportMap {
    pub imports: BTreeMap<String, String>,
}

/// `/apps.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppsManifest {
    /// Changes whenever anything in the composition changes.
    pub version: String,
    pub apps: Vec<AppEntry>,
}

/// One app in `/apps.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppEntry {
    pub name: String,
    pub version: String,
    /// The entry module's URL (the same as in the import map).
    pub url: String,
    /// Stylesheet URLs.
    #[serde(default)]
    pub styles: Vec<String>,
    /// Every file URL of the app, so a service worker can precache it.
    #[serde(default)]
    pub files: Vec<String>,
    pub activation: Activation,
    #[serde(default)]
    pub parcels: Vec<String>,
    /// Base URL of the app's BFF through the host's proxy, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bff: Option<String>,
    #[serde(default)]
    pub live_events: Vec<String>,
}

/// `/mount-points.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MountPoints {
    #[serde(rename = "mount-points")]
    pub mount_points: BTreeMap<String, Vec<MountPointEntry>>,
}

/// The three master manifests, composed together so they are always consistent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Composition {
    pub import_map: ImportMap,
    pub apps: AppsManifest,
    pub mount_points: MountPoints,
}

/// Why a set of apps cannot be composed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("activation.routes: `{route}` of `{app}` collides with `{other_route}` of `{other}`")]
    RouteCollision { app: String, route: String, other: String, other_route: String },
    #[error("mountPoints.{slot}: key `{key}` of `{app}` is already used by `{other}`")]
    MountPointCollision { app: String, slot: String, key: String, other: String },
    #[error("activation.slot: slot `{slot}` of `{app}` is already taken by `{other}`")]
    SlotCollision { app: String, slot: String, other: String },
}

impl ComposeError {
    /// The manifest field at fault, for API error bodies.
    pub fn field(&self) -> String {
        match self {
            Self::RouteCollision { .. } => "activation.routes".into(),
            Self::MountPointCollision { slot, .. } => format!("mountPoints.{slot}"),
            Self::SlotCollision { .. } => "activation.slot".into(),
        }
    }
}

/// Composes the master manifests. Apps are processed by name so the result (and its
/// version) does not depend on deploy order.
pub fn compose(apps: &[DeployedApp]) -> Result<Composition, ComposeError> {
    let mut sorted: Vec<&DeployedApp> = apps.iter().collect();
    sorted.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));

    let mut routes: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut slots: BTreeMap<String, String> = BTreeMap::new();
    let mut keys: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut composition = Composition::default();

    for app in sorted {
        let m = &app.manifest;
        match &m.activation {
            Activation::Routes { .. } => {
                for route in m.activation.patterns() {
                    if let Some((other, other_route)) = routes.get(&route.shape()) {
                        return Err(ComposeError::RouteCollision {
                            app: m.name.clone(),
                            route: route.to_string(),
                            other: other.clone(),
                            other_route: other_route.clone(),
                        });
                    }
                    routes.insert(route.shape(), (m.name.clone(), route.to_string()));
                }
            }
            Activation::Always { slot } => {
                if let Some(other) = slots.insert(slot.clone(), m.name.clone()) {
                    return Err(ComposeError::SlotCollision { app: m.name.clone(), slot: slot.clone(), other });
                }
            }
            Activation::Parcel => {}
        }
        for (slot, entries) in &m.mount_points {
            for entry in entries {
                if let Some(other) = keys.insert((slot.clone(), entry.key.clone()), m.name.clone()) {
                    return Err(ComposeError::MountPointCollision { app: m.name.clone(), slot: slot.clone(), key: entry.key.clone(), other });
                }
                composition.mount_points.mount_points.entry(slot.clone()).or_default().push(entry.clone());
            }
        }
        let url = format!("{}{}", app.base_url, m.entry);
        composition.import_map.imports.insert(m.name.clone(), url.clone());
        composition.apps.apps.push(AppEntry {
            name: m.name.clone(),
            version: m.version.clone(),
            url,
            styles: m.styles.iter().map(|s| format!("{}{s}", app.base_url)).collect(),
            files: m.files.iter().map(|f| format!("{}{f}", app.base_url)).collect(),
            activation: m.activation.clone(),
            parcels: m.parcels.clone(),
            bff: m.bff.as_ref().map(|_| format!("/api/{}", m.name)),
            live_events: m.live_events.clone(),
        });
    }
    for entries in composition.mount_points.mount_points.values_mut() {
        entries.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.key.cmp(&b.key)));
    }
    let fingerprint = serde_json::to_vec(&(&composition.import_map, &composition.apps.apps, &composition.mount_points))
        .expect("composition serializes");
    composition.apps.version = bytes_hash(&fingerprint);
    Ok(composition)
}

impl AppsManifest {
    /// The routed app for a path, with its parameters: the most specific route wins.
    pub fn route(&self, path: &str) -> Option<(&AppEntry, BTreeMap<String, String>)> {
        let mut best: Option<(Vec<u8>, &AppEntry, BTreeMap<String, String>)> = None;
        for app in &self.apps {
            for route in app.activation.patterns() {
                if let Some(params) = route.matches(path) {
                    let key = route.specificity();
                    if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                        best = Some((key, app, params));
                    }
                }
            }
        }
        best.map(|(_, app, params)| (app, params))
    }

    /// The base route of an app: its first route with parameters and wildcards cut off.
    pub fn base_route(app: &AppEntry) -> String {
        match &app.activation {
            Activation::Routes { routes, .. } => {
                let first = routes.first().map(String::as_str).unwrap_or("/");
                let cut = first.find([':', '*']).map(|i| &first[..i]).unwrap_or(first);
                let trimmed = cut.trim_end_matches('/');
                if trimmed.is_empty() { "/".into() } else { trimmed.into() }
            }
            _ => "/".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, activation: serde_json::Value, mount: serde_json::Value) -> DeployedApp {
        let manifest = Manifest::parse(
            serde_json::json!({
                "name": name, "version": "1.0.0", "entry": "index.js", "files": ["index.js"],
                "activation": activation, "parcels": ["p"], "mountPoints": mount,
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        DeployedApp { base_url: format!("/apps/{name}/1.0.0-abc/"), manifest }
    }

    fn routes(list: &[&str]) -> serde_json::Value {
        serde_json::json!({ "kind": "routes", "routes": list })
    }

    fn nav_entry(key: &str, order: i32) -> serde_json::Value {
        serde_json::json!({ "left-nav": [{ "key": key, "content": key, "to": "/", "order": order }] })
    }

    #[test]
    fn composition_builds_all_three_manifests() {
        let apps = [
            app("nav", serde_json::json!({"kind": "always", "slot": "nav"}), serde_json::json!({})),
            app("menus", routes(&["/", "/restaurants/:id"]), nav_entry("menus", 10)),
            app("cart", routes(&["/cart"]), nav_entry("cart", 5)),
        ];
        let c = compose(&apps).unwrap();
        assert_eq!(c.import_map.imports["menus"], "/apps/menus/1.0.0-abc/index.js");
        assert_eq!(c.apps.apps.len(), 3);
        let keys: Vec<_> = c.mount_points.mount_points["left-nav"].iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["cart", "menus"]);
        let json = serde_json::to_value(&c.mount_points).unwrap();
        assert!(json["mount-points"]["left-nav"].is_array());

        let (hit, params) = c.apps.route("/restaurants/r1").unwrap();
        assert_eq!((hit.name.as_str(), params["id"].as_str()), ("menus", "r1"));
        assert_eq!(c.apps.route("/cart").unwrap().0.name, "cart");
        assert!(c.apps.route("/nowhere").is_none());
        assert_eq!(AppsManifest::base_route(hit), "/");
    }

    #[test]
    fn the_version_changes_with_content_but_not_with_deploy_order() {
        let a = app("a", routes(&["/a"]), serde_json::json!({}));
        let b = app("b", routes(&["/b"]), serde_json::json!({}));
        let v1 = compose(&[a.clone(), b.clone()]).unwrap().apps.version;
        assert_eq!(v1, compose(&[b.clone(), a.clone()]).unwrap().apps.version);
        let mut b2 = b;
        b2.base_url = "/apps/b/1.0.1-def/".into();
        assert_ne!(v1, compose(&[a, b2]).unwrap().apps.version);
    }

    #[test]
    fn colliding_routes_keys_and_slots_are_rejected() {
        let err = compose(&[app("a", routes(&["/x/:id"]), serde_json::json!({})), app("b", routes(&["/x/:other"]), serde_json::json!({}))]).unwrap_err();
        assert!(matches!(err, ComposeError::RouteCollision { .. }), "{err}");
        assert_eq!(err.field(), "activation.routes");

        let err = compose(&[app("a", routes(&["/a"]), nav_entry("home", 1)), app("b", routes(&["/b"]), nav_entry("home", 2))]).unwrap_err();
        assert!(err.to_string().contains("key `home`"), "{err}");

        let always = serde_json::json!({"kind": "always", "slot": "nav"});
        let err = compose(&[app("a", always.clone(), serde_json::json!({})), app("b", always, serde_json::json!({}))]).unwrap_err();
        assert!(matches!(err, ComposeError::SlotCollision { .. }), "{err}");
    }

    #[test]
    fn the_most_specific_route_wins() {
        let c = compose(&[app("a", routes(&["/orders/:id"]), serde_json::json!({})), app("b", routes(&["/orders/new", "/*"]), serde_json::json!({}))]).unwrap();
        assert_eq!(c.apps.route("/orders/new").unwrap().0.name, "b");
        assert_eq!(c.apps.route("/orders/7").unwrap().0.name, "a");
        assert_eq!(c.apps.route("/else").unwrap().0.name, "b");
    }
}
