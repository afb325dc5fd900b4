//! `mfe.json`: what a deployed micro-app declares about itself.
//!
//! ```json
//! {
//!   "name": "menus",
//!   "version": "0.1.0",
//!   "entry": "index.js",
//!   "files": ["index.js", "menus_app.js", "menus_app_bg.wasm", "style.css"],
//!   "styles": ["style.css"],
//!   "activation": { "kind": "routes", "routes": ["/", "/restaurants/:id"] },
//!   "parcels": [],
//!   "mountPoints": {
//!     "left-nav": [{ "key": "menus", "content": "Restaurants", "icon": "🍽️", "to": "/", "order": 10, "roles": [] }]
//!   },
//!   "bff": { "upstream": "http://127.0.0.1:4101" },
//!   "liveEvents": ["menu-item-updated"]
//! }
//! ```
//!
//! Unknown fields are errors: a typo must not silently drop a route.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::route::RoutePattern;

/// A rejected manifest or upload: which field, and why. The field `upload` means the upload
/// is too large (HTTP 413); every other field is a problem with the manifest or its files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {reason}")]
pub struct ManifestError {
    /// A JSON path into `mfe.json` (`activation.routes[1]`), or `files` / `upload` for the bundle.
    pub field: String,
    /// A sentence a developer can act on.
    pub reason: String,
}

impl ManifestError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

/// A micro-app's manifest (`mfe.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// Unique app name, kebab-case: also its import-map name and its `/api/<name>` prefix.
    pub name: String,
    /// `MAJOR.MINOR.PATCH` with an optional `-pre` suffix; a redeploy with other files needs a new one.
    pub version: String,
    /// The ES module exporting `mount`/`unmount` (and optionally `bootstrap`/`update`).
    pub entry: String,
    /// Every file of the app, relative to its directory (`mfe.json` itself excluded).
    pub files: Vec<String>,
    /// Stylesheets the shell loads before mounting the app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub styles: Vec<String>,
    /// When the app is mounted.
    pub activation: Activation,
    /// Named parcels other apps may mount (the entry's `mount` receives `props.parcel`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parcels: Vec<String>,
    /// Entries the app contributes to named mount points (`left-nav`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mount_points: BTreeMap<String, Vec<MountPointEntry>>,
    /// The app's own backend, proxied by the host under `/api/<name>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bff: Option<Bff>,
    /// Domain event types the app wants pushed live (`order-placed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live_events: Vec<String>,
}

/// When an app is mounted: `{"kind": "routes" | "always" | "parcel", …the kind's fields}`.
///
/// Deserialized by hand (see the impl below) rather than as serde's internally tagged enum,
/// which buffers the object first and costs the shell's wasm about 9 KB.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Activation {
    /// Mounted in the main area while the location matches one of the routes.
    /// Patterns as in [`RoutePattern`]; kept as text so errors can name the exact entry.
    /// With `roles`, the routes are protected: the shell sends a signed-out visitor to sign in
    /// (and back), and tells a signed-in user without any of the roles that the page is not
    /// theirs. The BFF enforces the same rules; this is for the experience.
    Routes {
        routes: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        roles: Vec<String>,
    },
    /// Always mounted, in the named layout slot (`nav`).
    Always { slot: String },
    /// Never activated by the shell itself; only mounted by other apps as parcels.
    Parcel,
}

impl<'de> Deserialize<'de> for Activation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;

        /// Every field any kind has; which ones a kind allows is checked below.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            kind: String,
            routes: Option<Vec<String>>,
            roles: Option<Vec<String>>,
            slot: Option<String>,
        }

        let Wire { kind, routes, roles, slot } = Wire::deserialize(deserializer)?;
        // The same errors serde gives an internally tagged enum with `deny_unknown_fields`.
        let refuse = |field: &'static str, allowed: &'static [&'static str]| Err(D::Error::unknown_field(field, allowed));
        match kind.as_str() {
            "routes" => match slot {
                Some(_) => refuse("slot", &["kind", "routes", "roles"]),
                None => Ok(Activation::Routes { routes: routes.ok_or_else(|| D::Error::missing_field("routes"))?, roles: roles.unwrap_or_default() }),
            },
            "always" if routes.is_some() => refuse("routes", &["kind", "slot"]),
            "always" if roles.is_some() => refuse("roles", &["kind", "slot"]),
            "always" => Ok(Activation::Always { slot: slot.ok_or_else(|| D::Error::missing_field("slot"))? }),
            "parcel" => match (&routes, &roles, &slot) {
                (None, None, None) => Ok(Activation::Parcel),
                (Some(_), ..) => refuse("routes", &["kind"]),
                (_, Some(_), _) => refuse("roles", &["kind"]),
                _ => refuse("slot", &["kind"]),
            },
            other => Err(D::Error::unknown_variant(other, &["routes", "always", "parcel"])),
        }
    }
}

