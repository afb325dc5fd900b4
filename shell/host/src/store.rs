//! The deploy store: every uploaded version on disk, which one is current, and the
//! composition built from the current ones.
//!
//! Layout under `<data>/host/`:
//! - `apps/<name>/<version>-<hash>/`: an app version's files and `mfe.json`, never modified
//!   once written (old bundle URLs keep working);
//! - `state.json`: per app, the deployed directories in order; the last one is current.
//!
//! A deploy is atomic: files go to a staging directory and are renamed into place, the new
//! composition is computed (and may be refused) before `state.json` is replaced by rename,
//! and only then do readers see the new composition.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use tessera_manifests::manifest::MANIFEST_FILE;
use tessera_manifests::compose::compose;
use tessera_manifests::{Composition, DeployedApp, Limits, Manifest, content_hash};
use tokio::sync::Mutex;

use crate::error::ApiError;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct State {
    /// App name → deployed version directories, oldest first; the last is current.
    apps: BTreeMap<String, Vec<String>>,
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeployOutcome {
    pub name: String,
    pub version: String,
    pub directory: String,
    /// False when exactly these files were already the current version.
    pub changed: bool,
    pub composition: String,
}

/// One app in `list`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeployedVersion {
    pub name: String,
    pub current: String,
    pub history: Vec<String>,
}

#[derive(Debug)]
pub struct DeployStore {
    root: PathBuf,
    limits: Limits,
    state: Mutex<State>,
    current: ArcSwap<Composition>,
}

impl DeployStore {
    /// Opens (or creates) the store and composes what is deployed.
    pub async fn open(data_dir: &Path, limits: Limits) -> anyhow::Result<Self> {
        let root = data_dir.join("host");
        tokio::fs::create_dir_all(root.join("apps")).await.with_context(|| format!("creating {}", root.display()))?;
        let state: State = match tokio::fs::read(root.join("state.json")).await {
            Ok(bytes) => serde_json::from_slice(&bytes).context("reading host/state.json")?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e).context("reading host/state.json"),
        };
        let apps = load_current(&root, &state).await?;
        let composition = compose(&apps).context("composing the deployed apps")?;
        Ok(Self { root, limits, state: Mutex::new(state), current: ArcSwap::from_pointee(composition) })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The current composition (cheap; readers never wait for deploys).
    pub fn composition(&self) -> Arc<Composition> {
        self.current.load_full()
    }

    /// The directory holding a deployed version, if it exists.
    pub fn version_dir(&self, name: &str, version: &str) -> PathBuf {
        self.root.join("apps").join(name).join(version)
    }

    /// The current manifest of an app.
    pub async fn manifest(&self, name: &str) -> Option<Manifest> {
        let dir = self.state.lock().await.apps.get(name)?.last()?.clone();
        read_manifest(&self.root.join("apps").join(name).join(dir)).await.ok()
    }

    pub async fn list(&self) -> Vec<DeployedVersion> {
        let state = self.state.lock().await;
        state
            .apps
            .iter()
            .filter_map(|(name, history)| Some(DeployedVersion { name: name.clone(), current: history.last()?.clone(), history: history.clone() }))
            .collect()
    }

    /// Validates and deploys an uploaded app (`mfe.json` plus files).
    pub async fn deploy(&self, mut files: BTreeMap<String, Vec<u8>>) -> Result<DeployOutcome, ApiError> {
        let manifest_bytes = files.remove(MANIFEST_FILE).ok_or_else(|| ApiError::BadUpload("the upload has no mfe.json".into()))?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        let sizes = files.iter().map(|(p, b)| (p.clone(), b.len() as u64)).collect();
        manifest.validate_files(&sizes, &self.limits)?;
        files.insert(MANIFEST_FILE.into(), manifest_bytes);
        let hash = content_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
        let directory = format!("{}-{hash}", manifest.version);

        let mut state = self.state.lock().await;
        let history = state.apps.get(&manifest.name).cloned().unwrap_or_default();
        if history.last() == Some(&directory) {
            return Ok(DeployOutcome {
                name: manifest.name,
                version: manifest.version,
                directory,
                changed: false,
                composition: self.composition().apps.version.clone(),
            });
        }
        if history.iter().any(|d| version_of(d) == manifest.version && *d != directory) {
            return Err(ApiError::Conflict {
                field: "version".into(),
                reason: format!("{} {} was already deployed with other files; bump the version", manifest.name, manifest.version),
            });
        }

        let mut next = state.clone();
        let list = next.apps.entry(manifest.name.clone()).or_default();
        list.retain(|d| *d != directory);
        list.push(directory.clone());
        let mut apps = load_current(&self.root, &state).await?;
        apps.retain(|a| a.manifest.name != manifest.name);
        apps.push(DeployedApp { base_url: base_url(&manifest.name, &directory), manifest: manifest.clone() });
        let composition = compose(&apps).map_err(ApiError::Collision)?;

        self.write_version(&manifest.name, &directory, &files).await?;
        self.save_state(&next).await?;
        *state = next;
        let version = composition.apps.version.clone();
        self.current.store(Arc::new(composition));
        tracing::info!(app = %manifest.name, version = %manifest.version, %directory, composition = %version, "deployed");
        Ok(DeployOutcome { name: manifest.name, version: manifest.version, directory, changed: true, composition: version })
    }

