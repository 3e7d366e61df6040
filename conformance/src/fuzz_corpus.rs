//! Seed corpora for the fuzz targets, made from the committed vector files:
//! each target starts from well-formed inputs (and the vectors' near
//! misses) so libFuzzer mutates real messages rather than discovering CBOR
//! from nothing. `jpki-conformance fuzz-corpus` writes them under
//! `fuzz/corpus/<target>/`; `cargo test` replays the same seeds in memory.

use std::collections::BTreeMap;

use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use sha2::{Digest, Sha256};

use crate::vectors::VectorFile;

/// The message-type selector `fuzzing::messages` reads first, for a vector
/// file and endpoint; `signed` says whether the input is a COSE_Sign1 whose
/// payload is that message.
fn message_selector(file: &str, endpoint: Option<&str>) -> Option<(u8, bool)> {
    Some(match (file, endpoint) {
        ("device_issuance_challenge.json", _) => (0, false),
        ("issuer_issuance_request.json", _) => (1, false),
        ("device_issuance_response.json", _) => (2, false),
        ("device_use_request.json", _) => (3, false),
        ("verifier_assertion.json", _) => (4, true),
        ("status_request.json", _) => (5, true),
        ("status_feed.json", _) => (7, true),
        ("issuer_lifecycle.json", Some("holder_action")) => (8, true),
        ("issuer_lifecycle.json", Some("device_revocation")) => (9, true),
        ("client_receipt.json", _) => (10, true),
        ("device_wipe_command.json", _) => (11, true),
        ("issuer_lifecycle.json", Some("acknowledge_wipe")) => (12, true),
        ("client_error.json", _) => (13, false),
        _ => return None,
    })
}

/// The role-input selector `fuzzing::role_input` reads first.
fn role_selector(file: &str, endpoint: Option<&str>) -> Option<u8> {
    Some(match (file, endpoint) {
        ("issuer_issuance_request.json", _) => 0,
        ("issuer_lifecycle.json", Some("migrate")) => 1,
        ("issuer_lifecycle.json", Some("holder_action")) => 2,
        ("issuer_lifecycle.json", Some("device_revocation")) => 3,
        ("issuer_lifecycle.json", Some("acknowledge_wipe")) => 4,
        ("status_request.json", _) => 5,
        ("status_feed.json", _) => 6,
        ("verifier_assertion.json", _) => 7,
        ("device_issuance_response.json", _) => 8,
        ("device_use_request.json", _) => 9,
        _ => return None,
    })
}

/// The endpoint selector `fuzzing::http_body` reads first (an index into
/// `jpki_reference::http::Endpoint::ALL`).
fn http_selector(file: &str, endpoint: Option<&str>) -> Option<u8> {
    Some(match (file, endpoint) {
        ("issuer_issuance_request.json", _) => 1,
        ("issuer_lifecycle.json", Some("migrate")) => 2,
        ("issuer_lifecycle.json", Some("holder_action")) => 3,
        ("issuer_lifecycle.json", Some("device_revocation")) => 4,
        ("issuer_lifecycle.json", Some("acknowledge_wipe")) => 6,
        ("status_request.json", _) => 7,
        ("status_feed.json", _) => 8,
        ("verifier_assertion.json", _) => 10,
        _ => return None,
    })
}

fn with_prefix(prefix: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![prefix];
    out.extend_from_slice(bytes);
    out
}

