//! What the host serves for offline use (docs/offline.md): the service worker at `/sw.js`, the
//! precache list `/sw-manifest.json` of the current build, and the build's version in
//! `index.html`, which must change whenever what the page needs changes.

mod common;

use axum::http::{StatusCode, header};
use common::{Host, TOKEN, write_fixtures};
use serde_json::{Value, json};
use tessera_host::client::DeployClient;

async fn host() -> Host {
    let dir = tempfile::tempdir().unwrap();
    write_fixtures(dir.path());
    let write = |path: &str, contents: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    };
    write("public/sw.js", "self.addEventListener(\"fetch\", () => {});\n");
    write("public/icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    write("dist/shell/abc/tessera_shell_bg.wasm", "\0asm");
    write("dist/shell/abc/snippets/tessera-shell-1/src/glue.js", "export {};\n");
    Host::start(dir, None).await
}

async fn deploy(host: &Host, name: &str, version: &str) {
    let manifest = json!({
        "name": name,
        "version": version,
        "entry": "index.js",
        "files": ["index.js", "style.css"],
        "styles": ["style.css"],
        "activation": { "kind": "routes", "routes": [format!("/{name}")] },
    });
    let files = vec![
        ("mfe.json".to_string(), serde_json::to_vec(&manifest).unwrap()),
        ("index.js".to_string(), format!("export function mount() {{}} // {version}\nexport function unmount() {{}}\n").into_bytes()),
        ("style.css".to_string(), b"p {}\n".to_vec()),
    ];
    DeployClient::new(host.url.clone(), TOKEN).deploy_files(files).await.expect("the deploy succeeds");
}

async fn sw_manifest(host: &Host) -> Value {
    let response = reqwest::get(host.url("/sw-manifest.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    response.json().await.unwrap()
}

fn urls(manifest: &Value) -> Vec<&str> {
    manifest["urls"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect()
}

/// The `content` of `<meta name="tessera-version">` in a page.
fn page_version(html: &str) -> &str {
    let start = html.find("<meta name=\"tessera-version\" content=\"").expect("the page names its build") + 38;
    &html[start..start + html[start..].find('"').unwrap()]
}

#[tokio::test]
async fn the_service_worker_is_served_from_the_root_uncached_and_allowed_to_control_the_whole_site() {
    let host = host().await;
    let response = reqwest::get(host.url("/sw.js")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(response.headers()["service-worker-allowed"], "/");
    assert!(response.text().await.unwrap().contains("addEventListener"));
}

#[tokio::test]
async fn the_precache_list_names_the_page_the_manifests_the_public_files_the_shell_and_every_app_file() {
    let host = host().await;
    deploy(&host, "menus", "1.0.0").await;
    let manifest = sw_manifest(&host).await;
    let apps: Value = reqwest::get(host.url("/apps.json")).await.unwrap().json().await.unwrap();
    assert_eq!(manifest["composition"], apps["version"]);
    let urls = urls(&manifest);
    for expected in [
        "/",
        "/apps.json",
        "/importmap.json",
        "/mount-points.json",
        "/assets/styles.css",
        "/assets/icon.svg",
        "/shell/abc/tessera_shell.js",
        "/shell/abc/tessera_shell_bg.wasm",
        "/shell/abc/snippets/tessera-shell-1/src/glue.js",
    ] {
        assert!(urls.contains(&expected), "{expected} in {urls:?}");
    }
    for file in apps["apps"][0]["files"].as_array().unwrap() {
        assert!(urls.contains(&file.as_str().unwrap()), "{file} in {urls:?}");
    }
    assert!(!urls.iter().any(|u| u.ends_with("/sw.js") || u.ends_with("/index.html")), "{urls:?}");
    // Every listed URL is served.
    for url in urls {
        assert_eq!(reqwest::get(host.url(url)).await.unwrap().status(), StatusCode::OK, "{url}");
    }
}

#[tokio::test]
async fn a_new_composition_is_a_new_build_and_the_page_names_the_build_it_belongs_to() {
    let host = host().await;
    deploy(&host, "menus", "1.0.0").await;
    let first = sw_manifest(&host).await;
    let page = reqwest::get(host.url("/some/deep/link")).await.unwrap().text().await.unwrap();
    assert_eq!(page_version(&page), first["version"], "the page and the precache list agree on the build");

    deploy(&host, "menus", "1.0.1").await;
    let second = sw_manifest(&host).await;
    assert_ne!(first["version"], second["version"]);
    assert_ne!(first["composition"], second["composition"]);
    let page = reqwest::get(host.url("/")).await.unwrap().text().await.unwrap();
    assert_eq!(page_version(&page), second["version"]);
    assert!(urls(&second).iter().any(|u| u.starts_with("/apps/menus/1.0.1")), "{second}");
    assert!(!urls(&second).iter().any(|u| u.starts_with("/apps/menus/1.0.0")), "only the current build: {second}");
}

#[tokio::test]
async fn the_precache_list_is_revalidated_by_etag() {
    let host = host().await;
    let response = reqwest::get(host.url("/sw-manifest.json")).await.unwrap();
    let etag = response.headers()[header::ETAG].clone();
    let again = reqwest::Client::new().get(host.url("/sw-manifest.json")).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
