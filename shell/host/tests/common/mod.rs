//! What the sign-in and live-update tests share: a host with a fake shell build, the dev
//! OpenID provider, and a cookie-keeping client that signs in like a browser.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tessera_dev_idp::{DevIdp, DevIdpConfig};
use tessera_host::{Application, Config, Secret};

pub const TOKEN: &str = "test-token";

pub struct Host {
    pub url: String,
    pub dir: TempDir,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Host {
    pub async fn start(dir: TempDir, issuer: Option<&str>) -> Self {
        Self::start_with(dir, issuer, |_| {}).await
    }

    pub async fn start_with(dir: TempDir, issuer: Option<&str>, adjust: impl FnOnce(&mut Config)) -> Self {
        let root = dir.path();
        let mut config = Config::for_dirs(root.join("data"), root.join("dist"), root.join("public"));
        config.deploy_token = Some(Secret::new(TOKEN));
        config.oidc_issuer = issuer.map(str::to_string);
        config.oidc_client_secret = Some(Secret::new("tessera-dev-secret"));
        adjust(&mut config);
        let application = Application::build(config).await.expect("building the host");
        let url = format!("http://{}", application.local_addr());
        let server = tokio::spawn(application.run_until_stopped(std::future::pending()));
        Self { url, dir, server }
    }

    pub async fn stop(self) -> TempDir {
        self.server.abort();
        let _ = self.server.await;
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

pub fn write_fixtures(root: &Path) {
    let write = |path: &str, contents: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    };
    write("dist/shell/shell.json", &json!({ "hash": "abc", "entry": "/shell/abc/tessera_shell.js" }).to_string());
    write("dist/shell/abc/tessera_shell.js", "export default async function init() {}\n");
    write("public/index.html", "<!doctype html>\n<html><head>\n<!-- tessera:head -->\n</head><body>\n<!-- tessera:body -->\n</body></html>\n");
    write("public/styles.css", "body { margin: 0; }\n");
}

/// A browser, minus the rendering: keeps cookies per origin, does not follow redirects.
pub struct Browser {
    pub http: reqwest::Client,
    pub cookies: BTreeMap<String, BTreeMap<String, String>>,
}

impl Browser {
    pub fn new() -> Self {
        Self { http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(), cookies: BTreeMap::new() }
    }

    pub fn origin(url: &str) -> String {
        let url = reqwest::Url::parse(url).unwrap();
        format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
    }

    pub fn cookie_header(&self, url: &str) -> String {
        self.cookies.get(&Self::origin(url)).map(|jar| jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")).unwrap_or_default()
    }

    pub fn keep_cookies(&mut self, url: &str, response: &reqwest::Response) {
        let jar = self.cookies.entry(Self::origin(url)).or_default();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, content) = pair.split_once('=').unwrap();
            assert!(attributes.contains("HttpOnly"), "every cookie of the sign-in is HttpOnly: {value}");
            assert!(attributes.contains("SameSite=Lax"), "{value}");
            if content.is_empty() || attributes.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), content.to_string());
            }
        }
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder, url: &str) -> reqwest::Response {
        let cookies = self.cookie_header(url);
        let request = if cookies.is_empty() { request } else { request.header(header::COOKIE, cookies) };
        let response = request.send().await.expect("an answer");
        self.keep_cookies(url, &response);
        response
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let request = self.http.get(url);
        self.send(request, url).await
    }

    pub async fn post_form(&mut self, url: &str, form: &[(String, String)]) -> reqwest::Response {
        let request = self.http.post(url).form(form);
        self.send(request, url).await
    }

    pub async fn json(&mut self, url: &str) -> Value {
        self.get(url).await.json().await.unwrap()
    }
}

pub fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()[header::LOCATION].to_str().unwrap().to_string()
}

/// Signs `user` in through the provider's login page; returns where the host sent the browser.
pub async fn sign_in(browser: &mut Browser, host: &Host, user: &str, return_to: &str) -> String {
    let to_provider = browser.get(&host.url(&format!("/auth/login?returnTo={return_to}"))).await;
    let authorize = location(&to_provider);
    let page = browser.get(&authorize).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Sign in as Alice Customer"), "the provider's login page");
    let mut form: Vec<(String, String)> = reqwest::Url::parse(&authorize).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let params: BTreeMap<_, _> = form.iter().cloned().collect();
    assert_eq!(params["code_challenge_method"], "S256", "PKCE");
    assert!(params.contains_key("state") && params.contains_key("nonce"));
    form.push(("user".into(), user.into()));
    let posted = browser.post_form(&format!("{}/authorize", authorize.split("/authorize").next().unwrap()), &form).await;
    let callback = location(&posted);
    assert!(callback.starts_with(&host.url("/auth/callback?")), "{callback}");
    location(&browser.get(&callback).await)
}

pub async fn setup(ttl: Duration) -> (DevIdp, Host, TempDir) {
    let idp_dir = tempfile::tempdir().unwrap();
    let mut config = DevIdpConfig::loopback(idp_dir.path().to_path_buf());
    config.access_token_ttl = ttl;
    let idp = DevIdp::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_fixtures(dir.path());
    let host = Host::start(dir, Some(idp.issuer())).await;
    (idp, host, idp_dir)
}

