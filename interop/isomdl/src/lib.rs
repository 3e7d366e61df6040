//! Test-only interop harness around [`isomdl`] 0.2.0 (SpruceID's ISO/IEC 18013-5 crate).
//!
//! It exposes a byte-level API so that another implementation can be checked against isomdl
//! without sharing any Rust types:
//!
//! * [`isomdl_present`]: isomdl issues an mdoc and presents it as a `DeviceResponse`;
//! * [`isomdl_verify`]: isomdl judges a `DeviceResponse` (issuer and device authentication).
//!
//! All inputs and outputs are CBOR / DER bytes and raw P-256 scalars, so the caller may use a
//! different RustCrypto line than the one isomdl 0.2.0 is built on (p256 0.13, ecdsa 0.16,
//! x509-cert 0.2, der 0.7, coset 0.3).
//!
//! ## Session transcript handling
//!
//! isomdl never takes transcript *bytes*: its [`SessionTranscript`] trait is a serde type that
//! isomdl embeds (re-serialised with ciborium) inside `DeviceAuthentication`. This crate wraps the
//! decoded transcript in [`RawTranscript`] (a transparent `ciborium::Value`). Because the bytes
//! isomdl signs / verifies are ciborium's re-encoding of that value, both functions reject a
//! transcript whose bytes are not reproduced exactly by `ciborium::Value` decode + encode
//! (indefinite lengths, non-minimal integers or floats, trailing bytes): otherwise isomdl would
//! silently sign or verify a different transcript than the caller passed.

use std::collections::BTreeMap;

use isomdl::definitions::device_request::{DataElements, ItemsRequest, Namespaces as ReqNamespaces};
use isomdl::definitions::device_response::Document as ResponseDocument;
use isomdl::definitions::device_signed::DeviceAuthType;
use isomdl::definitions::helpers::NonEmptyMap;
use isomdl::definitions::session::SessionTranscript;
use isomdl::definitions::x509::x5chain::X5CHAIN_COSE_HEADER_LABEL;
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::{CoseKey, DeviceKeyInfo, DeviceResponse, DigestAlgorithm, EC2Curve, ValidityInfo, EC2Y};
use isomdl::issuance::Mdoc;
use isomdl::presentation::authentication::mdoc::{device_authentication, issuer_authentication};
use isomdl::presentation::device::{
    DeviceSession, Document as DeviceDocument, Documents, PermittedItems, RequestedItems,
};
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use signature::Signer;
use time::OffsetDateTime;

/// What isomdl made: a DeviceResponse (CBOR bytes) for the given transcript.
#[derive(Debug, Clone)]
pub struct IsomdlResponse {
    pub device_response: Vec<u8>,
}

/// A SessionTranscript of any shape, carried as a decoded CBOR value.
///
/// `#[serde(transparent)]`, so isomdl serialises it inside `DeviceAuthentication` exactly as the
/// wrapped `ciborium::Value` (i.e. as the CBOR array itself, not as a bstr).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawTranscript(pub ciborium::Value);

impl SessionTranscript for RawTranscript {}

impl RawTranscript {
    /// Decodes `bytes` and insists that ciborium re-encodes them byte for byte (see module docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let value: ciborium::Value =
            ciborium::from_reader(bytes).map_err(|e| format!("session_transcript is not CBOR: {e}"))?;
        let mut again = Vec::new();
        ciborium::into_writer(&value, &mut again).map_err(|e| format!("session_transcript re-encode failed: {e}"))?;
        if again != bytes {
            return Err("session_transcript bytes are not reproduced by ciborium::Value decode+encode \
                 (isomdl would sign/verify a different encoding); use definite lengths and \
                 preferred (minimal) integer/float encodings, no trailing bytes"
                .to_string());
        }
        Ok(RawTranscript(value))
    }
}

/// A device-side session of our own: the same role as isomdl's `device::SessionManager`, but
/// without the 18013-5 engagement/encryption layer, over an arbitrary transcript.
struct TranscriptSession {
    documents: Documents,
    transcript: RawTranscript,
}

impl DeviceSession for TranscriptSession {
    type ST = RawTranscript;

    fn documents(&self) -> &Documents {
        &self.documents
    }

    fn session_transcript(&self) -> RawTranscript {
        self.transcript.clone()
    }

    fn device_auth_type(&self) -> DeviceAuthType {
        DeviceAuthType::Sign1
    }
}

fn signing_key(secret: &[u8; 32], what: &str) -> Result<SigningKey, String> {
    SigningKey::from_bytes(secret.into()).map_err(|e| format!("{what}: invalid P-256 scalar: {e}"))
}

fn unix(t: i64, what: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(t).map_err(|e| format!("{what}: {e}"))
}

