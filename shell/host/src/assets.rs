//! Pages and files: `index.html` rendered with the composition, the master manifests (ETag,
//! revalidated), content-hashed bundles (immutable), the public assets, and `/health`.
//!
//! Offline support (docs/offline.md): the service worker itself at `/sw.js` (never cached, so
//! browsers notice a new worker at once), and `/sw-manifest.json`, every URL it precaches for
//! the current build (the page, the manifests, the public assets, the shell's files and every
//! app's files) with the build's `version`, which `index.html` carries too
//! (`<meta name="tessera-version">`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;
use tessera_manifests::hash::bytes_hash;
use tessera_manifests::manifest::check_file_path;

use crate::AppState;
use crate::encoding::{self, Dictionary, Encoding};
use crate::error::ApiError;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The shell build and the public files.
#[derive(Debug)]
pub struct Assets {
    template: String,
    shell_entry: String,
    shell_dir: PathBuf,
    public_dir: PathBuf,
    /// Every file URL of the shell build (entry, wasm, snippets), for the service worker.
    shell_files: Vec<String>,
    /// `/assets/…` URLs of the public files (all but the template and the worker).
    public_files: Vec<String>,
    /// The shell's wasm and JS glue, offered as compression dictionaries for the apps' files.
    dictionaries: Vec<Dictionary>,
}

/// The service worker's file in the public directory, served at `/sw.js`.
const SERVICE_WORKER: &str = "sw.js";

#[derive(serde::Deserialize)]
struct ShellBuild {
    entry: String,
}

impl Assets {
    pub async fn load(dist_dir: &Path, public_dir: &Path) -> anyhow::Result<Self> {
        let shell_json = dist_dir.join("shell").join("shell.json");
        let shell: ShellBuild = serde_json::from_slice(
            &tokio::fs::read(&shell_json).await.with_context(|| format!("reading {} (run `cargo xtask build` first)", shell_json.display()))?,
        )?;
        let template_path = public_dir.join("index.html");
        let template = tokio::fs::read_to_string(&template_path).await.with_context(|| format!("reading {}", template_path.display()))?;
        let shell_dir = dist_dir.join("shell");
        // The entry is `/shell/<hash>/<lib>.js`: its directory holds the whole shell build.
        let shell_base = shell.entry.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
        let shell_files = match shell_base.strip_prefix("/shell/") {
            Some(hash) => file_urls(&shell_dir.join(hash), &shell_base).await,
            None => vec![shell.entry.clone()],
        };
        let public_files = file_urls(public_dir, "/assets")
            .await
            .into_iter()
            .filter(|url| url != "/assets/index.html" && url != &format!("/assets/{SERVICE_WORKER}"))
            .collect();
        let dictionaries = shell_dictionaries(&shell_dir, &shell.entry).await;
        Ok(Self { template, shell_entry: shell.entry, shell_dir, public_dir: public_dir.to_path_buf(), shell_files, public_files, dictionaries })
    }

    /// The files offered as compression dictionaries.
    pub fn dictionaries(&self) -> &[Dictionary] {
        &self.dictionaries
    }

    /// The URL of the shell's wasm, next to its entry.
    pub fn shell_wasm_url(&self) -> String {
        self.shell_entry.replace(".js", "_bg.wasm")
    }

    /// The build a page belongs to: changes with the composition, the shell build and the page
    /// template, and names the service worker's cache of it (`tessera-<build>`).
    pub fn build_version(&self, composition_version: &str) -> String {
        bytes_hash(format!("{composition_version}\n{}\n{}", self.shell_entry, self.template).as_bytes())
    }

