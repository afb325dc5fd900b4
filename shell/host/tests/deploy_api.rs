//! Black-box tests of the host: the deploy API (validation, conflicts, limits, tokens), the
//! master manifests and files it serves, versions and rollbacks, persistence across restarts
//! and the BFF proxy. Every test starts its own host on a free port with its own data directory.
//!
//! A refused deploy must leave the running composition untouched: every refusal test compares
//! `/apps.json`, `/importmap.json` and `/mount-points.json` before and after.

use std::path::Path;

use axum::extract::RawQuery;
use axum::http::{StatusCode, Uri, header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tessera_host::client::{DeployClient, Refused};
use tessera_host::store::DeployOutcome;
use tessera_host::{Application, Config, Secret};

const TOKEN: &str = "test-token";
const MAX_FILE_BYTES: u64 = 4096;
const MAX_APP_BYTES: u64 = 10_000;
const SHELL_ENTRY: &str = "/shell/abc/tessera_shell.js";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An upload: `mfe.json` and the app's files, as (relative path, bytes).
type Files = Vec<(String, Vec<u8>)>;

// ---------------------------------------------------------------------------------------------
// The test host
// ---------------------------------------------------------------------------------------------

struct TestApp {
    address: String,
    http: reqwest::Client,
    deploy: DeployClient,
    dir: TempDir,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A host on a fresh data directory, with a fake shell build and public directory.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("creating a temp dir");
    write_fixtures(dir.path());
    TestApp::start(dir).await
}

/// The shell build (`dist/shell`) and the public files (`public/`) the host needs to start.
fn write_fixtures(root: &Path) {
    let write = |path: &str, contents: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    };
    write("dist/shell/shell.json", &json!({ "hash": "abc", "entry": SHELL_ENTRY }).to_string());
    write("dist/shell/abc/tessera_shell.js", "export default async function init() {}\n");
    write(
        "public/index.html",
        "<!doctype html>\n<html><head><title>Tessera</title>\n<!-- tessera:head -->\n</head>\n<body>\n<!-- tessera:body -->\n</body></html>\n",
    );
    write("public/styles.css", "body { margin: 0; }\n");
}

impl TestApp {
    /// Builds and runs a host on the directories under `dir` (`data`, `dist`, `public`).
    async fn start(dir: TempDir) -> Self {
        let root = dir.path();
        let mut config = Config::for_dirs(root.join("data"), root.join("dist"), root.join("public"));
        config.deploy_token = Some(Secret::new(TOKEN));
        config.max_file_bytes = MAX_FILE_BYTES;
        config.max_app_bytes = MAX_APP_BYTES;
        let application = Application::build(config).await.expect("building the host");
        let address = format!("http://{}", application.local_addr());
        let server = tokio::spawn(application.run_until_stopped(std::future::pending()));
        // No automatic decompression: the tests look at the raw Content-Encoding.
        let http = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
        let deploy = DeployClient::new(address.clone(), TOKEN);
        Self { address, http, deploy, dir, server }
    }

    /// Stops the host and hands back its directories, to start another host on them.
    async fn stop(self) -> TempDir {
        self.server.abort();
        let _ = self.server.await;
        self.dir
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("the host answers")
    }

    async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    async fn apps(&self) -> Value {
        self.get_json("/apps.json").await
    }

    /// The three master manifests, to check that a refusal left them untouched.
    async fn composition(&self) -> [Value; 3] {
        [self.apps().await, self.get_json("/importmap.json").await, self.get_json("/mount-points.json").await]
    }

