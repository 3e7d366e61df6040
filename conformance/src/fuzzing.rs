//! The bodies of the fuzz targets in `fuzz/`: one function per target, so
//! cargo-fuzz runs them under libFuzzer and `cargo test` replays the
//! committed corpora and regressions through exactly the same code on
//! stable (`tests/suite/fuzz_regressions.rs`). Each function panics only when a
//! rule is broken: a decoder panicking or running unbounded (ENC-016), an
//! accepted input that does not re-encode to itself (ENC-014), a refusal
//! that moved a role's state (ISS-008, USE-013), an invariant violated
//! (PROTOCOL.md §4), or the two CBOR decoders disagreeing.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]
// A fuzz target reports a broken rule by panicking; that is its job.

use std::cell::RefCell;

use arbitrary::Unstructured;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::codec::{Limits, cose_key, decode_v0, encode};
use jpki_reference::crypto::{SymbolicProvider, default_provider};
use jpki_reference::device::UserVerification;
use jpki_reference::mdoc::session::{MdocPresentation, MdocRequest};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::issuance::{IssuanceChallenge, IssuanceRequest, IssuanceResponse};
use jpki_reference::msgs::lifecycle::{
    DeviceRevocationPayload, HolderActionPayload, ReceiptPayload, WipeCommandPayload, WipeReceiptPayload,
};
use jpki_reference::msgs::status::{StatusFeed, StatusRequestPayload, StatusResponsePayload};
use jpki_reference::msgs::usage::{AssertionPayload, UseRequest};
use jpki_reference::mutants::Mutation;
use jpki_reference::pki::{ParsedCert, Purpose, validate_chain};
use jpki_reference::world::{GOV_RP, IssueParams, SHOP_RP, World};

