//! Content encoding of the files the host serves, done once per file instead of once per request.
//!
//! - `br`: brotli at quality 11, the bytes `size-budgets.toml` counts. The response compression
//!   layer would compress each request again, at a lower quality.
//! - `dcb` (Compression Dictionary Transport, dictionary-compressed brotli): every page loads
//!   the shell before any app, and every Leptos app repeats most of the shell's code (std, the
//!   allocator, Leptos, serde, wasm-bindgen's glue). The shell's wasm and JS glue are announced as
//!   dictionaries (`Use-As-Dictionary`) for the apps' wasm and JS; a browser that holds one sends
//!   its SHA-256 in `Available-Dictionary` and gets the app file compressed against it: a
//!   quarter to two thirds smaller than `br`. Browsers without dictionary support get `br`.
//!
//! Bundles are content-addressed and immutable, so encodings are cached by content hash, for
//! the whole process: the same bytes always encode the same way. One background thread computes
//! them (started at startup and after each deploy); until one is ready, the file goes out as
//! the response compression layer makes it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, mpsc};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Brotli quality and window: the densest brotli there is, the same settings the size budgets use.
const QUALITY: u32 = 11;
const WINDOW_BITS: u32 = 22;
/// A `dcb` body starts with this magic number, then the dictionary's SHA-256.
const DCB_MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];
/// Encoded bytes kept in memory before the cache starts over (deploys add versions).
const CACHE_BYTES: usize = 256 * 1024 * 1024;

pub type Sha256Hash = [u8; 32];

pub fn sha256(bytes: &[u8]) -> Sha256Hash {
    Sha256::digest(bytes).into()
}

/// Brotli, quality 11.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    compress(bytes, &[])
}

/// A `dcb` body: the magic number, the dictionary's hash and brotli with the dictionary as
/// its raw prefix (what a browser's brotli decoder attaches as a shared dictionary).
pub fn dictionary_brotli(bytes: &[u8], dictionary: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    out.extend_from_slice(&DCB_MAGIC);
    out.extend_from_slice(&sha256(dictionary));
    out.extend_from_slice(&compress(bytes, dictionary));
    out
}

fn compress(bytes: &[u8], dictionary: &[u8]) -> Vec<u8> {
    use brotli::enc::{BrotliCompressCustomIoCustomDict, BrotliEncoderParams, StandardAlloc};
    let params = BrotliEncoderParams { quality: QUALITY as i32, lgwin: WINDOW_BITS as i32, ..Default::default() };
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let (mut input, mut output) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut no_metablock_callback = |_: &mut brotli::interface::PredictionModeContextMap<brotli::InputReferenceMut>,
                                     _: &mut [brotli::interface::StaticCommand],
                                     _: brotli::InputPair,
                                     _: &mut StandardAlloc| ();
    let mut reader = bytes;
    BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut reader),
        &mut brotli::IoWriterWrapper(&mut out),
        &mut input,
        &mut output,
        &params,
        StandardAlloc::default(),
        &mut no_metablock_callback,
        dictionary,
        std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
    )
    .expect("compressing into memory cannot fail");
    out.flush().expect("a Vec flushes");
    out
}

/// A file the host offers as a compression dictionary for app files whose path starts with
/// `prefix` and ends with `suffix`.
#[derive(Debug, Clone)]
pub struct Dictionary {
    /// The URL the dictionary is served at.
    pub url: String,
    prefix: &'static str,
    suffix: &'static str,
    hash: Sha256Hash,
    bytes: Arc<[u8]>,
}

impl Dictionary {
    pub fn new(url: String, prefix: &'static str, suffix: &'static str, bytes: Vec<u8>) -> Self {
        Self { url, prefix, suffix, hash: sha256(&bytes), bytes: bytes.into() }
    }

