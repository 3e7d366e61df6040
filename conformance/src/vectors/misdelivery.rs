//! Messages delivered at an endpoint that takes another (ENC-018): every
//! endpoint a SUT role receives at is given, unchanged, the first valid
//! message of every other endpoint (and the Receipt and Status's answer the
//! suite's own files hold). A receiver decodes against its own endpoint's
//! rule before it looks at any signer, so the code follows from the two
//! messages' shapes in `spec/messages.cddl`: a map where a COSE_Sign1 is due
//! is `wrong_tag` (COSE-001), a COSE_Sign1 where a map is due is
//! `malformed` (ENC-001), and two payloads of different shapes are
//! `malformed` on the first defined field that does not read. The one pair
//! of one shape (WipeCommand, WipeReceipt) reaches the signer's chain: its
//! certificates' validity at the receiver's clock first (PKI-004, PKI-003,
//! leaf up, then the anchor), then the purpose (PKI-005).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use std::collections::BTreeMap;

use jpki_reference::Code;
use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::crypto::default_provider;
use jpki_reference::pki::ParsedCert;

// a v0 message, named by the hop that carries it in the world
use jpki_reference::world::Hop as Msg;

use super::format::{StatusAnswerJson, VectorFile, VectorGroup, VectorTest};

/// A COSE_Sign1 (tag 18) rather than a plain map.
fn signed(message: Msg) -> bool {
    !matches!(message, Msg::IssuanceChallenge | Msg::IssuanceRequest | Msg::IssuanceResponse | Msg::UseRequest)
}

/// Where each message is received, (file, endpoint, message): the rows a
/// SUT role judges.
const RECEIVED: [(&str, Option<&str>, Msg); 12] = [
    ("issuer_issuance_request.json", None, Msg::IssuanceRequest),
    ("issuer_lifecycle.json", Some("migrate"), Msg::MigrationIntent),
    ("issuer_lifecycle.json", Some("holder_action"), Msg::HolderAction),
    ("issuer_lifecycle.json", Some("device_revocation"), Msg::DeviceRevocation),
    ("issuer_lifecycle.json", Some("acknowledge_wipe"), Msg::WipeReceipt),
    ("status_request.json", None, Msg::StatusRequest),
    ("status_feed.json", Some("feed"), Msg::StatusFeed),
    ("verifier_assertion.json", None, Msg::Assertion),
    ("device_issuance_challenge.json", Some("issuance_challenge"), Msg::IssuanceChallenge),
    ("device_issuance_response.json", Some("issuance_response"), Msg::IssuanceResponse),
    ("device_use_request.json", Some("use_request"), Msg::UseRequest),
    ("device_wipe_command.json", Some("wipe_command"), Msg::WipeCommand),
];

/// The flag of these tests; its note names ENC-018.
pub(super) const FLAG: &str = "Misdelivered";

/// What a receiver of `at` answers `given` by ENC-018 and the rules it
/// points to; `None` when the shapes alone do not decide it (the test is
/// left out). `signer` is the code of the signer's checks, asked only for a
/// payload of the endpoint's very shape.
fn expected(at: Msg, given: Msg, signer: impl FnOnce() -> Code) -> Option<Code> {
    let same_shape = matches!((at, given), (Msg::WipeCommand, Msg::WipeReceipt) | (Msg::WipeReceipt, Msg::WipeCommand));
    match (signed(at), signed(given)) {
        _ if same_shape => Some(signer()),
        (true, false) => Some(Code::WrongTag),
        (false, true) => Some(Code::Malformed),
        // the challenge's nonce would be read as the card's COSE_Sign1: what
        // 32 seeded bytes decode to is chance, not a rule
        (false, false) if at == Msg::IssuanceRequest && given == Msg::IssuanceChallenge => None,
        // every other pair differs in a defined field's type (key 1, or key
        // 2 or 3 where key 1 agrees: a 16-byte id read as a serial, an
        // assertion's rp hash read as a nonce, a receipt's action read as a
        // holder action)
        _ => Some(Code::Malformed),
    }
}

/// The signer's checks for a message of the endpoint's shape signed for
/// another purpose: each certificate's validity at `clock`, leaf up, then
/// the anchor's (PKI-004 before PKI-003 for each), then the purpose.
fn signer_code(message: &[u8], group: &VectorGroup) -> Code {
    let provider = default_provider();
    let signed = decode_sign1(message, &Limits::V0).unwrap();
    let mut certs = signed.x5chain().unwrap();
    certs.push(hex::decode(&group.trust_anchors["mobile"]).unwrap());
    for der in certs {
        let cert = ParsedCert::parse(provider, &der).unwrap();
        if group.clock < cert.not_before {
            return Code::CertNotYetValid;
        }
        if group.clock > cert.not_after {
            return Code::CertExpired;
        }
    }
    Code::WrongPurpose
}

