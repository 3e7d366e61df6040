//! The qualification mdoc (spec/qualification.md) as checks: issued with
//! the certificates and sharing the auth certificate's life, presented
//! with selective disclosure and consent, read by a reader that checks the
//! issuer, digests, validity, device signature and status. Each
//! expectation comes from a QUA requirement; the SUT is judged by its wire
//! answers only (the device's output by the spec's reader rules, run here).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::{self, Limits};
use jpki_reference::constants::{MDOC_PRESENTATIONS_PER_MSO, MSO_LIFETIME_SECS};
use jpki_reference::device::UserVerification;
use jpki_reference::mdoc::mso::{ELEMENTS, IssuerSigned};
use jpki_reference::mdoc::reader::{self, Asked};
use jpki_reference::mdoc::session::{MdocPresentation, MdocRequest};
use jpki_reference::mdoc::{DOC_TYPE, NAMESPACE, cbor};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::issuance::IssuanceResponse;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::pki::ParsedCert;
use jpki_reference::world::{Hop, IssueParams, LifecycleParams, SHOP_RP, World};

use super::context::{self, accepted, fail, fail_on, refused, refused_under, same, step};
use super::lifecycle::attributes;

const BIO: UserVerification = UserVerification::BIOMETRIC;

/// A holder with phone "phone" holding both kinds and `count` mdocs, and a spare phone "new".
fn world(count: usize) -> (World, Vec<u8>) {
    let mut w = super::served::world(0);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("phone");
    w.add_device("new");
    let response = w.issue("hanako", "phone", &IssueParams { qualification: count, ..IssueParams::both(1) }).unwrap();
    (w, response)
}

/// A reading by the shop's reader of `asked` from `device`, the holder approving `approved`.
fn read(
    w: &mut World,
    device: &str,
    asked: &[&str],
    approved: &[&str],
) -> Result<Vec<String>, jpki_reference::world::FlowError> {
    let request = w.mdoc_request(SHOP_RP, asked)?;
    let presentation = w.present_mdoc(device, &request, approved, BIO)?;
    let reading = w.verify_mdoc(SHOP_RP, &presentation)?;
    Ok(reading.elements.keys().cloned().collect())
}

/// The elements a presentation releases, judged by the spec's reader rules
/// for `request` (QUA-006: the device signed this session's transcript).
fn released(w: &World, request: &[u8], presentation: &[u8]) -> Vec<String> {
    let provider = w.provider();
    let request = MdocRequest::from_bytes(request).unwrap();
    let presentation = MdocPresentation::from_bytes(presentation)
        .unwrap_or_else(|e| fail_on("QUA-016", "an MdocPresentation", format!("undecodable: {e}")));
    let docs = reader::read_device_response(provider, &presentation.device_response)
        .unwrap_or_else(|e| fail_on("QUA-016", "a DeviceResponse", format!("undecodable: {e}")));
    let doc = docs.first().unwrap_or_else(|| fail_on("QUA-006", "one document", "none"));
    // judge the signature over this request's transcript, whatever was released
    let everything: Vec<String> = ELEMENTS.iter().map(|e| (*e).to_owned()).collect();
    let asked = Asked { rp_id: &request.rp_id, nonce: &request.nonce, elements: &everything };
    if let Err(e) =
        reader::check_response(provider, None, w.mobile_anchor(), &asked, &presentation.device_response, w.now())
    {
        // the wallet's own rule for its signature (QUA-006); the issuer's parts keep theirs
        let rule = if e.code == Code::DeviceAuthFailed { "QUA-006" } else { e.code.requirement() };
        fail_on(
            rule,
            "a response the spec's reader checks take, signed over this session's transcript",
            format!("{e}"),
        );
    }
    doc.issuer_signed.namespaces.values().flatten().map(|i| i.identifier.clone()).collect()
}

