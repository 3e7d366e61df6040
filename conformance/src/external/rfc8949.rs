//! RFC 8949 Appendix A: every example through the strict decoder, against
//! the committed table `vectors/external/rfc8949-appendix-a.json`.

use std::path::Path;

use jpki_reference::codec::{decode_v0, encode};
use serde::Deserialize;

use super::SetReport;
use super::diagnostic::{diagnostic, to_json};

/// One upstream entry (fields as published). `decoded` is kept as a raw
/// map entry because a published `null` must stay distinct from "absent".
#[derive(Deserialize)]
struct Upstream {
    hex: String,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// One committed expectation.
#[derive(Deserialize)]
struct Expectation {
    hex: String,
    expect: String,
    diagnostic: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    count: usize,
    entries: Vec<Expectation>,
}

/// The number of entries in RFC 8949 Appendix A's table.
pub const APPENDIX_A_ENTRIES: usize = 82;

/// Runs every Appendix A entry found under `vectors_dir`.
pub fn run(vectors_dir: &Path) -> Result<SetReport, String> {
    let upstream_path = vectors_dir.join("cbor-test-vectors/appendix_a.json");
    let upstream: Vec<Upstream> = read_json(&upstream_path)?;
    let table_path = super::project_vectors_dir().join("external/rfc8949-appendix-a.json");
    let table: Table = read_json(&table_path)?;
    let mut report = SetReport::default();
    if table.count != table.entries.len() || upstream.len() != table.entries.len() {
        report.mismatches.push(format!(
            "table lists {} entries (says {}), upstream has {}",
            table.entries.len(),
            table.count,
            upstream.len()
        ));
    }
    for entry in &upstream {
        report.total += 1;
        let Some(expected) = table.entries.iter().find(|e| e.hex == entry.hex) else {
            report.mismatches.push(format!("{}: no expectation in the table", entry.hex));
            continue;
        };
        let bytes = hex::decode(&entry.hex).map_err(|e| format!("{}: bad hex: {e}", entry.hex))?;
        match (decode_v0(&bytes), expected.expect.as_str()) {
            (Ok(value), "accept") => {
                report.accepted += 1;
                let ours = diagnostic(&value);
                if Some(&ours) != expected.diagnostic.as_ref() {
                    report
                        .mismatches
                        .push(format!("{}: decoded as {ours}, table says {:?}", entry.hex, expected.diagnostic));
                }
                if encode(&value).ok().as_deref() != Some(bytes.as_slice()) {
                    report.mismatches.push(format!("{}: does not re-encode to the same bytes", entry.hex));
                }
                // Cross-check against what upstream published, so the table cannot drift from it.
                let agrees = match (entry.rest.get("decoded"), entry.rest.get("diagnostic")) {
                    (Some(json), _) => to_json(&value).as_ref() == Some(json),
                    (None, Some(serde_json::Value::String(diag))) => *diag == ours,
                    _ => false,
                };
                if !agrees {
                    report.mismatches.push(format!("{}: {ours} disagrees with the upstream value", entry.hex));
                }
            }
            (Err(err), "refuse") => {
                report.refused += 1;
                if Some(err.code.as_str()) != expected.code.as_deref() {
                    report
                        .mismatches
                        .push(format!("{}: refused with {}, table says {:?}", entry.hex, err.code, expected.code));
                }
            }
            (Ok(value), _) => {
                report.accepted += 1;
                report.mismatches.push(format!("{}: accepted as {}, table says refuse", entry.hex, diagnostic(&value)));
            }
            (Err(err), _) => {
                report.refused += 1;
                report.mismatches.push(format!("{}: refused with {err}, table says accept", entry.hex));
            }
        }
    }
    Ok(report)
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}
