//! The reader's checks of a DeviceResponse, in the order of
//! spec/qualification.md: decoding (QUA-016), doctype and only what was
//! asked (QUA-009, QUA-012), the issuer's signature and chain (QUA-009),
//! the digests (QUA-010), the validity (QUA-011) and the device's
//! signature over the reader's own session (QUA-013). Status comes after
//! (QUA-014, in [`crate::verifier`]).

use std::collections::BTreeMap;

use crate::codec::{self, Value};
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::msgs::Nonce;
use crate::mutants::Mutation;
use crate::pki::TrustAnchor;
use crate::time::UnixTime;

use super::cbor::{self, TextMap, as_uint, malformed};
use super::cose::MdocSign1;
use super::mso::IssuerSigned;
use super::session::{MdocReading, device_authentication_bytes, not_requested, session_transcript};
use super::{DOC_TYPE, NAMESPACE};

/// One document of a DeviceResponse, read.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadDocument {
    /// `docType`.
    pub doc_type: String,
    /// `issuerSigned`.
    pub issuer_signed: IssuerSigned,
    /// `deviceSigned.nameSpaces` as encoded (`#6.24` bstr).
    pub device_namespaces_tagged: Vec<u8>,
    /// `deviceAuth.deviceSignature`, when the device signed.
    pub device_signature: Option<MdocSign1>,
    /// Whether the device authenticated by MAC instead (out of v0's scope).
    pub device_mac: bool,
}

/// Reads a DeviceResponse's documents (QUA-016).
pub fn read_device_response(provider: &dyn CryptoProvider, bytes: &[u8]) -> Result<Vec<ReadDocument>> {
    let mut fields = TextMap::open("DeviceResponse", cbor::decode(bytes)?)?;
    if fields.text("version", 8)? != "1.0" {
        return Err(malformed("DeviceResponse version is not 1.0"));
    }
    let documents = match fields.optional("documents") {
        Some(Value::Array(documents)) => documents,
        Some(_) => return Err(malformed("documents must be an array")),
        None => Vec::new(),
    };
    if as_uint(fields.required("status")?) != Some(0) {
        return Err(malformed("DeviceResponse status is not OK (0)"));
    }
    fields.finish(&["documentErrors"])?;
    documents.into_iter().map(|d| read_document(provider, d)).collect()
}

fn read_document(provider: &dyn CryptoProvider, value: Value) -> Result<ReadDocument> {
    let mut fields = TextMap::open("Document", value)?;
    let doc_type = fields.text("docType", 128)?;
    let issuer_signed = IssuerSigned::from_value(provider, fields.required("issuerSigned")?)?;
    let mut device = TextMap::open("DeviceSigned", fields.required("deviceSigned")?)?;
    fields.finish(&["errors"])?;
    let namespaces = device.required("nameSpaces")?;
    let device_namespaces_tagged = codec::encode(&namespaces)?;
    // v0 has no device-signed elements
    if cbor::unembed(namespaces, "DeviceNameSpacesBytes")?.1 != Value::Map(vec![]) {
        return Err(malformed("deviceSigned nameSpaces must be an empty map in v0"));
    }
    let mut auth = TextMap::open("DeviceAuth", device.required("deviceAuth")?)?;
    device.finish(&[])?;
    let device_signature = auth.optional("deviceSignature").map(MdocSign1::from_value).transpose()?;
    let device_mac = auth.optional("deviceMac").is_some();
    auth.finish(&[])?;
    if device_signature.is_some() == device_mac {
        return Err(malformed("deviceAuth holds exactly one of deviceSignature and deviceMac"));
    }
    Ok(ReadDocument { doc_type, issuer_signed, device_namespaces_tagged, device_signature, device_mac })
}

/// What the reader's session asked for.
pub struct Asked<'a> {
    /// The reader's rp id.
    pub rp_id: &'a str,
    /// The nonce it issued.
    pub nonce: &'a Nonce,
    /// The qualification elements requested.
    pub elements: &'a [String],
}

/// What a DeviceResponse shows once every local check passed.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The doctype.
    pub doc_type: String,
    /// The released elements.
    pub elements: BTreeMap<String, Value>,
    /// The MSO's status identifier, if it names one (v0's reader asks
    /// Status about it, and refuses an MSO without one, QUA-014).
    pub status_id: Option<Vec<u8>>,
}

