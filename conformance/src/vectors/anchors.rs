//! Trust anchors out of their validity: certificates.md §4 step 4 checks
//! the anchor's notBefore and notAfter too (PKI-003, PKI-004). Each server
//! file gets a group whose clock is an hour past every test root's notAfter,
//! its message signed again over a leaf valid at that clock under its
//! (expired) root: the receiver must refuse with `cert_expired`. The roots
//! of the test PKI end at different times (platform, mobile, card), so a
//! message carrying two chains (the card's signatures or a device's
//! intent, a key's attestation behind them) shows each: past the platform
//! root only, the attestation's anchor is the one out of validity. A
//! wallet is judged past the mobile root with a recipe run while every
//! root was valid (the group's `setupClock`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use jpki_reference::Code;
use jpki_reference::crypto::SecretKey;
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::pki::{NameAttribute, ParsedCert, Purpose};
use jpki_reference::world::{GOV_RP, Hop, IssueParams, LifecycleParams, World};

use super::VECTOR_SEED;
use super::chains::{ATTESTATION_FLAG, Root, Signer, resigned_over, sound_chain};
use super::format::VectorGroup;
use super::servers::{Case, capture, cbor, group_with};
use crate::checks::surgery::attributes;

/// The flag of these tests; its note names PKI-003.
pub(super) const FLAG: &str = "AnchorValidity";

/// The notAfter of `root` in `world`'s test PKI. The roots end at
/// different times (spec/certificates.md §6): platform, mobile, card.
pub(super) fn root_end(world: &World, root: Root) -> u64 {
    ParsedCert::parse(world.provider(), &root.authority(world.pki()).cert).unwrap().not_after
}

/// An hour past `root`'s notAfter.
pub(super) fn past(world: &World, root: Root) -> u64 {
    root_end(world, root) + 3600
}

/// Moves `world`'s clock forward to `at`.
pub(super) fn advance_to(world: &mut World, at: u64) {
    let now = world.now();
    assert!(at >= now, "the clock only moves forward");
    world.advance(at - now);
}

/// Moves `world`'s clock to an hour past the latest notAfter of its roots.
pub(super) fn advance_past_roots(world: &mut World) {
    let late = [Root::Mobile, Root::Card, Root::Platform].map(|root| past(world, root)).into_iter().max().unwrap();
    advance_to(world, late);
}

/// A day before the platform root's notAfter: the last day a wallet can
/// be issued (its attestation is checked then), with every root valid.
pub(super) fn last_issuance_day(world: &World) -> u64 {
    root_end(world, Root::Platform) - 86_400
}

/// `signed` signed again by `secret` over a leaf for `signer` that is valid
/// at the world's clock (past its root's notAfter): refused, cert_expired.
pub(super) fn late_case(
    world: &World,
    endpoint: Option<&'static str>,
    comment: &'static str,
    signed: &[u8],
    secret: &SecretKey,
    signer: &Signer<'_>,
) -> Case {
    Case {
        comment,
        input: resigned_over(world, signed, secret, &sound_chain(world, signer)),
        code: Some(Code::CertExpired),
        flags: vec![FLAG],
        endpoint,
        derive: None,
    }
}

/// The verifier file's case: `world` moved past every root's notAfter, a
/// fresh request of the gov verifier answered by the phone's auth key,
/// over a certificate (serial `auth_serial`) valid at that clock.
pub(super) fn late_assertion(world: &mut World, auth_serial: &[u8]) -> Vec<u8> {
    advance_past_roots(world);
    let request = world.use_request(GOV_RP, Kind::Auth, "vector purpose", None).unwrap();
    let assertion = world.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
    let secret = world.suite_secret("phone", Kind::Auth).unwrap();
    let cert = world.device("phone").unwrap().installed[&Kind::Auth].cert.clone().unwrap();
    let public = ParsedCert::parse(world.provider(), &cert).unwrap().public_key;
    let signer = Signer {
        public: &public,
        subject: vec![NameAttribute::common_name("JPKI mobile auth")],
        serial: auth_serial.to_vec(),
        purpose: Purpose::MobileAuth,
        extensions: vec![],
        root: Root::Mobile,
    };
    resigned_over(world, &assertion, &secret, &sound_chain(world, &signer))
}

/// The IssuanceRequest file's group an hour past the platform root's
/// notAfter, the card and mobile roots still valid: a holder whose card
/// was made that day, a phone whose keys the platform attested then, under
/// its expired root. The card's parts pass; the attestation's anchor is
/// the one out of validity (PKI-003), so the attestation does not chain to
/// a valid platform root: `attestation_untrusted` (ISS-003).
pub(super) fn past_platform_issuance(first_id: usize) -> VectorGroup {
    let mut w = World::new(VECTOR_SEED).unwrap();
    let late = past(&w, Root::Platform);
    advance_to(&mut w, late);
    w.add_holder("h1", attributes()).unwrap();
    w.add_device("p1");
    let challenge = w.issuance_challenge().unwrap();
    let request = w.issuance_request("h1", "p1", &challenge, &IssueParams::both(1)).unwrap();
    let case = Case {
        comment: "a request an hour past the platform root's notAfter: the card valid, the keys attested then",
        input: request,
        code: Some(Code::AttestationUntrusted),
        flags: vec![FLAG, ATTESTATION_FLAG],
        endpoint: None,
        derive: None,
    };
    group_with(&w, Some(cbor(&w.observe().issuer)), None, vec![case], first_id)
}

/// The lifecycle file's group an hour past the platform root's notAfter:
/// a phone issued the day before (every root valid) signs an intent for
/// a new phone whose keys the platform attested under its expired root.
/// The intent's signer passes (mobile root valid); the attestation's
/// anchor is the one out of validity: `attestation_untrusted` (ISS-003).
pub(super) fn past_platform_migration(first_id: usize) -> VectorGroup {
    let mut w = World::new(VECTOR_SEED).unwrap();
    let setup_at = last_issuance_day(&w);
    advance_to(&mut w, setup_at);
    w.add_holder("h1", attributes()).unwrap();
    w.add_device("p1");
    w.add_device("p3");
    w.issue("h1", "p1", &IssueParams::both(1)).unwrap();
    let late = past(&w, Root::Platform);
    advance_to(&mut w, late);
    let intent = capture(&mut w, Hop::MigrationIntent, |w| {
        let _ = w.migrate_with_old_device("p1", "p3", &LifecycleParams::with_key(2));
    });
    let case = Case::at(
        "migrate",
        "an intent an hour past the platform root's notAfter: its signer valid, the new keys attested then",
        intent,
        Some(Code::AttestationUntrusted),
        vec![FLAG, ATTESTATION_FLAG],
    );
    group_with(&w, Some(cbor(&w.observe().issuer)), None, vec![case], first_id)
}
