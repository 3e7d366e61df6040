//! Vector files for the messages a device receives (UseRequest,
//! IssuanceResponse, WipeCommand), the Issuer → Status feed, and the two
//! messages only clients read (Receipt, Error).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::encode;
use jpki_reference::crypto::SecretKey;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::lifecycle::WipeCommandPayload;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::world::{GOV_RP, LifecycleParams, World};

use super::VECTOR_SEED;
use super::fixtures::{DEVICE, WITHHELD, WITHHELD_KINDS_SWAPPED, derived_input, device_setup};
use super::format::VectorFile;
use super::generate::file;
use super::servers::{Case, cbor, group_with};
use crate::checks::surgery::{entries_of, int, join, raw_map, sign_raw, split};

fn world(setup: &str) -> (World, Vec<u8>) {
    let mut w = World::new(VECTOR_SEED).unwrap();
    let withheld = device_setup(&mut w, setup).unwrap();
    (w, withheld)
}

/// A message map's entries edited and re-encoded as given (not sorted).
fn edited(bytes: &[u8], edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let mut entries = entries_of(bytes);
    edit(&mut entries);
    raw_map(entries)
}

/// Sets `key` in place (keeps the order canonical, unlike `surgery::set`).
fn put(entries: &mut Vec<(Value, Value)>, key: i64, value: Value) {
    match entries.iter_mut().find(|(k, _)| *k == int(key)) {
        Some(entry) => entry.1 = value,
        None => {
            entries.push((int(key), value));
            entries.sort_by_key(|(k, _)| encode(k).unwrap());
        }
    }
}

fn reversed(bytes: &[u8]) -> Vec<u8> {
    edited(bytes, |e| e.reverse())
}

fn with_trailing_byte(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.push(0x00);
    out
}

/// The same map with an indefinite-length header (0xbf … 0xff).
fn indefinite(bytes: &[u8]) -> Vec<u8> {
    let entries = entries_of(bytes);
    let mut out = vec![0xbf];
    for (k, v) in entries {
        out.extend(encode(&k).unwrap());
        out.extend(encode(&v).unwrap());
    }
    out.push(0xff);
    out
}

fn flipped_signature(signed: &[u8]) -> Vec<u8> {
    let mut out = signed.to_vec();
    let last = out.len() - 1;
    out[last] ^= 0x01;
    out
}

/// A COSE_Sign1 whose payload map is re-written by `edit` (bytes as given)
/// and signed afresh with `secret`.
fn resigned_raw_payload(
    w: &World,
    signed: &[u8],
    secret: &SecretKey,
    edit: impl FnOnce(&mut Vec<(Value, Value)>),
) -> Vec<u8> {
    let parts = split(signed);
    let payload = edited(&encode(&parts.payload).unwrap(), edit);
    let protected = encode(&Value::Map(parts.protected.clone())).unwrap();
    sign_raw(w.provider(), &protected, &parts.unprotected, &payload, secret)
}

/// `signed` with its x5chain replaced by `cert` and signed by `secret`.
fn signed_by(w: &World, signed: &[u8], secret: &SecretKey, cert: &[u8]) -> Vec<u8> {
    crate::checks::surgery::resigned_by(w.provider(), signed, secret, cert)
}

fn device_file(message: &str, setup: &str, w: &World, cases: Vec<Case>, what: &str) -> VectorFile {
    device_file_with(message, setup, w, cases, what, None)
}

/// As [`device_file`], with a second group: `late` (made by [`past_mobile_root`]).
fn device_file_with(
    message: &str,
    setup: &str,
    w: &World,
    cases: Vec<Case>,
    what: &str,
    late: Option<(Late, Vec<Case>)>,
) -> VectorFile {
    let header = vec![
        format!("{message} as the wallet judges it ({what}). The group's `setup` names the recipe the device starts"),
        "from (vectors/README.md): a fixed sequence of steps in the world of pkiSeed, run with the wallet under test."
            .into(),
    ];
    let first = group_with(w, None, Some(setup), cases, 1);
    let mut groups = vec![first];
    if let Some((late, cases)) = late {
        let next = groups[0].tests.len() + 1;
        let mut group = group_with(&late.world, None, Some(setup), cases, next);
        group.setup_clock = Some(late.setup_at);
        groups.push(group);
    }
    file(message, "device", header, groups)
}