    /// `index.html` for a composition: the import map inline, the shell preloaded and started,
    /// and the build it belongs to (so the page can tell that the service worker has a newer one).
    pub fn render_index(&self, import_map: &impl Serialize, composition_version: &str) -> String {
        // `</` must not appear inside a script element.
        let map = serde_json::to_string(import_map).expect("import maps serialize").replace("</", "<\\/");
        let head = format!(
            "<meta name=\"tessera-version\" content=\"{build}\">\n<script type=\"importmap\">{map}</script>\n<link rel=\"modulepreload\" href=\"{entry}\">",
            build = self.build_version(composition_version),
            entry = self.shell_entry
        );
        let wasm = self.shell_wasm_url();
        let body = format!("<script type=\"module\">import init from \"{}\"; init({{ module_or_path: \"{wasm}\" }});</script>", self.shell_entry);
        self.template.replace("<!-- tessera:head -->", &head).replace("<!-- tessera:body -->", &body)
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/apps.json", get(apps_manifest))
        .route("/importmap.json", get(import_map))
        .route("/mount-points.json", get(mount_points))
        .route("/sw.js", get(service_worker))
        .route("/sw-manifest.json", get(sw_manifest))
        .route("/apps/{name}/{version}/{*file}", get(app_file))
        .route("/shell/{hash}/{*file}", get(shell_file))
        .route("/assets/{*file}", get(public_file))
        .fallback(index)
}

/// Starts encoding every file of the current build (shell, public files, every app), so that
/// browsers get brotli 11 and `dcb` from their first request on. Runs at startup and after each
/// change of the composition; files already encoded are skipped.
pub async fn prepare_encodings(state: &AppState) {
    let assets = &state.assets;
    let composition = state.store.composition();
    let urls = assets.shell_files.iter().chain(&assets.public_files).chain(composition.apps.apps.iter().flat_map(|app| app.files.iter()));
    for url in urls {
        let path = match url.split('/').collect::<Vec<_>>().as_slice() {
            ["", "shell", rest @ ..] => assets.shell_dir.join(rest.join("/")),
            ["", "assets", rest @ ..] => assets.public_dir.join(rest.join("/")),
            ["", "apps", name, version, rest @ ..] => state.store.version_dir(name, version).join(rest.join("/")),
            _ => continue,
        };
        if let Ok(bytes) = tokio::fs::read(&path).await {
            encoding::prepare(url, bytes.into(), &assets.dictionaries);
        }
    }
}

/// The shell's wasm as the dictionary for app wasm, its JS glue for app JS (Compression
/// Dictionary Transport, see `encoding`). Apps are served under `/apps/`.
async fn shell_dictionaries(shell_dir: &Path, entry: &str) -> Vec<Dictionary> {
    let mut dictionaries = Vec::new();
    for (url, suffix) in [(entry.replace(".js", "_bg.wasm"), ".wasm"), (entry.to_string(), ".js")] {
        let Some(relative) = url.strip_prefix("/shell/") else { continue };
        match tokio::fs::read(shell_dir.join(relative)).await {
            Ok(bytes) => dictionaries.push(Dictionary::new(url, "/apps/", suffix, bytes)),
            Err(error) => tracing::warn!(%url, %error, "the shell build lacks this file: apps are sent without it as a dictionary"),
        }
    }
    dictionaries
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// A response with an ETag that answers `If-None-Match` with 304; its body brotli-encoded (once
/// per content, see `encoding`) for browsers that take brotli.
fn revalidated(headers: &HeaderMap, etag: String, cache: &'static str, content_type: &str, body: Vec<u8>) -> Response {
    let etag = format!("\"{etag}\"");
    let mut response = if etag_matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let wanted = if encoding::accepts_brotli(headers) { Encoding::Brotli } else { Encoding::Identity };
        let (encoding, body) = encoding::encoded_now(body.into(), wanted, None);
        let mut response = Response::new(Body::from(axum::body::Bytes::from_owner(body)));
        if let Some(value) = encoding::content_encoding(encoding) {
            response.headers_mut().insert(header::CONTENT_ENCODING, value);
        }
        response
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex etag"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).expect("known content type"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

fn json_response(headers: &HeaderMap, version: &str, kind: &str, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("manifests serialize");
    revalidated(headers, format!("{kind}-{version}"), REVALIDATE, "application/json", body)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(json!({ "status": "ok", "composition": state.store.composition().apps.version, "encodings_pending": encoding::pending() }))
}

async fn apps_manifest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = state.store.composition();
    json_response(&headers, &c.apps.version, "apps", &c.apps)
}

async fn import_map(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = state.store.composition();
    json_response(&headers, &c.apps.version, "importmap", &c.import_map)
}

async fn mount_points(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = state.store.composition();
    json_response(&headers, &c.apps.version, "mount-points", &c.mount_points)
}

/// What the service worker precaches for the current build.
#[derive(Debug, Serialize)]
struct SwManifest<'a> {
    /// The build (`tessera-<version>` is the worker's cache of it).
    version: String,
    /// The composition version, as `/apps.json` says it.
    composition: &'a str,
    urls: Vec<String>,
}

/// `/sw-manifest.json`: every URL a page of the current build needs, so that it works offline.
async fn sw_manifest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = state.store.composition();
    let version = state.assets.build_version(&c.apps.version);
    let mut urls: Vec<String> = ["/", "/apps.json", "/importmap.json", "/mount-points.json"].map(String::from).to_vec();
    urls.extend(state.assets.public_files.iter().cloned());
    urls.extend(state.assets.shell_files.iter().cloned());
    urls.extend(c.apps.apps.iter().flat_map(|app| app.files.iter().cloned()));
    let manifest = SwManifest { version: version.clone(), composition: &c.apps.version, urls };
    json_response(&headers, &version, "sw-manifest", &manifest)
}

