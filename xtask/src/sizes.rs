//! The size table: raw, gzip, brotli and transferred bytes per app.
//!
//! Transferred is what the host sends a browser with Compression Dictionary Transport (Chromium)
//! once the shell has loaded: app wasm and JS compressed against the shell's (`dcb`), the rest
//! brotli. Browsers without it get the brotli column. The host's own encoder computes both.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use tessera_host::assets::Assets;
use tessera_host::encoding::{self, Dictionary};

use crate::build::Kind;

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) app: String,
    pub(crate) kind: Kind,
    pub(crate) wasm_raw: usize,
    pub(crate) raw: usize,
    pub(crate) gzip: usize,
    pub(crate) brotli: usize,
    pub(crate) transferred: usize,
}

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

fn brotli(bytes: &[u8]) -> usize {
    encoding::brotli(bytes).len()
}

/// The files a browser downloads for an app (wasm, JS, CSS; not `mfe.json`), and the URL they
/// are served under.
pub(crate) struct Download {
    pub(crate) app: String,
    pub(crate) kind: Kind,
    /// `/shell/<hash>/` or `/apps/<name>/<version>-<hash>/`.
    pub(crate) base_url: String,
    pub(crate) files: BTreeMap<String, Vec<u8>>,
}

impl Download {
    /// A micro-app or fixture written to `dir` (`apps/<name>-<hash>`) with its manifest.
    pub(crate) fn app(name: &str, kind: Kind, dir: &str, manifest: &Value, files: BTreeMap<String, Vec<u8>>) -> Self {
        Self { app: name.to_string(), kind, base_url: format!("{}/", app_base_url(name, dir, manifest)), files }
    }

    /// Measures every file, raw and as each encoding the host serves it in.
    pub(crate) fn measure(&self, dictionaries: &[Dictionary]) -> Row {
        let mut row = Row { app: self.app.clone(), kind: self.kind, wasm_raw: 0, raw: 0, gzip: 0, brotli: 0, transferred: 0 };
        for (path, bytes) in self.files.iter().filter(|(path, _)| *path != "mfe.json") {
            if path.ends_with(".wasm") {
                row.wasm_raw += bytes.len();
            }
            row.raw += bytes.len();
            row.gzip += gzip(bytes);
            row.brotli += brotli(bytes);
            row.transferred += encoding::transferred_bytes(&format!("{}{path}", self.base_url), bytes, dictionaries);
        }
        row
    }
}

/// Measures every download, in parallel (brotli at quality 11 takes most of a second per file).
pub(crate) fn measure_all(downloads: &[Download], dictionaries: &[Dictionary]) -> Vec<Row> {
    std::thread::scope(|scope| {
        let measuring: Vec<_> = downloads.iter().map(|d| scope.spawn(move || d.measure(dictionaries))).collect();
        measuring.into_iter().map(|m| m.join().expect("measuring does not panic")).collect()
    })
}

/// The URL the host's composition gives an app's files: `/apps/<name>/<version>-<hash>`.
fn app_base_url(name: &str, dir: &str, manifest: &Value) -> String {
    let hash = dir.rsplit_once('-').map_or("", |(_, hash)| hash);
    format!("/apps/{name}/{}-{hash}", manifest["version"].as_str().unwrap_or_default())
}

pub(crate) fn print_and_save(rows: &[Row], path: &Path) -> anyhow::Result<()> {
    println!("| app | wasm raw | total raw | gzip | brotli | transferred (shell as dictionary) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("| {} | {} | {} | {} | {} | {} |", r.app, r.wasm_raw, r.raw, r.gzip, r.brotli, r.transferred);
    }
    std::fs::write(path, serde_json::to_vec_pretty(rows)?)?;
    Ok(())
}

/// What the first visit to `/` downloads: `index.html` as the host renders it (with the import
/// map of every app), the global stylesheet, the shell, every always-on app (`nav`) and the
/// app routed at `/`.
#[derive(Debug, Default)]
pub(crate) struct FirstLoad {
    imports: BTreeMap<String, String>,
    apps: Vec<String>,
}

impl FirstLoad {
    /// Notes a micro-app built into `dir` (`apps/<name>-<hash>`) with its completed manifest.
    pub(crate) fn add_app(&mut self, name: &str, dir: &str, manifest: &Value) {
        let entry = manifest["entry"].as_str().unwrap_or_default();
        self.imports.insert(name.to_string(), format!("{}/{entry}", app_base_url(name, dir, manifest)));
        let activation = &manifest["activation"];
        let at_root = activation["routes"].as_array().is_some_and(|routes| routes.iter().any(|r| r == "/"));
        if activation["kind"] == "always" || at_root {
            self.apps.push(name.to_string());
        }
    }

    /// Bytes the first load transfers, from the measured rows and the public files.
    pub(crate) fn transferred(&self, assets: &Assets, public: &Path, rows: &[Row]) -> anyhow::Result<usize> {
        let page = assets.render_index(&json!({ "imports": self.imports }), "first-load");
        let css = std::fs::read(public.join("styles.css")).with_context(|| format!("reading {}", public.join("styles.css").display()))?;
        let mut total = brotli(page.as_bytes()) + brotli(&css);
        for app in std::iter::once("shell").chain(self.apps.iter().map(String::as_str)) {
            total += rows.iter().find(|r| r.app == app).with_context(|| format!("no size for {app}"))?.transferred;
        }
        Ok(total)
    }

    /// The apps counted besides the shell.
    pub(crate) fn apps(&self) -> &[String] {
        &self.apps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_load_counts_always_on_apps_and_the_app_at_the_root() {
        let mut first = FirstLoad::default();
        let app = |activation: Value| json!({ "version": "0.1.0-build.abcd1234", "entry": "index.js", "activation": activation });
        first.add_app("nav", "apps/nav-0123456789ab", &app(json!({ "kind": "always", "slot": "nav" })));
        first.add_app("menus", "apps/menus-0123456789ab", &app(json!({ "kind": "routes", "routes": ["/", "/restaurants/:id"] })));
        first.add_app("orders", "apps/orders-0123456789ab", &app(json!({ "kind": "routes", "routes": ["/orders"] })));
        first.add_app("cart", "apps/cart-0123456789ab", &app(json!({ "kind": "parcel" })));
        assert_eq!(first.apps(), ["nav", "menus"]);
        // Every app is in the page's import map, at the URL the host gives it.
        assert_eq!(first.imports.len(), 4);
        assert_eq!(first.imports["orders"], "/apps/orders/0.1.0-build.abcd1234-0123456789ab/index.js");
    }
}
