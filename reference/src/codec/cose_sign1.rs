//! COSE_Sign1 (RFC 9052 §4.2) under the v0 profile: tag 18, ES256 only, `alg`
//! in the protected header, no unknown `crit`, a 64-byte signature, and
//! verification over the protected bytes exactly as received.
//!
//! ```cddl
//! COSE_Sign1_Tagged = #6.18([
//!   protected: bstr .cbor { 1 => -7, ? 2 => [+ label], ? 3 => uint / tstr, ? 33 => x5chain },
//!   unprotected: { ? 4 => bstr },
//!   payload: bstr,
//!   signature: bstr .size 64,
//! ])
//! x5chain = bstr / [2*4 bstr]
//! ```
//! Spec: COSE-001 … COSE-009, ENC-012, ENC-013.

use crate::mutants::Mutation;
use ciborium::Value;
use coset::{Header, Label};

use super::{Limits, TAG_COSE_SIGN1, decode, encode, map};
use crate::constants::MAX_CHAIN_LEN;
use crate::crypto::{self, CryptoProvider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

/// COSE header label: algorithm.
pub const LABEL_ALG: i64 = 1;
/// COSE header label: critical headers.
pub const LABEL_CRIT: i64 = 2;
/// COSE header label: content type.
pub const LABEL_CONTENT_TYPE: i64 = 3;
/// COSE header label: key identifier.
pub const LABEL_KID: i64 = 4;
/// COSE header label: x5chain (RFC 9360).
pub const LABEL_X5CHAIN: i64 = 33;
/// ES256 in the COSE algorithms registry.
pub const ALG_ES256: i64 = -7;

/// Protected-header labels v0 knows.
const PROTECTED_LABELS: &[i64] = &[LABEL_ALG, LABEL_CRIT, LABEL_CONTENT_TYPE, LABEL_X5CHAIN];
/// Unprotected-header labels v0 knows (x5chain is tolerated there only so
/// that its absence from the protected bucket gets its own code).
const UNPROTECTED_LABELS: &[i64] = &[LABEL_KID, LABEL_X5CHAIN];
/// Labels v0 understands when listed in `crit`.
const UNDERSTOOD_CRITICAL: &[i64] = &[LABEL_X5CHAIN];

/// A structurally checked COSE_Sign1 whose signature is not yet verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Sign1 {
    protected_bytes: Vec<u8>,
    protected: Header,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// The value under integer label `label`, if the bucket has it.
fn entry(entries: &[(Value, Value)], label: i64) -> Option<&Value> {
    entries.iter().find(|(k, _)| *k == Value::Integer(label.into())).map(|(_, v)| v)
}

fn header_from_value(value: Value, bucket: &str) -> Result<Header> {
    use coset::AsCborValue;
    Header::from_cbor_value(value).map_err(|e| Error::with_detail(Code::Malformed, format!("{bucket} header: {e}")))
}

fn check_known(labels: &[&Value], known: &[i64], bucket: &str) -> Result<()> {
    for label in labels {
        if !known.iter().any(|k| **label == Value::Integer((*k).into()))
            && !Mutation::IgnoreUnknownFields.disables(None)
        {
            return Err(Error::with_detail(
                Code::UnknownField,
                format!("{bucket} header label {label:?} is not in v0"),
            ));
        }
    }
    Ok(())
}

/// Decodes and checks a COSE_Sign1 (everything but the signature itself).
pub fn decode_sign1(bytes: &[u8], limits: &Limits) -> Result<Sign1> {
    // 1. strict, bounded CBOR (ENC-001 … ENC-011)
    let value = decode(bytes, limits)?;
    // 2. tag 18 (COSE-001)
    let inner = match value {
        Value::Tag(TAG_COSE_SIGN1, inner) => *inner,
        Value::Tag(other, _) => return Err(Error::with_detail(Code::WrongTag, format!("tag {other}, expected 18"))),
        _ => return Err(Error::new(Code::WrongTag, "COSE_Sign1 must carry tag 18")),
    };
    // 3. the four-element array
    let Value::Array(items) = inner else {
        return Err(Error::new(Code::Malformed, "COSE_Sign1 is not an array"));
    };
    let [protected, unprotected, payload, signature]: [Value; 4] =
        items.try_into().map_err(|_| Error::new(Code::Malformed, "COSE_Sign1 must have four elements"))?;
    let (Value::Bytes(protected_bytes), Value::Bytes(payload), Value::Bytes(signature)) =
        (protected, payload, signature)
    else {
        return Err(Error::new(Code::Malformed, "protected, payload and signature must be bstr (no detached payload)"));
    };
    if !matches!(unprotected, Value::Map(_)) {
        return Err(Error::new(Code::Malformed, "unprotected header must be a map"));
    }
    // 4. the protected bucket is itself strict CBOR (ENC-012)
    let protected_map = if protected_bytes.is_empty() { Value::Map(vec![]) } else { decode(&protected_bytes, limits)? };
    let (Value::Map(protected_entries), Value::Map(unprotected_entries)) = (&protected_map, &unprotected) else {
        return Err(Error::new(Code::Malformed, "header buckets must be maps"));
    };
    let protected_labels: Vec<&Value> = protected_entries.iter().map(|(k, _)| k).collect();
    let unprotected_labels: Vec<&Value> = unprotected_entries.iter().map(|(k, _)| k).collect();
    // 5. no label in both buckets (COSE-009)
    if let Some(label) = protected_labels.iter().find(|l| unprotected_labels.contains(l)) {
        return Err(Error::with_detail(Code::DuplicateHeader, format!("label {label:?} in both buckets")));
    }
    // 6. alg protected and ES256 (COSE-002, COSE-003)
    match entry(protected_entries, LABEL_ALG) {
        None => return Err(Error::new(Code::AlgNotProtected, "alg is not in the protected header")),
        Some(alg) if *alg == Value::Integer(ALG_ES256.into()) => {}
        Some(other) => return Err(Error::with_detail(Code::UnsupportedAlg, format!("alg {other:?} is not ES256"))),
    }
    // 7. crit: only protected, only understood labels, each present (COSE-004)
    if entry(unprotected_entries, LABEL_CRIT).is_some() {
        return Err(Error::new(Code::UnknownCritical, "crit must be protected"));
    }
    if let Some(crit) = entry(protected_entries, LABEL_CRIT) {
        let Value::Array(labels) = crit else {
            return Err(Error::new(Code::Malformed, "crit must be an array"));
        };
        if labels.is_empty() {
            return Err(Error::new(Code::Malformed, "crit must not be empty"));
        }
        for label in labels {
            let understood = UNDERSTOOD_CRITICAL.iter().find(|n| *label == Value::Integer((**n).into()));
            match understood {
                Some(n) if entry(protected_entries, *n).is_some() => {}
                _ => return Err(Error::with_detail(Code::UnknownCritical, format!("crit label {label:?}"))),
            }
        }
    }
    // 8. no header label v0 does not define (ENC-013)
    check_known(&protected_labels, PROTECTED_LABELS, "protected")?;
    check_known(&unprotected_labels, UNPROTECTED_LABELS, "unprotected")?;
    // the typed view of the protected bucket (value types per RFC 9052)
    let protected = header_from_value(protected_map, "protected")?;
    match header_from_value(unprotected, "unprotected") {
        Err(_) if Mutation::LenientHeaderTypes.disables(None) => {}
        other => {
            other?;
        }
    }
    // 9. raw r || s, 64 bytes (COSE-005)
    if signature.len() != 64 {
        return Err(Error::with_detail(
            Code::BadSignatureSize,
            format!("signature is {} bytes, not 64", signature.len()),
        ));
    }
    Ok(Sign1 { protected_bytes, protected, payload, signature })
}

/// The Sig_structure for a COSE_Sign1, over the protected bytes as given.
fn sig_structure(protected_bytes: &[u8], external_aad: &[u8], payload: &[u8]) -> Result<Vec<u8>> {
    encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected_bytes.to_vec()),
        Value::Bytes(external_aad.to_vec()),
        Value::Bytes(payload.to_vec()),
    ]))
}

