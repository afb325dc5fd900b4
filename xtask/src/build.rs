//! The wasm build pipeline: cargo (size-tuned `wasm-release` profile) → wasm-bindgen
//! (`--target web`, as a library at the crate's exact version) → wasm-opt `-Oz` → esbuild
//! (minifies the JavaScript glue) → the generated lifecycle entry → a content-hashed app
//! directory with its `mfe.json`.
//!
//! Output under `target/tessera/dist/`:
//! - `shell/<hash>/` and `shell/shell.json` (the entry URL the host puts in `index.html`);
//! - `apps/<name>-<hash>/` per micro-app (deployable as is), `fixtures/…` for test-only apps;
//! - `public/`: the host's public files as served (stylesheet and service worker minified);
//! - `index.json` (app name → directory) and `sizes.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tessera_manifests::{Limits, Manifest, content_hash, hash::bytes_hash};

use crate::{budgets, paths, sizes, tools};

/// What a wasm crate becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Shell,
    App,
    Fixture,
}

#[derive(Debug)]
struct WasmCrate {
    package: String,
    dir: PathBuf,
    kind: Kind,
}

impl WasmCrate {
    fn lib_name(&self) -> String {
        self.package.replace('-', "_")
    }
}

/// A hand-written app: a directory with a complete `mfe.json` and its files.
#[derive(Debug)]
struct StaticApp {
    dir: PathBuf,
    kind: Kind,
}

fn package_name(cargo_toml: &Path) -> anyhow::Result<String> {
    let text = fs::read_to_string(cargo_toml)?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("name = ").map(|v| v.trim_matches('"').to_string()))
        .with_context(|| format!("no package name in {}", cargo_toml.display()))
}

fn discover() -> anyhow::Result<(Vec<WasmCrate>, Vec<StaticApp>)> {
    let root = paths::root();
    let mut crates = vec![WasmCrate { package: package_name(&root.join("shell/app/Cargo.toml"))?, dir: root.join("shell/app"), kind: Kind::Shell }];
    let mut statics = Vec::new();
    for (folder, kind) in [("micro-apps", Kind::App), ("e2e/fixtures", Kind::Fixture)] {
        let Ok(entries) = fs::read_dir(root.join(folder)) else { continue };
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            if dir.join("Cargo.toml").exists() {
                crates.push(WasmCrate { package: package_name(&dir.join("Cargo.toml"))?, dir, kind });
            } else if dir.join("mfe.json").exists() {
                statics.push(StaticApp { dir, kind });
            }
        }
    }
    Ok((crates, statics))
}

/// The cargo packages compiled to wasm (excluded from native `cargo test`).
pub(crate) fn wasm_packages() -> anyhow::Result<Vec<String>> {
    Ok(discover()?.0.into_iter().filter(|c| c.kind != Kind::Shell).map(|c| c.package).collect())
}

