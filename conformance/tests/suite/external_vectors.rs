//! The public vector sets the reference must pass. When the external
//! folder is missing these fail with a message naming it, unless
//! `JPKI_ALLOW_MISSING_VECTORS=1` is set.

#![allow(clippy::panic, clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;

use jpki_conformance::external::{self, Availability, cose_wg, rfc8949, wycheproof};
use jpki_reference::crypto::default_provider;

fn vectors_or_skip(test: &str) -> Option<PathBuf> {
    match external::locate() {
        Ok(Availability::Present(dir)) => Some(dir),
        Ok(Availability::SkipAllowed(dir)) => {
            eprintln!("{test}: skipped, {} is missing and JPKI_ALLOW_MISSING_VECTORS=1", dir.display());
            None
        }
        Err(message) => panic!("{test}: {message}"),
    }
}

#[test]
fn wycheproof_p1363_vectors_through_the_cose_es256_entry_point() {
    // CRY-001, COSE-005, COSE-006, KEY-002: 262 vectors, high-S accepted
    let report = wycheproof::run(default_provider()).unwrap();
    assert_eq!(report.mismatches, Vec::<String>::new());
    assert_eq!((report.total, report.accepted, report.refused), (262, 173, 89));
}

#[test]
fn rfc8949_appendix_a_matches_the_committed_table() {
    // ENC-001, ENC-004, ENC-011, ENC-014
    let Some(dir) = vectors_or_skip("rfc8949_appendix_a") else { return };
    let report = rfc8949::run(&dir).unwrap();
    assert_eq!(report.mismatches, Vec::<String>::new());
    assert_eq!(report.total, rfc8949::APPENDIX_A_ENTRIES);
    assert_eq!((report.accepted, report.refused), (42, 40));
}

#[test]
fn cose_wg_examples_match_the_committed_table() {
    // COSE-001, COSE-002, COSE-003, COSE-006, COSE-010; every sign-fail-* refused
    let Some(dir) = vectors_or_skip("cose_wg_examples") else { return };
    let report = cose_wg::run(default_provider(), &dir).unwrap();
    assert_eq!(report.mismatches, Vec::<String>::new());
    assert_eq!((report.total, report.accepted, report.refused), (18, 4, 14));
}