/// Every seed: target name → (file name, bytes). File names are the
/// SHA-256 of the bytes, so writing twice changes nothing.
pub fn seed_corpus() -> Result<BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>, String> {
    let mut corpus: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    let mut add = |target: &'static str, bytes: Vec<u8>| {
        let name = hex::encode(&Sha256::digest(&bytes)[..12]);
        corpus.entry(target).or_default().insert(name, bytes);
    };
    let dir = crate::external::project_vectors_dir();
    for name in crate::checks::VECTOR_FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: VectorFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for group in &file.test_groups {
            for anchor in group.trust_anchors.values() {
                add("certificate", hex::decode(anchor).map_err(|e| e.to_string())?);
            }
            for test in &group.tests {
                let input = hex::decode(&test.input).map_err(|e| format!("{name} tcId {}: {e}", test.tc_id))?;
                let endpoint = test.endpoint.as_deref();
                add("strict_cbor", input.clone());
                add("differential_cbor", input.clone());
                if let Ok(signed) = decode_sign1(&input, &Limits::V0) {
                    add("cose_sign1", input.clone());
                    for cert in signed.x5chain().unwrap_or_default() {
                        add("certificate", cert);
                    }
                }
                if let Some((selector, signed)) = message_selector(name, endpoint) {
                    let message = match signed {
                        true => decode_sign1(&input, &Limits::V0).map(|s| s.payload().to_vec()).unwrap_or_default(),
                        false => input.clone(),
                    };
                    add("messages", with_prefix(selector, &message));
                }
                if let Some(selector) = role_selector(name, endpoint) {
                    add("role_input", with_prefix(selector, &input));
                }
                if let Some(selector) = http_selector(name, endpoint) {
                    add("http_body", with_prefix(selector, &input));
                }
                match name {
                    "device_use_request.json" => add("use_request", with_prefix(0, &input)),
                    "device_wipe_command.json" => add("wipe_command", input.clone()),
                    "status_feed.json" => add("status_feed", input.clone()),
                    "client_receipt.json" => add("receipt", input.clone()),
                    _ => {}
                }
            }
        }
    }
    // status lists: the table's lists, and a token of the reference's
    let table = dir.join("codec/status-list.json");
    let text = std::fs::read_to_string(&table).map_err(|e| format!("{}: {e}", table.display()))?;
    let table: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    for entry in table["entries"].as_array().into_iter().flatten() {
        let cbor = hex::decode(entry["cbor"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
        // the appendix lists inflate past one chunk: they seed the refusal path
        add("status_list", with_prefix(0, &cbor));
    }
    let mut world = jpki_reference::world::World::new([0x5a; 32]).map_err(|e| e.to_string())?;
    world.add_holder("seed", crate::checks::surgery::attributes()).map_err(|e| e.to_string())?;
    world.add_device("phone");
    world.issue("seed", "phone", &jpki_reference::world::IssueParams::both(1)).map_err(|e| e.error.to_string())?;
    let token = world.status_list(0).map_err(|e| e.error.to_string())?;
    if let Ok(signed) = decode_sign1(&token, &Limits::V0) {
        add("status_list", with_prefix(1, signed.payload()));
    }
    add("status_list", with_prefix(2, &token));
    // the qualification: a genuine DeviceResponse, DeviceRequest and IssuerSigned, each under its selector
    use jpki_reference::msgs::Message;
    let mut world = jpki_reference::world::World::new(crate::vectors::VECTOR_SEED).map_err(|e| e.to_string())?;
    world.add_holder("vectors", crate::checks::surgery::attributes()).map_err(|e| e.to_string())?;
    world.add_device("phone");
    let params = jpki_reference::world::IssueParams { qualification: 1, ..jpki_reference::world::IssueParams::both(1) };
    let response = world.issue("vectors", "phone", &params).map_err(|e| e.error.to_string())?;
    let request =
        world.mdoc_request(jpki_reference::world::SHOP_RP, &["qualified"]).map_err(|e| e.error.to_string())?;
    let uv = jpki_reference::device::UserVerification::BIOMETRIC;
    let shown = world.present_mdoc("phone", &request, &["qualified"], uv).map_err(|e| e.error.to_string())?;
    let shown = jpki_reference::mdoc::session::MdocPresentation::from_bytes(&shown).map_err(|e| e.to_string())?;
    let request = jpki_reference::mdoc::session::MdocRequest::from_bytes(&request).map_err(|e| e.to_string())?;
    let issued = jpki_reference::msgs::issuance::IssuanceResponse::from_bytes(&response).map_err(|e| e.to_string())?;
    add("mdoc", with_prefix(0, &shown.device_response));
    add("mdoc", with_prefix(1, &request.device_request));
    for mdoc in &issued.mdocs {
        add("mdoc", with_prefix(2, mdoc));
    }
    add("mdoc", with_prefix(3, &shown.device_response));
    // keys: the COSE_Key encodings of the fixture PKI's public keys
    let world = jpki_reference::world::World::new(crate::vectors::VECTOR_SEED).map_err(|e| e.to_string())?;
    for root in [&world.pki().card_root, &world.pki().mobile_root, &world.pki().platform_root] {
        add("cose_key", jpki_reference::codec::cose_key::to_bytes(&root.key.public).map_err(|e| e.to_string())?);
    }
    // lifecycle, and use_request's structured form: `arbitrary` reads
    // any bytes, so hashes seed them
    let mut seed = Sha256::digest(b"jpki-mobile lifecycle seeds").to_vec();
    for _ in 0..16 {
        seed = Sha256::digest(&seed).to_vec();
        let bytes = [seed.clone(), Sha256::digest(&seed).to_vec()].concat();
        add("use_request", with_prefix(1, &bytes));
        add("lifecycle", bytes);
    }
    Ok(corpus)
}
