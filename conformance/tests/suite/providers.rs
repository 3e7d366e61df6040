//! The two crypto providers check each other, and the parallel runner
//! checks the sequential one: `p256` and `ring` must give every vector,
//! every check and every report the same verdict and code, and a run on two
//! threads the same report as a run on one (timing fields aside).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::Command;

use jpki_conformance::external::{SetReport, wycheproof};
use jpki_conformance::report::json::TIMING_FIELDS;
use jpki_reference::crypto::{CryptoProvider, P256Provider, RingProvider, SeededEntropy, generate_key};

/// The fast provider; this crate builds it by default (feature `ring`).
fn ring() -> &'static dyn CryptoProvider {
    jpki_reference::crypto::provider_named("ring")
        .expect("the `ring` provider: build jpki-conformance with its default `ring` feature")
}

#[test]
fn both_providers_derive_the_same_keys_and_sign_the_same_bytes() {
    // CRY-002: fixtures reproduce bit for bit whichever provider makes them
    let mut entropy = SeededEntropy::new(&[7; 32], "providers");
    for i in 0..64u32 {
        let pair = generate_key(&P256Provider, &mut entropy).unwrap();
        assert_eq!(ring().public_key(&pair.secret).unwrap(), pair.public);
        let message = format!("message {i}").repeat(i as usize + 1);
        let signature = P256Provider.sign_es256(&pair.secret, message.as_bytes()).unwrap();
        assert_eq!(ring().sign_es256(&pair.secret, message.as_bytes()).unwrap(), signature);
        ring().verify_es256(&pair.public, message.as_bytes(), &signature).unwrap();
        assert_eq!(ring().sha256(message.as_bytes()), P256Provider.sha256(message.as_bytes()));
    }
}

#[test]
fn randomized_signatures_differ_and_verify_under_both_providers() {
    let pair = generate_key(&P256Provider, &mut SeededEntropy::new(&[9; 32], "randomized")).unwrap();
    let first = RingProvider::RANDOMIZED.sign_es256(&pair.secret, b"a status answer").unwrap();
    let second = RingProvider::RANDOMIZED.sign_es256(&pair.secret, b"a status answer").unwrap();
    assert_ne!(first, second, "ring's ECDSA nonces are random");
    for signature in [first, second] {
        P256Provider.verify_es256(&pair.public, b"a status answer", &signature).unwrap();
        ring().verify_es256(&pair.public, b"a status answer", &signature).unwrap();
        let refused = P256Provider.verify_es256(&pair.public, b"another answer", &signature).unwrap_err();
        assert_eq!(refused.code, ring().verify_es256(&pair.public, b"another answer", &signature).unwrap_err().code);
    }
}

fn same_verdicts(run: fn(&dyn CryptoProvider) -> Result<SetReport, String>, expected: (usize, usize, usize)) {
    let slow = run(&P256Provider).unwrap();
    let fast = run(ring()).unwrap();
    for report in [&slow, &fast] {
        assert_eq!(report.mismatches, Vec::<String>::new());
        assert_eq!((report.total, report.accepted, report.refused), expected);
    }
    assert_eq!(slow.verdicts.len(), expected.0);
    for (a, b) in slow.verdicts.iter().zip(&fast.verdicts) {
        assert_eq!(a, b, "p256 and ring disagree");
    }
}

#[test]
fn wycheproof_p1363_gives_identical_verdicts_and_codes_under_both_providers() {
    // CRY-001, COSE-005, COSE-006, KEY-002
    same_verdicts(wycheproof::run, (262, 173, 89));
}

#[test]
fn wycheproof_der_gives_identical_verdicts_and_codes_under_both_providers() {
    // CRY-001, PKI-001, PKI-002: the certificate path's DER decoding, then ES256
    same_verdicts(wycheproof::run_der, (484, 174, 310));
}

/// Runs the README's main job with `args` and returns its report.json with
/// the timing fields (and, with `drop_provider`, the provider's name) removed.
fn report_of(name: &str, args: &[&str], drop_provider: bool) -> serde_json::Value {
    let out: PathBuf = std::env::temp_dir().join(format!("jpki-providers-{name}-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
        .args(["run", "--out"])
        .arg(&out)
        .args(args)
        .env_remove("JPKI_EXTERNAL_VECTORS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{name}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("wall: ") && stdout.contains("slowest: "), "{name} prints its own time: {stdout}");
    let mut report = read_report(&out);
    std::fs::remove_dir_all(&out).ok();
    strip(&mut report, drop_provider);
    report
}

fn read_report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn strip(value: &mut serde_json::Value, drop_provider: bool) {
    match value {
        serde_json::Value::Object(map) => {
            for field in TIMING_FIELDS {
                map.remove(field);
            }
            if drop_provider {
                map.remove("crypto_provider");
            }
            map.values_mut().for_each(|v| strip(v, drop_provider));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| strip(v, drop_provider)),
        _ => {}
    }
}

#[test]
fn the_registry_walk_gives_the_same_report_on_two_threads_and_on_either_provider() {
    // one sequential run on p256 is the baseline: every fixed vector, both
    // Wycheproof files, the property run and every scenario are checks in it
    let sequential = report_of("sequential", &["--provider", "p256", "--jobs", "1"], false);
    assert_eq!(sequential["crypto_provider"], "p256");
    let checks = sequential["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["outcome"] == "pass"), "{sequential}");
    for id in ["suite::wycheproof-ecdsa-p256-p1363", "suite::wycheproof-ecdsa-p256-der", "property::lifecycle-model"] {
        assert!(checks.iter().any(|c| c["id"] == id), "the walk includes {id}");
    }
    assert!(checks.iter().filter(|c| c["kind"] == "vector").count() >= 15);

    let parallel = report_of("parallel", &["--provider", "p256", "--jobs", "2"], false);
    assert_eq!(parallel, sequential, "two threads, one seed: the same report");

    let fast = report_of("ring", &["--provider", "ring", "--jobs", "2"], true);
    let mut baseline = sequential.clone();
    strip(&mut baseline, true);
    assert_eq!(fast, baseline, "p256 and ring: the same verdicts and codes for every check");
}

#[test]
fn an_unknown_provider_is_refused_naming_the_ones_built_in() {
    let output = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
        .args(["run", "--provider", "openssl", "--only", "suite::rfc8949*"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown crypto provider \"openssl\" (this build has p256, ring)"), "{stderr}");
}