    async fn deploy_ok(&self, files: Files) -> DeployOutcome {
        match self.deploy.deploy_files(files).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("the deploy should succeed: {error:#}"),
        }
    }

    /// A deploy through plain HTTP, with the given token (if any); returns status and body.
    async fn post_deploy(&self, token: Option<&str>, files: Files) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (path, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(path));
        }
        let mut request = self.http.post(self.url("/_deploy/apps")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the host answers");
        (response.status(), response.json().await.expect("a JSON body"))
    }

    /// Deploys `files` through the client, expects the host to refuse them with `status`,
    /// naming `field`, and checks the composition did not change.
    async fn assert_refused(&self, files: Files, status: StatusCode, field: &str) -> Value {
        let before = self.composition().await;
        let error = self.deploy.deploy_files(files).await.expect_err("the deploy should be refused");
        let refused = error.downcast::<Refused>().expect("a refusal from the host");
        assert_eq!(refused.status, status.as_u16(), "{refused}");
        assert_error_body(&refused.body, Some(field));
        assert_eq!(self.composition().await, before, "a refused deploy must leave the composition untouched");
        refused.body
    }

    /// As [`Self::assert_refused`], through plain HTTP with the given token: no field is named.
    async fn assert_refused_with_token(&self, token: Option<&str>, files: Files, status: StatusCode) -> Value {
        let before = self.composition().await;
        let (actual, body) = self.post_deploy(token, files).await;
        assert_eq!(actual, status, "{body}");
        assert_error_body(&body, None);
        assert_eq!(self.composition().await, before, "a refused deploy must leave the composition untouched");
        body
    }

    async fn rollback_ok(&self, name: &str) -> DeployOutcome {
        match self.deploy.rollback(name).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("the rollback should succeed: {error:#}"),
        }
    }
}

/// An error body: `error` always, and `field` plus `reason` when a field is at fault.
fn assert_error_body(body: &Value, field: Option<&str>) {
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "no error message in {body}");
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
        assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()), "no reason in {body}");
    }
}

fn reason(body: &Value) -> &str {
    body["reason"].as_str().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Apps to deploy
// ---------------------------------------------------------------------------------------------

/// A routed app with one left-nav entry keyed by its name.
fn manifest(name: &str, version: &str, route: &str) -> Value {
    json!({
        "name": name,
        "version": version,
        "entry": "index.js",
        "files": ["index.js"],
        "activation": { "kind": "routes", "routes": [route] },
        "mountPoints": { "left-nav": [{ "key": name, "content": name, "to": route, "order": 1, "roles": [] }] }
    })
}

/// A hand-written entry module.
fn entry_js(name: &str, version: &str) -> Vec<u8> {
    format!("export function mount(el) {{ el.textContent = \"{name} {version}\"; }}\nexport function unmount(el) {{ el.textContent = \"\"; }}\n").into_bytes()
}

/// `mfe.json` as given, plus files.
fn upload_raw(manifest: Vec<u8>, files: &[(&str, &[u8])]) -> Files {
    let mut upload = vec![("mfe.json".to_string(), manifest)];
    upload.extend(files.iter().map(|(path, bytes)| (path.to_string(), bytes.to_vec())));
    upload
}

fn upload(manifest: &Value, files: &[(&str, &[u8])]) -> Files {
    upload_raw(serde_json::to_vec(manifest).unwrap(), files)
}

/// A complete, valid app: manifest and entry.
fn app_upload(name: &str, version: &str, route: &str) -> Files {
    upload(&manifest(name, version, route), &[("index.js", &entry_js(name, version))])
}

/// A host with `hello` 1.0.0 on `/hello` already deployed.
async fn spawn_app_with_hello() -> TestApp {
    let app = spawn_app().await;
    app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    app
}

/// The app's entry in `/apps.json`, if it is there.
fn app_entry<'a>(apps: &'a Value, name: &str) -> Option<&'a Value> {
    apps["apps"].as_array().expect("apps is a list").iter().find(|a| a["name"] == name)
}