/// A wallet set up by a recipe the day before the platform root's
/// notAfter (every root valid: it can be issued), then judged an hour past
/// the mobile root's notAfter (PKI-003 on the chains a wallet checks).
struct Late {
    world: World,
    setup_at: u64,
    withheld: Vec<u8>,
}

fn past_mobile_root(setup: &str) -> Late {
    use super::anchors::{advance_to, last_issuance_day, past};
    let mut world = World::new(VECTOR_SEED).unwrap();
    let setup_at = last_issuance_day(&world);
    advance_to(&mut world, setup_at);
    let withheld = device_setup(&mut world, setup).unwrap();
    let late = past(&world, super::chains::Root::Mobile);
    advance_to(&mut world, late);
    Late { world, setup_at, withheld }
}

/// UseRequest as the wallet judges it: a good request is answered with an assertion.
pub(super) fn device_use_request() -> VectorFile {
    let (mut w, _) = world("issued");
    let digest = w.provider().sha256(b"vector document");
    let auth = w.use_request(GOV_RP, Kind::Auth, "vector purpose", None).unwrap();
    let sign = w.use_request(GOV_RP, Kind::Sign, "vector purpose", Some(digest)).unwrap();
    let at = |comment, input, code, flags| Case::at("use_request", comment, input, code, flags);
    let cases = vec![
        at("auth", auth.clone(), None, vec!["Valid"]),
        at("sign with a document digest", sign.clone(), None, vec!["Valid"]),
        Case::at(
            "use_request_without_uv",
            "auth, the holder not verified: the SE signs nothing",
            auth.clone(),
            Some(Code::SeUvRequired),
            vec!["SecureElementUv"],
        ),
        Case::at(
            "use_request_without_uv",
            "sign, the holder not verified: the SE signs nothing",
            sign.clone(),
            Some(Code::SeUvRequired),
            vec!["SecureElementUv"],
        ),
        at("map keys out of order", reversed(&auth), Some(Code::UnsortedMapKeys), vec!["NonDeterministicEncoding"]),
        at(
            "the nonce twice",
            edited(&auth, |e| e.insert(2, e[1].clone())),
            Some(Code::DuplicateMapKey),
            vec!["DuplicateKey"],
        ),
        at("indefinite-length map", indefinite(&auth), Some(Code::IndefiniteLength), vec!["IndefiniteLength"]),
        at("a byte after the message", with_trailing_byte(&auth), Some(Code::TrailingBytes), vec!["TrailingBytes"]),
        at("truncated", auth[..auth.len() - 3].to_vec(), Some(Code::Malformed), vec!["Truncation"]),
        at(
            "an unknown field 9",
            edited(&auth, |e| e.push((int(9), Value::Null))),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
        at(
            "sign without a document digest",
            edited(&sign, |e| e.retain(|(k, _)| *k != int(6))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "auth with a document digest",
            edited(&auth, |e| e.push((int(6), Value::Bytes(digest.to_vec())))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "a 31-byte nonce",
            edited(&auth, |e| put(e, 2, Value::Bytes(vec![7; 31]))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at("kind 3", edited(&auth, |e| put(e, 5, int(3))), Some(Code::Malformed), vec!["Shape"]),
        at(
            "an empty purpose",
            edited(&auth, |e| put(e, 3, Value::Text(String::new()))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "time as an untagged integer",
            edited(&auth, |e| put(e, 4, int(1_700_000_000))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
    ];
    device_file("UseRequest", "issued", &w, cases, "spec/use.md §1")
}

/// IssuanceChallenge as the wallet judges it: answered with the payload for the card.
pub(super) fn device_issuance_challenge() -> VectorFile {
    let (mut w, _) = world("enrolled");
    let challenge = w.issuance_challenge().unwrap();
    let at = |comment, input, code, flags| Case::at("issuance_challenge", comment, input, code, flags);
    let cases = vec![
        at("the Issuer's challenge", challenge.clone(), None, vec!["Valid"]),
        Case::at(
            "issuance_challenge_wrong_pin",
            "the holder types a wrong auth PIN: refused, the auth count up by one",
            challenge.clone(),
            Some(Code::PinWrong),
            vec!["OneTryPerEntry"],
        ),
        Case::at(
            "issuance_challenge_wrong_password",
            "the holder types a wrong sign password: refused, the auth PIN never asked",
            challenge.clone(),
            Some(Code::PinWrong),
            vec!["OneTryPerEntry"],
        ),
        at(
            "map keys out of order",
            reversed(&challenge),
            Some(Code::UnsortedMapKeys),
            vec!["NonDeterministicEncoding"],
        ),
        at(
            "a 16-byte nonce",
            edited(&challenge, |e| put(e, 1, Value::Bytes(vec![3; 16]))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "expiry as text",
            edited(&challenge, |e| put(e, 2, Value::Text("soon".into()))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "an unknown field 3",
            edited(&challenge, |e| e.push((int(3), Value::Null))),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
        at(
            "a byte after the message",
            with_trailing_byte(&challenge),
            Some(Code::TrailingBytes),
            vec!["TrailingBytes"],
        ),
    ];
    device_file("IssuanceChallenge", "enrolled", &w, cases, "spec/issuance.md §1")
}

/// IssuanceResponse as the wallet judges it: installed on its pending keys.
pub(super) fn device_issuance_response() -> VectorFile {
    let (w, response) = world("issuance-pending");
    let Value::Array(certs) = entries_of(&response)[0].1.clone() else { panic!() };
    let with_certs = |certs: Vec<Value>| encode(&Value::Map(vec![(int(1), Value::Array(certs))])).unwrap();
    let entry = |i: usize| match &certs[i] {
        Value::Map(e) => e.clone(),
        _ => panic!(),
    };
    let mut extra = entry(0);
    extra.push((int(3), Value::Null));
    let mut garbage = entry(0);
    garbage[1].1 = Value::Bytes(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    let mut unsorted = entry(0);
    unsorted.reverse();
    let unsorted = {
        let mut out = vec![0xa1, 0x01, 0x82];
        out.extend(raw_map(unsorted));
        out.extend(encode(&certs[1]).unwrap());
        out
    };
    let at = |comment, input, code, flags| Case::at("issuance_response", comment, input, code, flags);
    let cases = vec![
        at("both certificates for the pending keys", response.clone(), None, vec!["Valid"]).derived(WITHHELD),
        at(
            "each certificate under the other kind",
            derived_input(WITHHELD_KINDS_SWAPPED, &response, &w).unwrap(),
            Some(Code::Malformed),
            vec!["WrongKey"],
        )
        .derived(WITHHELD_KINDS_SWAPPED),
        at("no certificate", with_certs(vec![]), Some(Code::Malformed), vec!["Shape"]),
        at(
            "three certificates",
            with_certs(vec![certs[0].clone(), certs[1].clone(), certs[0].clone()]),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "an unknown field in IssuedCert",
            with_certs(vec![Value::Map(extra), certs[1].clone()]),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
        at(
            "a certificate that is not X.509",
            with_certs(vec![Value::Map(garbage), certs[1].clone()]),
            Some(Code::CertMalformed),
            vec!["CertificateParsing"],
        ),
        at("IssuedCert keys out of order", unsorted, Some(Code::UnsortedMapKeys), vec!["NonDeterministicEncoding"]),
        at("a byte after the message", with_trailing_byte(&response), Some(Code::TrailingBytes), vec!["TrailingBytes"]),
    ];
    // the first certificate: a flipped signature, every defect and validity bound (ISS-013)
    let mut cases = cases;
    for (derive, comment, code, flag) in super::chains::issued_cert_cases(&w, &response) {
        let input = derived_input(&derive, &response, &w).unwrap();
        let derive: &'static str = Box::leak(derive.into_boxed_str());
        cases.push(at(comment, input, code, vec![flag, super::chains::ISSUED_FLAG]).derived(derive));
    }
    // the pending keys certified while every root was valid, delivered past the mobile root's notAfter
    let late = past_mobile_root("issuance-pending");
    let late_cases = vec![
        at(
            "both certificates, an hour past the mobile root's notAfter (the certificates valid then)",
            late.withheld.clone(),
            Some(Code::CertExpired),
            vec![super::anchors::FLAG, super::chains::ISSUED_FLAG],
        )
        .derived(WITHHELD),
    ];
    device_file_with("IssuanceResponse", "issuance-pending", &w, cases, "spec/issuance.md §3", Some((late, late_cases)))
}

/// WipeCommand as the wallet judges it: carried out, answered with a receipt.
pub(super) fn device_wipe_command() -> VectorFile {
    let (w, command) = world("wipe-pending");
    let receipts = w.pki().key(w.provider(), "issuer-receipts").unwrap();
    let device_secret = w.suite_secret(DEVICE, Kind::Auth).unwrap();
    let device_cert = w.device(DEVICE).unwrap().installed[&Kind::Auth].cert.clone().unwrap();
    let mut parts = split(&command);
    let mut order = WipeCommandPayload::from_value(parts.payload.clone()).unwrap();
    order.serials = vec![vec![0x42; 16]];
    parts.payload = order.to_value();
    let not_here = join(w.provider(), &parts, &receipts.secret);
    let at = |comment, input, code, flags| Case::at("wipe_command", comment, input, code, flags);
    let mut cases = vec![
        at("the Issuer's wipe command for this phone", command.clone(), None, vec!["Wipe"]),
        at(
            "a signature that does not verify",
            flipped_signature(&command),
            Some(Code::BadSignature),
            vec!["ModifiedSignature"],
        ),
        at(
            "signed by the device's own key, not the Issuer's receipts key",
            signed_by(&w, &command, &device_secret, &device_cert),
            Some(Code::WrongPurpose),
            vec!["WipeSigner"],
        ),
        at("certificates this phone does not hold", not_here, Some(Code::WipeUnknown), vec!["Wipe"]),
        at(
            "payload keys out of order, signed",
            resigned_raw_payload(&w, &command, &receipts.secret, |e| e.reverse()),
            Some(Code::UnsortedMapKeys),
            vec!["NonDeterministicEncoding"],
        ),
        at(
            "an unknown payload field, signed",
            resigned_raw_payload(&w, &command, &receipts.secret, |e| e.push((int(9), Value::Null))),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
    ];
    let signer = super::chains::receipts_signer(&w, &receipts.public);
    cases.extend(super::chains::cases(&w, &command, &receipts.secret, &signer, Some("wipe_command"), ""));
    // the command queued while every root was valid, delivered past the mobile root's notAfter
    let late = past_mobile_root("wipe-pending");
    let late_cases = vec![at(
        "the Issuer's wipe command, an hour past the mobile root's notAfter (its certificate valid then)",
        late.withheld.clone(),
        Some(Code::CertExpired),
        vec![super::anchors::FLAG],
    )];
    let what = "spec/lifecycle.md, REV-005 and REV-007";
    device_file_with("WipeCommand", "wipe-pending", &w, cases, what, Some((late, late_cases)))
}

/// A CBOR map's entries, in order.
type Entries = Vec<(Value, Value)>;

/// StatusFeed as Status judges it: the Issuer's back office sets a status,
/// signed by the Issuer's receipts certificate, newer than what Status holds.
pub(super) fn status_feed() -> VectorFile {
    let (mut w, _) = world("issued");
    let serial = jpki_reference::pki::ParsedCert::parse(
        w.provider(),
        w.device(DEVICE).unwrap().installed[&Kind::Auth].cert.as_ref().unwrap(),
    )
    .unwrap()
    .serial;
    let last = w.observe().status.sequences[&serial];
    let receipts = w.pki().key(w.provider(), "issuer-receipts").unwrap();
    let forge = |w: &World, kind, status, sequence| w.forge_status_feed(&serial, kind, status, sequence).unwrap();
    let next = last + 10;
    let revoked_status = CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: w.now() };
    let revoked = forge(&w, Kind::Auth, revoked_status, next);
    let good_again = forge(&w, Kind::Auth, CertStatus::Good, last);
    let resign =
        |signed: &[u8], edit: &dyn Fn(&mut Entries)| resigned_raw_payload(&w, signed, &receipts.secret, |e| edit(e));
    let verifier = w.verifier(jpki_reference::world::GOV_RP).unwrap().credential.clone();
    let at = |comment, input, code, flags| Case::at("feed", comment, input, code, flags);
    let mut first_cases = vec![
        at("suspended", forge(&w, Kind::Auth, CertStatus::Suspended, next), None, vec!["StatusFeed"]),
        at("revoked with reason and time", revoked.clone(), None, vec!["StatusFeed"]),
        at(
            "a new certificate, good",
            w.forge_status_feed(&[0x11; 16], Kind::Sign, CertStatus::Good, next).unwrap(),
            None,
            vec!["StatusFeed"],
        ),
        at("the feed Status applied last, again: no effect", good_again.clone(), None, vec!["FeedReplay"]),
        at(
            "suspended, under the sequence number already applied",
            forge(&w, Kind::Auth, CertStatus::Suspended, last),
            Some(Code::FeedStale),
            vec!["FeedReplay"],
        ),
        at(
            "the certificate's kind changed",
            forge(&w, Kind::Sign, CertStatus::Good, next),
            Some(Code::FeedConflict),
            vec!["FeedConflict"],
        ),
        at(
            "signed by a verifier, not the Issuer",
            signed_by(&w, &revoked, &verifier.key.secret, &verifier.cert),
            Some(Code::WrongPurpose),
            vec!["FeedSigner"],
        ),
        at(
            "a bare payload, unsigned",
            encode(&split(&revoked).payload).unwrap(),
            Some(Code::WrongTag),
            vec!["FeedSigner"],
        ),
        at(
            "a signature that does not verify",
            flipped_signature(&revoked),
            Some(Code::BadSignature),
            vec!["FeedSigner"],
        ),
        at(
            "revoked without its reason",
            resign(&revoked, &|e| e.retain(|(k, _)| *k != int(6))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at("status 3", resign(&revoked, &|e| put(e, 2, int(3))), Some(Code::Malformed), vec!["Shape"]),
        at(
            "a 21-byte serial",
            resign(&revoked, &|e| put(e, 1, Value::Bytes(vec![1; 21]))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "map keys out of order",
            resign(&revoked, &|e| e.reverse()),
            Some(Code::UnsortedMapKeys),
            vec!["NonDeterministicEncoding"],
        ),
        at(
            "an unknown field 9",
            resign(&revoked, &|e| e.push((int(9), Value::Null))),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
    ];
    let signer = super::chains::receipts_signer(&w, &receipts.public);
    let suspended = forge(&w, Kind::Auth, CertStatus::Suspended, next);
    first_cases.extend(super::chains::cases(&w, &suspended, &receipts.secret, &signer, Some("feed"), "suspended; "));
    let first = group_with(&w, Some(cbor(&w.observe().status)), None, first_cases, 1);
    // the certificate is revoked at Status: terminal
    w.status_feed_judges(&revoked).unwrap();
    let second_cases = vec![
        at(
            "good, newer, for a revoked certificate",
            forge(&w, Kind::Auth, CertStatus::Good, next + 1),
            Some(Code::FeedConflict),
            vec!["FeedConflict"],
        ),
        at(
            "revoked again with another reason",
            forge(&w, Kind::Auth, CertStatus::Revoked { reason: RevocationReason::DeviceLost, at: w.now() }, next + 1),
            Some(Code::FeedConflict),
            vec!["FeedConflict"],
        ),
        at("the replayed good feed of its issuance", good_again, Some(Code::FeedConflict), vec!["FeedConflict"]),
        at("the revocation feed again: no effect", revoked, None, vec!["FeedReplay"]),
    ];
    let second = group_with(&w, Some(cbor(&w.observe().status)), None, second_cases, first.tests.len() + 1);
    let header = vec![
        "StatusFeed as Status judges it (spec/use.md §3): the Issuer's back-office message setting one".into(),
        "certificate's status, signed by the Issuer's receipts certificate under the mobile root. The fixture is"
            .into(),
        "Status's stored state (observation, spec/observation.cddl), including the last sequence number per certificate."
            .into(),
    ];
    // an hour past every root's notAfter, the receipts certificate valid then (PKI-003)
    super::anchors::advance_past_roots(&mut w);
    let comment = "a feed an hour past every root's notAfter, the receipts certificate valid then";
    let late = vec![super::anchors::late_case(&w, Some("feed"), comment, &suspended, &receipts.secret, &signer)];
    let next_id = first.tests.len() + second.tests.len() + 1;
    let late = group_with(&w, Some(cbor(&w.observe().status)), None, late, next_id);
    file("StatusFeed", "status", header, vec![first, second, late])
}

/// Receipt as a shop checks it offline with the Issuer's trust anchor.
pub(super) fn client_receipt() -> VectorFile {
    let (mut w, _) = world("issued");
    let device_secret = w.suite_secret(DEVICE, Kind::Auth).unwrap();
    let device_cert = w.device(DEVICE).unwrap().installed[&Kind::Auth].cert.clone().unwrap();
    let receipt =
        w.revoke_from_device(DEVICE, RevocationReason::DeviceReleased, &LifecycleParams::with_key(3)).unwrap();
    let receipts = w.pki().key(w.provider(), "issuer-receipts").unwrap();
    let at = |comment, input, code, flags| Case::at("receipt", comment, input, code, flags);
    let mut cases = vec![
        at("the Issuer's release receipt", receipt.clone(), None, vec!["Receipt"]),
        at(
            "a signature that does not verify",
            flipped_signature(&receipt),
            Some(Code::BadSignature),
            vec!["ModifiedSignature"],
        ),
        at(
            "signed by the device, not the Issuer",
            signed_by(&w, &receipt, &device_secret, &device_cert),
            Some(Code::WrongPurpose),
            vec!["Receipt"],
        ),
        at(
            "an unknown payload field, signed",
            resigned_raw_payload(&w, &receipt, &receipts.secret, |e| e.push((int(9), Value::Null))),
            Some(Code::UnknownField),
            vec!["UnknownField"],
        ),
        at(
            "action 99, signed",
            resigned_raw_payload(&w, &receipt, &receipts.secret, |e| put(e, 1, int(99))),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at(
            "an entry revoked without its reason, signed",
            resigned_raw_payload(&w, &receipt, &receipts.secret, |e| {
                if let Some((_, Value::Array(entries))) = e.iter_mut().find(|(k, _)| *k == int(2)) {
                    if let Some(Value::Map(first)) = entries.first_mut() {
                        first.retain(|(k, _)| *k != int(6));
                    }
                }
            }),
            Some(Code::Malformed),
            vec!["Shape"],
        ),
        at("truncated", receipt[..receipt.len() - 10].to_vec(), Some(Code::Malformed), vec!["Truncation"]),
    ];
    let signer = super::chains::receipts_signer(&w, &receipts.public);
    cases.extend(super::chains::cases(&w, &receipt, &receipts.secret, &signer, Some("receipt"), ""));
    let header = vec![
        "Receipt as anyone checks it offline (spec/lifecycle.md REV-006, REV-010): COSE_Sign1 by the Issuer's".into(),
        "receipts certificate chaining to trustAnchors.mobile, valid at the group's clock, stating the action and each"
            .into(),
        "certificate's status on record.".into(),
        "No SUT role receives it in v0; the runner judges it with the suite's own checker, and the file pins the format for client libraries.".into(),
    ];
    file("Receipt", "client", header, vec![group_with(&w, None, None, cases, 1)])
}

/// Error as a client reads it: a registry code with its requirement.
pub(super) fn client_error() -> VectorFile {
    let (w, _) = world("issued");
    let good = ErrorMessage { code: Code::NonceReused, detail: "nonce already answered".into() }.to_bytes().unwrap();
    let bare = ErrorMessage { code: Code::CertRevoked, detail: String::new() }.to_bytes().unwrap();
    let at = |comment, input, code, flags| Case::at("error", comment, input, code, flags);
    let cases = vec![
        at("nonce_reused with detail", good.clone(), None, vec!["ErrorMessage"]),
        at("cert_revoked without detail", bare, None, vec!["ErrorMessage"]),
        at(
            "a code not in the registry",
            edited(&good, |e| put(e, 1, Value::Text("nonce_reused_twice".into()))),
            Some(Code::Malformed),
            vec!["ErrorMessage"],
        ),
        at(
            "the requirement of another code",
            edited(&good, |e| put(e, 2, Value::Text("NON-001".into()))),
            Some(Code::Malformed),
            vec!["ErrorMessage"],
        ),
        at(
            "detail over 1024 bytes",
            edited(&good, |e| put(e, 3, Value::Text("x".repeat(1025)))),
            Some(Code::TooLarge),
            vec!["ErrorMessage"],
        ),
        at(
            "detail as a byte string",
            edited(&good, |e| put(e, 3, Value::Bytes(b"x".to_vec()))),
            Some(Code::Malformed),
            vec!["ErrorMessage"],
        ),
        at("map keys out of order", reversed(&good), Some(Code::UnsortedMapKeys), vec!["NonDeterministicEncoding"]),
    ];
    let header = vec![
        "Error as any client reads a refusal (spec/errors.md): the code, its requirement id, optional detail.".into(),
        "Judged by the suite's own decoder; the file pins the format for vendors' client libraries.".into(),
    ];
    file("Error", "client", header, vec![group_with(&w, None, None, cases, 1)])
}
