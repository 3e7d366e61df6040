//! COSE_Sign1 and COSE_Key under the v0 profile: one test per refusal, each
//! asserting its exact code.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_reference::Code;
use jpki_reference::codec::cose_sign1::{SignOptions, decode_sign1, sign1};
use jpki_reference::codec::{Limits, Value, cose_key, encode, map};
use jpki_reference::crypto::{CryptoProvider, KeyPair, SeededEntropy, default_provider, generate_key};

const PAYLOAD: &[u8] = b"\xa1\x01\x02";

fn provider() -> &'static dyn CryptoProvider {
    default_provider()
}

fn key(label: &str) -> KeyPair {
    generate_key(provider(), &mut SeededEntropy::new(&[7; 32], label)).unwrap()
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

/// A COSE_Sign1 with hand-picked buckets, signed correctly over them.
fn craft(tag: Option<u64>, protected: &[u8], unprotected: Value, payload: Value, signer: &KeyPair) -> Vec<u8> {
    let payload_bytes = match &payload {
        Value::Bytes(b) => b.clone(),
        _ => Vec::new(),
    };
    let tbs = encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(vec![]),
        Value::Bytes(payload_bytes),
    ]))
    .unwrap();
    let signature = provider().sign_es256(&signer.secret, &tbs).unwrap();
    let body =
        Value::Array(vec![Value::Bytes(protected.to_vec()), unprotected, payload, Value::Bytes(signature.to_vec())]);
    let value = match tag {
        Some(t) => Value::Tag(t, Box::new(body)),
        None => body,
    };
    encode(&value).unwrap()
}

fn protected(entries: Vec<(i64, Value)>) -> Vec<u8> {
    encode(&map(entries)).unwrap()
}

fn es256() -> (i64, Value) {
    (1, int(-7))
}

fn refusal(bytes: &[u8]) -> Code {
    decode_sign1(bytes, &Limits::V0).unwrap_err().code
}

#[test]
fn signs_and_verifies_with_x5chain() {
    // COSE-006, COSE-007, COSE-008, CRY-002: deterministic signature, chain as one bstr or an array
    let signer = key("signer");
    for chain in [vec![vec![0x30, 0x00]], vec![vec![0x30, 0x01], vec![0x30, 0x02]]] {
        let options = SignOptions { x5chain: &chain, external_aad: b"" };
        let bytes = sign1(provider(), &signer.secret, PAYLOAD, &options).unwrap();
        assert_eq!(bytes, sign1(provider(), &signer.secret, PAYLOAD, &options).unwrap());
        let parsed = decode_sign1(&bytes, &Limits::V0).unwrap();
        parsed.verify(provider(), &signer.public, b"").unwrap();
        assert_eq!(parsed.payload(), PAYLOAD);
        assert_eq!(parsed.x5chain().unwrap(), chain);
    }
}

#[test]
fn refuses_missing_or_other_tag() {
    // COSE-001
    let signer = key("signer");
    let prot = protected(vec![es256()]);
    let untagged = craft(None, &prot, Value::Map(vec![]), Value::Bytes(PAYLOAD.to_vec()), &signer);
    assert_eq!(refusal(&untagged), Code::WrongTag);
    let cose_sign = craft(Some(98), &prot, Value::Map(vec![]), Value::Bytes(PAYLOAD.to_vec()), &signer);
    assert_eq!(refusal(&cose_sign), Code::WrongTag);
}

#[test]
fn refuses_alg_missing_or_only_unprotected() {
    // COSE-002
    let signer = key("signer");
    let payload = Value::Bytes(PAYLOAD.to_vec());
    let none = craft(Some(18), b"", Value::Map(vec![]), payload.clone(), &signer);
    assert_eq!(refusal(&none), Code::AlgNotProtected);
    let unprotected_alg = craft(Some(18), b"", map(vec![es256()]), payload.clone(), &signer);
    assert_eq!(refusal(&unprotected_alg), Code::AlgNotProtected);
    let empty_map = craft(Some(18), &protected(vec![]), map(vec![es256()]), payload, &signer);
    assert_eq!(refusal(&empty_map), Code::AlgNotProtected);
}

#[test]
fn refuses_algorithms_other_than_es256() {
    // COSE-003: ES384, EdDSA, a text alg
    let signer = key("signer");
    for alg in [int(-35), int(-8), Value::Text("ES256".into())] {
        let prot = protected(vec![(1, alg)]);
        let bytes = craft(Some(18), &prot, Value::Map(vec![]), Value::Bytes(PAYLOAD.to_vec()), &signer);
        assert_eq!(refusal(&bytes), Code::UnsupportedAlg);
    }
}