/// `/apps/<name>/<version>-<12 hex digits>/<file>`.
fn assert_hashed_url(url: &str, name: &str, version: &str, file: &str) {
    let hash = url
        .strip_prefix(&format!("/apps/{name}/{version}-"))
        .and_then(|rest| rest.strip_suffix(&format!("/{file}")))
        .unwrap_or_else(|| panic!("`{url}` is not a versioned URL of {name} {version}"));
    assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()), "`{hash}` in `{url}` is not a content hash");
}

fn header_value(response: &reqwest::Response, name: header::HeaderName) -> &str {
    response.headers().get(&name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Refused deploys
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_json_in_the_manifest_is_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let body =
        app.assert_refused(upload_raw(b"{ \"name\": \"hello\", ".to_vec(), &[("index.js", b"export {}")]), StatusCode::UNPROCESSABLE_ENTITY, "mfe.json").await;
    assert!(reason(&body).contains("line 1"), "the reason gives the position: {body}");
}

#[tokio::test]
async fn a_manifest_with_unknown_fields_is_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let mut manifest = manifest("hello", "1.1.0", "/hello");
    manifest["colour"] = json!("red");
    let body = app.assert_refused(upload(&manifest, &[("index.js", b"export {}")]), StatusCode::UNPROCESSABLE_ENTITY, "colour").await;
    assert!(reason(&body).contains("unknown field"), "{body}");
}

#[tokio::test]
async fn a_listed_entry_that_was_not_uploaded_is_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let files = upload(&manifest("hello", "1.1.0", "/hello"), &[]);
    let body = app.assert_refused(files, StatusCode::UNPROCESSABLE_ENTITY, "files[0]").await;
    assert!(reason(&body).contains("index.js") && reason(&body).contains("not uploaded"), "{body}");
}

#[tokio::test]
async fn uploaded_file_names_outside_the_app_directory_are_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    for (name, why) in [("../evil.js", "`..`"), ("/etc/evil.js", "absolute"), ("sub\\evil.js", "backslash")] {
        let mut manifest = manifest("hello", "1.1.0", "/hello");
        manifest["files"] = json!(["index.js", name]);
        let files = upload(&manifest, &[("index.js", b"export {}"), (name, b"alert(1)")]);
        let body = app.assert_refused(files, StatusCode::UNPROCESSABLE_ENTITY, "files").await;
        assert!(reason(&body).contains(why), "{name}: {body}");
    }
}

#[tokio::test]
async fn manifests_listing_files_outside_the_app_directory_are_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    for (name, why) in [("../evil.js", "`..`"), ("/etc/evil.js", "absolute"), ("sub\\evil.js", "backslash")] {
        let mut manifest = manifest("hello", "1.1.0", "/hello");
        manifest["files"] = json!(["index.js", name]);
        let body = app.assert_refused(upload(&manifest, &[("index.js", b"export {}")]), StatusCode::UNPROCESSABLE_ENTITY, "files[1]").await;
        assert!(reason(&body).contains(why), "{name}: {body}");
    }
}

#[tokio::test]
async fn an_uploaded_file_not_listed_in_the_manifest_is_rejected_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let files = upload(&manifest("hello", "1.1.0", "/hello"), &[("index.js", b"export {}"), ("extra.js", b"export {}")]);
    let body = app.assert_refused(files, StatusCode::UNPROCESSABLE_ENTITY, "files").await;
    assert!(reason(&body).contains("extra.js") && reason(&body).contains("not listed"), "{body}");
}

#[tokio::test]
async fn a_route_claimed_by_another_app_is_a_conflict_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let mut manifest = manifest("other", "1.0.0", "/hello/");
    manifest["mountPoints"]["left-nav"][0]["key"] = json!("other");
    let body = app.assert_refused(upload(&manifest, &[("index.js", b"export {}")]), StatusCode::CONFLICT, "activation.routes").await;
    assert!(reason(&body).contains("hello") && reason(&body).contains("other"), "names both apps: {body}");
}

