//! Trust anchors out of their validity: certificates.md §4 step 4 checks
//! the anchor's notBefore and notAfter too (PKI-003, PKI-004). Each server
//! file gets a group whose clock is an hour past the test roots' notAfter,
//! its message signed again over a leaf valid at that clock under its
//! (expired) root: the receiver must refuse with `cert_expired`. The roots
//! of the test PKI expire together, so a message carrying two chains
//! (the card's two signatures, a key's attestation behind them) shows the
//! first one only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use jpki_reference::Code;
use jpki_reference::crypto::SecretKey;
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::pki::{NameAttribute, ParsedCert, Purpose};
use jpki_reference::world::{GOV_RP, World};

use super::chains::{Root, Signer, resigned_over, sound_chain};
use super::servers::Case;

/// The flag of these tests; its note names PKI-003.
pub(super) const FLAG: &str = "AnchorValidity";

/// Moves `world`'s clock to an hour past the latest notAfter of its roots.
pub(super) fn advance_past_roots(world: &mut World) {
    let pki = world.pki();
    let ends = [&pki.mobile_root, &pki.card_root, &pki.platform_root]
        .map(|root| ParsedCert::parse(world.provider(), &root.cert).unwrap().not_after);
    let late = ends.into_iter().max().unwrap() + 3600;
    let now = world.now();
    world.advance(late - now);
}

/// `signed` signed again by `secret` over a leaf for `signer` that is valid
/// at the world's clock (past the roots' notAfter): refused, cert_expired.
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

/// The verifier file's case: `world` moved past the roots' notAfter, a
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