pub(crate) fn issued_with_the_certificates() {
    let (mut w, response) = world(2);
    step("QUA-002");
    let response =
        IssuanceResponse::from_bytes(&response).unwrap_or_else(|e| fail("an IssuanceResponse", format!("{e}")));
    same(response.mdocs.len(), 2, "one mdoc per qualification key");
    let auth = response.certs.iter().find(|c| c.kind == jpki_reference::msgs::Kind::Auth).unwrap();
    let auth = ParsedCert::parse(w.provider(), &auth.cert).unwrap();
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for bytes in &response.mdocs {
        let value = cbor::decode(bytes).unwrap_or_else(|e| fail("an IssuerSigned", format!("{e}")));
        let signed =
            IssuerSigned::from_value(w.provider(), value).unwrap_or_else(|e| fail("an IssuerSigned", format!("{e}")));
        if let Err(e) = signed.check_issuer(w.provider(), w.mobile_anchor(), w.now()) {
            fail("issuerAuth by a document signer under the mobile root", format!("{e}"));
        }
        if let Err(e) = signed.check_digests(w.provider()) {
            fail("every item's digest in the MSO", format!("{e}"));
        }
        let mso = &signed.mso;
        same(mso.doc_type.as_str(), DOC_TYPE, "docType");
        let items = &signed.namespaces[NAMESPACE];
        let mut names: Vec<&str> = items.iter().map(|i| i.identifier.as_str()).collect();
        names.sort();
        let mut expected = ELEMENTS.to_vec();
        expected.sort();
        same(names, expected, "the qualification's elements");
        same(mso.value_digests[NAMESPACE].len(), items.len(), "one digest per item and no other");
        same(mso.valid_from, w.now(), "validFrom is the issuance time");
        same(mso.signed, w.now(), "signed is the issuance time");
        let until = auth.not_after.min(w.now() + MSO_LIFETIME_SECS);
        same(mso.valid_until, until, "validUntil: 30 days, capped by the auth certificate's notAfter");
        let id = mso.status_id.clone().unwrap_or_else(|| fail("a status identifier", "none"));
        same(id.len(), 16, "status identifier length");
        ids.push(id);
        keys.push(mso.device_key.clone());
    }
    if ids[0] == ids[1] || keys[0] == keys[1] {
        fail("distinct status identifiers and device keys per MSO", "a repeat");
    }
    step("QUA-003");
    // Status answers each identifier as the auth certificate: good
    let elements = accepted(read(&mut w, "phone", &["qualified"], &["qualified"]), "a reading");
    same(elements, vec!["qualified".to_owned()], "what was read");
    step("QUA-001");
    // qualification keys come only with an auth key
    let sign_only =
        IssueParams { kinds: vec![jpki_reference::msgs::Kind::Sign], qualification: 1, ..IssueParams::both(2) };
    refused_under(w.issue("hanako", "new", &sign_only), Code::Malformed, "QUA-001");
    context::no_violations(&w);
}

pub(crate) fn present_with_selective_disclosure() {
    let (mut w, _) = world(1);
    step("QUA-005");
    let request = accepted(w.mdoc_request(SHOP_RP, &["insurer_name", "qualified"]), "a reader's request");
    let presentation = accepted(w.present_mdoc("phone", &request, &ELEMENTS, BIO), "a presentation");
    let mut shown = released(&w, &request, &presentation);
    shown.sort();
    same(shown, vec!["insurer_name".to_owned(), "qualified".to_owned()], "released: asked and approved, no other");
    // asked for two, approved one: that one only
    let request = accepted(w.mdoc_request(SHOP_RP, &["insurer_name", "qualified"]), "a reader's request");
    let presentation =
        accepted(w.present_mdoc("phone", &request, &["qualified", "insurer_number"], BIO), "a presentation");
    same(released(&w, &request, &presentation), vec!["qualified".to_owned()], "released");
    step("QUA-014");
    let reading = accepted(w.verify_mdoc(SHOP_RP, &presentation), "the reading");
    same(reading.elements.get("qualified"), Some(&Value::Bool(true)), "the reader's reading");
    same(reading.elements.len(), 1, "elements read");
    context::no_violations(&w);
}

