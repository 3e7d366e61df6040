//! Protocol operations against the raw ECDSA they need (BENCHMARKS.md).
//! Run: `cargo bench -p jpki-reference`. Fixtures derive from a seed; the
//! figures are ratios taken in one run on one machine.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a benchmark binary

use std::cell::RefCell;

use jpki_reference::codec::decode_v0;
use jpki_reference::crypto::{CryptoProvider, P256Provider, SeededEntropy, SymbolicProvider, generate_key};
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::pki::HolderAttributes;
use jpki_reference::time::CivilDate;
use jpki_reference::world::{GOV_RP, IssueParams, World};

fn main() {
    divan::main();
}

fn holder() -> HolderAttributes {
    HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: CivilDate::new(1980, 4, 1).unwrap(),
        sex: jpki_reference::pki::Sex::Male,
    }
}

fn issued_world() -> World {
    issued(World::new([0x42; 32]).unwrap())
}

/// `world` with holder `h`'s both kinds issued to device `d`.
fn issued(mut world: World) -> World {
    world.add_holder("h", holder()).unwrap();
    world.add_device("d");
    world.issue("h", "d", &IssueParams::both(1)).unwrap();
    world
}

const MESSAGE: &[u8] = b"a Sig_structure of about this size, as COSE_Sign1 signs for an assertion payload ....";

#[divan::bench]
fn raw_es256_sign(bencher: divan::Bencher) {
    let key = generate_key(&P256Provider, &mut SeededEntropy::new(&[1; 32], "bench")).unwrap();
    bencher.bench(|| P256Provider.sign_es256(&key.secret, divan::black_box(MESSAGE)).unwrap());
}

#[divan::bench]
fn raw_es256_verify(bencher: divan::Bencher) {
    let key = generate_key(&P256Provider, &mut SeededEntropy::new(&[1; 32], "bench")).unwrap();
    let signature = P256Provider.sign_es256(&key.secret, MESSAGE).unwrap();
    bencher.bench(|| P256Provider.verify_es256(&key.public, divan::black_box(MESSAGE), &signature).unwrap());
}

/// The strict decoder on a whole assertion (COSE_Sign1 with its certificate).
#[divan::bench]
fn strict_decode_assertion(bencher: divan::Bencher) {
    let mut world = issued_world();
    let request = world.use_request(GOV_RP, Kind::Auth, "log in", None).unwrap();
    let assertion = world.assertion("d", &request, UserVerification::BIOMETRIC).unwrap();
    bencher.bench(|| decode_v0(divan::black_box(&assertion)).unwrap());
}

/// The wallet answering a UseRequest: decode, counter, one ES256 signature.
#[divan::bench]
fn wallet_assertion(bencher: divan::Bencher) {
    let world = RefCell::new(issued_world());
    bencher
        .with_inputs(|| world.borrow_mut().use_request(GOV_RP, Kind::Auth, "log in", None).unwrap())
        .bench_local_values(|request| {
            world.borrow_mut().assertion("d", &request, UserVerification::BIOMETRIC).unwrap()
        });
}

/// A verifier accepting an assertion: chain, signature, transcript, nonce,
/// counter, and one round trip to Status (which signs its answer).
#[divan::bench]
fn verifier_accepts_use(bencher: divan::Bencher) {
    bench_verify(bencher, issued_world());
}

/// Measures `verify` on fresh assertions from `world` (made outside the timing).
fn bench_verify(bencher: divan::Bencher, world: World) {
    let world = RefCell::new(world);
    bencher
        .with_inputs(|| {
            let mut w = world.borrow_mut();
            let request = w.use_request(GOV_RP, Kind::Auth, "log in", None).unwrap();
            w.assertion("d", &request, UserVerification::BIOMETRIC).unwrap()
        })
        .bench_local_values(|assertion| world.borrow_mut().verify(GOV_RP, &assertion).unwrap());
}

/// A whole issuance: challenge, attested keys, card signatures, the
/// Issuer's checks and two certificates, Status fed, the wallet installs.
#[divan::bench(sample_count = 20)]
fn issuance_end_to_end(bencher: divan::Bencher) {
    bencher
        .with_inputs(|| {
            let mut world = World::new([0x42; 32]).unwrap();
            world.add_holder("h", holder()).unwrap();
            world.add_device("d");
            world
        })
        .bench_local_values(|mut world| world.issue("h", "d", &IssueParams::both(1)).unwrap());
}

/// The same use on the symbolic provider (the model checker's): how much of
/// a use is ECDSA.
#[divan::bench]
fn verifier_accepts_use_symbolic(bencher: divan::Bencher) {
    static SYMBOLIC: SymbolicProvider = SymbolicProvider;
    bench_verify(bencher, issued(World::with_provider([0x42; 32], None, &SYMBOLIC).unwrap()));
}