use crate::checks::property::{HOLDERS, Op, apply};
use crate::checks::surgery::attributes;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every fuzz target, by name (the names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: [(&str, Target); 15] = [
    ("strict_cbor", strict_cbor),
    ("differential_cbor", differential_cbor),
    ("cose_sign1", cose_sign1),
    ("cose_key", cose_key_target),
    ("certificate", certificate),
    ("messages", messages),
    ("use_request", use_request),
    ("role_input", role_input),
    ("lifecycle", lifecycle),
    ("wipe_command", wipe_command),
    ("status_feed", status_feed),
    ("receipt", receipt),
    ("http_body", http_body),
    ("status_list", status_list),
    ("mdoc", mdoc),
];

/// The strict decoder: whatever it accepts re-encodes to the same bytes.
pub fn strict_cbor(data: &[u8]) {
    if let Ok(value) = decode_v0(data) {
        let again = encode(&value).expect("an accepted value re-encodes");
        assert_eq!(again, data, "accepted input is not deterministic (ENC-014)");
    }
}

/// The strict decoder against a second decoder (`ciborium`, used as an
/// oracle only): what the strict decoder accepts, ciborium decodes to the
/// same value and re-encodes to the same bytes; what ciborium cannot parse
/// as one item, the strict decoder refuses.
pub fn differential_cbor(data: &[u8]) {
    let strict = decode_v0(data);
    let mut reader = data;
    let oracle: Result<ciborium::Value, _> = ciborium::from_reader(&mut reader);
    match (&strict, &oracle) {
        (Ok(value), Ok(other)) => {
            assert_eq!(value, other, "the decoders read different values");
            assert!(reader.is_empty(), "strict accepted trailing bytes ciborium left over");
            let mut again = Vec::new();
            ciborium::into_writer(other, &mut again).expect("ciborium re-encodes");
            assert_eq!(again, data, "strict accepted what ciborium would not write");
        }
        (Ok(_), Err(e)) => panic!("strict accepted what ciborium refuses: {e}"),
        _ => {}
    }
}

/// COSE_Sign1 decoding: never panics; an accepted structure yields its chain.
pub fn cose_sign1(data: &[u8]) {
    if let Ok(sign1) = decode_sign1(data, &Limits::V0) {
        let _ = sign1.x5chain();
        let _ = sign1.payload();
    }
}

/// COSE_Key decoding (KEY-001, KEY-002): an accepted key re-encodes to itself.
pub fn cose_key_target(data: &[u8]) {
    if let Ok(key) = cose_key::from_bytes(default_provider(), data) {
        assert_eq!(cose_key::to_bytes(&key).expect("a key encodes"), data, "accepted key is not deterministic");
    }
}

/// Certificates as the profile reads them, then as a one-certificate chain.
pub fn certificate(data: &[u8]) {
    let provider = default_provider();
    if ParsedCert::parse(provider, data).is_ok() {
        FIXTURE.with(|f| {
            let anchor = &f.borrow().anchor;
            let _ = validate_chain(provider, &[data.to_vec()], anchor, Purpose::MobileAuth, 1_700_000_000);
        });
    }
}

fn round_trip<M: Message>(data: &[u8]) {
    if let Ok(message) = M::from_bytes(data) {
        let again = message.to_bytes().expect("an accepted message re-encodes");
        assert_eq!(again, data, "{}: accepted input does not re-encode to itself (ENC-014)", M::NAME);
    }
}

/// Every message decoder; the first byte picks the message type. Accepted
/// input must re-encode to exactly itself.
pub fn messages(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 14 {
        0 => round_trip::<IssuanceChallenge>(rest),
        1 => round_trip::<IssuanceRequest>(rest),
        2 => round_trip::<IssuanceResponse>(rest),
        3 => round_trip::<UseRequest>(rest),
        4 => round_trip::<AssertionPayload>(rest),
        5 => round_trip::<StatusRequestPayload>(rest),
        6 => round_trip::<StatusResponsePayload>(rest),
        7 => round_trip::<StatusFeed>(rest),
        8 => round_trip::<HolderActionPayload>(rest),
        9 => round_trip::<DeviceRevocationPayload>(rest),
        10 => round_trip::<ReceiptPayload>(rest),
        11 => round_trip::<WipeCommandPayload>(rest),
        12 => round_trip::<WipeReceiptPayload>(rest),
        _ => round_trip::<ErrorMessage>(rest),
    }
}

/// What the stateful targets start from, built once per process: a world
/// on the real provider with one holder's both kinds issued to `phone`
/// (forked per input), and the mobile root as an anchor.
struct Fixture {
    issued: World,
    anchor: jpki_reference::pki::TrustAnchor,
}

thread_local! {
    static FIXTURE: RefCell<Fixture> = RefCell::new({
        let mut issued = World::new(crate::vectors::VECTOR_SEED).expect("the fixture world builds");
        issued.add_holder("vectors", attributes()).expect("a holder");
        issued.add_device("phone");
        issued.issue("vectors", "phone", &IssueParams::both(1)).expect("issuance");
        let anchor = issued.pki().mobile_root.anchor(default_provider()).expect("the mobile anchor");
        Fixture { issued, anchor }
    });
}

fn issued_world() -> World {
    FIXTURE.with(|f| f.borrow().issued.fork().expect("a reference world forks"))
}

/// A refusal must leave every role as it was.
fn refused_cleanly<T>(what: &str, result: Result<T, jpki_reference::world::FlowError>) {
    if let Err(e) = result {
        assert!(e.unchanged, "{what}: refusal {} moved a role's state", e.code());
    }
}

/// A UseRequest as the wallet reads it and answers it. The first byte
/// picks the form: even, the rest is the message's bytes (malformed input,
/// the decoder's edges); odd, the rest is read by `arbitrary` as the
/// request's fields, encoded deterministically (well-formed requests, so
/// the fuzzer explores what the wallet does with their content).
pub fn use_request(data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else { return };
    let bytes = if form % 2 == 0 {
        rest.to_vec()
    } else {
        match structured_use_request(&mut Unstructured::new(rest)).map(|r| r.to_bytes()) {
            Ok(Ok(bytes)) => bytes,
            _ => return,
        }
    };
    let mut world = issued_world();
    refused_cleanly("use_request", world.assertion("phone", &bytes, UserVerification::BIOMETRIC));
    assert!(world.violations().is_empty(), "{:?}", world.violations());
}

fn structured_use_request(u: &mut Unstructured) -> arbitrary::Result<UseRequest> {
    let kind = if u.arbitrary()? { jpki_reference::msgs::Kind::Sign } else { jpki_reference::msgs::Kind::Auth };
    Ok(UseRequest {
        rp_id: u.arbitrary()?,
        nonce: u.arbitrary()?,
        purpose: u.arbitrary()?,
        time: u.arbitrary()?,
        kind,
        document_digest: u.arbitrary()?,
    })
}

/// A WipeCommand as the wallet carries it out.
pub fn wipe_command(data: &[u8]) {
    let mut world = issued_world();
    refused_cleanly("wipe_command", world.device_judges("phone", "wipe_command", data));
    assert!(world.violations().is_empty(), "{:?}", world.violations());
}

/// A receipt as a shop checks it offline: never a panic, and a receipt that
/// verifies states what re-encodes to its own payload bytes.
pub fn receipt(data: &[u8]) {
    FIXTURE.with(|f| {
        let fixture = f.borrow();
        let world = &fixture.issued;
        let anchor = world.pki().mobile_root.anchor(world.provider()).expect("the fixture root is an anchor");
        if let Ok(said) = jpki_reference::receipt::verify_receipt(world.provider(), data, &anchor, world.now()) {
            let signed = decode_sign1(data, &Limits::V0).expect("a verified receipt decodes");
            assert_eq!(said.to_bytes().ok().as_deref(), Some(signed.payload()), "receipt payload round trip");
        }
    });
}

/// The status-list reader (STL-002, STL-003), the first byte choosing what
/// the rest is: a `StatusList` (bounded by one chunk), a token's payload,
/// or a whole token judged for chunk 0. It never panics; a list it accepts
/// has 1, 2, 4 or 8 bits, answers for every index below its length and none
/// past it, and reads the same once encoded again; an accepted ZLIB stream
/// inflates as `miniz_oxide`'s own one-shot decoder inflates it.
pub fn status_list(data: &[u8]) {
    use jpki_reference::status_list::{ListToken, MAX_CHUNK_BYTES, StatusList, inflate, open_chunk};
    let Some((&which, rest)) = data.split_first() else { return };
    let list = match which % 3 {
        0 => StatusList::decode(rest, MAX_CHUNK_BYTES),
        1 => ListToken::decode(rest).map(|token| token.list),
        _ => {
            let world = World::new([0x5a; 32]).expect("the fixture world");
            open_chunk(world.provider(), world.mobile_anchor(), rest, 0, world.now()).map(|token| token.list)
        }
    };
    let Ok(list) = list else { return };
    assert!(matches!(list.bits(), 1 | 2 | 4 | 8), "accepted {} bits (STL-003)", list.bits());
    assert!(list.bytes().len() <= MAX_CHUNK_BYTES, "inflated past the bound (STL-003)");
    assert!(list.is_empty() || list.get(list.len() - 1).is_some(), "the last entry reads");
    assert_eq!(list.get(list.len()), None, "an entry past the end reads");
    let encoded = list.encode().expect("an accepted list encodes");
    let again = StatusList::decode(&encoded, MAX_CHUNK_BYTES).expect("an encoded list decodes");
    assert_eq!(again, list, "round trip");
    if which % 3 == 0 {
        // the ZLIB stream itself, against the one-shot decoder
        let value = jpki_reference::codec::decode_v0(rest).expect("accepted bytes decode");
        let lst = match value {
            ciborium::Value::Map(pairs) => pairs.into_iter().find(|(k, _)| k.as_text() == Some("lst")).map(|(_, v)| v),
            _ => None,
        };
        if let Some(ciborium::Value::Bytes(lst)) = lst {
            let theirs = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&lst, MAX_CHUNK_BYTES);
            assert_eq!(theirs.ok(), inflate(&lst, MAX_CHUNK_BYTES).ok(), "two inflaters disagree");
        }
    }
}

