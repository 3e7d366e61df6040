//! Interoperability between the jpki-mobile reference and isomdl 0.2.0
//! (spec/qualification.md §10): (a) a qualification mdoc the reference
//! issues and presents is verified by isomdl's reader code; (b) a
//! DeviceResponse isomdl issues and presents is verified by the reference's
//! reader checks.

use jpki_interop_isomdl::{isomdl_present, isomdl_verify};
use jpki_reference::codec;
use jpki_reference::crypto::default_provider;
use jpki_reference::device::UserVerification;
use jpki_reference::mdoc::mso::Eligibility;
use jpki_reference::mdoc::reader::{check_response, Asked};
use jpki_reference::mdoc::session::{session_transcript, MdocPresentation, MdocRequest};
use jpki_reference::mdoc::{DOC_TYPE, NAMESPACE};
use jpki_reference::msgs::Message;
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::ReferenceSetup;
use jpki_reference::world::{IssueParams, World, SHOP_RP, WORLD_START};
use jpki_reference::Code;

const SEED: [u8; 32] = [0x51; 32];

fn world() -> World {
    let mut w = World::new(SEED).unwrap();
    let attributes = HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: CivilDate::new(1970, 5, 6).unwrap(),
        sex: Sex::Male,
    };
    w.add_holder("ichiro", attributes).unwrap();
    w.add_device("phone");
    w.issue("ichiro", "phone", &IssueParams { qualification: 1, ..IssueParams::both(1) }).unwrap();
    w
}

#[test]
fn isomdl_verifies_what_the_reference_issues_and_presents() {
    let mut w = world();
    let request = w.mdoc_request(SHOP_RP, &["insurer_name", "qualified"]).unwrap();
    let approved = ["insurer_name", "qualified"];
    let presentation = w.present_mdoc("phone", &request, &approved, UserVerification::BIOMETRIC).unwrap();
    let asked = MdocRequest::from_bytes(&request).unwrap();
    let device_response = MdocPresentation::from_bytes(&presentation).unwrap().device_response;
    let transcript = session_transcript(&asked.rp_id, &asked.nonce).unwrap();
    // isomdl's issuer authentication (the MSO's signature by the x5chain's key) and device authentication
    let released = isomdl_verify(&device_response, &transcript).unwrap();
    let mut names: Vec<(&str, &str)> = released.iter().map(|(ns, e, _)| (ns.as_str(), e.as_str())).collect();
    names.sort();
    assert_eq!(names, [(NAMESPACE, "insurer_name"), (NAMESPACE, "qualified")]);
    let qualified = released.iter().find(|(_, e, _)| e == "qualified").unwrap();
    assert_eq!(qualified.2, [0xf5], "true");
    // another session's transcript: isomdl's device authentication refuses
    let other = session_transcript(&asked.rp_id, &[0u8; 32]).unwrap();
    assert!(isomdl_verify(&device_response, &other).is_err());
    // and the reference's own reader takes it too
    w.verify_mdoc(SHOP_RP, &presentation).unwrap();
}

#[test]
fn the_reference_reader_verifies_what_isomdl_issues_and_presents() {
    let provider = default_provider();
    let setup = ReferenceSetup::new(SEED, None).unwrap();
    let signer = setup.issuer_config().unwrap().document_signer;
    let now = WORLD_START;
    let elements: Vec<(String, Vec<u8>)> = Eligibility::test_record(now)
        .elements()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), codec::encode(&value).unwrap()))
        .collect();
    let nonce = [0x24; 32];
    let transcript = session_transcript(SHOP_RP, &nonce).unwrap();
    let release = ["qualified".to_owned(), "insurer_name".to_owned()];
    let made = isomdl_present(
        DOC_TYPE,
        NAMESPACE,
        &elements,
        &release,
        &signer.key.secret.to_bytes(),
        &signer.cert,
        &[0x11; 32],
        now as i64,
        now as i64,
        (now + 86_400) as i64,
        &transcript,
    )
    .unwrap();
    let asked = Asked { rp_id: SHOP_RP, nonce: &nonce, elements: &release };
    let anchor = &setup.mobile_anchor;
    // every local check of the reference's reader: decoding (any key order), the document signer under the
    // mobile root, the signature, every digest, the validity, the device signature over this transcript
    let shown = check_response(provider, None, anchor, &asked, &made.device_response, now).unwrap();
    let mut names: Vec<&str> = shown.elements.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["insurer_name", "qualified"]);
    // isomdl 0.2.0's MSO has no `status` member (its builder offers none), so v0's reader, which asks
    // Status about the MSO's identifier (QUA-014), goes no further than its local checks
    assert_eq!(shown.status_id, None);
    assert_eq!(shown.reading().unwrap_err().code, Code::Malformed);
    // over another session's transcript the device signature fails (QUA-013)
    let other = Asked { rp_id: SHOP_RP, nonce: &[0x25; 32], elements: &release };
    let refused = check_response(provider, None, anchor, &other, &made.device_response, now).unwrap_err();
    assert_eq!(refused.code, Code::DeviceAuthFailed);
    // past validUntil (QUA-011)
    let late = check_response(provider, None, anchor, &asked, &made.device_response, now + 86_401).unwrap_err();
    assert_eq!(late.code, Code::MdocExpired);
}