    /// Makes the previous version current again; an app with no previous version is removed.
    pub async fn rollback(&self, name: &str) -> Result<DeployOutcome, ApiError> {
        let mut state = self.state.lock().await;
        let mut next = state.clone();
        let history = next.apps.get_mut(name).ok_or_else(|| ApiError::NotFound(format!("no app `{name}` is deployed")))?;
        let removed = history.pop().unwrap_or_default();
        if history.is_empty() {
            next.apps.remove(name);
        }
        let apps = load_current(&self.root, &next).await?;
        let composition = compose(&apps).map_err(ApiError::Collision)?;
        self.save_state(&next).await?;
        let current = next.apps.get(name).and_then(|h| h.last().cloned()).unwrap_or_default();
        *state = next;
        let version = composition.apps.version.clone();
        self.current.store(Arc::new(composition));
        tracing::info!(app = %name, %removed, %current, composition = %version, "rolled back");
        Ok(DeployOutcome {
            name: name.to_string(),
            version: version_of(&current).to_string(),
            directory: current,
            changed: true,
            composition: version,
        })
    }

    async fn write_version(&self, name: &str, directory: &str, files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
        let app_dir = self.root.join("apps").join(name);
        let final_dir = app_dir.join(directory);
        if tokio::fs::try_exists(&final_dir).await? {
            // Same name, version and content hash: the same bytes are already on disk.
            return Ok(());
        }
        let staging = app_dir.join(format!(".staging-{}", rand::random::<u64>()));
        for (path, bytes) in files {
            let target = staging.join(path);
            tokio::fs::create_dir_all(target.parent().expect("inside staging")).await?;
            tokio::fs::write(&target, bytes).await?;
        }
        tokio::fs::rename(&staging, &final_dir).await.with_context(|| format!("moving {} into place", final_dir.display()))?;
        Ok(())
    }

    async fn save_state(&self, state: &State) -> anyhow::Result<()> {
        let tmp = self.root.join(format!(".state-{}.json", rand::random::<u64>()));
        let bytes = serde_json::to_vec_pretty(state)?;
        let file_path = tmp.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = std::fs::File::create(&file_path)?;
            file.write_all(&bytes)?;
            file.sync_all()
        })
        .await??;
        tokio::fs::rename(&tmp, self.root.join("state.json")).await?;
        Ok(())
    }
}

/// The version in a `<version>-<hash>` directory name; versions may contain `-` themselves
/// (`1.0.0-beta.1`), hashes never do.
fn version_of(directory: &str) -> &str {
    directory.rsplit_once('-').map_or("", |(version, _)| version)
}

fn base_url(name: &str, directory: &str) -> String {
    format!("/apps/{name}/{directory}/")
}

async fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let bytes = tokio::fs::read(dir.join(MANIFEST_FILE)).await.with_context(|| format!("reading {}", dir.display()))?;
    Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))
}

async fn load_current(root: &Path, state: &State) -> anyhow::Result<Vec<DeployedApp>> {
    let mut apps = Vec::new();
    for (name, history) in &state.apps {
        let Some(directory) = history.last() else { continue };
        let manifest = read_manifest(&root.join("apps").join(name).join(directory)).await?;
        apps.push(DeployedApp { base_url: base_url(name, directory), manifest });
    }
    Ok(apps)
}
