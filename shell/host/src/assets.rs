//! Pages and files: `index.html` rendered with the composition, the master manifests (ETag,
//! revalidated), content-hashed bundles (immutable), the public assets, and `/health`.

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
}

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
        Ok(Self { template, shell_entry: shell.entry, shell_dir: dist_dir.join("shell"), public_dir: public_dir.to_path_buf() })
    }

    /// `index.html` for a composition: the import map inline, the shell preloaded and started.
    pub fn render_index(&self, import_map: &impl Serialize) -> String {
        // `</` must not appear inside a script element.
        let map = serde_json::to_string(import_map).expect("import maps serialize").replace("</", "<\\/");
        let head = format!(
            "<script type=\"importmap\">{map}</script>\n<link rel=\"modulepreload\" href=\"{entry}\">",
            entry = self.shell_entry
        );
        let wasm = self.shell_entry.replace(".js", "_bg.wasm");
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
        .route("/apps/{name}/{version}/{*file}", get(app_file))
        .route("/shell/{hash}/{*file}", get(shell_file))
        .route("/assets/{*file}", get(public_file))
        .fallback(index)
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// A response with an ETag that answers `If-None-Match` with 304.
fn revalidated(headers: &HeaderMap, etag: String, cache: &'static str, content_type: &str, body: Vec<u8>) -> Response {
    let etag = format!("\"{etag}\"");
    let mut response = if etag_matches(headers, &etag) { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex etag"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).expect("known content type"));
    response
}

fn json_response(headers: &HeaderMap, version: &str, kind: &str, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("manifests serialize");
    revalidated(headers, format!("{kind}-{version}"), REVALIDATE, "application/json", body)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(json!({ "status": "ok", "composition": state.store.composition().apps.version }))
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

/// Serves `index.html` for every other GET, so deep links reach the shell's router.
async fn index(State(state): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound("no such resource".into()).into_response();
    }
    let html = state.assets.render_index(&state.store.composition().import_map);
    let etag = bytes_hash(html.as_bytes());
    revalidated(&headers, etag, REVALIDATE, "text/html; charset=utf-8", html.into_bytes())
}

async fn send_file(path: &Path, cache: &'static str, headers: &HeaderMap) -> Response {
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            let content_type = if mime.essence_str().starts_with("text/") || mime.essence_str() == "application/javascript" {
                format!("{}; charset=utf-8", mime.essence_str())
            } else {
                mime.essence_str().to_string()
            };
            if cache == IMMUTABLE {
                let mut response = Response::new(Body::from(bytes));
                let h = response.headers_mut();
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
                h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).expect("mime types are valid headers"));
                response
            } else {
                revalidated(headers, bytes_hash(&bytes), cache, &content_type, bytes)
            }
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
    send_file(&state.store.version_dir(&name, &version).join(file), IMMUTABLE, &headers).await
}

async fn shell_file(State(state): State<AppState>, UrlPath((hash, file)): UrlPath<(String, String)>, headers: HeaderMap) -> Response {
    if !safe_segment(&hash) || check_file_path("file", &file).is_err() {
        return ApiError::NotFound("no such file".into()).into_response();
    }
    send_file(&state.assets.shell_dir.join(hash).join(file), IMMUTABLE, &headers).await
}

async fn public_file(State(state): State<AppState>, UrlPath(file): UrlPath<String>, headers: HeaderMap) -> Response {
    if check_file_path("file", &file).is_err() || file == "index.html" {
        return ApiError::NotFound("no such file".into()).into_response();
    }
    send_file(&state.assets.public_dir.join(file), REVALIDATE, &headers).await
}