impl Activation {
    /// The roles that may open a routed app (empty: everybody).
    pub fn roles(&self) -> &[String] {
        match self {
            Activation::Routes { roles, .. } => roles,
            _ => &[],
        }
    }

    /// The parsed route patterns (empty unless routed); invalid ones were rejected on deploy.
    pub fn patterns(&self) -> Vec<RoutePattern> {
        match self {
            Activation::Routes { routes, .. } => routes.iter().filter_map(|r| RoutePattern::parse(r).ok()).collect(),
            _ => Vec::new(),
        }
    }
}

/// One entry of a mount point, as in the seeds' `mount-points.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountPointEntry {
    pub key: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    pub to: String,
    #[serde(default)]
    pub order: i32,
    /// Roles that see the entry; empty means everybody.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The app's BFF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bff {
    /// Base URL the host proxies `/api/<name>/…` to, e.g. `http://127.0.0.1:4101`.
    pub upstream: String,
}

/// Size limits for an uploaded app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_app_bytes: u64,
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_file_bytes: 8 * 1024 * 1024, max_app_bytes: 32 * 1024 * 1024, max_files: 64 }
    }
}

/// The name of the manifest file inside an app directory.
pub const MANIFEST_FILE: &str = "mfe.json";

impl Manifest {
    /// Parses and validates `mfe.json` bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let manifest: Manifest = serde_path_to_error::deserialize(de).map_err(|err| {
            let path = err.path().to_string();
            // Malformed JSON is not about one field (its path may be `?`); the reason has the position.
            let malformed = err.inner().is_syntax() || err.inner().is_eof();
            let field = if path == "." || malformed { "mfe.json".to_string() } else { path };
            ManifestError::new(field, err.into_inner().to_string())
        })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks everything that does not need the files themselves.
    pub fn validate(&self) -> Result<(), ManifestError> {
        check_kebab("name", &self.name, 40)?;
        check_version(&self.version)?;
        if self.files.is_empty() {
            return Err(ManifestError::new("files", "lists no files; at least the entry is needed"));
        }
        let mut seen = BTreeSet::new();
        for (i, file) in self.files.iter().enumerate() {
            check_file_path(&format!("files[{i}]"), file)?;
            if file == MANIFEST_FILE {
                return Err(ManifestError::new(format!("files[{i}]"), "must not list mfe.json itself"));
            }
            if !seen.insert(file.as_str()) {
                return Err(ManifestError::new(format!("files[{i}]"), format!("`{file}` is listed twice")));
            }
        }
        check_file_path("entry", &self.entry)?;
        if !(self.entry.ends_with(".js") || self.entry.ends_with(".mjs")) {
            return Err(ManifestError::new("entry", "must be an ES module ending in .js or .mjs"));
        }
        if !seen.contains(self.entry.as_str()) {
            return Err(ManifestError::new("entry", format!("`{}` is not listed in files", self.entry)));
        }
        for (i, style) in self.styles.iter().enumerate() {
            if !seen.contains(style.as_str()) || !style.ends_with(".css") {
                return Err(ManifestError::new(format!("styles[{i}]"), format!("`{style}` must be a .css file listed in files")));
            }
        }
        match &self.activation {
            Activation::Routes { routes, .. } if routes.is_empty() => {
                return Err(ManifestError::new("activation.routes", "needs at least one route"));
            }
            Activation::Routes { routes, roles } => {
                for (r, role) in roles.iter().enumerate() {
                    check_kebab(&format!("activation.roles[{r}]"), role, 40)?;
                }
                let mut shapes = BTreeSet::new();
                for (i, route) in routes.iter().enumerate() {
                    let route = RoutePattern::parse(route).map_err(|reason| ManifestError::new(format!("activation.routes[{i}]"), reason))?;
                    if !shapes.insert(route.shape()) {
                        return Err(ManifestError::new(format!("activation.routes[{i}]"), format!("`{route}` duplicates another route of this app")));
                    }
                }
            }
            Activation::Always { slot } => check_kebab("activation.slot", slot, 40)?,
            Activation::Parcel if self.parcels.is_empty() => {
                return Err(ManifestError::new("parcels", "a parcel-only app must name at least one parcel"));
            }
            Activation::Parcel => {}
        }
        for (i, parcel) in self.parcels.iter().enumerate() {
            check_kebab(&format!("parcels[{i}]"), parcel, 40)?;
        }
        for (slot, entries) in &self.mount_points {
            check_kebab(&format!("mountPoints.{slot}"), slot, 40)?;
            let mut keys = BTreeSet::new();
            for (i, entry) in entries.iter().enumerate() {
                let field = format!("mountPoints.{slot}[{i}]");
                check_kebab(&format!("{field}.key"), &entry.key, 60)?;
                if !keys.insert(entry.key.as_str()) {
                    return Err(ManifestError::new(format!("{field}.key"), format!("`{}` is used twice", entry.key)));
                }
                if entry.content.trim().is_empty() || entry.content.len() > 80 {
                    return Err(ManifestError::new(format!("{field}.content"), "must be 1 to 80 characters"));
                }
                if !entry.to.starts_with('/') || entry.to.starts_with("//") {
                    return Err(ManifestError::new(format!("{field}.to"), "must be a path on this site, starting with a single `/`"));
                }
                for (r, role) in entry.roles.iter().enumerate() {
                    check_kebab(&format!("{field}.roles[{r}]"), role, 40)?;
                }
            }
        }
        if let Some(bff) = &self.bff {
            let rest = bff.upstream.strip_prefix("http://").or_else(|| bff.upstream.strip_prefix("https://"));
            match rest {
                Some(host) if !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace) => {}
                _ => return Err(ManifestError::new("bff.upstream", "must be an http:// or https:// URL")),
            }
        }
        for (i, event) in self.live_events.iter().enumerate() {
            check_kebab(&format!("liveEvents[{i}]"), event, 60)?;
            if !event.contains('-') {
                return Err(ManifestError::new(format!("liveEvents[{i}]"), "event types are `<entity>-<action>`"));
            }
        }
        Ok(())
    }

    /// Checks an uploaded bundle against this manifest: every listed file present, nothing
    /// unlisted, and within the size limits. `files` maps relative paths to sizes.
    pub fn validate_files(&self, files: &BTreeMap<String, u64>, limits: &Limits) -> Result<(), ManifestError> {
        if files.len() > limits.max_files {
            return Err(ManifestError::new("files", format!("{} files exceed the limit of {}", files.len(), limits.max_files)));
        }
        let mut total = 0;
        for (path, size) in files {
            check_file_path("files", path)?;
            if *size > limits.max_file_bytes {
                return Err(ManifestError::new(
                    "upload",
                    format!("`{path}` is {size} bytes, over the limit of {} bytes per file", limits.max_file_bytes),
                ));
            }
            total += size;
            if !self.files.iter().any(|f| f == path) {
                return Err(ManifestError::new("files", format!("uploaded file `{path}` is not listed in files")));
            }
        }
        if total > limits.max_app_bytes {
            return Err(ManifestError::new("upload", format!("{total} bytes exceed the limit of {} bytes per app", limits.max_app_bytes)));
        }
        for (i, file) in self.files.iter().enumerate() {
            if !files.contains_key(file) {
                return Err(ManifestError::new(format!("files[{i}]"), format!("`{file}` is listed but was not uploaded")));
            }
        }
        Ok(())
    }
}

