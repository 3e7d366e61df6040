//! The wallet's side: installing the MSOs of an issuance (QUA-004) and
//! answering a reader with only what was asked and approved, signed over
//! this session's transcript by the chosen MSO's device key (QUA-005 …
//! QUA-007).

use crate::codec::{self, Value};
use crate::constants::MDOC_PRESENTATIONS_PER_MSO;
use crate::crypto::{CryptoProvider, KeyPair};
use crate::error::{Code, Error, Result};
use crate::msgs::Message;
use crate::mutants::Mutation;
use crate::pki::TrustAnchor;
use crate::time::UnixTime;

use super::cbor::{self, text_map};
use super::cose;
use super::mso::IssuerSigned;
use super::session::{
    MdocPresentation, MdocRequest, device_authentication_bytes, read_device_request, session_transcript,
};
use super::{DOC_TYPE, NAMESPACE};

/// One installed qualification mdoc: the Issuer's bytes and the SE key
/// its MSO names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMdoc {
    /// The `IssuerSigned` as issued.
    pub issuer_signed: Vec<u8>,
    /// The device key (its secret never leaves the SE).
    pub key: KeyPair,
    /// Presentations made with it (QUA-007).
    pub uses: u32,
}

/// Checks the mdocs of an IssuanceResponse against the pending keys, in
/// order (QUA-004): each signed by a document signer valid under
/// `anchor`, of the qualification doctype, for the pending key at its
/// position. Returns them ready to store; any refusal stores none.
pub fn accept_issued(
    provider: &dyn CryptoProvider,
    mdocs: &[Vec<u8>],
    pending: &[KeyPair],
    anchor: &TrustAnchor,
    now: UnixTime,
) -> Result<Vec<StoredMdoc>> {
    if mdocs.len() != pending.len() && !(mdocs.is_empty() && pending.is_empty()) {
        return Err(Error::with_detail(
            Code::Malformed,
            format!("{} mdocs for {} qualification keys", mdocs.len(), pending.len()),
        ));
    }
    let mut stored = Vec::new();
    for (bytes, key) in mdocs.iter().zip(pending) {
        let signed = IssuerSigned::from_value(provider, cbor::decode(bytes)?)?;
        signed.check_issuer(provider, anchor, now)?;
        signed.check_digests(provider)?;
        if signed.mso.doc_type != DOC_TYPE {
            return Err(Error::new(Code::Malformed, "an mdoc of another doctype"));
        }
        if signed.mso.device_key != key.public {
            return Err(Error::new(Code::Malformed, "an MSO for another device key"));
        }
        stored.push(StoredMdoc { issuer_signed: bytes.clone(), key: key.clone(), uses: 0 });
    }
    Ok(stored)
}

/// Answers an MdocRequest with the mdoc used least (QUA-007), releasing
/// the requested elements the holder `approved` and no other (QUA-005),
/// signed over this request's transcript (QUA-006). The caller has
/// verified the user. Returns the index of the mdoc used and the
/// MdocPresentation.
pub fn present(
    provider: &dyn CryptoProvider,
    mutation: Option<Mutation>,
    mdocs: &[StoredMdoc],
    request: &[u8],
    approved: &[String],
) -> Result<(usize, Vec<u8>)> {
    let request = MdocRequest::from_bytes(request)?;
    let docs = read_device_request(&request.device_request)?;
    let asked = docs
        .iter()
        .find(|d| d.items.doc_type == DOC_TYPE)
        .ok_or_else(|| Error::new(Code::MdocExhausted, "the wallet holds no mdoc of the doctype asked for"))?;
    let any_element = Mutation::ReleaseUnrequested.disables(mutation);
    let no_consent = Mutation::ReleaseWithoutConsent.disables(mutation);
    let release = |element: &str| {
        let requested = asked.items.asks(NAMESPACE, element) || any_element;
        let consented = approved.iter().any(|a| a == element) || (no_consent && asked.items.asks(NAMESPACE, element));
        requested && consented
    };
    if !super::mso::ELEMENTS.iter().any(|e| release(e)) {
        return Err(Error::new(Code::ConsentDeclined, "the holder approved none of the requested elements"));
    }
    let (index, mdoc) = mdocs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.uses < MDOC_PRESENTATIONS_PER_MSO)
        .min_by_key(|(_, m)| m.uses)
        .ok_or_else(|| Error::new(Code::MdocExhausted, "no mdoc with presentations left"))?;
    let signed = IssuerSigned::from_value(provider, cbor::decode(&mdoc.issuer_signed)?)?;
    let issuer_signed = signed.to_value_keeping(|ns, item| ns == NAMESPACE && release(&item.identifier))?;
    let device_namespaces = cbor::embed(&Value::Map(vec![]))?;
    let transcript = session_transcript(&request.rp_id, &request.nonce)?;
    let to_sign = device_authentication_bytes(&transcript, DOC_TYPE, &codec::encode(&device_namespaces)?)?;
    let signature = cose::sign(provider, &mdoc.key.secret, &to_sign, &[], true)?;
    let document = text_map(vec![
        ("docType", Value::Text(DOC_TYPE.into())),
        ("issuerSigned", issuer_signed),
        (
            "deviceSigned",
            text_map(vec![
                ("nameSpaces", device_namespaces),
                ("deviceAuth", text_map(vec![("deviceSignature", signature)])),
            ]),
        ),
    ]);
    let response = text_map(vec![
        ("version", Value::Text("1.0".into())),
        ("documents", Value::Array(vec![document])),
        ("status", Value::Integer(0.into())),
    ]);
    let presentation = MdocPresentation { nonce: request.nonce, device_response: codec::encode(&response)? };
    Ok((index, presentation.to_bytes()?))
}