pub(crate) fn present_without_consent() {
    let (mut w, _) = world(1);
    step("QUA-005");
    let request = accepted(w.mdoc_request(SHOP_RP, &["qualified"]), "a reader's request");
    refused(w.present_mdoc("phone", &request, &[], BIO), Code::ConsentDeclined);
    // approving only what was not asked is no consent to what was
    refused(w.present_mdoc("phone", &request, &["insurer_number"], BIO), Code::ConsentDeclined);
    // and the refusals used none of the MSO's presentations
    step("QUA-007");
    for _ in 0..MDOC_PRESENTATIONS_PER_MSO {
        accepted(w.present_mdoc("phone", &request, &["qualified"], BIO), "a presentation within the bound");
    }
    context::no_violations(&w);
}

pub(crate) fn each_mso_serves_a_bounded_number() {
    let (mut w, response) = world(2);
    let request = accepted(w.mdoc_request(SHOP_RP, &["qualified"]), "a reader's request");
    step("QUA-007");
    // two MSOs, the least used first: each serves its bound, then none is left
    let mut keys = Vec::new();
    for _ in 0..2 * MDOC_PRESENTATIONS_PER_MSO {
        let presentation = accepted(w.present_mdoc("phone", &request, &["qualified"], BIO), "a presentation");
        keys.push(device_key_of(&w, &presentation));
    }
    refused(w.present_mdoc("phone", &request, &["qualified"], BIO), Code::MdocExhausted);
    // the least used each time, the first issued of equals: the two alternate, first one first
    if keys[0] == keys[1] {
        fail("the second presentation with the other, least used MSO", "the same MSO twice");
    }
    for (i, key) in keys.iter().enumerate() {
        same(key, &keys[i % 2], "the MSO of each presentation (least used, first issued of equals)");
    }
    let first = device_key_of_issued(&w, &response, 0);
    same(&keys[0], &first, "the first presentation's MSO: the first issued");
    context::no_violations(&w);
}

/// The device key the `index`th MSO of an IssuanceResponse names.
fn device_key_of_issued(w: &World, response: &[u8], index: usize) -> Vec<u8> {
    let response = IssuanceResponse::from_bytes(response).unwrap();
    let signed = IssuerSigned::from_value(w.provider(), cbor::decode(&response.mdocs[index]).unwrap()).unwrap();
    signed.mso.device_key.to_sec1_uncompressed().to_vec()
}

/// The device key the MSO of a presentation names.
fn device_key_of(w: &World, presentation: &[u8]) -> Vec<u8> {
    let p = MdocPresentation::from_bytes(presentation).unwrap();
    let docs = reader::read_device_response(w.provider(), &p.device_response)
        .unwrap_or_else(|e| fail_on("QUA-016", "a DeviceResponse", format!("{e}")));
    docs[0].issuer_signed.mso.device_key.to_sec1_uncompressed().to_vec()
}

pub(crate) fn wallet_installs_only_sound_mdocs() {
    let mut w = super::served::world(0);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("phone");
    w.set_tamper(|hop, bytes| {
        if hop == Hop::IssuanceResponse {
            *bytes = with_broken_issuer_signature(bytes);
        }
    });
    step("QUA-004");
    let params = IssueParams { qualification: 1, ..IssueParams::both(1) };
    refused_under(w.issue("hanako", "phone", &params), Code::BadSignature, "QUA-004");
    // nothing of the response was installed: no certificate, no mdoc
    same(w.installed_serials("phone").unwrap_or_default(), Vec::<Vec<u8>>::new(), "certificates installed");
    w.clear_tamper();
    let request = accepted(w.mdoc_request(SHOP_RP, &["qualified"]), "a reader's request");
    refused_under(w.present_mdoc("phone", &request, &["qualified"], BIO), Code::MdocExhausted, "QUA-004");
}