fn cbor_value(bytes: &[u8], what: &str) -> Result<ciborium::Value, String> {
    ciborium::from_reader(bytes).map_err(|e| format!("{what}: not CBOR: {e}"))
}

fn cbor_bytes(value: &ciborium::Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| format!("CBOR encode: {e}"))?;
    Ok(out)
}

/// Issues an mdoc with isomdl's issuance builder and presents it with isomdl's device-side
/// presentation code, as an 18013-5 DeviceResponse over `session_transcript`.
///
/// isomdl functions used:
/// * issuance: `isomdl::issuance::Mdoc::builder()` → `.doc_type` / `.namespaces` /
///   `.validity_info` / `.digest_algorithm(DigestAlgorithm::SHA256)` / `.device_key_info` →
///   `Builder::issue(X5Chain, p256::ecdsa::SigningKey)` (ES256 COSE_Sign1 issuerAuth, x5chain in
///   unprotected label 33; decoy digests left at isomdl's default, i.e. enabled);
///   `X5Chain::builder().with_der_certificate(ds_cert_der)`.
/// * presentation: `isomdl::presentation::device::Document::from(Mdoc)`, then the public
///   `isomdl::presentation::device::DeviceSession` trait implemented on a private struct over
///   [`RawTranscript`]: `DeviceSession::prepare_response`,
///   `PreparedDeviceResponse::get_next_signature_payload`, `submit_next_signature` (raw r‖s ES256
///   by the device key), `finalize_response`; bytes via `isomdl::cbor::to_vec`.
///
/// Inputs: `elements` are (identifier, CBOR-encoded value); `release` the identifiers to release
/// (the request, with intentToRetain = false); secrets are 32-byte P-256 scalars; times are unix
/// seconds (isomdl writes them as tdate with whole seconds). Element values are decoded into
/// `ciborium::Value`, so isomdl embeds ciborium's encoding of them.
#[allow(clippy::too_many_arguments)]
pub fn isomdl_present(
    doc_type: &str,
    namespace: &str,
    elements: &[(String, Vec<u8>)],
    release: &[String],
    ds_secret: &[u8; 32],
    ds_cert_der: &[u8],
    device_secret: &[u8; 32],
    signed: i64,
    valid_from: i64,
    valid_until: i64,
    session_transcript: &[u8],
) -> Result<IsomdlResponse, String> {
    let transcript = RawTranscript::from_bytes(session_transcript)?;
    let ds_key = signing_key(ds_secret, "ds_secret")?;
    let device_key = signing_key(device_secret, "device_secret")?;

    // --- issuance -------------------------------------------------------------------------
    let mut ns_elements: BTreeMap<String, ciborium::Value> = BTreeMap::new();
    for (id, value) in elements {
        let v = cbor_value(value, &format!("element {id}"))?;
        if ns_elements.insert(id.clone(), v).is_some() {
            return Err(format!("duplicate element identifier {id}"));
        }
    }
    let namespaces: isomdl::issuance::mdoc::Namespaces = [(namespace.to_string(), ns_elements)].into_iter().collect();

    let point = device_key.verifying_key().to_encoded_point(false);
    let device_key_info = DeviceKeyInfo {
        device_key: CoseKey::EC2 {
            crv: EC2Curve::P256,
            x: point.x().ok_or("device key: no x")?.to_vec(),
            y: EC2Y::Value(point.y().ok_or("device key: no y")?.to_vec()),
        },
        key_authorizations: None,
        key_info: None,
    };
    let validity_info = ValidityInfo {
        signed: unix(signed, "signed")?,
        valid_from: unix(valid_from, "valid_from")?,
        valid_until: unix(valid_until, "valid_until")?,
        expected_update: None,
    };
    let x5chain = X5Chain::builder()
        .with_der_certificate(ds_cert_der)
        .and_then(|b| b.build())
        .map_err(|e| format!("ds_cert_der: {e:#}"))?;

    let mdoc = Mdoc::builder()
        .doc_type(doc_type.to_string())
        .namespaces(namespaces)
        .validity_info(validity_info)
        .digest_algorithm(DigestAlgorithm::SHA256)
        .device_key_info(device_key_info)
        .issue::<SigningKey, Signature>(x5chain, ds_key)
        .map_err(|e| format!("isomdl issuance: {e:#}"))?;

    // --- presentation ---------------------------------------------------------------------
    let document = DeviceDocument::from(mdoc);
    let session = TranscriptSession { documents: NonEmptyMap::new(doc_type.to_string(), document), transcript };

    let mut wanted: BTreeMap<String, bool> = BTreeMap::new();
    for id in release {
        wanted.insert(id.clone(), false);
    }
    let data_elements: DataElements = NonEmptyMap::try_from(wanted).map_err(|_| "release is empty".to_string())?;
    let requested: RequestedItems = vec![ItemsRequest {
        doc_type: doc_type.to_string(),
        namespaces: ReqNamespaces::new(namespace.to_string(), data_elements),
        request_info: None,
    }];
    let permitted: PermittedItems =
        [(doc_type.to_string(), [(namespace.to_string(), release.to_vec())].into_iter().collect())]
            .into_iter()
            .collect();

    let mut prepared = session.prepare_response(&requested, permitted);
    let mut signed_docs = 0;
    while let Some((_id, payload)) = prepared.get_next_signature_payload() {
        let sig: Signature = device_key.sign(payload);
        prepared.submit_next_signature(sig.to_bytes().to_vec());
        signed_docs += 1;
    }
    if signed_docs == 0 {
        return Err(format!("isomdl prepared no document to sign (document_errors: {:?})", prepared.document_errors));
    }
    let response = prepared.finalize_response();
    let device_response = isomdl::cbor::to_vec(&response).map_err(|e| format!("encode DeviceResponse: {e}"))?;
    Ok(IsomdlResponse { device_response })
}