#[test]
fn refuses_unknown_critical_labels() {
    // COSE-004: an unknown label, a known label absent, crit in the unprotected bucket
    let signer = key("signer");
    let payload = Value::Bytes(PAYLOAD.to_vec());
    let unknown = protected(vec![es256(), (2, Value::Array(vec![int(99)])), (99, int(0))]);
    assert_eq!(
        refusal(&craft(Some(18), &unknown, Value::Map(vec![]), payload.clone(), &signer)),
        Code::UnknownCritical
    );
    let absent = protected(vec![es256(), (2, Value::Array(vec![int(33)]))]);
    assert_eq!(refusal(&craft(Some(18), &absent, Value::Map(vec![]), payload.clone(), &signer)), Code::UnknownCritical);
    let unprotected_crit = map(vec![(2, Value::Array(vec![int(33)]))]);
    let prot = protected(vec![es256()]);
    assert_eq!(refusal(&craft(Some(18), &prot, unprotected_crit, payload.clone(), &signer)), Code::UnknownCritical);
    // understood and present: accepted
    let ok = protected(vec![es256(), (2, Value::Array(vec![int(33)])), (33, Value::Bytes(vec![0x30, 0]))]);
    assert!(decode_sign1(&craft(Some(18), &ok, Value::Map(vec![]), payload, &signer), &Limits::V0).is_ok());
}

#[test]
fn refuses_signature_not_64_bytes() {
    // COSE-005: truncated raw, and a DER-encoded signature
    let prot = protected(vec![es256()]);
    for len in [0usize, 63, 65, 72] {
        let bytes = encode(&Value::Tag(
            18,
            Box::new(Value::Array(vec![
                Value::Bytes(prot.clone()),
                Value::Map(vec![]),
                Value::Bytes(PAYLOAD.to_vec()),
                Value::Bytes(vec![0x30; len]),
            ])),
        ))
        .unwrap();
        assert_eq!(refusal(&bytes), Code::BadSignatureSize, "{len}");
    }
}

#[test]
fn refuses_bad_signature() {
    // COSE-006: another key, a changed payload, changed protected bytes, zero r and s
    let signer = key("signer");
    let prot = protected(vec![es256()]);
    let good = craft(Some(18), &prot, Value::Map(vec![]), Value::Bytes(PAYLOAD.to_vec()), &signer);
    let parsed = decode_sign1(&good, &Limits::V0).unwrap();
    assert_eq!(parsed.verify(provider(), &key("other").public, b"").unwrap_err().code, Code::BadSignature);
    let mut changed = good.clone();
    let at = changed.windows(3).position(|w| w == PAYLOAD).unwrap();
    changed[at + 2] = 0x03;
    let parsed = decode_sign1(&changed, &Limits::V0).unwrap();
    assert_eq!(parsed.verify(provider(), &signer.public, b"").unwrap_err().code, Code::BadSignature);
    // the same header with a content type added: re-signed bytes differ, so the old signature fails
    let mut swapped = craft(Some(18), &prot, Value::Map(vec![]), Value::Bytes(PAYLOAD.to_vec()), &signer);
    let sig_at = swapped.len() - 64;
    swapped[sig_at..].copy_from_slice(&[0u8; 64]);
    let parsed = decode_sign1(&swapped, &Limits::V0).unwrap();
    assert_eq!(parsed.verify(provider(), &signer.public, b"").unwrap_err().code, Code::BadSignature);
}

#[test]
fn binds_external_aad_and_refuses_detached_payload() {
    // COSE-010
    let signer = key("signer");
    let options = SignOptions { x5chain: &[], external_aad: b"transcript" };
    let bytes = sign1(provider(), &signer.secret, PAYLOAD, &options).unwrap();
    let parsed = decode_sign1(&bytes, &Limits::V0).unwrap();
    parsed.verify(provider(), &signer.public, b"transcript").unwrap();
    assert_eq!(parsed.verify(provider(), &signer.public, b"other").unwrap_err().code, Code::BadSignature);
    let prot = protected(vec![es256()]);
    let detached = craft(Some(18), &prot, Value::Map(vec![]), Value::Null, &signer);
    assert_eq!(refusal(&detached), Code::Malformed);
}

