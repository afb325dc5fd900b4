//! The micro-app contract in data: the `mfe.json` schema, its validation, route patterns,
//! and the composer that turns every deployed manifest into the three master manifests the
//! shell reads (`/importmap.json`, `/apps.json`, `/mount-points.json`).
//!
//! This crate is shared by the host (validation and composition on deploy), the build
//! (`cargo xtask build` writes `mfe.json`) and the shell app (it reads `apps.json` and matches
//! routes), so it stays small and free of I/O.
//!
//! Layout:
//! - [`manifest`]: `mfe.json` types and validation with precise, field-named errors;
//! - [`route`]: route patterns (`/menus/:id`, `/docs/*`) and matching;
//! - [`compose`]: the composer and the master-manifest types;
//! - [`hash`]: the content hash that names a deployed version.

pub mod compose;
pub mod hash;
pub mod manifest;
pub mod route;

pub use compose::{AppEntry, AppsManifest, ComposeError, Composition, DeployedApp, ImportMap, MountPoints};
pub use hash::content_hash;
pub use manifest::{Activation, Bff, Limits, Manifest, ManifestError, MountPointEntry};
pub use route::RoutePattern;