#[tokio::test]
async fn a_mount_point_key_used_by_another_app_is_a_conflict_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let mut manifest = manifest("other", "1.0.0", "/other");
    manifest["mountPoints"]["left-nav"][0]["key"] = json!("hello");
    let body = app.assert_refused(upload(&manifest, &[("index.js", b"export {}")]), StatusCode::CONFLICT, "mountPoints.left-nav").await;
    assert!(reason(&body).contains("`hello`"), "names the key: {body}");
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_too_large_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let big = vec![b'x'; MAX_FILE_BYTES as usize + 1];
    let body = app.assert_refused(upload(&manifest("hello", "1.1.0", "/hello"), &[("index.js", &big)]), StatusCode::PAYLOAD_TOO_LARGE, "upload").await;
    assert!(reason(&body).contains("limit"), "{body}");
}

#[tokio::test]
async fn an_app_over_the_total_size_limit_is_too_large_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let mut manifest = manifest("hello", "1.1.0", "/hello");
    manifest["files"] = json!(["index.js", "a.js", "b.js"]);
    let chunk = vec![b'x'; MAX_FILE_BYTES as usize];
    let files = upload(&manifest, &[("index.js", &chunk), ("a.js", &chunk), ("b.js", &chunk)]);
    let body = app.assert_refused(files, StatusCode::PAYLOAD_TOO_LARGE, "upload").await;
    assert!(reason(&body).contains("per app"), "{body}");
}

#[tokio::test]
async fn a_deploy_without_a_token_is_unauthorized_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let body = app.assert_refused_with_token(None, app_upload("hello", "1.1.0", "/hello"), StatusCode::UNAUTHORIZED).await;
    assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
}

#[tokio::test]
async fn a_deploy_with_a_wrong_token_is_forbidden_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    app.assert_refused_with_token(Some("not-the-token"), app_upload("hello", "1.1.0", "/hello"), StatusCode::FORBIDDEN).await;
    app.assert_refused_with_token(Some("test-tokeN"), app_upload("hello", "1.1.0", "/hello"), StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn rollbacks_and_listings_need_the_token_too() {
    let app = spawn_app_with_hello().await;
    let before = app.composition().await;
    let intruder = DeployClient::new(app.address.clone(), "wrong");
    for error in [intruder.rollback("hello").await.unwrap_err(), intruder.list().await.map(|_| ()).unwrap_err()] {
        let refused = error.downcast::<Refused>().expect("a refusal from the host");
        assert_eq!(refused.status, 403, "{refused}");
    }
    let response = app.http.post(app.url("/_deploy/apps/hello/rollback")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.composition().await, before);
}

#[tokio::test]
async fn redeploying_a_version_with_different_files_is_a_conflict_and_the_composition_is_unchanged() {
    let app = spawn_app_with_hello().await;
    let files = upload(&manifest("hello", "1.0.0", "/hello"), &[("index.js", b"export const changed = true;")]);
    let body = app.assert_refused(files, StatusCode::CONFLICT, "version").await;
    assert!(reason(&body).contains("bump the version"), "{body}");
}

#[tokio::test]
async fn redeploying_identical_files_is_accepted_and_changes_nothing() {
    let app = spawn_app().await;
    let first = app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    let before = app.composition().await;

    let (status, body) = app.post_deploy(Some(TOKEN), app_upload("hello", "1.0.0", "/hello")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], false);
    assert_eq!(body["directory"], first.directory.as_str());
    assert_eq!(body["composition"], first.composition.as_str());
    assert_eq!(app.composition().await, before);
}