/// Builds everything and returns the dist directory.
pub(crate) fn build() -> anyhow::Result<Built> {
    let started = std::time::Instant::now();
    tools::ensure_wasm_target()?;
    let tools = Tools::find_or_install()?;
    let (crates, statics) = discover()?;

    let mut cargo = Command::new(paths::cargo());
    cargo.current_dir(paths::root()).args(["build", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release"]);
    for c in &crates {
        cargo.args(["-p", &c.package]);
    }
    let status = cargo.status().context("running cargo")?;
    if !status.success() {
        bail!("the wasm build failed");
    }

    let dist = paths::dist_dir();
    for sub in ["shell", "apps", "fixtures", "public"] {
        let _ = fs::remove_dir_all(dist.join(sub));
    }
    fs::create_dir_all(&dist)?;
    let mut index = BTreeMap::new();
    // What each app's browser downloads, at the URL the host serves it from, measured once the
    // shell (the compression dictionary for the apps) is in place.
    let mut downloads = Vec::new();
    let mut first_load = sizes::FirstLoad::default();
    let wasm_dir = paths::target_dir().join("wasm32-unknown-unknown").join("wasm-release");
    for c in &crates {
        let bound = bind_and_optimise(&wasm_dir.join(format!("{}.wasm", c.lib_name())), &c.lib_name(), &tools)?;
        match c.kind {
            Kind::Shell => {
                let files = read_tree(&bound)?;
                let hash = content_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
                let out = dist.join("shell").join(&hash);
                write_tree(&out, &files)?;
                let entry = format!("/shell/{hash}/{}.js", c.lib_name());
                fs::write(dist.join("shell").join("shell.json"), serde_json::to_vec_pretty(&json!({ "hash": hash, "entry": entry }))?)?;
                downloads.push(sizes::Download { app: "shell".into(), kind: Kind::Shell, base_url: format!("/shell/{hash}/"), files });
            }
            Kind::App | Kind::Fixture => {
                let mut files = read_tree(&bound)?;
                files.insert("index.js".into(), entry_module(&c.lib_name()).into_bytes());
                let mut styles = Vec::new();
                if c.dir.join("style.css").exists() {
                    files.insert("style.css".into(), minify(&c.dir.join("style.css"), &tools.esbuild)?);
                    styles.push("style.css".to_string());
                }
                let fragment: Value = serde_json::from_slice(&fs::read(c.dir.join("mfe.json"))?).with_context(|| format!("{}/mfe.json", c.dir.display()))?;
                let manifest = complete_fragment(fragment, &files, styles)?;
                let (name, dir) = write_app(&dist, c.kind, manifest.clone(), files.clone())?;
                if c.kind == Kind::App {
                    first_load.add_app(&name, &dir, &manifest);
                }
                downloads.push(sizes::Download::app(&name, c.kind, &dir, &manifest, files));
                index.insert(name, dir);
            }
        }
    }
    for s in &statics {
        let manifest: Value = serde_json::from_slice(&fs::read(s.dir.join("mfe.json"))?)?;
        let mut files = BTreeMap::new();
        for file in manifest["files"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            files.insert(file.to_string(), fs::read(s.dir.join(file)).with_context(|| format!("{}: {file}", s.dir.display()))?);
        }
        let (name, dir) = write_app(&dist, s.kind, manifest.clone(), files.clone())?;
        if s.kind == Kind::App {
            first_load.add_app(&name, &dir, &manifest);
        }
        downloads.push(sizes::Download::app(&name, s.kind, &dir, &manifest, files));
        index.insert(name, dir);
    }
    fs::write(dist.join("index.json"), serde_json::to_vec_pretty(&index)?)?;
    let public = write_public(&paths::root().join("public"), &dist.join("public"), &tools.esbuild)?;
    let assets = tokio::runtime::Builder::new_current_thread().build()?.block_on(tessera_host::assets::Assets::load(&dist, &public))?;
    let rows = sizes::measure_all(&downloads, assets.dictionaries());
    sizes::print_and_save(&rows, &dist.join("sizes.json"))?;
    let first_load_bytes = first_load.transferred(&assets, &public, &rows)?;
    let budgets = budgets::check(&budgets::Budgets::load(&paths::root())?, &rows, first_load_bytes);
    println!("\nSize budgets ({}; the first load is index.html + styles.css + shell + {}):\n\n{}", budgets::FILE, first_load.apps().join(" + "), budgets.table());
    eprintln!("xtask: built {} apps into {} in {:.1?}", index.len(), dist.display(), started.elapsed());
    Ok(Built { dist, budgets })
}

/// The directory `cargo xtask build` wrote a built app into (`apps/<name>-<hash>`), from
/// `index.json`.
pub(crate) fn built_app(name: &str) -> anyhow::Result<PathBuf> {
    let dist = paths::dist_dir();
    let index_path = dist.join("index.json");
    let index: BTreeMap<String, String> =
        serde_json::from_slice(&fs::read(&index_path).with_context(|| format!("reading {} (run `cargo xtask build` first)", index_path.display()))?)?;
    let dir = index.get(name).with_context(|| format!("`{name}` is neither a directory nor a built app (built: {})", index.keys().cloned().collect::<Vec<_>>().join(", ")))?;
    Ok(dist.join(dir))
}

/// What [`build`] made: the dist directory, and its sizes against the budgets.
pub(crate) struct Built {
    pub(crate) dist: PathBuf,
    pub(crate) budgets: budgets::Verdict,
}

/// Adds what the build knows to an app's `mfe.json` fragment: version, entry, files, styles.
fn complete_fragment(mut fragment: Value, files: &BTreeMap<String, Vec<u8>>, styles: Vec<String>) -> anyhow::Result<Value> {
    let object = fragment.as_object_mut().context("mfe.json must be an object")?;
    for generated in ["version", "entry", "files", "styles"] {
        if object.contains_key(generated) {
            bail!("mfe.json fragment must not set `{generated}`: the build writes it");
        }
    }
    // Every distinct build is a distinct version (the deploy API refuses new files under an
    // old version), so the crate version gets the content hash as a pre-release tag.
    let hash = content_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    object.insert("version".into(), format!("{}-build.{}", env!("CARGO_PKG_VERSION"), &hash[..8]).into());
    object.insert("entry".into(), "index.js".into());
    object.insert("files".into(), files.keys().cloned().collect::<Vec<_>>().into());
    if !styles.is_empty() {
        object.insert("styles".into(), styles.into());
    }
    Ok(fragment)
}

/// Validates and writes an app into its content-hashed directory.
fn write_app(dist: &Path, kind: Kind, manifest: Value, mut files: BTreeMap<String, Vec<u8>>) -> anyhow::Result<(String, String)> {
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    let parsed = Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("mfe.json: {e}"))?;
    let sizes = files.iter().map(|(p, b)| (p.clone(), b.len() as u64)).collect();
    parsed.validate_files(&sizes, &Limits::default()).map_err(|e| anyhow::anyhow!("{}: {e}", parsed.name))?;
    files.insert("mfe.json".into(), bytes);
    let hash = content_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    let dir = format!("{}-{hash}", parsed.name);
    let folder = if kind == Kind::Fixture { "fixtures" } else { "apps" };
    write_tree(&dist.join(folder).join(&dir), &files)?;
    Ok((parsed.name, format!("{folder}/{dir}")))
}

/// The ES module that implements the micro-app contract around wasm-bindgen's output.
///
/// The glue is imported with the entry's own query string, so a retry (`index.js?attempt=2`)
/// gets a fresh wasm instance instead of one a panic has poisoned.
fn entry_module(lib: &str) -> String {
    format!(
        r#"// Generated by `cargo xtask build`: the Tessera micro-app contract around {lib}.js.
const glueUrl = new URL("./{lib}.js", import.meta.url);
glueUrl.search = new URL(import.meta.url).search;
const ready = import(glueUrl.href).then(async (glue) => {{
  await glue.default({{ module_or_path: new URL("./{lib}_bg.wasm", import.meta.url) }});
  return glue;
}});
ready.catch(() => {{}});

export async function bootstrap(props) {{
  return (await ready).bootstrap(props);
}}
export async function mount(element, props) {{
  return (await ready).mount(element, props);
}}
export async function update(props) {{
  return (await ready).update(props);
}}
export async function unmount(element) {{
  return (await ready).unmount(element);
}}
"#
    )
}

/// The programs the pipeline runs after cargo.
struct Tools {
    wasm_opt: PathBuf,
    esbuild: PathBuf,
}

impl Tools {
    fn find_or_install() -> anyhow::Result<Self> {
        Ok(Self { wasm_opt: tools::wasm_opt()?, esbuild: tools::esbuild()? })
    }
}

/// What the steps after cargo do; part of the cache key, so changing them rebuilds.
const PIPELINE: &str = "wasm-bindgen --target web; wasm-opt -Oz --strip-debug --strip-producers; esbuild --minify";

/// Runs wasm-bindgen, wasm-opt and esbuild, cached by the input's hash (warm builds skip them).
fn bind_and_optimise(wasm: &Path, lib: &str, tools: &Tools) -> anyhow::Result<PathBuf> {
    let mut input = fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    input.extend_from_slice(PIPELINE.as_bytes());
    let cache = paths::target_dir().join("tessera").join("cache").join(format!("{lib}-{}", bytes_hash(&input)));
    if cache.join(".done").exists() {
        return Ok(cache);
    }
    let _ = fs::remove_dir_all(&cache);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .web(true)?
        .typescript(false)
        .out_name(lib)
        .omit_default_module_path(false)
        .generate(&cache)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;
    let bg = cache.join(format!("{lib}_bg.wasm"));
    let status = Command::new(&tools.wasm_opt)
        .arg(&bg)
        .arg("-o")
        .arg(&bg)
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        // The features rustc's wasm32 target emits by default; wasm-opt must keep them.
        .args(["--enable-bulk-memory", "--enable-mutable-globals", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-reference-types", "--enable-multivalue"])
        .status()
        .context("running wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt failed on {}", bg.display());
    }
    minify_js(&cache, &tools.esbuild)?;
    fs::write(cache.join(".done"), b"")?;
    Ok(cache)
}

/// Minifies every JavaScript file of a bound module in place (the glue and its snippets).
/// Exports, imports and `import.meta.url` stay as they are: only local names, whitespace and
/// syntax shrink.
fn minify_js(dir: &Path, esbuild: &Path) -> anyhow::Result<()> {
    let scripts: Vec<PathBuf> = read_tree(dir)?.into_keys().filter(|p| p.ends_with(".js")).map(|p| dir.join(p)).collect();
    let status = Command::new(esbuild)
        .args(&scripts)
        .args(["--minify", "--format=esm", "--log-level=warning", "--allow-overwrite"])
        // wasm-bindgen lists a snippet imported under two aliases twice in its import object;
        // both keys hold the same module namespace, so the duplicate is harmless.
        .arg("--log-override:duplicate-object-key=silent")
        .arg(format!("--outdir={}", dir.display()))
        .arg(format!("--outbase={}", dir.display()))
        .status()
        .context("running esbuild")?;
    if !status.success() {
        bail!("esbuild failed on the JavaScript in {}", dir.display());
    }
    Ok(())
}

/// The host's public files (`index.html`, the global stylesheet, the service worker, icons)
/// as served: stylesheets and scripts minified, the rest copied.
fn write_public(source: &Path, out: &Path, esbuild: &Path) -> anyhow::Result<PathBuf> {
    for (file, bytes) in read_tree(source)? {
        let bytes = if file.ends_with(".css") || file.ends_with(".js") { minify(&source.join(&file), esbuild)? } else { bytes };
        let path = out.join(&file);
        fs::create_dir_all(path.parent().context("a file has a parent")?)?;
        fs::write(&path, bytes)?;
    }
    Ok(out.to_path_buf())
}

/// A stylesheet or a classic script (the service worker), minified: whitespace, comments,
/// shorter values and local names (20–30 % fewer bytes on the wire).
fn minify(path: &Path, esbuild: &Path) -> anyhow::Result<Vec<u8>> {
    let output = Command::new(esbuild).arg(path).args(["--minify", "--log-level=warning"]).output().context("running esbuild")?;
    if !output.status.success() {
        bail!("esbuild failed on {}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
    }
    Ok(output.stdout)
}

/// Reads a directory tree into relative path → bytes (skipping hidden files).
fn read_tree(dir: &Path) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out)?;
            } else {
                let rel = path.strip_prefix(base)?.to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&path)?);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

fn write_tree(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("files live in a directory"))?;
        fs::write(&path, bytes)?;
    }
    Ok(())
}