/// The IssuanceResponse with its first mdoc's issuerAuth signature changed.
fn with_broken_issuer_signature(response: &[u8]) -> Vec<u8> {
    let Ok(mut parsed) = IssuanceResponse::from_bytes(response) else { return response.to_vec() };
    if let Some(first) = parsed.mdocs.first_mut() {
        let mut value = cbor::decode(first).unwrap();
        let Value::Map(entries) = &mut value else { return response.to_vec() };
        for (key, auth) in entries.iter_mut() {
            if key.as_text() == Some("issuerAuth") {
                if let Value::Array(parts) = auth {
                    if let Some(Value::Bytes(signature)) = parts.get_mut(3) {
                        signature[0] ^= 1;
                    }
                }
            }
        }
        *first = codec::encode(&value).unwrap();
    }
    parsed.to_bytes().unwrap()
}

pub(crate) fn wipe_deletes_the_mdocs() {
    let (mut w, _) = world(1);
    w.set_online("phone", false);
    w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(3)).unwrap();
    w.set_online("phone", true);
    accepted(w.sync_device("phone"), "the wipe");
    step("QUA-015");
    let request = accepted(w.mdoc_request(SHOP_RP, &["qualified"]), "a reader's request");
    refused_under(w.present_mdoc("phone", &request, &["qualified"], BIO), Code::MdocExhausted, "QUA-015");
    context::no_violations(&w);
    // a phone released for trade-in deletes them too
    let (mut w, _) = world(1);
    let params = LifecycleParams::with_key(4);
    accepted(w.revoke_from_device("phone", RevocationReason::DeviceReleased, &params), "the release");
    let request = accepted(w.mdoc_request(SHOP_RP, &["qualified"]), "a reader's request");
    refused_under(w.present_mdoc("phone", &request, &["qualified"], BIO), Code::MdocExhausted, "QUA-015");
    context::no_violations(&w);
}

/// A presentation with its DeviceResponse rewritten by `edit`, nonce kept.
fn edited(presentation: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut p = MdocPresentation::from_bytes(presentation).unwrap();
    let mut response = codec::decode(&p.device_response, &Limits::MDOC).unwrap();
    edit(&mut response);
    p.device_response = codec::encode(&response).unwrap();
    p.to_bytes().unwrap()
}

fn entry<'a>(map: &'a mut Value, key: &str) -> &'a mut Value {
    let Value::Map(entries) = map else { panic!("not a map") };
    &mut entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)).unwrap().1
}

/// The items array of the one document's namespace.
fn items(response: &mut Value) -> &mut Vec<Value> {
    let Value::Array(documents) = entry(response, "documents") else { panic!("documents") };
    let namespaces = entry(entry(&mut documents[0], "issuerSigned"), "nameSpaces");
    let Value::Array(items) = entry(namespaces, NAMESPACE) else { panic!("items") };
    items
}

pub(crate) fn reader_refuses_a_changed_element() {
    let (mut w, _) = world(1);
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let presentation = w.present_mdoc("phone", &request, &["qualified"], BIO).unwrap();
    // "qualified": true becomes false; the device signature does not cover issuer items
    let forged = edited(&presentation, |response| {
        let item = &mut items(response)[0];
        let (bytes, mut inner) = cbor::unembed(item.clone(), "item").unwrap();
        let _ = bytes;
        *entry(&mut inner, "elementValue") = Value::Bool(false);
        *item = cbor::embed(&inner).unwrap();
    });
    step("QUA-010");
    refused(w.verify_mdoc(SHOP_RP, &forged), Code::ItemDigestMismatch);
    // the genuine one still reads
    step("QUA-014");
    accepted(w.verify_mdoc(SHOP_RP, &presentation), "the genuine presentation");
    context::no_violations(&w);
}

