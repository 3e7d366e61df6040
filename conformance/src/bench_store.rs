//! `jpki-conformance bench-store`: the reference server's per-request time
//! with many holders in its store. Synthetic rows (cards, mobile
//! certificates, Status entries, verifier counters, with the real schema
//! and indexes) fill an SQLite store; then fresh holders live a life over
//! HTTP (a challenge, an issuance of both kinds, a use request, a verify),
//! and each step's round trip is timed. A step that scanned a table would grow with the
//! rows; one that reads by key does not.

use std::time::Instant;

use jpki_reference::http::{Endpoint, UseOrder};
use jpki_reference::issuer::{CardRecord, MobileCertRecord, Origin};
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::world::{GOV_RP, IssueParams, World};
use jpki_server::args;
use jpki_server::client::{Client, fresh_key};
use jpki_server::store::Store;
use jpki_server::{ServeConfig, start};

/// One size's figures.
#[derive(Clone, Debug)]
pub struct Figures {
    /// Holders in the store before the measured lives.
    pub holders: u64,
    /// Seconds to write the synthetic rows.
    pub load_secs: f64,
    /// The store's size on disk, in bytes.
    pub bytes_on_disk: u64,
    /// Milliseconds (median, 90th percentile) of a challenge.
    pub challenge_ms: (f64, f64),
    /// … of an issuance of both kinds (the feed to Status included).
    pub issue_ms: (f64, f64),
    /// … of a use request.
    pub request_ms: (f64, f64),
    /// … of a verify (its status query to the server's own Status included).
    pub verify_ms: (f64, f64),
}

