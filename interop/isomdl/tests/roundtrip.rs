//! isomdl → isomdl round trips through the byte-level API.

use std::time::Duration;

use ciborium::Value;
use jpki_interop_isomdl::{isomdl_present, isomdl_verify};
use p256::ecdsa::{DerSignature, SigningKey};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

const DOC_TYPE: &str = "jp.jpki-mobile.qualification.1";
const NAMESPACE: &str = "jp.jpki-mobile.qualification.1";

const DS_SECRET: [u8; 32] = [0x11; 32];
const DEVICE_SECRET: [u8; 32] = [0x22; 32];
const OTHER_SECRET: [u8; 32] = [0x33; 32];

const SIGNED: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const VALID_FROM: i64 = SIGNED;
const VALID_UNTIL: i64 = SIGNED + 365 * 24 * 3600;

/// A throwaway self-signed P-256 certificate (x509-cert `Profile::Root`) for the key `secret`,
/// built with x509-cert 0.2's builder (the line isomdl 0.2.0 uses).
fn self_signed_cert(secret: &[u8; 32], cn: &str) -> Vec<u8> {
    let key = SigningKey::from_bytes(secret.into()).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap();
    let subject: Name = format!("CN={cn},O=jpki-mobile interop,C=JP").parse().unwrap();
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        Validity::from_now(Duration::from_secs(3600)).unwrap(),
        subject,
        spki,
        &key,
    )
    .unwrap();
    let cert = builder.build::<DerSignature>().unwrap();
    cert.to_der().unwrap()
}

fn enc(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn elements() -> Vec<(String, Vec<u8>)> {
    vec![
        ("family_name".into(), enc(&Value::Text("Yamada".into()))),
        ("given_name".into(), enc(&Value::Text("Taro".into()))),
        ("qualification_level".into(), enc(&Value::Integer(3.into()))),
        ("issue_date".into(), enc(&Value::Tag(1004, Box::new(Value::Text("2026-01-01".into()))))),
        ("holder_photo".into(), enc(&Value::Bytes(vec![0xFF, 0xD8, 0x00, 0x01]))),
        (
            "privileges".into(),
            enc(&Value::Array(vec![Value::Map(vec![(Value::Text("code".into()), Value::Text("A".into()))])])),
        ),
    ]
}

/// A SessionTranscript of an arbitrary (non-mDL-handover) shape:
/// [DeviceEngagementBytes, EReaderKeyBytes, Handover] with tag-24 wrapped placeholders.
fn transcript(nonce: u8) -> Vec<u8> {
    enc(&Value::Array(vec![
        Value::Tag(24, Box::new(Value::Bytes(enc(&Value::Text("engagement".into()))))),
        Value::Tag(
            24,
            Box::new(Value::Bytes(enc(&Value::Map(vec![(Value::Integer(1.into()), Value::Integer(2.into()))])))),
        ),
        Value::Array(vec![Value::Text("JpkiMobileHandover".into()), Value::Bytes(vec![nonce; 16])]),
    ]))
}

fn release() -> Vec<String> {
    vec!["family_name".into(), "issue_date".into(), "privileges".into()]
}

fn present(ds_cert: &[u8], st: &[u8], release: &[String]) -> Result<Vec<u8>, String> {
    isomdl_present(
        DOC_TYPE,
        NAMESPACE,
        &elements(),
        release,
        &DS_SECRET,
        ds_cert,
        &DEVICE_SECRET,
        SIGNED,
        VALID_FROM,
        VALID_UNTIL,
        st,
    )
    .map(|r| r.device_response)
}

fn sorted(mut v: Vec<(String, String, Vec<u8>)>) -> Vec<(String, String, Vec<u8>)> {
    v.sort();
    v
}

fn expected_released(release: &[String]) -> Vec<(String, String, Vec<u8>)> {
    sorted(
        elements()
            .into_iter()
            .filter(|(id, _)| release.contains(id))
            .map(|(id, v)| (NAMESPACE.to_string(), id, v))
            .collect(),
    )
}

#[test]
fn round_trip_releases_exactly_the_requested_elements() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    let resp = present(&cert, &st, &release()).expect("isomdl_present");
    let got = isomdl_verify(&resp, &st).expect("isomdl_verify");
    assert_eq!(sorted(got), expected_released(&release()));
}

#[test]
fn response_shape_is_18013_5() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    let resp = present(&cert, &st, &release()).unwrap();
    let v: Value = ciborium::from_reader(resp.as_slice()).unwrap();
    let map = v.as_map().expect("DeviceResponse is a map");
    let get = |k: &str| map.iter().find(|(key, _)| key.as_text() == Some(k)).map(|(_, v)| v.clone());
    assert_eq!(get("version"), Some(Value::Text("1.0".into())));
    assert_eq!(get("status"), Some(Value::Integer(0.into())));
    let docs = get("documents").unwrap();
    let doc = docs.as_array().unwrap()[0].as_map().unwrap().clone();
    let doc_type = doc.iter().find(|(k, _)| k.as_text() == Some("docType")).map(|(_, v)| v.clone());
    assert_eq!(doc_type, Some(Value::Text(DOC_TYPE.into())));
}

#[test]
fn single_element_release() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(1);
    let rel = vec!["holder_photo".to_string()];
    let resp = present(&cert, &st, &rel).unwrap();
    assert_eq!(sorted(isomdl_verify(&resp, &st).unwrap()), expected_released(&rel));
}