/// Verifies a DeviceResponse (CBOR bytes) with isomdl's reader-side code and returns the released
/// elements as (namespace, identifier, CBOR-encoded value).
///
/// Steps (all judgements are isomdl's):
/// 1. `isomdl::cbor::from_slice::<isomdl::definitions::DeviceResponse>` — parse; the first entry
///    of `documents` is taken (any docType; `presentation::reader::parse` would insist on the mDL
///    docType, and `reader_utils::validate_response` would apply the Annex B IACA/DS profile via
///    `ValidationRuleset::Mdl` + a `TrustAnchorRegistry`, so neither is used).
/// 2. x5chain: unprotected header label 33 (`X5CHAIN_COSE_HEADER_LABEL`) of
///    `issuer_signed.issuer_auth`, parsed by `isomdl::definitions::x509::X5Chain::from_cbor`.
/// 3. `isomdl::presentation::authentication::mdoc::issuer_authentication(x5chain, &issuer_signed)`
///    — ES256 COSE_Sign1 over the MSO with the end-entity (DS) certificate's key.
/// 4. `isomdl::presentation::authentication::mdoc::device_authentication(&document, RawTranscript)`
///    — deviceSignature (COSE_Sign1, detached DeviceAuthenticationBytes) with the MSO's deviceKey.
///    (deviceMac is answered by isomdl with `Error::Unsupported`.)
///
/// NOT checked, because isomdl 0.2.0 does not check them in these functions: the valueDigests of
/// the released IssuerSignedItems against the MSO, MSO validityInfo, MSO docType == document
/// docType, the certificate chain / validity / profile of the DS certificate, and the response
/// `status`. The element values returned are read from `issuerSigned.nameSpaces` as they are
/// (re-encoded by ciborium).
pub fn isomdl_verify(
    device_response: &[u8],
    session_transcript: &[u8],
) -> Result<Vec<(String, String, Vec<u8>)>, String> {
    let transcript = RawTranscript::from_bytes(session_transcript)?;
    let response: DeviceResponse =
        isomdl::cbor::from_slice(device_response).map_err(|e| format!("isomdl: DeviceResponse parse: {e}"))?;
    let document: &ResponseDocument = response
        .documents
        .as_ref()
        .and_then(|d| d.first())
        .ok_or_else(|| format!("DeviceResponse has no documents (status {:?})", response.status))?;

    let x5chain_value = document
        .issuer_signed
        .issuer_auth
        .unprotected
        .rest
        .iter()
        .find(|(label, _)| *label == coset::Label::Int(X5CHAIN_COSE_HEADER_LABEL))
        .map(|(_, v)| v.clone())
        .ok_or("issuerAuth has no x5chain (unprotected label 33)")?;
    let x5chain = X5Chain::from_cbor(x5chain_value).map_err(|e| format!("isomdl: x5chain parse: {e:#}"))?;

    issuer_authentication(x5chain, &document.issuer_signed)
        .map_err(|e| format!("isomdl issuer_authentication: {e}"))?;
    device_authentication(document, transcript).map_err(|e| format!("isomdl device_authentication: {e}"))?;

    let mut out = Vec::new();
    if let Some(namespaces) = &document.issuer_signed.namespaces {
        for (ns, items) in namespaces.iter() {
            for item in items.iter() {
                let item = item.as_ref();
                out.push((ns.clone(), item.element_identifier.clone(), cbor_bytes(&item.element_value)?));
            }
        }
    }
    Ok(out)
}