impl Sign1 {
    /// Verifies the signature with `key` (COSE-006), over the protected
    /// bytes exactly as received, never a re-encoding of them.
    pub fn verify(&self, provider: &dyn CryptoProvider, key: &PublicKey, external_aad: &[u8]) -> Result<()> {
        let tbs = sig_structure(&self.protected_bytes, external_aad, &self.payload)?;
        if Mutation::AcceptAnySignature.disables(None) {
            return Ok(());
        }
        crypto::verify_es256(provider, key, &tbs, &self.signature)
    }

    /// The payload bytes (not yet decoded: the message layer decodes them strictly).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The protected header bytes as received.
    pub fn protected_bytes(&self) -> &[u8] {
        &self.protected_bytes
    }

    /// The DER certificates of the protected `x5chain`, leaf first
    /// (COSE-007, COSE-008).
    pub fn x5chain(&self) -> Result<Vec<Vec<u8>>> {
        let value = self
            .protected
            .rest
            .iter()
            .find(|(label, _)| *label == Label::Int(LABEL_X5CHAIN))
            .map(|(_, v)| v)
            .ok_or(Error::new(Code::X5chainMissing, "no x5chain in the protected header"))?;
        match value {
            Value::Bytes(cert) if !cert.is_empty() => Ok(vec![cert.clone()]),
            // One certificate is a bstr, so an array holds two or more.
            Value::Array(items) if (2..=MAX_CHAIN_LEN).contains(&items.len()) => items
                .iter()
                .map(|item| match item {
                    Value::Bytes(cert) if !cert.is_empty() => Ok(cert.clone()),
                    _ => Err(Error::new(Code::X5chainMalformed, "x5chain entries must be non-empty bstr")),
                })
                .collect(),
            _ => Err(Error::new(Code::X5chainMalformed, "x5chain must be a bstr or an array of 2 to 4 bstr")),
        }
    }
}

