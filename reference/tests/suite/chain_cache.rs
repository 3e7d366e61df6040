//! The chain cache: a warm use costs only the signatures the protocol
//! makes the verifier and Status check (three verifications, two
//! signatures), and a cached chain is still refused when its certificate
//! expired since, or under an anchor that did not validate it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;

use jpki_reference::crypto::{CryptoProvider, P256Provider, PublicKey, SecretKey};
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::pki::{NameAttribute, Purpose, TestPki, validate_chain};
use jpki_reference::world::{IssueParams, SHOP_RP, WORLD_START, World};
use jpki_reference::{Code, Result};

thread_local! {
    static VERIFIED: Cell<usize> = const { Cell::new(0) };
    static SIGNED: Cell<usize> = const { Cell::new(0) };
}

/// `p256`, counting the ECDSA operations made on this thread.
#[derive(Debug)]
struct Counting;

impl CryptoProvider for Counting {
    fn name(&self) -> &'static str {
        "counting p256"
    }
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        P256Provider.sha256(data)
    }
    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> Result<PublicKey> {
        P256Provider.public_key_from_coordinates(x, y)
    }
    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey> {
        P256Provider.secret_key_from_bytes(bytes)
    }
    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey> {
        P256Provider.public_key(secret)
    }
    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> Result<[u8; 64]> {
        SIGNED.with(|c| c.set(c.get() + 1));
        P256Provider.sign_es256(secret, message)
    }
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        VERIFIED.with(|c| c.set(c.get() + 1));
        P256Provider.verify_es256(key, message, signature)
    }
}

static COUNTING: Counting = Counting;

/// (verifications, signatures) made by `f` on this thread.
fn counted(f: impl FnOnce()) -> (usize, usize) {
    VERIFIED.with(|c| c.set(0));
    SIGNED.with(|c| c.set(0));
    f();
    (VERIFIED.with(Cell::get), SIGNED.with(Cell::get))
}

fn attributes() -> jpki_reference::pki::HolderAttributes {
    jpki_reference::pki::HolderAttributes {
        name: "n".into(),
        address: "a".into(),
        date_of_birth: jpki_reference::time::CivilDate::new(1990, 1, 1).unwrap(),
        sex: jpki_reference::pki::Sex::NotKnown,
    }
}

#[test]
fn a_warm_use_costs_the_verifier_and_status_exactly_the_floor() {
    let mut w = World::with_provider([5; 32], None, &COUNTING).unwrap();
    w.add_holder("h", attributes()).unwrap();
    w.add_device("d");
    w.issue("h", "d", &IssueParams::both(1)).unwrap();
    let verify_one = |w: &mut World| {
        let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
        let assertion = w.assertion("d", &request, UserVerification::BIOMETRIC).unwrap();
        counted(|| {
            w.verify(SHOP_RP, &assertion).unwrap();
        })
    };
    let cold = verify_one(&mut w);
    let warm = verify_one(&mut w);
    println!("a use at the verifier and Status: cold {cold:?}, warm {warm:?} (verifications, signatures)");
    // the assertion and Status's answer at the verifier, the StatusRequest at
    // Status; the StatusRequest and the StatusResponse signed
    assert_eq!(warm, (3, 2), "cold was {cold:?}");
    assert!(cold.0 > warm.0, "the first use validates the chains: {cold:?}");
}

#[test]
fn a_cached_chain_is_refused_once_expired_and_under_an_anchor_that_did_not_validate_it() {
    let provider = &P256Provider;
    let pki = TestPki::from_seed(provider, [6; 32], WORLD_START).unwrap();
    let key = pki.key(provider, "leaf").unwrap();
    let not_after = WORLD_START + 1000;
    let leaf = pki
        .leaf(
            provider,
            &pki.mobile_root,
            "leaf",
            vec![NameAttribute::common_name("leaf")],
            &key.public,
            Purpose::StatusSigning,
            (WORLD_START - 10, not_after),
            vec![],
        )
        .unwrap();
    let chain = [leaf];
    let anchor = pki.mobile_root.anchor(provider).unwrap();
    validate_chain(provider, &chain, &anchor, Purpose::StatusSigning, WORLD_START).unwrap();
    // cached now: the same bytes at the last valid second, then one after
    validate_chain(provider, &chain, &anchor, Purpose::StatusSigning, not_after).unwrap();
    let expired = validate_chain(provider, &chain, &anchor, Purpose::StatusSigning, not_after + 1).unwrap_err();
    assert_eq!(expired.code, Code::CertExpired);
    // another purpose is validated afresh
    let purpose = validate_chain(provider, &chain, &anchor, Purpose::Verifier, WORLD_START).unwrap_err();
    assert_eq!(purpose.code, Code::WrongPurpose);
    // an anchor that is no longer the one trusted: its own root, never this chain's
    let other = TestPki::from_seed(provider, [7; 32], WORLD_START).unwrap().mobile_root.anchor(provider).unwrap();
    let untrusted = validate_chain(provider, &chain, &other, Purpose::StatusSigning, WORLD_START).unwrap_err();
    assert_eq!(untrusted.code, Code::UntrustedChain);
    // and the first anchor still takes it
    validate_chain(provider, &chain, &anchor, Purpose::StatusSigning, WORLD_START).unwrap();
}