#[test]
fn refuses_missing_or_malformed_x5chain() {
    // COSE-007, COSE-008
    let signer = key("signer");
    let payload = Value::Bytes(PAYLOAD.to_vec());
    let x5chain_of = |prot: &[u8], unprot: Value| {
        let bytes = craft(Some(18), prot, unprot, payload.clone(), &signer);
        decode_sign1(&bytes, &Limits::V0).unwrap().x5chain().unwrap_err().code
    };
    assert_eq!(x5chain_of(&protected(vec![es256()]), Value::Map(vec![])), Code::X5chainMissing);
    // only in the unprotected bucket is still missing from where it must be
    let cert_unprotected = map(vec![(33, Value::Bytes(vec![0x30, 0]))]);
    assert_eq!(x5chain_of(&protected(vec![es256()]), cert_unprotected), Code::X5chainMissing);
    for bad in [
        int(5),
        Value::Bytes(vec![]),
        Value::Array(vec![Value::Bytes(vec![0x30, 0])]),
        Value::Array(vec![Value::Bytes(vec![0x30, 0]), int(1)]),
        Value::Array(vec![Value::Bytes(vec![0x30, 0]); 5]),
    ] {
        assert_eq!(x5chain_of(&protected(vec![es256(), (33, bad)]), Value::Map(vec![])), Code::X5chainMalformed);
    }
}

#[test]
fn refuses_label_in_both_buckets() {
    // COSE-009
    let signer = key("signer");
    let bytes = craft(Some(18), &protected(vec![es256()]), map(vec![es256()]), Value::Bytes(PAYLOAD.to_vec()), &signer);
    assert_eq!(refusal(&bytes), Code::DuplicateHeader);
}

#[test]
fn refuses_unknown_header_labels() {
    // ENC-013 applied to header buckets
    let signer = key("signer");
    let payload = Value::Bytes(PAYLOAD.to_vec());
    let prot = protected(vec![es256(), (-65_000, int(1))]);
    assert_eq!(refusal(&craft(Some(18), &prot, Value::Map(vec![]), payload.clone(), &signer)), Code::UnknownField);
    let unprot = map(vec![(5, Value::Bytes(vec![1; 12]))]);
    assert_eq!(refusal(&craft(Some(18), &protected(vec![es256()]), unprot, payload, &signer)), Code::UnknownField);
}

#[test]
fn refuses_non_deterministic_protected_bucket() {
    // ENC-012: the bstr-wrapped header passes the same validator, with the inner rule's code
    let signer = key("signer");
    let payload = Value::Bytes(PAYLOAD.to_vec());
    let cases: [(&[u8], Code); 4] = [
        (&[0xa1, 0x01, 0x38, 0x06], Code::NonShortestInt),
        (&[0xbf, 0x01, 0x26, 0xff], Code::IndefiniteLength),
        (&[0xa2, 0x21, 0x00, 0x01, 0x26], Code::UnsortedMapKeys),
        (&[0xa1, 0x01, 0x26, 0x00], Code::TrailingBytes),
    ];
    for (prot, code) in cases {
        assert_eq!(refusal(&craft(Some(18), prot, Value::Map(vec![]), payload.clone(), &signer)), code);
    }
}

#[test]
fn cose_key_round_trips_and_refuses_other_types() {
    // KEY-001, KEY-002, ENC-013
    let public = key("k").public;
    let bytes = cose_key::to_bytes(&public).unwrap();
    assert_eq!(cose_key::from_bytes(provider(), &bytes).unwrap(), public);
    let with = |kty: Value, crv: Value, x: Vec<u8>, y: Vec<u8>, extra: Option<(i64, Value)>| {
        let mut entries = vec![(1, kty), (-1, crv), (-2, Value::Bytes(x)), (-3, Value::Bytes(y))];
        entries.extend(extra);
        cose_key::from_bytes(provider(), &encode(&map(entries)).unwrap()).unwrap_err().code
    };
    let (x, y) = (public.x().to_vec(), public.y().to_vec());
    assert_eq!(with(int(1), int(1), x.clone(), y.clone(), None), Code::UnsupportedKey); // OKP
    assert_eq!(with(int(2), int(2), x.clone(), y.clone(), None), Code::UnsupportedKey); // P-384
    assert_eq!(with(Value::Text("EC".into()), int(1), x.clone(), y.clone(), None), Code::UnsupportedKey);
    assert_eq!(with(int(2), int(1), x[1..].to_vec(), y.clone(), None), Code::InvalidKey);
    let mut off_curve = y.clone();
    off_curve[31] ^= 1;
    assert_eq!(with(int(2), int(1), x.clone(), off_curve, None), Code::InvalidKey);
    assert_eq!(with(int(2), int(1), vec![0; 32], vec![0; 32], None), Code::InvalidKey);
    assert_eq!(with(int(2), int(1), x, y, Some((3, int(-7)))), Code::UnknownField);
}