/// A signed message opened by [`open`]: its payload decoded, its signer
/// checked.
#[derive(Clone, Debug)]
pub struct Opened<T, S> {
    /// The payload, decoded against the endpoint's rule.
    pub payload: T,
    /// The payload's bytes as received (for digests of the body).
    pub payload_bytes: Vec<u8>,
    /// What `signer` returned (the signer's certificate, usually).
    pub signer: S,
}

/// Opens a signed message in the order ENC-018 fixes: the COSE_Sign1, then
/// its payload against the rule of the endpoint it arrived at, and only
/// then `signer` (which reads `x5chain`, validates the chain and verifies
/// the signature). A message of another type is so refused by decoding,
/// whoever signed it; the caller reads its stored state only after this.
pub fn open<T, S>(
    bytes: &[u8],
    limits: &Limits,
    decode: impl FnOnce(&[u8]) -> Result<T>,
    signer: impl FnOnce(&Sign1) -> Result<S>,
) -> Result<Opened<T, S>> {
    let signed = decode_sign1(bytes, limits)?;
    let (payload, signer) = if Mutation::SignerBeforePayload.disables(None) {
        let checked = signer(&signed)?;
        (decode(signed.payload())?, checked)
    } else {
        let payload = decode(signed.payload())?;
        (payload, signer(&signed)?)
    };
    Ok(Opened { payload, payload_bytes: signed.payload, signer })
}

/// What goes in the protected header of a COSE_Sign1 the reference makes.
#[derive(Clone, Debug, Default)]
pub struct SignOptions<'a> {
    /// The signer's certificate chain (leaf first), if the message carries one.
    pub x5chain: &'a [Vec<u8>],
    /// External data bound into the signature but not sent.
    pub external_aad: &'a [u8],
}

/// Signs `payload` as a tagged COSE_Sign1 with ES256.
pub fn sign1(
    provider: &dyn CryptoProvider,
    secret: &SecretKey,
    payload: &[u8],
    options: &SignOptions<'_>,
) -> Result<Vec<u8>> {
    sign1_with(payload, options, |tbs| provider.sign_es256(secret, tbs))
}

/// Builds a tagged COSE_Sign1 whose signature comes from `signer` (a card
/// or secure element that signs the Sig_structure bytes it is handed).
pub fn sign1_with(
    payload: &[u8],
    options: &SignOptions<'_>,
    signer: impl FnOnce(&[u8]) -> Result<[u8; 64]>,
) -> Result<Vec<u8>> {
    let mut protected = vec![(LABEL_ALG, Value::Integer(ALG_ES256.into()))];
    match options.x5chain {
        [] => {}
        [one] => protected.push((LABEL_X5CHAIN, Value::Bytes(one.clone()))),
        many => protected.push((LABEL_X5CHAIN, Value::Array(many.iter().cloned().map(Value::Bytes).collect()))),
    }
    let protected_bytes = encode(&map(protected))?;
    let tbs = sig_structure(&protected_bytes, options.external_aad, payload)?;
    let signature = signer(&tbs)?;
    encode(&Value::Tag(
        TAG_COSE_SIGN1,
        Box::new(Value::Array(vec![
            Value::Bytes(protected_bytes),
            Value::Map(vec![]),
            Value::Bytes(payload.to_vec()),
            Value::Bytes(signature.to_vec()),
        ])),
    ))
}