    /// The `Use-As-Dictionary` header its own response carries (a URL pattern for `match`).
    pub fn use_as_dictionary(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("match=\"{}*{}\"", self.prefix, self.suffix)).expect("the pattern is a valid header")
    }

    fn applies_to(&self, path: &str) -> bool {
        path.starts_with(self.prefix) && path.ends_with(self.suffix)
    }
}

/// How a response body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Left to the response compression layer (the client takes neither `br` nor `dcb`, or the
    /// file is not worth compressing).
    Identity,
    Brotli,
    DictionaryBrotli,
}

/// Picks the encoding for a file at `path` and, for `dcb`, the dictionary the browser holds.
pub fn negotiate<'a>(headers: &HeaderMap, path: &str, dictionaries: &'a [Dictionary]) -> (Encoding, Option<&'a Dictionary>) {
    if !compressible(path) {
        return (Encoding::Identity, None);
    }
    let accepted = accepted_encodings(headers);
    // dcb is brotli with a dictionary: every browser that takes it takes br, which is the
    // fallback when the dcb body is not ready or not smaller.
    if accepted.contains(&"dcb") && accepted.contains(&"br") {
        let held = headers.get("available-dictionary").and_then(|v| v.to_str().ok()).and_then(parse_available_dictionary);
        if let Some(dictionary) = held.and_then(|hash| dictionaries.iter().find(|d| d.hash == hash && d.applies_to(path))) {
            return (Encoding::DictionaryBrotli, Some(dictionary));
        }
    }
    if accepted.contains(&"br") { (Encoding::Brotli, None) } else { (Encoding::Identity, None) }
}

/// Bytes on the wire for a bundle file at `path`, for a browser that holds every dictionary
/// (as one does once the shell has loaded): `dcb` where a dictionary applies, else `br`.
/// What the size budgets count (`cargo xtask build`).
pub fn transferred_bytes(path: &str, bytes: &[u8], dictionaries: &[Dictionary]) -> usize {
    if !compressible(path) {
        return bytes.len();
    }
    let alone = brotli(bytes).len();
    match dictionaries.iter().find(|d| d.applies_to(path)) {
        Some(dictionary) => dictionary_brotli(bytes, &dictionary.bytes).len().min(alone),
        None => alone,
    }
}

/// Whether `path` could ever get `dcb`, so caches must keep responses apart by dictionary.
pub fn varies_by_dictionary(path: &str, dictionaries: &[Dictionary]) -> bool {
    compressible(path) && dictionaries.iter().any(|d| d.applies_to(path))
}

fn compressible(path: &str) -> bool {
    [".wasm", ".js", ".css", ".json", ".svg", ".html", ".txt"].iter().any(|ext| path.ends_with(ext))
}

/// Whether `Accept-Encoding` allows brotli.
pub fn accepts_brotli(headers: &HeaderMap) -> bool {
    accepted_encodings(headers).contains(&"br")
}

/// The encodings `Accept-Encoding` allows (`q=0` refuses one).
fn accepted_encodings(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?;
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (!refused).then_some(name)
        })
        .collect()
}

/// `Available-Dictionary` is a structured-field byte sequence: `:<base64 of the SHA-256>:`.
fn parse_available_dictionary(value: &str) -> Option<Sha256Hash> {
    let encoded = value.trim().strip_prefix(':')?.strip_suffix(':')?;
    base64::engine::general_purpose::STANDARD.decode(encoded).ok()?.try_into().ok()
}

/// A file's content hash and, for `dcb`, the dictionary's.
type Key = (Sha256Hash, Option<Sha256Hash>);