// ---------------------------------------------------------------------------------------------
// A deployed app
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_deployed_app_appears_in_all_three_master_manifests() {
    let app = spawn_app().await;
    assert_eq!(app.apps().await["apps"], json!([]));

    let (status, outcome) = app.post_deploy(Some(TOKEN), app_upload("hello", "1.0.0", "/hello")).await;

    assert_eq!(status, StatusCode::CREATED, "{outcome}");
    assert_eq!((outcome["name"].as_str(), outcome["version"].as_str(), outcome["changed"].as_bool()), (Some("hello"), Some("1.0.0"), Some(true)));

    let apps = app.apps().await;
    assert_eq!(apps["version"], outcome["composition"], "the outcome names the new composition");
    let hello = app_entry(&apps, "hello").expect("hello is in /apps.json");
    let url = hello["url"].as_str().unwrap();
    assert_hashed_url(url, "hello", "1.0.0", "index.js");
    assert_eq!(url, format!("/apps/hello/{}/index.js", outcome["directory"].as_str().unwrap()));
    assert_eq!(hello["version"], "1.0.0");
    assert_eq!(hello["activation"], json!({ "kind": "routes", "routes": ["/hello"] }));
    assert_eq!(hello["files"], json!([url]));

    assert_eq!(app.get_json("/importmap.json").await, json!({ "imports": { "hello": url } }));
    assert_eq!(
        app.get_json("/mount-points.json").await,
        json!({ "mount-points": { "left-nav": [{ "key": "hello", "content": "hello", "to": "/hello", "order": 1, "roles": [] }] } })
    );
}

#[tokio::test]
async fn an_app_entry_is_served_as_immutable_javascript() {
    let app = spawn_app_with_hello().await;
    let url = app_entry(&app.apps().await, "hello").unwrap()["url"].as_str().unwrap().to_string();

    let response = app.get(&url).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_value(&response, header::CACHE_CONTROL), IMMUTABLE);
    assert!(header_value(&response, header::CONTENT_TYPE).contains("javascript"), "{:?}", response.headers());
    assert_eq!(response.bytes().await.unwrap(), entry_js("hello", "1.0.0"));
}