pub(crate) fn reader_refuses_an_expired_mso() {
    let (mut w, _) = world(1);
    // the last second of validity reads; the next does not
    w.advance(MSO_LIFETIME_SECS);
    step("QUA-011");
    accepted(read(&mut w, "phone", &["qualified"], &["qualified"]), "a reading at validUntil");
    w.advance(1);
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let presentation = w.present_mdoc("phone", &request, &["qualified"], BIO).unwrap();
    refused(w.verify_mdoc(SHOP_RP, &presentation), Code::MdocExpired);
    context::no_violations(&w);
}

pub(crate) fn reader_refuses_another_sessions_signature() {
    let (mut w, _) = world(1);
    let first = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let second = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let answered = w.present_mdoc("phone", &first, &["qualified"], BIO).unwrap();
    // the first session's response handed in for the second session
    let mut moved = MdocPresentation::from_bytes(&answered).unwrap();
    moved.nonce = MdocRequest::from_bytes(&second).unwrap().nonce;
    step("QUA-013");
    refused(w.verify_mdoc(SHOP_RP, &moved.to_bytes().unwrap()), Code::DeviceAuthFailed);
    step("QUA-008");
    accepted(w.verify_mdoc(SHOP_RP, &answered), "the first session's own response");
    refused(w.verify_mdoc(SHOP_RP, &answered), Code::NonceReused);
    // a reading's nonce answers a presentation only: an auth assertion over it is no use
    let third = MdocRequest::from_bytes(&w.mdoc_request(SHOP_RP, &["qualified"]).unwrap()).unwrap();
    let use_request = jpki_reference::msgs::usage::UseRequest {
        rp_id: third.rp_id,
        nonce: third.nonce,
        purpose: jpki_reference::verifier::MDOC_PURPOSE.into(),
        time: w.now(),
        kind: jpki_reference::msgs::Kind::Auth,
        document_digest: None,
    };
    let assertion = w.assertion("phone", &use_request.to_bytes().unwrap(), BIO).unwrap();
    refused_under(w.verify(SHOP_RP, &assertion), Code::NonceUnknown, "QUA-008");
    context::no_violations(&w);
}

pub(crate) fn reader_refuses_unrequested_elements() {
    let (mut w, _) = world(1);
    let wide = w.mdoc_request(SHOP_RP, &["insurer_name", "qualified"]).unwrap();
    let wide = w.present_mdoc("phone", &wide, &["insurer_name", "qualified"], BIO).unwrap();
    let mut extra = None;
    edited(&wide, |response| extra = items(response).iter().find(|i| item_name(i) == "insurer_name").cloned());
    let narrow = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let narrow = w.present_mdoc("phone", &narrow, &["qualified"], BIO).unwrap();
    // the same MSO's genuine item, spliced in: digests and signatures all hold
    let widened = edited(&narrow, |response| items(response).push(extra.clone().unwrap()));
    step("QUA-012");
    refused(w.verify_mdoc(SHOP_RP, &widened), Code::NotRequested);
    context::no_violations(&w);
}

pub(crate) fn reader_checks_the_issuer() {
    let (mut w, _) = world(1);
    step("QUA-009");
    // the document says another docType: not what was asked
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let presentation = w.present_mdoc("phone", &request, &["qualified"], BIO).unwrap();
    let other_doc = edited(&presentation, |response| {
        let Value::Array(documents) = entry(response, "documents") else { panic!("documents") };
        *entry(&mut documents[0], "docType") = Value::Text("org.iso.18013.5.1.mDL".into());
    });
    refused_under(w.verify_mdoc(SHOP_RP, &other_doc), Code::NotRequested, "QUA-009");
    // the MSO's signature broken: the issuer's signature does not verify
    let broken = edited(&presentation, |response| {
        let Value::Array(documents) = entry(response, "documents") else { panic!("documents") };
        let Value::Array(parts) = entry(entry(&mut documents[0], "issuerSigned"), "issuerAuth") else {
            panic!("issuerAuth")
        };
        let Value::Bytes(signature) = &mut parts[3] else { panic!("signature") };
        signature[0] ^= 1;
    });
    refused_under(w.verify_mdoc(SHOP_RP, &broken), Code::BadSignature, "QUA-009");
    accepted(w.verify_mdoc(SHOP_RP, &presentation), "the genuine presentation");
    context::no_violations(&w);
}