/// One encoded body: computed once, in the background, by the encoder thread.
#[derive(Default)]
struct Entry {
    body: OnceLock<Arc<[u8]>>,
    started: AtomicBool,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Arc<Entry>>,
    bytes: usize,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

/// Encodings queued or being computed (`/health` reports it).
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// How many encodings are still being computed: until none are, some files go out as the
/// response compression layer makes them.
pub fn pending() -> usize {
    PENDING.load(Ordering::Acquire)
}

struct Job {
    entry: Arc<Entry>,
    bytes: Arc<[u8]>,
    dictionary: Option<Dictionary>,
}

/// One thread encodes, a file at a time: brotli 11 takes most of a second per app, and requests
/// (and the other core) must not wait behind it.
static ENCODER: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("tessera-encoder".into())
        .spawn(move || {
            for job in queue {
                let body: Arc<[u8]> = match &job.dictionary {
                    Some(dictionary) => dictionary_brotli(&job.bytes, &dictionary.bytes),
                    None => brotli(&job.bytes),
                }
                .into();
                CACHE.lock().expect("the encoding cache is never poisoned").bytes += body.len();
                let _ = job.entry.body.set(body);
                PENDING.fetch_sub(1, Ordering::AcqRel);
            }
        })
        .expect("starting the encoder thread");
    jobs
});

/// The entry for `bytes` (whose hash is `hash`) against `dictionary`, its encoding started if
/// it was not.
fn entry(hash: Sha256Hash, bytes: &Arc<[u8]>, dictionary: Option<&Dictionary>) -> Arc<Entry> {
    let key = (hash, dictionary.map(|d| d.hash));
    let entry = {
        let mut cache = CACHE.lock().expect("the encoding cache is never poisoned");
        if cache.bytes > CACHE_BYTES {
            *cache = Cache::default();
        }
        cache.entries.entry(key).or_default().clone()
    };
    if !entry.started.swap(true, Ordering::AcqRel) {
        let job = Job { entry: entry.clone(), bytes: bytes.clone(), dictionary: dictionary.cloned() };
        PENDING.fetch_add(1, Ordering::AcqRel);
        ENCODER.send(job).expect("the encoder thread runs for the whole process");
    }
    entry
}

/// The better of `dcb` and `br` (the dcb header and an unrelated dictionary can make small
/// files larger).
fn smaller(with_dictionary: Arc<[u8]>, alone: Arc<[u8]>) -> (Encoding, Arc<[u8]>) {
    if with_dictionary.len() < alone.len() { (Encoding::DictionaryBrotli, with_dictionary) } else { (Encoding::Brotli, alone) }
}

/// `bytes` as negotiated if that encoding is ready, else as they are, left to the response
/// compression layer, while the encoding is computed in the background for the next request.
pub fn encoded_now(bytes: Arc<[u8]>, wanted: Encoding, dictionary: Option<&Dictionary>) -> (Encoding, Arc<[u8]>) {
    if wanted == Encoding::Identity {
        return (Encoding::Identity, bytes);
    }
    let hash = sha256(&bytes);
    let alone = || entry(hash, &bytes, None).body.get().cloned();
    let ready = match (wanted, dictionary) {
        (Encoding::Identity, _) => None,
        (Encoding::DictionaryBrotli, Some(dictionary)) => match (entry(hash, &bytes, Some(dictionary)).body.get().cloned(), alone()) {
            (Some(with_dictionary), Some(alone)) => Some(smaller(with_dictionary, alone)),
            (None, Some(alone)) => Some((Encoding::Brotli, alone)),
            _ => None,
        },
        (Encoding::Brotli | Encoding::DictionaryBrotli, _) => alone().map(|body| (Encoding::Brotli, body)),
    };
    ready.unwrap_or((Encoding::Identity, bytes))
}

/// Starts every encoding a file at `path` can be asked for (after a deploy, at startup), so
/// that the first browsers already get them.
pub fn prepare(path: &str, bytes: Arc<[u8]>, dictionaries: &[Dictionary]) {
    if !compressible(path) {
        return;
    }
    let hash = sha256(&bytes);
    entry(hash, &bytes, None);
    for dictionary in dictionaries.iter().filter(|d| d.applies_to(path)) {
        entry(hash, &bytes, Some(dictionary));
    }
}

