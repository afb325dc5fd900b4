//! The size table: raw, gzip and brotli bytes per app (what a browser transfers).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) app: String,
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

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out.len()
}

/// Measures the files a browser downloads for an app (wasm, JS, CSS; not `mfe.json`).
pub(crate) fn measure(app: &str, files: &BTreeMap<String, Vec<u8>>) -> Row {
    let mut row = Row { app: app.to_string(), wasm_raw: 0, raw: 0, gzip: 0, brotli: 0 };
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