fn synthetic_key(i: u64, tag: u8) -> Vec<u8> {
    let mut key = vec![tag, 0x5a];
    key.extend_from_slice(&i.to_be_bytes());
    key.extend_from_slice(&(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes());
    key
}

/// Fills `path` with `holders` synthetic holders, one certificate each.
pub fn fill(path: &std::path::Path, holders: u64, seed: &[u8; 32]) -> Result<(), String> {
    let mut store = Store::open(path).map_err(|e| e.to_string())?;
    store
        .write(|tx| {
            jpki_server::store::meta_set(tx, "seed", seed)?;
            for i in 0..holders {
                let (holder, serial) = (synthetic_key(i, 1), synthetic_key(i, 2));
                let record = CardRecord {
                    sign_serial: synthetic_key(i, 3),
                    sign_revoked: false,
                    auth_revoked: false,
                    notification_address: Some(format!("holder{i}@example.jp")),
                    not_after: 2_000_000_000,
                    attributes: None,
                };
                tx.execute(
                    "INSERT INTO cards (holder, body) VALUES (?1, ?2)",
                    args![holder, jpki_server::store::encode(&record)?],
                )?;
                let mobile = MobileCertRecord {
                    holder: holder.clone(),
                    kind: Kind::Auth,
                    device: [(i % 251) as u8; 32],
                    issued_at: 1_750_000_000,
                    not_after: 1_900_000_000,
                    status: CertStatus::Good,
                    origin: Origin::Card,
                    mdocs: Vec::new(),
                };
                tx.execute(
                    "INSERT INTO certs (serial, holder, body) VALUES (?1, ?2, ?3)",
                    args![serial, holder, jpki_server::store::encode(&mobile)?],
                )?;
                let status = (Kind::Auth, CertStatus::Good);
                tx.execute(
                    "INSERT INTO status_entries (serial, body, sequence) VALUES (?1, ?2, ?3)",
                    args![serial, jpki_server::store::encode(&status)?, 1u64],
                )?;
                tx.execute(
                    "INSERT INTO verifier_counters (rp, serial, counter) VALUES (?1, ?2, ?3)",
                    args![GOV_RP, serial, 7u64],
                )?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
}

/// The `p` quantile (0 to 1) of `sorted` times, nearest rank; 0 for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn control(client: &Client, url: &str, name: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let answer = client.post_reading(&format!("{url}/jpki/test/{name}"), body, None, 1 << 20)?;
    if answer.status != 200 {
        return Err(format!("control {name}: {}", answer.status));
    }
    Ok(answer.body)
}

/// One timed step: the server's answer to `body` at `endpoint`, and the milliseconds it took.
fn timed(client: &Client, url: &str, endpoint: Endpoint, body: &[u8], into: &mut Vec<f64>) -> Result<Vec<u8>, String> {
    let started = Instant::now();
    let answer = client.post(&format!("{url}{}", endpoint.path(GOV_RP)), body, Some(&fresh_key()))?;
    into.push(started.elapsed().as_secs_f64() * 1000.0);
    if answer.status != 200 {
        return Err(format!("{}: {}", endpoint.spec_path(), answer.status));
    }
    Ok(answer.body)
}

fn p50_p90(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.9))
}

/// Measures one size: `lives` served lives after `holders` synthetic ones.
/// The wallets and cards are the suite's, in process and untimed; each
/// step's round trip to the server (a release build, on loopback) is timed.
pub fn measure(holders: u64, lives: usize, folder: &std::path::Path) -> Result<Figures, String> {
    let _ = std::fs::remove_dir_all(folder);
    std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    let seed = [0x42; 32];
    let began = Instant::now();
    fill(&folder.join("jpki.sqlite3"), holders, &seed)?;
    let load_secs = began.elapsed().as_secs_f64();
    let bytes_on_disk = std::fs::read_dir(folder)
        .map_err(|e| e.to_string())?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let server = start(ServeConfig { data: Some(folder.to_path_buf()), ..ServeConfig::for_tests() })?;
    let url = server.url();
    let client = Client::new();
    let mut world = World::new(seed).map_err(|e| e.to_string())?;
    let map = |entries: Vec<(&str, ciborium::Value)>| jpki_bindings::http::roles::control_map(entries);
    let reset = map(vec![
        ("seed", ciborium::Value::Bytes(seed.to_vec())),
        ("clock", ciborium::Value::Integer(world.now().into())),
        ("keep", ciborium::Value::Bool(true)),
    ]);
    control(&client, &url, "reset", &reset)?;
    let (mut challenge, mut issue, mut request, mut verify) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for life in 0..lives + 3 {
        let (holder, device) = (format!("holder-{life}"), format!("phone-{life}"));
        world.add_holder(&holder, crate::checks::surgery::attributes()).map_err(|e| e.to_string())?;
        world.add_device(&device);
        let card = world.card(&holder).ok_or("no card")?;
        let provider = world.provider();
        let serial = |der: &[u8]| jpki_reference::pki::ParsedCert::parse(provider, der).map(|c| c.serial);
        let (auth, sign) =
            (serial(&card.auth.cert).map_err(|e| e.to_string())?, serial(&card.sign.cert).map_err(|e| e.to_string())?);
        let card = map(vec![
            ("auth", ciborium::Value::Bytes(auth)),
            ("sign", ciborium::Value::Bytes(sign)),
            ("not_after", ciborium::Value::Integer(4_000_000_000u64.into())),
        ]);
        control(&client, &url, "register-card", &card)?;
        // the first lives warm the caches and connections: measured from the fourth on
        let mut sink = Vec::new();
        let (c, i, r, v) = if life < 3 {
            (&mut sink, &mut Vec::new(), &mut Vec::new(), &mut Vec::new())
        } else {
            (&mut challenge, &mut issue, &mut request, &mut verify)
        };
        let answer = timed(&client, &url, Endpoint::Challenge, &[], c)?;
        let body = world
            .issuance_request(&holder, &device, &answer, &IssueParams::both(1))
            .map_err(|e| e.error.to_string())?;
        let response = timed(&client, &url, Endpoint::Issue, &body, i)?;
        world.device_judges(&device, "issuance_response", &response).map_err(|e| e.error.to_string())?;
        let order = UseOrder { kind: Kind::Auth, purpose: "log in".into(), document_digest: None };
        let use_request = timed(&client, &url, Endpoint::UseRequest, &order.to_bytes().map_err(|e| e.to_string())?, r)?;
        let assertion = world.device_judges(&device, "use_request", &use_request).map_err(|e| e.error.to_string())?;
        timed(&client, &url, Endpoint::UseVerify, &assertion, v)?;
    }
    drop(server);
    let _ = std::fs::remove_dir_all(folder);
    Ok(Figures {
        holders,
        load_secs,
        bytes_on_disk,
        challenge_ms: p50_p90(challenge),
        issue_ms: p50_p90(issue),
        request_ms: p50_p90(request),
        verify_ms: p50_p90(verify),
    })
}

/// The raw ES256 operations' medians on this run's provider, in
/// milliseconds: (sign, verify), over `samples` each.
pub fn raw_ecdsa(samples: usize) -> Result<(f64, f64), String> {
    let provider = jpki_reference::crypto::default_provider();
    let mut entropy = jpki_reference::crypto::SeededEntropy::new(&[1; 32], "bench-store/raw");
    let key = jpki_reference::crypto::generate_key(provider, &mut entropy).map_err(|e| e.to_string())?;
    let message = [0x5a; 200];
    let (mut signs, mut verifies) = (Vec::new(), Vec::new());
    let mut signature = [0u8; 64];
    for _ in 0..samples {
        let started = Instant::now();
        signature = provider.sign_es256(&key.secret, &message).map_err(|e| e.to_string())?;
        signs.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        provider.verify_es256(&key.public, &message, &signature).map_err(|e| e.to_string())?;
        verifies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = signature;
    Ok((p50_p90(signs).0, p50_p90(verifies).0))
}