/// The `Content-Encoding` value of an encoding (none for identity).
pub fn content_encoding(encoding: Encoding) -> Option<HeaderValue> {
    match encoding {
        Encoding::Identity => None,
        Encoding::Brotli => Some(HeaderValue::from_static("br")),
        Encoding::DictionaryBrotli => Some(HeaderValue::from_static("dcb")),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// `bytes` as negotiated once the encoder has made them (requests never wait; tests do).
    async fn encoded(bytes: Arc<[u8]>, wanted: Encoding, dictionary: Option<&Dictionary>) -> (Encoding, Arc<[u8]>) {
        let hash = sha256(&bytes);
        match (wanted, dictionary) {
            (Encoding::Identity, _) => (Encoding::Identity, bytes),
            (Encoding::DictionaryBrotli, Some(dictionary)) => {
                let (with_dictionary, alone) = (entry(hash, &bytes, Some(dictionary)), entry(hash, &bytes, None));
                smaller(wait(&with_dictionary).await, wait(&alone).await)
            }
            (Encoding::Brotli | Encoding::DictionaryBrotli, _) => (Encoding::Brotli, wait(&entry(hash, &bytes, None)).await),
        }
    }

    async fn wait(entry: &Entry) -> Arc<[u8]> {
        for _ in 0..3_000 {
            if let Some(body) = entry.body.get() {
                return body.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the encoder did not finish within 30 s");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), HeaderValue::from_str(v).unwrap())).collect()
    }

    fn available(dictionary: &Dictionary) -> String {
        format!(":{}:", base64::engine::general_purpose::STANDARD.encode(dictionary.hash))
    }

    /// Bytes that do not compress on their own (a linear congruential sequence), like code.
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..len).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        }).collect()
    }

    fn shell_wasm() -> Dictionary {
        Dictionary::new("/shell/abc/shell_bg.wasm".into(), "/apps/", ".wasm", noise(8_000, 1))
    }

    #[test]
    fn a_dictionary_brotli_body_decodes_with_the_dictionary_and_is_smaller() {
        let dictionary = shell_wasm();
        // An app: most of the shell's code, then its own.
        let file = [dictionary.bytes[..6_000].to_vec(), noise(500, 2)].concat();
        let dcb = dictionary_brotli(&file, &dictionary.bytes);
        assert_eq!(dcb[..4], DCB_MAGIC);
        assert_eq!(dcb[4..36], dictionary.hash);
        let mut decoded = Vec::new();
        brotli::reader::Decompressor::new_with_custom_dict(&dcb[36..], 4096, dictionary.bytes.to_vec().into()).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, file);
        let br = brotli(&file);
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, file);
        assert!(dcb.len() < br.len() / 5, "dcb {} bytes, br {} bytes", dcb.len(), br.len());
    }

    #[test]
    fn dcb_only_for_a_held_dictionary_that_covers_the_path() {
        let wasm = shell_wasm();
        let dictionaries = [wasm.clone()];
        let dcb = headers(&[("accept-encoding", "gzip, br, zstd, dcb"), ("available-dictionary", &available(&wasm))]);
        assert_eq!(negotiate(&dcb, "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::DictionaryBrotli);
        // Not a path the dictionary was announced for.
        assert_eq!(negotiate(&dcb, "/apps/nav/1.0.0/nav.js", &dictionaries).0, Encoding::Brotli);
        // A dictionary the host does not have (an older shell): plain brotli.
        let other = Dictionary::new("/shell/old/shell_bg.wasm".into(), "/apps/", ".wasm", b"old shell".to_vec());
        let stale = headers(&[("accept-encoding", "br, dcb"), ("available-dictionary", &available(&other))]);
        assert_eq!(negotiate(&stale, "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::Brotli);
        // A malformed hash is ignored, not an error.
        let garbled = headers(&[("accept-encoding", "br, dcb"), ("available-dictionary", ":not base64!:")]);
        assert_eq!(negotiate(&garbled, "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::Brotli);
        // dcb refused or not offered.
        let refused = headers(&[("accept-encoding", "br, dcb;q=0"), ("available-dictionary", &available(&wasm))]);
        assert_eq!(negotiate(&refused, "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::Brotli);
        let no_brotli = headers(&[("accept-encoding", "gzip, dcb"), ("available-dictionary", &available(&wasm))]);
        assert_eq!(negotiate(&no_brotli, "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::Identity);
        assert_eq!(negotiate(&headers(&[("accept-encoding", "gzip")]), "/apps/nav/1.0.0/nav_bg.wasm", &dictionaries).0, Encoding::Identity);
        // Already compressed formats are left alone.
        assert_eq!(negotiate(&dcb, "/apps/nav/1.0.0/icon.png", &dictionaries).0, Encoding::Identity);
    }

    #[tokio::test]
    async fn encodings_are_computed_once_per_content() {
        let bytes: Arc<[u8]> = noise(4_000, 3).into();
        let (encoding, first) = encoded(bytes.clone(), Encoding::Brotli, None).await;
        assert_eq!(encoding, Encoding::Brotli);
        let (_, second) = encoded(bytes.clone(), Encoding::Brotli, None).await;
        assert!(Arc::ptr_eq(&first, &second));
        let (encoding, same) = encoded(bytes.clone(), Encoding::Identity, None).await;
        assert_eq!(encoding, Encoding::Identity);
        assert!(Arc::ptr_eq(&same, &bytes));
    }

    #[tokio::test]
    async fn a_request_never_waits_for_an_encoding_and_a_later_one_gets_it() {
        let dictionary = shell_wasm();
        let app: Arc<[u8]> = [dictionary.bytes[..6_000].to_vec(), noise(700, 5)].concat().into();
        // Not prepared: the bytes go out as they are (the compression layer's business), and
        // both encodings start in the background.
        let (encoding, body) = encoded_now(app.clone(), Encoding::DictionaryBrotli, Some(&dictionary));
        assert_eq!(encoding, Encoding::Identity);
        assert!(Arc::ptr_eq(&body, &app));
        let (_, ready) = encoded(app.clone(), Encoding::DictionaryBrotli, Some(&dictionary)).await;
        let (encoding, body) = encoded_now(app.clone(), Encoding::DictionaryBrotli, Some(&dictionary));
        assert_eq!(encoding, Encoding::DictionaryBrotli);
        assert!(Arc::ptr_eq(&body, &ready));
        // A browser without the dictionary gets the brotli body computed alongside.
        assert_eq!(encoded_now(app.clone(), Encoding::Brotli, None).0, Encoding::Brotli);
        // Prepared files are encoded before anyone asks.
        let other: Arc<[u8]> = noise(3_000, 6).into();
        prepare("/apps/x/1/x_bg.wasm", other.clone(), std::slice::from_ref(&dictionary));
        encoded(other.clone(), Encoding::DictionaryBrotli, Some(&dictionary)).await;
        assert_ne!(encoded_now(other, Encoding::DictionaryBrotli, Some(&dictionary)).0, Encoding::Identity);
    }

    #[tokio::test]
    async fn dcb_only_where_the_dictionary_makes_the_file_smaller() {
        let dictionary = shell_wasm();
        let app: Arc<[u8]> = [dictionary.bytes[..6_000].to_vec(), noise(500, 4)].concat().into();
        let (encoding, body) = encoded(app, Encoding::DictionaryBrotli, Some(&dictionary)).await;
        assert_eq!(encoding, Encoding::DictionaryBrotli);
        assert_eq!(body[4..36], dictionary.hash);
        // Nothing in common with the dictionary: the dcb header would only add bytes.
        let unrelated: Arc<[u8]> = b"export const tiny = 1;".to_vec().into();
        let (encoding, body) = encoded(unrelated.clone(), Encoding::DictionaryBrotli, Some(&dictionary)).await;
        assert_eq!(encoding, Encoding::Brotli);
        assert_eq!(&body[..], &brotli(&unrelated)[..]);
        assert_eq!(transferred_bytes("/apps/x/1/tiny.wasm", &unrelated, &[dictionary]), body.len());
    }
}