/// A signed StatusFeed as Status judges it, in the issued state: a refusal
/// is clean, and no input moves Status away from the Issuer's registry
/// (only the Issuer's receipts key signs a feed, STA-006).
pub fn status_feed(data: &[u8]) {
    let mut world = issued_world();
    feed_judged(&mut world, data);
}

/// Status judges a feed. A refusal changes nothing and breaks no invariant.
/// An accepted feed was signed with the fixture Issuer's receipts key (the
/// seed corpus holds such feeds, made by the suite as a faulty back office),
/// so Status may then disagree with the registry (INV-002) and nothing else.
fn feed_judged(world: &mut World, data: &[u8]) {
    let result = world.status_feed_judges(data);
    let accepted = result.is_ok();
    refused_cleanly("status.feed", result);
    let broken: Vec<_> = world.violations().iter().filter(|v| !(accepted && v.invariant == 2)).collect();
    assert!(broken.is_empty(), "status.feed: {broken:?}");
}

/// Each role's input handlers on arbitrary bytes, in the issued state; the
/// first byte picks the role and endpoint. A refusal must carry a registry
/// code (the type guarantees it) and leave every role as it was.
pub fn role_input(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    let mut world = issued_world();
    let endpoint = match which % 10 {
        0 => "issuer.issue",
        1 => "issuer.migrate",
        2 => "issuer.holder_action",
        3 => "issuer.device_revocation",
        4 => "issuer.acknowledge_wipe",
        5 => "status.answer",
        6 => "status.feed",
        7 => "verifier.verify",
        8 => "device.issuance_response",
        _ => "device.use_request",
    };
    match endpoint.split_once('.') {
        Some(("issuer", at)) => refused_cleanly(endpoint, world.issuer_judges_at(at, rest)),
        Some(("status", "answer")) => refused_cleanly(endpoint, world.status_judges(rest)),
        Some(("status", _)) => return feed_judged(&mut world, rest),
        Some(("verifier", _)) => refused_cleanly(endpoint, world.verify(GOV_RP, rest)),
        Some(("device", at)) => refused_cleanly(endpoint, world.device_judges("phone", at, rest)),
        _ => {}
    }
    assert!(world.violations().is_empty(), "{endpoint}: {:?}", world.violations());
}

