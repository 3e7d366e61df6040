//! ENC-017: a clock at the end of the 64-bit range is refused with
//! `time_out_of_range`, never a wrapped expiry or a crash.

#![allow(clippy::unwrap_used)]

use jpki_reference::Code;
use jpki_reference::crypto::SeededEntropy;
use jpki_reference::issuer::IssuerState;
use jpki_reference::msgs::Kind;
use jpki_reference::time::later;
use jpki_reference::verifier::VerifierState;
use jpki_reference::world::ReferenceSetup;

#[test]
fn sums_past_the_range_are_refused() {
    // ENC-017
    assert_eq!(later(u64::MAX - 10, 10).unwrap(), u64::MAX);
    assert_eq!(later(u64::MAX - 10, 11).unwrap_err().code, Code::TimeOutOfRange);
}

#[test]
fn an_issuance_challenge_at_the_end_of_time_is_refused() {
    // ENC-017
    let setup = ReferenceSetup::new([1; 32], None).unwrap();
    let config = setup.issuer_config().unwrap();
    let mut entropy = SeededEntropy::new(&[1; 32], "time");
    let refused =
        jpki_reference::issuer::challenge(&config, &IssuerState::default(), &mut entropy, u64::MAX).unwrap_err();
    assert_eq!(refused.code, Code::TimeOutOfRange);
}

#[test]
fn a_use_request_at_the_end_of_time_is_refused() {
    // ENC-017
    let setup = ReferenceSetup::new([2; 32], None).unwrap();
    let (_, _, config) = setup.verifiers().unwrap().remove(0);
    let mut entropy = SeededEntropy::new(&[3; 32], "time");
    let refused = jpki_reference::verifier::request(
        &config,
        &VerifierState::default(),
        Kind::Auth,
        "log in",
        None,
        &mut entropy,
        u64::MAX,
    )
    .unwrap_err();
    assert_eq!(refused.code, Code::TimeOutOfRange);
}