/// `/sw.js`: revalidated on every check (browsers compare it byte for byte to find updates),
/// allowed to control the whole site.
async fn service_worker(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut response = send_file(&state.assets.public_dir.join(SERVICE_WORKER), REVALIDATE, &headers).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
        h.insert("service-worker-allowed", HeaderValue::from_static("/"));
    }
    response
}

/// The URLs of every file under `dir` (sorted, hidden files skipped), below `base`.
async fn file_urls(dir: &Path, base: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), base.to_string())];
    while let Some((dir, base)) = pending.pop() {
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else { continue };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let url = format!("{base}/{name}");
            match entry.file_type().await {
                Ok(kind) if kind.is_dir() => pending.push((entry.path(), url)),
                Ok(_) => urls.push(url),
                Err(_) => {}
            }
        }
    }
    urls.sort();
    urls
}

/// Serves `index.html` for every other GET, so deep links reach the shell's router.
async fn index(State(state): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound("no such resource".into()).into_response();
    }
    let composition = state.store.composition();
    let html = state.assets.render_index(&composition.import_map, &composition.apps.version);
    let etag = bytes_hash(html.as_bytes());
    revalidated(&headers, etag, REVALIDATE, "text/html; charset=utf-8", html.into_bytes())
}

/// An immutable bundle file at `url`, encoded once (`encoding`): brotli, or brotli against the
/// shell when the browser holds it as a dictionary. The shell's own files announce themselves as
/// dictionaries.
async fn send_bundle_file(path: &Path, url: &str, assets: &Assets, headers: &HeaderMap) -> Response {
    let Ok(bytes) = tokio::fs::read(path).await else {
        return ApiError::NotFound("no such file".into()).into_response();
    };
    let (encoding, dictionary) = encoding::negotiate(headers, url, &assets.dictionaries);
    let (encoding, body) = encoding::encoded_now(bytes.into(), encoding, dictionary);
    let mut response = Response::new(Body::from(axum::body::Bytes::from_owner(body)));
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(header::CONTENT_TYPE, content_type(path));
    if let Some(value) = encoding::content_encoding(encoding) {
        h.insert(header::CONTENT_ENCODING, value);
    }
    let vary = if encoding::varies_by_dictionary(url, &assets.dictionaries) { "accept-encoding, available-dictionary" } else { "accept-encoding" };
    h.insert(header::VARY, HeaderValue::from_static(vary));
    if let Some(dictionary) = assets.dictionaries.iter().find(|d| d.url == url) {
        h.insert("use-as-dictionary", dictionary.use_as_dictionary());
    }
    response
}

fn content_type(path: &Path) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let value = if mime.essence_str().starts_with("text/") || mime.essence_str() == "application/javascript" {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    };
    HeaderValue::from_str(&value).expect("mime types are valid headers")
}

/// A file that can change under its URL: revalidated by its ETag.
async fn send_file(path: &Path, cache: &'static str, headers: &HeaderMap) -> Response {
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let content_type = content_type(path);
            revalidated(headers, bytes_hash(&bytes), cache, content_type.to_str().expect("mime types are ASCII"), bytes)
        }
        Err(_) => ApiError::NotFound("no such file".into()).into_response(),
    }
}

fn safe_segment(segment: &str) -> bool {
    !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && !segment.starts_with('.')
}

async fn app_file(State(state): State<AppState>, UrlPath((name, version, file)): UrlPath<(String, String, String)>, headers: HeaderMap) -> Response {
    if !safe_segment(&name) || !safe_segment(&version) || check_file_path("file", &file).is_err() {
        return ApiError::NotFound("no such file".into()).into_response();
    }
    let url = format!("/apps/{name}/{version}/{file}");
    send_bundle_file(&state.store.version_dir(&name, &version).join(file), &url, &state.assets, &headers).await
}

async fn shell_file(State(state): State<AppState>, UrlPath((hash, file)): UrlPath<(String, String)>, headers: HeaderMap) -> Response {
    if !safe_segment(&hash) || check_file_path("file", &file).is_err() {
        return ApiError::NotFound("no such file".into()).into_response();
    }
    let url = format!("/shell/{hash}/{file}");
    send_bundle_file(&state.assets.shell_dir.join(&hash).join(&file), &url, &state.assets, &headers).await
}

async fn public_file(State(state): State<AppState>, UrlPath(file): UrlPath<String>, headers: HeaderMap) -> Response {
    if check_file_path("file", &file).is_err() || file == "index.html" {
        return ApiError::NotFound("no such file".into()).into_response();
    }
    send_file(&state.assets.public_dir.join(file), REVALIDATE, &headers).await
}
