//! The COSE WG examples through the generic COSE_Sign1 layer, with the key
//! each file gives, against `vectors/external/cose-wg.json`.

use std::path::{Path, PathBuf};

use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::crypto::CryptoProvider;
use jpki_reference::error::Result as RefResult;
use serde::Deserialize;
use serde_json::Value as Json;

use super::SetReport;
use super::rfc8949::read_json;

#[derive(Deserialize)]
struct Expectation {
    file: String,
    expect: String,
    code: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    entries: Vec<Expectation>,
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

fn coordinate(key: &Json, name: &str) -> Option<[u8; 32]> {
    let bytes = match (key.get(name).and_then(Json::as_str), key.get(format!("{name}_hex")).and_then(Json::as_str)) {
        (Some(b64), _) => base64url(b64)?,
        (None, Some(hex_text)) => hex::decode(hex_text).ok()?,
        _ => return None,
    };
    bytes.try_into().ok()
}

/// The signer's block: `sign0`, or the first signer of `sign`.
fn signer_block(input: &Json) -> Option<&Json> {
    input.get("sign0").or_else(|| input.get("sign")?.get("signers")?.get(0))
}

/// The verdict of the v0 layer on one example file: `Ok(())` accepted.
fn verdict(provider: &dyn CryptoProvider, example: &Json) -> Result<RefResult<()>, String> {
    let cbor = example.pointer("/output/cbor").and_then(Json::as_str).ok_or("no output.cbor")?;
    let bytes = hex::decode(cbor).map_err(|e| format!("output.cbor: {e}"))?;
    let signer = example.get("input").and_then(signer_block).ok_or("no signer block")?;
    let key = signer.get("key").ok_or("no key")?;
    let (x, y) = (coordinate(key, "x").ok_or("key x")?, coordinate(key, "y").ok_or("key y")?);
    let aad = match signer.get("external").and_then(Json::as_str) {
        Some(h) => hex::decode(h).map_err(|e| format!("external: {e}"))?,
        None => Vec::new(),
    };
    Ok((|| {
        let public = provider.public_key_from_coordinates(&x, &y)?;
        decode_sign1(&bytes, &Limits::V0)?.verify(provider, &public, &aad)
    })())
}

/// Runs every example file found under `vectors_dir/cose-wg-examples`.
pub fn run(provider: &dyn CryptoProvider, vectors_dir: &Path) -> Result<SetReport, String> {
    let root = vectors_dir.join("cose-wg-examples");
    let mut files = Vec::new();
    json_files(&root, &mut files).map_err(|e| format!("cannot list {}: {e}", root.display()))?;
    files.sort();
    let table: Table = read_json(&super::project_vectors_dir().join("external/cose-wg.json"))?;
    let mut report = SetReport::default();
    if files.len() != table.entries.len() {
        report.mismatches.push(format!("{} example files, {} expectations", files.len(), table.entries.len()));
    }
    for path in &files {
        report.total += 1;
        let name = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let example: Json = read_json(path)?;
        let must_fail = example.get("fail").and_then(Json::as_bool).unwrap_or(false);
        let outcome = verdict(provider, &example).map_err(|e| format!("{name}: {e}"))?;
        match &outcome {
            Ok(()) => report.accepted += 1,
            Err(_) => report.refused += 1,
        }
        if must_fail && outcome.is_ok() {
            report.mismatches.push(format!("{name}: marked fail upstream but accepted"));
        }
        let Some(expected) = table.entries.iter().find(|e| e.file == name) else {
            report.mismatches.push(format!("{name}: no expectation in the table"));
            continue;
        };
        let matches = match (&outcome, expected.expect.as_str()) {
            (Ok(()), "accept") => true,
            (Err(e), "refuse") => Some(e.code.as_str()) == expected.code.as_deref(),
            _ => false,
        };
        if !matches {
            report.mismatches.push(format!(
                "{name}: got {}, table says {} {}",
                outcome.as_ref().map_or_else(|e| format!("refuse {}", e.code), |()| "accept".into()),
                expected.expect,
                expected.code.as_deref().unwrap_or("")
            ));
        }
    }
    Ok(report)
}