#[test]
fn unknown_requested_element_is_not_released() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(2);
    let rel = vec!["given_name".to_string(), "no_such_element".to_string()];
    let resp = present(&cert, &st, &rel).unwrap();
    assert_eq!(sorted(isomdl_verify(&resp, &st).unwrap()), expected_released(&["given_name".to_string()]));
}

#[test]
fn tampered_transcript_fails_device_authentication() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    let resp = present(&cert, &st, &release()).unwrap();
    let other = transcript(8);
    let err = isomdl_verify(&resp, &other).expect_err("must fail with another transcript");
    assert!(err.contains("device_authentication"), "{err}");
}

#[test]
fn ds_certificate_for_another_key_fails_issuer_authentication() {
    // issuerAuth is signed with DS_SECRET but the x5chain carries a certificate for another key.
    let wrong_cert = self_signed_cert(&OTHER_SECRET, "not the DS");
    let st = transcript(7);
    let resp = present(&wrong_cert, &st, &release()).unwrap();
    let err = isomdl_verify(&resp, &st).expect_err("must fail issuer authentication");
    assert!(err.contains("issuer_authentication"), "{err}");
}

#[test]
fn corrupted_device_signature_is_rejected() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    let resp = present(&cert, &st, &release()).unwrap();
    // documents[0].deviceSigned.deviceAuth.deviceSignature = COSE_Sign1 [prot, unprot, nil, sig]
    let mut v: Value = ciborium::from_reader(resp.as_slice()).unwrap();
    fn field<'a>(v: &'a mut Value, k: &str) -> &'a mut Value {
        v.as_map_mut()
            .unwrap()
            .iter_mut()
            .find(|(key, _)| key.as_text() == Some(k))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no {k}"))
    }
    let docs = field(&mut v, "documents");
    let doc = &mut docs.as_array_mut().unwrap()[0];
    let sign1 = field(field(field(doc, "deviceSigned"), "deviceAuth"), "deviceSignature");
    let sign1 = match sign1 {
        Value::Tag(18, inner) => inner.as_mut(),
        other => other,
    };
    match &mut sign1.as_array_mut().unwrap()[3] {
        Value::Bytes(sig) => sig[10] ^= 0x01,
        other => panic!("signature is not a bstr: {other:?}"),
    }
    let bad = enc(&v);
    assert_ne!(bad, resp);
    let err = isomdl_verify(&bad, &st).expect_err("corrupted signature");
    assert!(err.contains("device_authentication"), "{err}");
    // The unmodified re-encoding still verifies (the edit is the only change).
    let same: Value = ciborium::from_reader(resp.as_slice()).unwrap();
    assert!(isomdl_verify(&enc(&same), &st).is_ok());
}

#[test]
fn non_canonical_transcript_is_refused() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    // [1] with the integer in a non-minimal (1-byte-argument) form: 0x81 0x18 0x01.
    let st = vec![0x81, 0x18, 0x01];
    let err = present(&cert, &st, &release()).expect_err("non-canonical transcript");
    assert!(err.contains("not reproduced"), "{err}");
    // An indefinite-length array is refused too.
    let st = vec![0x9f, 0x01, 0xff];
    assert!(present(&cert, &st, &release()).is_err());
}

#[test]
fn empty_release_is_an_error() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    assert!(present(&cert, &st, &[]).is_err());
}

/// Documents a limitation of isomdl 0.2.0, not a property we want: its reader-side
/// `issuer_authentication` verifies the issuerAuth signature only and never compares the
/// released IssuerSignedItems with the MSO valueDigests, so a substituted element value
/// still "verifies". If a future isomdl starts checking digests, this test fails: then
/// update `isomdl_verify`'s docs and turn this into a rejection test.
#[test]
fn isomdl_0_2_0_does_not_check_value_digests() {
    let cert = self_signed_cert(&DS_SECRET, "DS");
    let st = transcript(7);
    let resp = present(&cert, &st, &release()).unwrap();

    let mut v: Value = ciborium::from_reader(resp.as_slice()).unwrap();
    fn field<'a>(v: &'a mut Value, k: &str) -> &'a mut Value {
        v.as_map_mut()
            .unwrap()
            .iter_mut()
            .find(|(key, _)| key.as_text() == Some(k))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no {k}"))
    }
    let docs = field(&mut v, "documents");
    let doc = &mut docs.as_array_mut().unwrap()[0];
    let items = field(field(field(doc, "issuerSigned"), "nameSpaces"), NAMESPACE);
    let mut tampered = false;
    for item in items.as_array_mut().unwrap() {
        let Value::Tag(24, inner) = item else { panic!("item not tag 24") };
        let Value::Bytes(bytes) = inner.as_mut() else { panic!("tag 24 without bstr") };
        let mut isi: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        if field(&mut isi, "elementIdentifier").as_text() == Some("family_name") {
            *field(&mut isi, "elementValue") = Value::Text("Mallory".into());
            *bytes = enc(&isi);
            tampered = true;
        }
    }
    assert!(tampered);

    let got = isomdl_verify(&enc(&v), &st).expect("isomdl 0.2.0 accepts it");
    assert!(got.contains(&(NAMESPACE.to_string(), "family_name".to_string(), enc(&Value::Text("Mallory".into())))));
}
