//! ISO/IEC 18013-5 Annex D, the standard's worked example, as two open
//! implementations publish it (../shared/external-vectors/iso18013-5-annex-d/,
//! its README gives the provenance): the reference's mdoc decoders and
//! checks (spec/qualification.md) on data they did not make. Its deviceMac
//! needs ECDH and HMAC, out of v0's scope: decoded, not verified.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use der::{Decode, Encode};
use jpki_conformance::external::{self, Availability};
use jpki_reference::Code;
use jpki_reference::crypto::{CryptoProvider, PublicKey, default_provider, verify_es256};
use jpki_reference::mdoc::{cbor, reader, session};
use jpki_reference::pki::ecdsa_der;
use x509_cert::Certificate;

const MDL: &str = "org.iso.18013.5.1.mDL";

fn annex_d(name: &str) -> Vec<u8> {
    let dir = match external::locate() {
        Ok(Availability::Present(dir)) => dir,
        Ok(Availability::SkipAllowed(dir)) => {
            panic!("{} is missing: the Annex D test cannot be skipped", dir.display())
        }
        Err(message) => panic!("{message}"),
    };
    let path = dir.join("iso18013-5-annex-d").join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    hex::decode(text.trim()).unwrap()
}

/// A certificate's P-256 public key (Annex D's are not JPKI-profile
/// certificates, so they are read here, not by `pki::ParsedCert`).
fn public_key(provider: &dyn CryptoProvider, cert: &Certificate) -> PublicKey {
    let point = cert.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes();
    assert_eq!((point.len(), point[0]), (65, 4), "an uncompressed P-256 point");
    provider.public_key_from_coordinates(point[1..33].try_into().unwrap(), point[33..].try_into().unwrap()).unwrap()
}

/// `issued` carries a valid ES256 signature by `issuer`'s key.
fn signed_by(provider: &dyn CryptoProvider, issued: &[u8], issuer: &[u8]) {
    let (issued, issuer) = (Certificate::from_der(issued).unwrap(), Certificate::from_der(issuer).unwrap());
    let tbs = issued.tbs_certificate().to_der().unwrap();
    let signature = ecdsa_der::from_der(issued.signature().raw_bytes()).unwrap();
    verify_es256(provider, &public_key(provider, &issuer), &tbs, &signature).unwrap();
    assert_eq!(issued.tbs_certificate().issuer(), issuer.tbs_certificate().subject());
}

fn transcript() -> Vec<u8> {
    // SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript)
    let (inner, _) = cbor::unembed(cbor::decode(&annex_d("session_transcript_bytes")).unwrap(), "transcript").unwrap();
    inner
}

#[test]
fn the_device_response_decodes_and_its_issuer_signature_and_digests_hold() {
    // QUA-016, QUA-009, QUA-010, QUA-011 on the standard's example
    let provider = default_provider();
    let documents = reader::read_device_response(provider, &annex_d("device_response")).unwrap();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!(document.doc_type, MDL);
    assert!(document.device_mac && document.device_signature.is_none(), "Annex D authenticates by deviceMac");
    let signed = &document.issuer_signed;
    // issuerAuth: untagged, x5chain unprotected, the document signer's certificate (QUA-009)
    let ds = annex_d("ds_cert");
    assert_eq!(signed.issuer_auth.x5chain(), std::slice::from_ref(&ds));
    let ds_key = public_key(provider, &Certificate::from_der(&ds).unwrap());
    signed.issuer_auth.verify(provider, &ds_key, None).unwrap();
    signed_by(provider, &ds, &annex_d("iaca_cert"));
    // the MSO and every released item's digest (QUA-010)
    assert_eq!(signed.mso.doc_type, MDL);
    let released: usize = signed.namespaces.values().map(Vec::len).sum();
    let listed: usize = signed.mso.value_digests.values().map(|d| d.len()).sum();
    assert_eq!((released, listed), (6, 17), "six elements released of the seventeen the MSO lists");
    signed.check_digests(provider).unwrap();
    // validity 2020-10-01T13:30:02Z .. 2021-10-01T13:30:02Z, read with an injected clock (QUA-011)
    assert_eq!((signed.mso.valid_from, signed.mso.valid_until), (1_601_559_002, 1_633_095_002));
    assert!(signed.mso.signed >= signed.mso.valid_from - 86_400);
    // the same example, one element's value changed: its digest no longer holds
    let mut changed = signed.clone();
    let item = changed.namespaces.values_mut().flatten().next().unwrap();
    let last = item.tagged_bytes.len() - 1;
    item.tagged_bytes[last] ^= 1;
    assert_eq!(changed.check_digests(provider).unwrap_err().code, Code::ItemDigestMismatch);
}

#[test]
fn the_reader_authentication_verifies_over_the_transcript_and_items_request() {
    // QUA-016 (decoding a DeviceRequest with readerAuth); ES256 over ReaderAuthenticationBytes
    let provider = default_provider();
    let requests = session::read_device_request(&annex_d("device_request")).unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.items.doc_type, MDL);
    let (items_inner, _) = cbor::unembed(cbor::decode(&request.items_tagged).unwrap(), "items").unwrap();
    assert_eq!(items_inner, annex_d("items_request"));
    let to_sign = session::reader_authentication_bytes(&transcript(), &request.items_tagged).unwrap();
    assert_eq!(to_sign, annex_d("reader_authentication_bytes"));
    let reader_auth = request.reader_auth.as_ref().unwrap();
    let reader_cert = annex_d("reader_cert");
    assert_eq!(reader_auth.x5chain(), std::slice::from_ref(&reader_cert));
    let key = public_key(provider, &Certificate::from_der(&reader_cert).unwrap());
    reader_auth.verify(provider, &key, Some(&to_sign)).unwrap();
    signed_by(provider, &reader_cert, &annex_d("reader_root_cert"));
    // over another transcript it does not verify
    let mut other = transcript();
    let last = other.len() - 1;
    other[last] ^= 1;
    let wrong = session::reader_authentication_bytes(&other, &request.items_tagged).unwrap();
    assert_eq!(reader_auth.verify(provider, &key, Some(&wrong)).unwrap_err().code, Code::BadSignature);
}

#[test]
fn the_device_authentication_bytes_are_built_as_the_annex_builds_them() {
    // QUA-006, QUA-013: DeviceAuthenticationBytes from the transcript, docType and device namespaces
    let provider = default_provider();
    let documents = reader::read_device_response(provider, &annex_d("device_response")).unwrap();
    let built =
        session::device_authentication_bytes(&transcript(), MDL, &documents[0].device_namespaces_tagged).unwrap();
    assert_eq!(built, annex_d("device_authentication_bytes"));
}

#[test]
fn the_other_items_are_well_formed_bounded_cbor() {
    // QUA-016: decoded strictly (any map key order); the session data is encrypted, out of v0's scope
    for name in [
        "device_engagement",
        "e_device_key_bytes",
        "session_establishment",
        "session_data",
        "session_termination",
        "device_auth",
    ] {
        cbor::decode(&annex_d(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let auth = cbor::decode(&annex_d("device_auth")).unwrap();
    assert!(matches!(&auth, ciborium::Value::Map(e) if e[0].0.as_text() == Some("deviceMac")));
}