#[tokio::test]
async fn a_wasm_file_is_served_as_application_wasm() {
    let app = spawn_app().await;
    let mut manifest = manifest("hello", "1.0.0", "/hello");
    manifest["files"] = json!(["index.js", "hello_bg.wasm"]);
    let wasm = b"\0asm\x01\0\0\0";
    let outcome = app.deploy_ok(upload(&manifest, &[("index.js", &entry_js("hello", "1.0.0")), ("hello_bg.wasm", wasm)])).await;

    let response = app.get(&format!("/apps/hello/{}/hello_bg.wasm", outcome.directory)).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_value(&response, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(header_value(&response, header::CACHE_CONTROL), IMMUTABLE);
    assert_eq!(response.bytes().await.unwrap().as_ref(), wasm);
}

#[tokio::test]
async fn files_that_were_never_deployed_are_not_found() {
    let app = spawn_app_with_hello().await;
    for path in ["/apps/hello/1.0.0-000000000000/index.js", "/apps/hello/..%2F..%2Fstate.json/x", "/apps/nobody/1.0.0-abc/index.js"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_master_manifests_carry_an_etag_and_answer_if_none_match_with_not_modified() {
    let app = spawn_app_with_hello().await;
    for path in ["/apps.json", "/importmap.json", "/mount-points.json"] {
        let first = app.get(path).await;
        let etag = header_value(&first, header::ETAG).to_string();
        assert!(!etag.is_empty(), "{path} has an ETag");
        assert_eq!(header_value(&first, header::CACHE_CONTROL), "no-cache", "{path} is revalidated");

        let again = app.http.get(app.url(path)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());

        app.deploy_ok(app_upload(&format!("more-{}", path.len()), "1.0.0", &format!("/more-{}", path.len()))).await;
        let after_deploy = app.http.get(app.url(path)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(after_deploy.status(), StatusCode::OK, "{path}: a new composition has a new ETag");
        assert_ne!(header_value(&after_deploy, header::ETAG), etag);
    }
}

#[tokio::test]
async fn the_index_page_inlines_the_import_map_and_starts_the_shell() {
    let app = spawn_app_with_hello().await;
    let import_map = app.get_json("/importmap.json").await;

    for path in ["/", "/hello/deep/link"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header_value(&response, header::CONTENT_TYPE).starts_with("text/html"), "{path}");
        let html = response.text().await.unwrap();
        let inline = html.split_once("<script type=\"importmap\">").and_then(|(_, rest)| rest.split_once("</script>")).map(|(map, _)| map);
        let inline: Value = serde_json::from_str(inline.expect("an inline import map")).unwrap();
        assert_eq!(inline, import_map, "{path}");
        assert!(html.contains(&format!("import init from \"{SHELL_ENTRY}\"")), "{html}");
        assert!(!html.contains("<!-- tessera:"), "every placeholder is filled: {html}");
    }

    let shell = app.get(SHELL_ENTRY).await;
    assert_eq!(shell.status(), StatusCode::OK);
    assert_eq!(header_value(&shell, header::CACHE_CONTROL), IMMUTABLE);
    let styles = app.get("/assets/styles.css").await;
    assert_eq!(styles.status(), StatusCode::OK);
    assert!(header_value(&styles, header::CONTENT_TYPE).starts_with("text/css"));
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_brotli() {
    let app = spawn_app().await;
    let js: String = (0..64).map(|i| format!("export const line{i:02} = \"the same old line, again\";\n")).collect();
    assert!(js.len() > 3000 && js.len() as u64 <= MAX_FILE_BYTES);
    let outcome = app.deploy_ok(upload(&manifest("hello", "1.0.0", "/hello"), &[("index.js", js.as_bytes())])).await;
    let url = app.url(&format!("/apps/hello/{}/index.js", outcome.directory));

    let brotli = app.http.get(&url).header(header::ACCEPT_ENCODING, "br").send().await.unwrap();
    assert_eq!(brotli.status(), StatusCode::OK);
    assert_eq!(header_value(&brotli, header::CONTENT_ENCODING), "br");
    assert_eq!(header_value(&brotli, header::CACHE_CONTROL), IMMUTABLE);
    let compressed = brotli.bytes().await.unwrap();
    assert!(compressed.len() < js.len() / 2, "{} compressed bytes for {}", compressed.len(), js.len());

    let plain = app.http.get(&url).send().await.unwrap();
    assert_eq!(header_value(&plain, header::CONTENT_ENCODING), "");
    assert_eq!(plain.text().await.unwrap(), js);
}

// ---------------------------------------------------------------------------------------------
// Versions and rollbacks
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_new_version_becomes_current_and_the_old_version_stays_available() {
    let app = spawn_app().await;
    let v1 = app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    let v2 = app.deploy_ok(app_upload("hello", "1.1.0", "/hello")).await;

    let apps = app.apps().await;
    let hello = app_entry(&apps, "hello").unwrap();
    assert_eq!(hello["version"], "1.1.0");
    assert_hashed_url(hello["url"].as_str().unwrap(), "hello", "1.1.0", "index.js");
    assert_eq!(apps["version"], v2.composition.as_str());
    assert_ne!(v1.composition, v2.composition);

    let old = app.get(&format!("/apps/hello/{}/index.js", v1.directory)).await;
    assert_eq!(old.status(), StatusCode::OK, "pages still running the old version can load it");
    assert_eq!(old.bytes().await.unwrap(), entry_js("hello", "1.0.0"));
}

#[tokio::test]
async fn rolling_back_makes_the_previous_version_current_again() {
    let app = spawn_app().await;
    let v1 = app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    app.deploy_ok(app_upload("hello", "1.1.0", "/hello")).await;

    let outcome = app.rollback_ok("hello").await;

    assert_eq!((outcome.version.as_str(), outcome.directory.as_str()), ("1.0.0", v1.directory.as_str()));
    let apps = app.apps().await;
    assert_eq!(app_entry(&apps, "hello").unwrap()["version"], "1.0.0");
    assert_eq!(apps["version"], v1.composition.as_str(), "the composition is the one v1 had");
    assert_eq!(app.get_json("/importmap.json").await["imports"]["hello"], format!("/apps/hello/{}/index.js", v1.directory));
}

#[tokio::test]
async fn rolling_back_an_app_with_a_single_version_removes_it() {
    let app = spawn_app().await;
    let empty = app.composition().await;
    app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;

    app.rollback_ok("hello").await;

    assert!(app_entry(&app.apps().await, "hello").is_none());
    assert_eq!(app.composition().await, empty);
    assert!(app.deploy.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn rolling_back_an_app_that_is_not_deployed_is_not_found() {
    let app = spawn_app_with_hello().await;
    let before = app.composition().await;
    let refused = app.deploy.rollback("nobody").await.unwrap_err().downcast::<Refused>().unwrap();
    assert_eq!(refused.status, 404, "{refused}");
    assert_error_body(&refused.body, None);
    assert_eq!(app.composition().await, before);
}

#[tokio::test]
async fn list_shows_every_deployed_app_with_its_history() {
    let app = spawn_app().await;
    let v1 = app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    let v2 = app.deploy_ok(app_upload("hello", "1.1.0", "/hello")).await;
    let cart = app.deploy_ok(app_upload("cart", "0.1.0", "/cart")).await;

    let list = app.deploy.list().await.unwrap();

    let summary: Vec<_> = list.iter().map(|a| (a.name.as_str(), a.current.as_str(), a.history.len())).collect();
    assert_eq!(summary, [("cart", cart.directory.as_str(), 1), ("hello", v2.directory.as_str(), 2)]);
    assert_eq!(list[1].history, [v1.directory, v2.directory]);
}

#[tokio::test]
async fn a_release_can_follow_its_prerelease() {
    let app = spawn_app().await;
    let beta = app.deploy_ok(app_upload("hello", "1.0.0-beta.1", "/hello")).await;

    let release = app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;

    assert!(release.changed);
    assert_eq!(app_entry(&app.apps().await, "hello").unwrap()["version"], "1.0.0");
    let outcome = app.rollback_ok("hello").await;
    assert_eq!((outcome.version.as_str(), outcome.directory.as_str()), ("1.0.0-beta.1", beta.directory.as_str()));
    assert_eq!(app_entry(&app.apps().await, "hello").unwrap()["version"], "1.0.0-beta.1");
}

// ---------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_restarted_host_serves_the_same_composition_from_its_data_dir() {
    let app = spawn_app().await;
    app.deploy_ok(app_upload("hello", "1.0.0", "/hello")).await;
    app.deploy_ok(app_upload("hello", "1.1.0", "/hello")).await;
    app.deploy_ok(app_upload("cart", "0.1.0", "/cart")).await;
    let before = app.composition().await;
    let list = app.deploy.list().await.unwrap();

    let restarted = TestApp::start(app.stop().await).await;

    assert_eq!(restarted.composition().await, before);
    assert_eq!(restarted.deploy.list().await.unwrap(), list);
    let url = app_entry(&before[0], "hello").unwrap()["url"].as_str().unwrap().to_string();
    assert_eq!(restarted.get(&url).await.status(), StatusCode::OK);
    let rolled_back = restarted.rollback_ok("hello").await;
    assert_eq!(rolled_back.version, "1.0.0", "the history survived the restart too");
}

// ---------------------------------------------------------------------------------------------
// The BFF proxy
// ---------------------------------------------------------------------------------------------

/// A stand-in BFF: `GET /hello` echoes its query, `POST /echo` its body, `GET /whoami` the
/// credentials it received (`Authorization`, `Cookie`), anything else its URI.
async fn spawn_bff() -> String {
    let router = axum::Router::new()
        .route(
            "/whoami",
            axum::routing::get(|headers: axum::http::HeaderMap| async move {
                let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
                format!("{} {}", get("authorization"), get("cookie"))
            }),
        )
        .route("/hello", axum::routing::get(|RawQuery(query): RawQuery| async move { format!("hello from the bff: {}", query.unwrap_or_default()) }))
        .route("/echo", axum::routing::post(|body: String| async move { format!("echo: {body}") }))
        .fallback(|uri: Uri| async move { (StatusCode::IM_A_TEAPOT, uri.to_string()) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// An upstream nobody listens on.
async fn closed_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn app_with_bff(name: &str, upstream: &str) -> Files {
    let mut manifest = manifest(name, "1.0.0", &format!("/{name}"));
    manifest["bff"] = json!({ "upstream": upstream });
    upload(&manifest, &[("index.js", &entry_js(name, "1.0.0"))])
}

#[tokio::test]
async fn api_requests_are_proxied_to_the_bff_the_manifest_declares() {
    let app = spawn_app().await;
    app.deploy_ok(app_with_bff("shop", &spawn_bff().await)).await;
    assert_eq!(app_entry(&app.apps().await, "shop").unwrap()["bff"], "/api/shop");

    let response = app.get("/api/shop/hello?x=1").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "hello from the bff: x=1");

    let response = app.http.post(app.url("/api/shop/echo")).header("x-csrf", "1").body("ping").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "echo: ping");

    let response = app.get("/api/shop/elsewhere").await;
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT, "upstream statuses pass through");
    assert_eq!(response.text().await.unwrap(), "/elsewhere");
}

#[tokio::test]
async fn encoded_characters_in_proxied_paths_reach_the_bff_unchanged() {
    let app = spawn_app().await;
    app.deploy_ok(app_with_bff("shop", &spawn_bff().await)).await;
    for path in ["/tags/%23rust", "/files/a%2Fb", "/search/%3Fq%3D1?page=2"] {
        let response = app.get(&format!("/api/shop{path}")).await;
        assert_eq!(response.text().await.unwrap(), path);
    }
}

#[tokio::test]
async fn an_unreachable_bff_gives_bad_gateway_with_a_json_error() {
    let app = spawn_app().await;
    app.deploy_ok(app_with_bff("gone", &closed_upstream().await)).await;

    let response = app.get("/api/gone/hello?x=1").await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.expect("a JSON error");
    assert_error_body(&body, None);
    assert!(body["error"].as_str().unwrap().contains("gone"), "{body}");
    assert!(!body.to_string().contains("127.0.0.1"), "the upstream address does not leak: {body}");
}

#[tokio::test]
async fn api_requests_for_unknown_apps_or_apps_without_a_bff_are_not_found() {
    let app = spawn_app_with_hello().await;
    for path in ["/api/unknown/x", "/api/hello/x"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.expect("a JSON error");
        assert_error_body(&body, None);
    }
}

#[tokio::test]
async fn state_changing_api_requests_without_the_anti_csrf_header_are_forbidden() {
    let app = spawn_app().await;
    app.deploy_ok(app_with_bff("shop", &spawn_bff().await)).await;
    for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let response = app.http.request(method.clone(), app.url("/api/shop/echo")).body("ping").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method}");
        let body: Value = response.json().await.expect("a JSON error");
        assert!(body["error"].as_str().unwrap().contains("X-CSRF"), "{body}");
    }
}

#[tokio::test]
async fn the_bff_never_gets_the_browsers_own_credentials() {
    let app = spawn_app().await;
    app.deploy_ok(app_with_bff("shop", &spawn_bff().await)).await;
    let forged = app
        .http
        .get(app.url("/api/shop/whoami"))
        .header("authorization", "Bearer forged.token.here")
        .header("cookie", "tessera_session=guess; other=1")
        .send()
        .await
        .unwrap();

    assert_eq!(forged.text().await.unwrap(), "- -", "only the host's session decides the bearer token");
    let session: Value = app.get("/auth/session").await.json().await.unwrap();
    assert_eq!(session["signedIn"], false);
}