fn item_name(item: &Value) -> String {
    let (_, mut inner) = cbor::unembed(item.clone(), "item").unwrap();
    entry(&mut inner, "elementIdentifier").as_text().unwrap().to_owned()
}

pub(crate) fn reader_decodes_as_the_standard_allows() {
    let (mut w, _) = world(1);
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let presentation = w.present_mdoc("phone", &request, &["qualified"], BIO).unwrap();
    step("QUA-016");
    // trailing bytes after the DeviceResponse: not one well-formed item
    let mut p = MdocPresentation::from_bytes(&presentation).unwrap();
    p.device_response.push(0x00);
    refused(w.verify_mdoc(SHOP_RP, &p.to_bytes().unwrap()), Code::TrailingBytes);
    // the same response with its maps' keys in reverse order: 18013-5 lets a sender order them
    let mut p = MdocPresentation::from_bytes(&presentation).unwrap();
    let mut response = codec::decode(&p.device_response, &Limits::MDOC).unwrap();
    reverse_maps(&mut response);
    let mut reordered = Vec::new();
    ciborium::ser::into_writer(&response, &mut reordered).unwrap();
    p.device_response = reordered;
    accepted(w.verify_mdoc(SHOP_RP, &p.to_bytes().unwrap()), "a response whose maps are in another key order");
    context::no_violations(&w);
}

/// Reverses the key order of every map outside embedded CBOR.
fn reverse_maps(value: &mut Value) {
    match value {
        Value::Map(entries) => {
            entries.reverse();
            entries.iter_mut().for_each(|(_, v)| reverse_maps(v));
        }
        Value::Array(items) => items.iter_mut().for_each(reverse_maps),
        _ => {}
    }
}

pub(crate) fn revoke_and_be_refused() {
    let (mut w, _) = world(1);
    w.set_online("phone", false);
    w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(3)).unwrap();
    // the lost phone, before it is wiped, presents: the reader must hear "revoked" from Status
    step("QUA-003");
    refused_under(read(&mut w, "phone", &["qualified"], &["qualified"]), Code::CertRevoked, "QUA-003");
    context::no_violations(&w);
}

pub(crate) fn suspend_and_resume() {
    let (mut w, _) = world(1);
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(3)).unwrap();
    step("QUA-003");
    refused_under(read(&mut w, "phone", &["qualified"], &["qualified"]), Code::CertSuspended, "QUA-003");
    w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(4)).unwrap();
    accepted(read(&mut w, "phone", &["qualified"], &["qualified"]), "a reading after the hold is lifted");
    context::no_violations(&w);
}

pub(crate) fn migrate_and_present_from_the_new_phone() {
    let (mut w, _) = world(1);
    let old = w.installed_serials("phone").unwrap();
    w.set_online("phone", false);
    // path B: the card moves everything to the new phone, qualification included
    let params = IssueParams { replaces: old, qualification: 1, ..IssueParams::both(5) };
    accepted(w.issue("hanako", "new", &params), "the migration with the card");
    step("QUA-003");
    accepted(read(&mut w, "new", &["qualified"], &["qualified"]), "a reading from the new phone");
    refused_under(read(&mut w, "phone", &["qualified"], &["qualified"]), Code::CertRevoked, "QUA-003");
    context::no_violations(&w);
}