/// Up to 12 lifecycle operations, built from the input with `arbitrary`,
/// run through a world on the symbolic provider; the world checks every
/// invariant after every step.
pub fn lifecycle(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(ops) = arbitrary_ops(&mut u) else { return };
    run_ops(None, &ops);
}

/// Runs `ops` in the lifecycle target's world (the reference, or a
/// built-in mutant) and panics at the first invariant violated.
pub fn run_ops(mutation: Option<Mutation>, ops: &[Op]) {
    let mut world = match mutation {
        None => LIFECYCLE.with(|w| w.borrow().fork().expect("a reference world forks")),
        Some(m) => lifecycle_world(Some(m)),
    };
    for op in ops {
        let _ = apply(&mut world, op);
        if let Some(v) = world.violations().first() {
            panic!("invariant {} violated after {ops:?}: {}", v.invariant, v.detail);
        }
    }
}

fn lifecycle_world(mutation: Option<Mutation>) -> World {
    let mut world = World::with_provider([0x66; 32], mutation, &SYMBOLIC).expect("the world builds");
    for holder in HOLDERS {
        world.add_holder(holder, attributes()).expect("a holder");
    }
    for device in crate::checks::property::DEVICES {
        world.add_device(device);
    }
    world
}

static SYMBOLIC: SymbolicProvider = SymbolicProvider;

thread_local! {
    static LIFECYCLE: RefCell<World> = RefCell::new(lifecycle_world(None));
}

/// Operations from unstructured bytes, every index in range.
pub fn arbitrary_ops(u: &mut Unstructured) -> arbitrary::Result<Vec<Op>> {
    let count = u.int_in_range(1..=12)?;
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let holder = u.int_in_range(0..=1)?;
        let device = u.int_in_range(0..=2)?;
        let other = u.int_in_range(0..=2)?;
        let key = u.int_in_range(0..=3)?;
        let flag: bool = u.arbitrary()?;
        let op = match u.int_in_range(0..=16u8)? {
            0 => Op::IssueTwice { holder, device },
            1 => Op::Issue { holder, device, kinds: u.int_in_range(0..=2)?, key },
            2 => Op::Authenticate { device, rp: usize::from(flag) },
            3 => Op::Sign { device, rp: other % 2, passcode: flag },
            4 => Op::Replay { device },
            5 => Op::CounterBack { device },
            6 => Op::OtherRp { device },
            7 => Op::NonDeterministic { device },
            8 => Op::Unreachable { device },
            9 => Op::Advance { secs: u.int_in_range(0..=700)? },
            10 => Op::Hold { holder, action: u.int_in_range(0..=2)?, key },
            11 => Op::HoldAndLift { holder, key },
            12 => Op::MigrateOld { old: device, new: other, key },
            13 => Op::MigrateCard { holder, old: device, new: other },
            14 => Op::RevokeFromDevice { device, released: flag, key },
            15 => Op::Card { holder, sign_only: flag },
            _ => Op::Online { device, online: flag },
        };
        ops.push(op);
    }
    Ok(ops)
}