/// One message to deliver elsewhere: what it is and its bytes.
struct Sample {
    message: Msg,
    bytes: Vec<u8>,
}

fn first_valid<'a>(file: &'a VectorFile, endpoint: Option<&str>) -> Option<(usize, &'a VectorTest)> {
    file.test_groups.iter().enumerate().find_map(|(g, group)| {
        group
            .tests
            .iter()
            .find(|t| t.endpoint.as_deref() == endpoint && t.result == "valid" && t.derive.is_none())
            .map(|t| (g, t))
    })
}

/// The first valid message of every endpoint with fixed bytes, plus the
/// Receipt of the client file and Status's answer of the verifier file.
fn samples(files: &BTreeMap<String, VectorFile>) -> Vec<Sample> {
    let mut out = Vec::new();
    for (name, endpoint, message) in RECEIVED {
        if let Some((_, test)) = first_valid(&files[name], endpoint) {
            out.push(Sample { message, bytes: hex::decode(&test.input).unwrap() });
        }
    }
    if let Some((_, test)) = first_valid(&files["client_receipt.json"], None) {
        out.push(Sample { message: Msg::Receipt, bytes: hex::decode(&test.input).unwrap() });
    }
    let verifier = &files["verifier_assertion.json"];
    let answer = verifier.test_groups.iter().flat_map(|g| &g.tests).find_map(|t| match (&t.status, &t.result[..]) {
        (Some(StatusAnswerJson::Response(hex)), "valid") => Some(hex::decode(hex).unwrap()),
        _ => None,
    });
    if let Some(bytes) = answer {
        out.push(Sample { message: Msg::StatusResponse, bytes });
    }
    out
}

fn name(message: Msg) -> String {
    format!("{message:?}")
}

/// Adds the misdelivered tests to every file that receives a message, in
/// the group of that endpoint's first valid test; numbering is left to the
/// framing pass that follows.
pub(super) fn add(files: &mut BTreeMap<String, VectorFile>) {
    let samples = samples(files);
    for (file_name, endpoint, at) in RECEIVED {
        let file = files.get_mut(file_name).unwrap();
        let verifier = file.role == "verifier";
        let base = file.test_groups.iter().enumerate().find_map(|(g, group)| {
            group
                .tests
                .iter()
                .find(|t| t.endpoint.as_deref() == endpoint && t.result == "valid")
                .map(|t| (g, t.clone()))
        });
        let Some((g, base)) = base else { panic!("{file_name}: no valid test at {endpoint:?}") };
        let group = &file.test_groups[g];
        let mut added = Vec::new();
        for sample in samples.iter().filter(|s| s.message != at) {
            let Some(code) = expected(at, sample.message, || signer_code(&sample.bytes, group)) else { continue };
            let mut flags = vec![FLAG.to_owned()];
            if verifier {
                // refused by decoding: Status is never asked (USE-009)
                flags.push("NoStatusQuery".into());
            }
            added.push(VectorTest {
                tc_id: 0,
                comment: format!("a valid {} delivered where a {} is due", name(sample.message), name(at)),
                input: hex::encode(&sample.bytes),
                endpoint: endpoint.map(str::to_owned),
                derive: None,
                status: base.status.clone(),
                result: "invalid".into(),
                code: Some(code.as_str().to_owned()),
                flags,
            });
        }
        // Status's answer, nested in a sound use, replaced by another message
        if verifier {
            let nested = group
                .tests
                .iter()
                .find(|t| t.result == "valid" && matches!(t.status, Some(StatusAnswerJson::Response(_))));
            let nested = nested.expect("a sound use with Status's answer").clone();
            for sample in samples.iter().filter(|s| s.message != Msg::StatusResponse) {
                let code = expected(Msg::StatusResponse, sample.message, || unreachable!()).unwrap();
                added.push(VectorTest {
                    tc_id: 0,
                    comment: format!("Status's answer: a valid {} in its place", name(sample.message)),
                    input: nested.input.clone(),
                    endpoint: None,
                    derive: None,
                    status: Some(StatusAnswerJson::Response(hex::encode(&sample.bytes))),
                    result: "invalid".into(),
                    code: Some(code.as_str().to_owned()),
                    flags: vec![FLAG.to_owned(), "StatusEncoding".to_owned()],
                });
            }
        }
        file.test_groups[g].tests.extend(added);
    }
}