/// The qualification checks as registry entries (the refusals with a code
/// of their own are registry cases: `registry::consent_declined` and the
/// others, in registry.rs).
pub(crate) fn checks() -> Vec<super::Check> {
    use super::Feature::*;
    use super::{Check, CheckKind, Role};
    let scenario = |id: &str, title: &str, role, requirements: &[&str], features: Vec<super::Feature>, run: fn()| {
        Check::new(&format!("qualification::{id}"), title, role, CheckKind::Scenario, requirements, features, run)
    };
    vec![
        scenario(
            "issue",
            "the Issuer signs one MSO per attested key with the certificates, each readable while the auth certificate is good",
            Role::Issuer,
            &["QUA-001", "QUA-002", "QUA-003"],
            vec![Issuance, Qualification],
            issued_with_the_certificates,
        ),
        scenario(
            "present-with-selective-disclosure",
            "the wallet releases only the requested elements the holder approved, signed over the session",
            Role::Device,
            &["QUA-005", "QUA-006", "QUA-014"],
            vec![Issuance, Qualification],
            present_with_selective_disclosure,
        ),
        scenario(
            "install-only-sound-mdocs",
            "the wallet installs nothing of a response whose MSO signature is broken",
            Role::Device,
            &["QUA-004"],
            vec![Issuance, Qualification],
            wallet_installs_only_sound_mdocs,
        ),
        scenario(
            "wipe-deletes-the-mdocs",
            "a remote wipe deletes the qualification mdocs with the certificates",
            Role::Device,
            &["QUA-015"],
            vec![Issuance, Qualification, RemoteWipe],
            wipe_deletes_the_mdocs,
        ),
        scenario(
            "reader-checks-the-issuer",
            "the reader refuses another docType and a broken issuer signature",
            Role::Verifier,
            &["QUA-009"],
            vec![Issuance, Qualification],
            reader_checks_the_issuer,
        ),
        scenario(
            "reader-decodes-as-the-standard-allows",
            "the reader refuses a response that is not one well-formed item and takes one with maps in another key order",
            Role::Verifier,
            &["QUA-016"],
            vec![Issuance, Qualification],
            reader_decodes_as_the_standard_allows,
        ),
        scenario(
            "revoke-and-be-refused",
            "a lost-phone report revokes the mdoc with the certificate: the reader hears revoked",
            Role::Issuer,
            &["QUA-003", "QUA-014"],
            vec![Issuance, Qualification, RemoteWipe],
            revoke_and_be_refused,
        ),
        scenario(
            "suspend-and-resume",
            "a hold suspends the mdoc with the certificate, and lifting it brings both back",
            Role::Issuer,
            &["QUA-003"],
            vec![Issuance, Qualification, Suspension],
            suspend_and_resume,
        ),
        scenario(
            "migrate-and-present-from-the-new-phone",
            "a card migration moves the qualification: the new phone reads, the old phone's MSO is revoked",
            Role::Issuer,
            &["QUA-003"],
            vec![Issuance, Qualification, MigrationCard],
            migrate_and_present_from_the_new_phone,
        ),
    ]
}