/// The reference server's handling of one request body at one endpoint
/// (the first byte picks the endpoint of spec/http.md §2, the rest is the
/// body), in process, on an in-memory store: never a panic, never a 5xx
/// for input (HTTP-007), and a refusal's status is its code's (HTTP-006).
pub fn http_body(data: &[u8]) {
    use jpki_reference::http::{Endpoint, status_of};
    use jpki_server::app::{App, Clock, Inner, Request};
    thread_local! {
        static SERVER: RefCell<Option<(App, u64)>> = const { RefCell::new(None) };
    }
    let Some((selector, body)) = data.split_first() else { return };
    let endpoint = Endpoint::ALL[usize::from(*selector) % Endpoint::ALL.len()];
    SERVER.with(|server| {
        let mut server = server.borrow_mut();
        let (app, requests) = server.get_or_insert_with(|| {
            let seed = crate::vectors::VECTOR_SEED;
            let inner = Inner {
                store: jpki_server::store::Store::in_memory().expect("an in-memory store"),
                roles: jpki_server::roles::Roles::from_seed(seed, None, true, &[]).expect("the test PKI"),
                clock: Clock::Fixed(jpki_reference::world::WORLD_START),
                status_address: None,
                seed: (seed, None),
            };
            let hosted = vec![
                jpki_reference::http::ServerRole::Issuer,
                jpki_reference::http::ServerRole::Status,
                jpki_reference::http::ServerRole::Verifier,
            ];
            (App::new(inner, true, hosted), 0)
        });
        *requests += 1;
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&requests.to_be_bytes());
        let path = endpoint.path(GOV_RP);
        let answer =
            app.step(&Request { endpoint, rp: GOV_RP, path: &path, key, body, no_replay: false, refuse_valid: false });
        if answer.status == 200 {
            return;
        }
        let code = ErrorMessage::from_bytes(&answer.body).expect("a refusal is an Error message (HTTP-006)").code;
        assert!(
            answer.status < 500 || code == jpki_reference::Code::StatusUndetermined,
            "{} for input (HTTP-007)",
            answer.status
        );
        assert_eq!(status_of(code), answer.status, "{code} under another status (HTTP-006)");
    });
}

/// What the qualification target starts from: a world with one holder
/// whose phone holds an mdoc, and an open reading at the shop's reader
/// (forked per input).
struct MdocFixture {
    world: World,
    nonce: jpki_reference::msgs::Nonce,
}

thread_local! {
    static MDOC: RefCell<MdocFixture> = RefCell::new({
        let mut world = World::new(crate::vectors::VECTOR_SEED).expect("the fixture world builds");
        world.add_holder("vectors", attributes()).expect("a holder");
        world.add_device("phone");
        let params = IssueParams { qualification: 1, ..IssueParams::both(1) };
        world.issue("vectors", "phone", &params).expect("issuance");
        let request = world.mdoc_request(SHOP_RP, &["qualified"]).expect("a reader's request");
        let nonce = MdocRequest::from_bytes(&request).expect("the request decodes").nonce;
        MdocFixture { world, nonce }
    });
}

/// The qualification's ISO/IEC 18013-5 decoders and the reader's checks
/// (QUA-016); the first byte picks: a DeviceResponse, a DeviceRequest, an
/// IssuerSigned, or the bytes as the DeviceResponse of a presentation the
/// shop's reader judges. None panics; what the mdoc decoding accepts,
/// ciborium reads as the same value; a refused presentation moves no state
/// and breaks no invariant.
pub fn mdoc(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else { return };
    let provider = default_provider();
    if let Ok(value) = jpki_reference::mdoc::cbor::decode(body) {
        let mut reader = body;
        let oracle: ciborium::Value =
            ciborium::from_reader(&mut reader).expect("ciborium reads what mdoc decoding takes");
        assert_eq!(value, oracle, "the decoders read different values");
        assert!(reader.is_empty(), "mdoc decoding accepted trailing bytes");
    }
    match which % 4 {
        0 => {
            let _ = jpki_reference::mdoc::reader::read_device_response(provider, body);
        }
        1 => {
            let _ = jpki_reference::mdoc::session::read_device_request(body);
        }
        2 => {
            if let Ok(value) = jpki_reference::mdoc::cbor::decode(body) {
                let _ = jpki_reference::mdoc::mso::IssuerSigned::from_value(provider, value);
            }
        }
        _ => {
            let (mut world, nonce) = MDOC.with(|f| {
                let f = f.borrow();
                (f.world.fork().expect("a reference world forks"), f.nonce)
            });
            let presentation = MdocPresentation { nonce, device_response: body.to_vec() };
            let Ok(presentation) = presentation.to_bytes() else { return };
            refused_cleanly("verifier.mdoc_verify", world.verify_mdoc(SHOP_RP, &presentation));
            assert!(world.violations().is_empty(), "{:?}", world.violations());
        }
    }
}
