//! A client for the deploy API, used by `cargo xtask deploy|rollback|list` and the tests.

use std::path::Path;

use anyhow::{Context, bail};
use tessera_manifests::manifest::MANIFEST_FILE;

use crate::store::{DeployOutcome, DeployedVersion};

#[derive(Debug, Clone)]
pub struct DeployClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A refused request: the HTTP status and the host's JSON error body.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
pub struct Refused {
    pub status: u16,
    pub body: serde_json::Value,
}

impl DeployClient {
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Self {
        Self { base: base.into().trim_end_matches('/').to_string(), token: token.into(), http: reqwest::Client::new() }
    }

    /// Uploads a directory: `mfe.json` and every file it lists.
    pub async fn deploy_dir(&self, dir: &Path) -> anyhow::Result<DeployOutcome> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).with_context(|| format!("reading {}", manifest_path.display()))?)
                .with_context(|| format!("{} is not valid JSON", manifest_path.display()))?;
        let mut files = vec![(MANIFEST_FILE.to_string(), std::fs::read(&manifest_path)?)];
        for file in manifest["files"].as_array().into_iter().flatten().filter_map(|f| f.as_str()) {
            files.push((file.to_string(), std::fs::read(dir.join(file)).with_context(|| format!("reading {file} listed in mfe.json"))?));
        }
        self.deploy_files(files).await
    }

    /// Uploads files given as (relative path, bytes).
    pub async fn deploy_files(&self, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<DeployOutcome> {
        let mut form = reqwest::multipart::Form::new();
        for (path, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(path));
        }
        let response = self.http.post(format!("{}/_deploy/apps", self.base)).bearer_auth(&self.token).multipart(form).send().await?;
        parse(response).await
    }

    pub async fn rollback(&self, app: &str) -> anyhow::Result<DeployOutcome> {
        let response = self.http.post(format!("{}/_deploy/apps/{app}/rollback", self.base)).bearer_auth(&self.token).send().await?;
        parse(response).await
    }

    pub async fn list(&self) -> anyhow::Result<Vec<DeployedVersion>> {
        let response = self.http.get(format!("{}/_deploy/apps", self.base)).bearer_auth(&self.token).send().await?;
        parse(response).await
    }
}

async fn parse<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> anyhow::Result<T> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
        return Err(Refused { status: status.as_u16(), body }.into());
    }
    match serde_json::from_slice(&bytes) {
        Ok(value) => Ok(value),
        Err(e) => bail!("unexpected answer from the host: {e}"),
    }
}