impl Shown {
    /// The reading, once the MSO names a status identifier.
    pub fn reading(self) -> Result<MdocReading> {
        let status_id = self.status_id.ok_or_else(|| malformed("the MSO names no status identifier"))?;
        Ok(MdocReading { doc_type: self.doc_type, elements: self.elements, status_id })
    }
}

/// Every local check of a presentation's DeviceResponse (QUA-009 …
/// QUA-013, QUA-016); changes nothing. Returns what it shows.
pub fn check_response(
    provider: &dyn CryptoProvider,
    mutation: Option<Mutation>,
    anchor: &TrustAnchor,
    asked: &Asked<'_>,
    device_response: &[u8],
    now: UnixTime,
) -> Result<Shown> {
    let document = read_answer(provider, device_response)?;
    check_document(provider, mutation, anchor, asked, document, now)
}

/// Step 1 of the reader's checks (QUA-016): the DeviceResponse decodes and
/// holds exactly one document, which releases at least one element.
pub fn read_answer(provider: &dyn CryptoProvider, device_response: &[u8]) -> Result<ReadDocument> {
    let documents = read_device_response(provider, device_response)?;
    let [document]: [ReadDocument; 1] =
        documents.try_into().map_err(|_| malformed("a qualification answer holds exactly one document"))?;
    if document.issuer_signed.namespaces.is_empty() {
        return Err(malformed("a qualification answer releases at least one element"));
    }
    Ok(document)
}

/// Steps 3 to 7 of the reader's checks on a decoded document (QUA-009 …
/// QUA-013); changes nothing. Returns what it shows.
pub fn check_document(
    provider: &dyn CryptoProvider,
    mutation: Option<Mutation>,
    anchor: &TrustAnchor,
    asked: &Asked<'_>,
    document: ReadDocument,
    now: UnixTime,
) -> Result<Shown> {
    // 3. the doctype asked for, and only the elements asked for (QUA-009, QUA-012)
    if document.doc_type != DOC_TYPE {
        return Err(not_requested(format!("doctype {} was not asked for", document.doc_type)));
    }
    for (ns, items) in &document.issuer_signed.namespaces {
        for item in items {
            if ns != NAMESPACE || !asked.elements.contains(&item.identifier) {
                return Err(not_requested(format!("{ns}/{} was not asked for", item.identifier)));
            }
        }
    }
    // 4. the issuer: a document signer under the anchor, and its signature (QUA-009)
    let signed = &document.issuer_signed;
    signed.check_issuer(provider, anchor, now)?;
    if signed.mso.doc_type != DOC_TYPE {
        return Err(not_requested("the MSO is for another doctype"));
    }
    // 5. every released item is the one the MSO lists (QUA-010)
    if !Mutation::MdocSkipDigests.disables(mutation) {
        signed.check_digests(provider)?;
    }
    // 6. within validityInfo (QUA-011)
    let within = signed.mso.valid_from <= now && now <= signed.mso.valid_until;
    if !within && !Mutation::MdocAcceptExpired.disables(mutation) {
        return Err(Error::new(Code::MdocExpired, "the MSO is not valid now"));
    }
    // 7. the device signed this session's transcript with the MSO's key (QUA-013)
    let Some(signature) = &document.device_signature else {
        return Err(Error::new(Code::DeviceAuthFailed, "deviceMac is out of v0's scope: only deviceSignature"));
    };
    let transcript = session_transcript(asked.rp_id, asked.nonce)?;
    let to_verify = device_authentication_bytes(&transcript, &document.doc_type, &document.device_namespaces_tagged)?;
    if !Mutation::MdocAnyTranscript.disables(mutation) {
        signature
            .verify(provider, &signed.mso.device_key, Some(&to_verify))
            .map_err(|e| Error::with_detail(Code::DeviceAuthFailed, format!("deviceSignature: {}", e.code)))?;
    }
    let elements: BTreeMap<String, Value> =
        signed.namespaces.values().flatten().map(|item| (item.identifier.clone(), item.value.clone())).collect();
    Ok(Shown { doc_type: document.doc_type, elements, status_id: signed.mso.status_id.clone() })
}