/// The property runs' qualification reading (`Op::ReadQualification`):
/// `device` answers the reader `rp` asking for the elements of bit mask
/// `asked` (at least one), the holder approving those of `approved`;
/// `defect` 1 changes a released value in flight, 2 hands the response in
/// for another session of the reader. The outcome as a comparable string:
/// the wallet's refusal code, or what it released (`released[…]`, read with
/// the spec's decoders) and the reader's verdict (its code, or `ok[elements
/// read]`; the status identifier is the SUT's random choice, left out).
pub(crate) fn property_reading(w: &mut World, device: &str, rp: &str, asked: u8, approved: u8, defect: u8) -> String {
    let named = |mask: u8| -> Vec<&str> {
        ELEMENTS.iter().enumerate().filter(|(i, _)| (mask >> i) & 1 == 1).map(|(_, e)| *e).collect()
    };
    let (asked, approved) = (named(asked.max(1)), named(approved));
    let request = match w.mdoc_request(rp, &asked) {
        Ok(request) => request,
        Err(e) => return e.code().as_str().into(),
    };
    let other = match defect {
        2 => match w.mdoc_request(rp, &asked) {
            Ok(other) => MdocRequest::from_bytes(&other).ok().map(|o| o.nonce),
            Err(e) => return e.code().as_str().into(),
        },
        _ => None,
    };
    let mut presentation = match w.present_mdoc(device, &request, &approved, BIO) {
        Ok(presentation) => presentation,
        Err(e) => return e.code().as_str().into(),
    };
    if defect == 1 {
        // a released value changed in flight: the first item's value becomes another
        presentation = with_changed_value(&presentation).unwrap_or(presentation);
    }
    if let (Some(nonce), Ok(mut moved)) = (other, MdocPresentation::from_bytes(&presentation)) {
        moved.nonce = nonce;
        presentation = moved.to_bytes().unwrap_or(presentation);
    }
    let verdict = match w.verify_mdoc(rp, &presentation) {
        Ok(reading) => format!("ok[{}]", reading.elements.keys().cloned().collect::<Vec<_>>().join(" ")),
        Err(e) => e.code().as_str().into(),
    };
    format!("{},{verdict}", released_words(w, &presentation))
}

/// What a presentation releases, read with the spec's decoders: `released[…]`
/// (sorted), or `undecodable`.
fn released_words(w: &World, presentation: &[u8]) -> String {
    let shown = MdocPresentation::from_bytes(presentation)
        .and_then(|p| reader::read_device_response(w.provider(), &p.device_response));
    match shown {
        Ok(documents) => {
            let mut names: Vec<&str> = documents
                .iter()
                .flat_map(|d| d.issuer_signed.namespaces.values().flatten().map(|i| i.identifier.as_str()))
                .collect();
            names.sort();
            format!("released[{}]", names.join(" "))
        }
        Err(_) => "undecodable".into(),
    }
}

/// The presentation with its first released item's value replaced (the
/// item re-embedded, its digest left as the MSO lists it); `None` when it
/// does not decode as a DeviceResponse with an item.
fn with_changed_value(presentation: &[u8]) -> Option<Vec<u8>> {
    let mut p = MdocPresentation::from_bytes(presentation).ok()?;
    let mut response = codec::decode(&p.device_response, &Limits::MDOC).ok()?;
    let item = first_item(&mut response)?;
    let (_, mut inner) = cbor::unembed(item.clone(), "item").ok()?;
    let Value::Map(entries) = &mut inner else { return None };
    let value = &mut entries.iter_mut().find(|(k, _)| k.as_text() == Some("elementValue"))?.1;
    *value = match value {
        Value::Bool(b) => Value::Bool(!*b),
        _ => Value::Text("changed".into()),
    };
    *item = cbor::embed(&inner).ok()?;
    p.device_response = codec::encode(&response).ok()?;
    p.to_bytes().ok()
}

/// The first item of the first namespace of the first document.
fn first_item(response: &mut Value) -> Option<&mut Value> {
    let Value::Map(top) = response else { return None };
    let documents = &mut top.iter_mut().find(|(k, _)| k.as_text() == Some("documents"))?.1;
    let Value::Array(documents) = documents else { return None };
    let Value::Map(document) = documents.first_mut()? else { return None };
    let signed = &mut document.iter_mut().find(|(k, _)| k.as_text() == Some("issuerSigned"))?.1;
    let Value::Map(signed) = signed else { return None };
    let namespaces = &mut signed.iter_mut().find(|(k, _)| k.as_text() == Some("nameSpaces"))?.1;
    let Value::Map(namespaces) = namespaces else { return None };
    let Value::Array(items) = &mut namespaces.first_mut()?.1 else { return None };
    items.first_mut()
}
