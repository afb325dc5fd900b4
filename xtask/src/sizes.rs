//! The size table: raw, gzip and brotli bytes per app (what a browser transfers).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use crate::build::Kind;

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) app: String,
    pub(crate) kind: Kind,
    pub(crate) wasm_raw: usize,
    pub(crate) raw: usize,
    pub(crate) gzip: usize,
    pub(crate) brotli: usize,
}

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

pub(crate) fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out.len()
}

/// Measures the files a browser downloads for an app (wasm, JS, CSS; not `mfe.json`).
pub(crate) fn measure(app: &str, kind: Kind, files: &BTreeMap<String, Vec<u8>>) -> Row {
    let mut row = Row { app: app.to_string(), kind, wasm_raw: 0, raw: 0, gzip: 0, brotli: 0 };
    for (path, bytes) in files {
        if path == "mfe.json" {
            continue;
        }
        if path.ends_with(".wasm") {
            row.wasm_raw += bytes.len();
        }
        row.raw += bytes.len();
        row.gzip += gzip(bytes);
        row.brotli += brotli(bytes);
    }
    row
}

pub(crate) fn print_and_save(rows: &[Row], path: &Path) -> anyhow::Result<()> {
    println!("| app | wasm raw | total raw | gzip | brotli |");
    println!("|---|---:|---:|---:|---:|");
    for r in rows {
        println!("| {} | {} | {} | {} | {} |", r.app, r.wasm_raw, r.raw, r.gzip, r.brotli);
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
        let hash = dir.rsplit_once('-').map_or("", |(_, hash)| hash);
        let (version, entry) = (manifest["version"].as_str().unwrap_or_default(), manifest["entry"].as_str().unwrap_or_default());
        // The URL the host's composition gives the app (`/apps/<name>/<version>-<hash>/…`).
        self.imports.insert(name.to_string(), format!("/apps/{name}/{version}-{hash}/{entry}"));
        let activation = &manifest["activation"];
        let at_root = activation["routes"].as_array().is_some_and(|routes| routes.iter().any(|r| r == "/"));
        if activation["kind"] == "always" || at_root {
            self.apps.push(name.to_string());
        }
    }

    /// Brotli bytes of the first load, from the measured rows and the public files.
    pub(crate) fn brotli(&self, dist: &Path, public: &Path, rows: &[Row]) -> anyhow::Result<usize> {
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        let assets = runtime.block_on(tessera_host::assets::Assets::load(dist, public))?;
        let page = assets.render_index(&json!({ "imports": self.imports }), "first-load");
        let css = std::fs::read(public.join("styles.css")).with_context(|| format!("reading {}", public.join("styles.css").display()))?;
        let mut total = brotli(page.as_bytes()) + brotli(&css);
        for app in std::iter::once("shell").chain(self.apps.iter().map(String::as_str)) {
            total += rows.iter().find(|r| r.app == app).with_context(|| format!("no size for {app}"))?.brotli;
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