fn check_kebab(field: &str, value: &str, max: usize) -> Result<(), ManifestError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && !value.contains("--")
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ManifestError::new(field, format!("`{value}` must be kebab-case (a-z, 0-9, `-`), start with a letter, at most {max} characters")))
    }
}

fn check_version(version: &str) -> Result<(), ManifestError> {
    let (core, pre) = version.split_once('-').unwrap_or((version, ""));
    let numbers: Vec<&str> = core.split('.').collect();
    let ok = numbers.len() == 3
        && numbers.iter().all(|n| !n.is_empty() && n.len() <= 9 && n.chars().all(|c| c.is_ascii_digit()))
        && pre.len() <= 40
        && pre.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
    if ok && !(version.contains('-') && pre.is_empty()) {
        Ok(())
    } else {
        Err(ManifestError::new("version", format!("`{version}` must look like 1.2.3 or 1.2.3-beta.1")))
    }
}

/// File names are relative paths of plain segments: no `..`, no absolute paths, no
/// backslashes, nothing a file system could reinterpret.
pub fn check_file_path(field: &str, path: &str) -> Result<(), ManifestError> {
    let reason = if path.is_empty() {
        Some("is empty")
    } else if path.len() > 200 {
        Some("is longer than 200 characters")
    } else if path.starts_with('/') {
        Some("is an absolute path; use a path relative to the app directory")
    } else if path.contains('\\') {
        Some("contains a backslash; use `/` between directories")
    } else if path.split('/').any(|s| s == ".." || s == "." || s.is_empty()) {
        Some("contains an empty, `.` or `..` segment")
    } else if !path.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        Some("may only contain letters, digits, `-`, `_`, `.` and `/`")
    } else if path.split('/').any(|s| s.starts_with('.')) {
        Some("must not name a hidden file")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ManifestError::new(field, format!("`{path}` {reason}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> serde_json::Value {
        serde_json::json!({
            "name": "menus",
            "version": "0.1.0",
            "entry": "index.js",
            "files": ["index.js", "app_bg.wasm", "style.css"],
            "styles": ["style.css"],
            "activation": { "kind": "routes", "routes": ["/", "/restaurants/:id"] },
            "mountPoints": { "left-nav": [{ "key": "menus", "content": "Restaurants", "icon": "🍽️", "to": "/", "order": 10, "roles": [] }] },
            "bff": { "upstream": "http://127.0.0.1:4101" },
            "liveEvents": ["menu-item-updated"]
        })
    }

    fn parse(value: serde_json::Value) -> Result<Manifest, ManifestError> {
        Manifest::parse(value.to_string().as_bytes())
    }

    fn rejects(mutate: impl FnOnce(&mut serde_json::Value), field: &str, reason_part: &str) {
        let mut value = base();
        mutate(&mut value);
        let err = parse(value).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert!(err.reason.contains(reason_part), "{err}");
    }

    #[test]
    fn a_complete_manifest_parses_and_round_trips() {
        let manifest = parse(base()).unwrap();
        assert_eq!(manifest.name, "menus");
        let again = Manifest::parse(serde_json::to_vec(&manifest).unwrap().as_slice()).unwrap();
        assert_eq!(manifest, again);
    }

    #[test]
    fn invalid_json_is_rejected_with_its_position() {
        let err = Manifest::parse(b"{\"name\": ").unwrap_err();
        assert!(err.reason.contains("line 1"), "{err}");
    }

    #[test]
    fn unknown_fields_are_rejected_by_path() {
        rejects(|v| v["colour"] = "red".into(), "colour", "unknown field");
        rejects(|v| v["activation"]["route"] = "/x".into(), "activation.route", "unknown field `route`");
        rejects(|v| v["mountPoints"]["left-nav"][0]["label"] = "x".into(), "mountPoints.left-nav[0].label", "unknown field");
    }

    #[test]
    fn each_activation_kind_takes_only_its_own_fields() {
        use serde_json::json;
        let activation = |value: serde_json::Value| serde_json::from_value::<Activation>(value);
        for (value, expected) in [
            (json!({"kind": "routes", "routes": ["/a"]}), Activation::Routes { routes: vec!["/a".into()], roles: vec![] }),
            (json!({"kind": "routes", "routes": ["/a"], "roles": ["driver"]}), Activation::Routes { routes: vec!["/a".into()], roles: vec!["driver".into()] }),
            (json!({"kind": "always", "slot": "nav"}), Activation::Always { slot: "nav".into() }),
            (json!({"kind": "parcel"}), Activation::Parcel),
        ] {
            let parsed = activation(value.clone()).unwrap();
            assert_eq!(parsed, expected);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), value, "round trip");
        }
        for (value, reason) in [
            (json!({"kind": "routes", "routes": ["/a"], "slot": "nav"}), "unknown field `slot`, expected one of `kind`, `routes`, `roles`"),
            (json!({"kind": "always", "slot": "nav", "routes": ["/a"]}), "unknown field `routes`, expected `kind` or `slot`"),
            (json!({"kind": "always", "slot": "nav", "roles": ["x"]}), "unknown field `roles`"),
            (json!({"kind": "parcel", "slot": "nav"}), "unknown field `slot`, expected `kind`"),
            (json!({"kind": "parcel", "roles": []}), "unknown field `roles`"),
            (json!({"kind": "routes"}), "missing field `routes`"),
            (json!({"kind": "always"}), "missing field `slot`"),
            (json!({"routes": ["/a"]}), "missing field `kind`"),
            (json!({"kind": "teleport"}), "unknown variant `teleport`, expected one of `routes`, `always`, `parcel`"),
            (json!({"kind": "routes", "routes": "/a"}), "invalid type"),
        ] {
            let err = activation(value.clone()).unwrap_err().to_string();
            assert!(err.contains(reason), "{value}: {err}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        rejects(|v| { v.as_object_mut().unwrap().remove("entry"); }, "mfe.json", "missing field `entry`");
    }

    #[test]
    fn names_versions_and_entries_are_checked() {
        rejects(|v| v["name"] = "Menus".into(), "name", "kebab-case");
        rejects(|v| v["version"] = "1.0".into(), "version", "1.2.3");
        rejects(|v| v["entry"] = "main.js".into(), "entry", "not listed");
        rejects(|v| { v["entry"] = "app_bg.wasm".into(); }, "entry", "ES module");
        rejects(|v| v["styles"] = serde_json::json!(["other.css"]), "styles[0]", "listed in files");
    }

    #[test]
    fn file_names_that_escape_the_app_directory_are_rejected() {
        for (bad, why) in [("../x.js", "`..`"), ("/etc/passwd", "absolute"), ("a\\b.js", "backslash"), ("a//b.js", "empty"), (".env", "hidden")] {
            rejects(|v| v["files"] = serde_json::json!(["index.js", bad]), "files[1]", why);
        }
        rejects(|v| v["files"] = serde_json::json!(["index.js", "index.js"]), "files[1]", "twice");
    }

    #[test]
    fn routes_mount_points_bff_and_events_are_checked() {
        rejects(|v| v["activation"]["routes"] = serde_json::json!(["menus"]), "activation.routes[0]", "start with `/`");
        rejects(|v| v["activation"]["routes"] = serde_json::json!([]), "activation.routes", "at least one");
        rejects(|v| v["activation"]["routes"] = serde_json::json!(["/a/:x", "/a/:y"]), "activation.routes[1]", "duplicates");
        rejects(|v| v["mountPoints"]["left-nav"][0]["to"] = "//evil.example".into(), "mountPoints.left-nav[0].to", "single `/`");
        rejects(|v| v["bff"]["upstream"] = "ftp://x".into(), "bff.upstream", "http");
        rejects(|v| v["liveEvents"] = serde_json::json!(["placed"]), "liveEvents[0]", "<entity>-<action>");
        rejects(|v| v["activation"] = serde_json::json!({"kind": "parcel"}), "parcels", "at least one parcel");
    }

    #[test]
    fn uploaded_files_must_match_the_list_and_the_limits() {
        let manifest = parse(base()).unwrap();
        let limits = Limits { max_file_bytes: 100, max_app_bytes: 250, max_files: 10 };
        let mut files: BTreeMap<String, u64> = [("index.js", 10), ("app_bg.wasm", 90), ("style.css", 5)].map(|(k, v)| (k.to_string(), v)).into();
        manifest.validate_files(&files, &limits).unwrap();

        files.insert("extra.js".into(), 1);
        assert_eq!(manifest.validate_files(&files, &limits).unwrap_err().field, "files");
        files.remove("extra.js");

        files.insert("app_bg.wasm".into(), 101);
        let err = manifest.validate_files(&files, &limits).unwrap_err();
        assert!(err.reason.contains("over the limit"), "{err}");

        files.remove("style.css");
        files.insert("app_bg.wasm".into(), 1);
        let err = manifest.validate_files(&files, &limits).unwrap_err();
        assert_eq!(err.field, "files[2]");
    }
}
