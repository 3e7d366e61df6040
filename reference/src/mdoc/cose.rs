//! COSE_Sign1 as ISO/IEC 18013-5 uses it: untagged (tag 18 accepted),
//! ES256 in the protected header, the signer's certificate chain in
//! `x5chain` (label 33, in the unprotected header as the standard writes
//! it; either bucket read), and a detached (nil) payload for device and
//! reader authentication.

use crate::codec::cose_sign1::{ALG_ES256, LABEL_ALG, LABEL_KID, LABEL_X5CHAIN};
use crate::codec::{self, TAG_COSE_SIGN1, Value};
use crate::constants::MAX_CHAIN_LEN;
use crate::crypto::{self, CryptoProvider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

use super::cbor::{decode, malformed};

/// A structurally checked 18013-5 COSE_Sign1 (signature not yet verified).
#[derive(Clone, Debug, PartialEq)]
pub struct MdocSign1 {
    protected_bytes: Vec<u8>,
    payload: Option<Vec<u8>>,
    signature: Vec<u8>,
    x5chain: Vec<Vec<u8>>,
}

fn int_label(key: &Value) -> Option<i64> {
    match key {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

fn read_x5chain(value: &Value) -> Result<Vec<Vec<u8>>> {
    match value {
        Value::Bytes(cert) if !cert.is_empty() => Ok(vec![cert.clone()]),
        Value::Array(items) if (1..=MAX_CHAIN_LEN).contains(&items.len()) => items
            .iter()
            .map(|item| match item {
                Value::Bytes(cert) if !cert.is_empty() => Ok(cert.clone()),
                _ => Err(Error::new(Code::X5chainMalformed, "x5chain entries must be non-empty bstr")),
            })
            .collect(),
        _ => Err(Error::new(Code::X5chainMalformed, "x5chain must be a bstr or an array of bstr")),
    }
}

impl MdocSign1 {
    /// Reads a COSE_Sign1 value: four elements, ES256 protected, only the
    /// labels alg, kid and x5chain, x5chain in one bucket at most.
    pub fn from_value(value: Value) -> Result<Self> {
        let inner = match value {
            Value::Tag(TAG_COSE_SIGN1, inner) => *inner,
            Value::Tag(other, _) => {
                return Err(Error::with_detail(Code::WrongTag, format!("tag {other} around a COSE_Sign1")));
            }
            untagged => untagged,
        };
        let Value::Array(items) = inner else { return Err(malformed("COSE_Sign1 is not an array")) };
        let [protected, unprotected, payload, signature]: [Value; 4] =
            items.try_into().map_err(|_| malformed("COSE_Sign1 must have four elements"))?;
        let (Value::Bytes(protected_bytes), Value::Map(unprotected), Value::Bytes(signature)) =
            (protected, unprotected, signature)
        else {
            return Err(malformed("COSE_Sign1: protected bstr, unprotected map, signature bstr"));
        };
        let payload = match payload {
            Value::Bytes(payload) => Some(payload),
            Value::Null => None,
            _ => return Err(malformed("COSE_Sign1 payload must be a bstr or nil")),
        };
        let protected = if protected_bytes.is_empty() { Value::Map(vec![]) } else { decode(&protected_bytes)? };
        let Value::Map(protected) = protected else { return Err(malformed("protected header must be a map")) };
        let mut alg = None;
        let mut x5chain = None;
        for (bucket, entries, known) in [
            ("protected", &protected, &[LABEL_ALG, LABEL_X5CHAIN][..]),
            ("unprotected", &unprotected, &[LABEL_KID, LABEL_X5CHAIN][..]),
        ] {
            for (key, value) in entries {
                let label = int_label(key).filter(|l| known.contains(l)).ok_or_else(|| {
                    Error::with_detail(Code::UnknownField, format!("{bucket} header label {key:?} is not read"))
                })?;
                if label == LABEL_ALG {
                    alg = Some(value.clone());
                } else if label == LABEL_X5CHAIN {
                    if x5chain.is_some() {
                        return Err(Error::new(Code::DuplicateHeader, "x5chain in both buckets"));
                    }
                    x5chain = Some(read_x5chain(value)?);
                }
            }
        }
        match alg {
            None => return Err(Error::new(Code::AlgNotProtected, "alg is not in the protected header")),
            Some(alg) if alg == Value::Integer(ALG_ES256.into()) => {}
            Some(other) => return Err(Error::with_detail(Code::UnsupportedAlg, format!("alg {other:?} is not ES256"))),
        }
        if signature.len() != 64 {
            return Err(Error::with_detail(Code::BadSignatureSize, format!("signature is {} bytes", signature.len())));
        }
        Ok(MdocSign1 { protected_bytes, payload, signature, x5chain: x5chain.unwrap_or_default() })
    }

    /// The attached payload, if any.
    pub fn payload(&self) -> Option<&[u8]> {
        self.payload.as_deref()
    }

    /// The `x5chain` certificates, leaf first (empty when there is none).
    pub fn x5chain(&self) -> &[Vec<u8>] {
        &self.x5chain
    }

    /// Verifies the ES256 signature with `key` over the attached payload,
    /// or over `detached` when the payload is nil.
    pub fn verify(&self, provider: &dyn CryptoProvider, key: &PublicKey, detached: Option<&[u8]>) -> Result<()> {
        let payload = match (&self.payload, detached) {
            (Some(attached), None) => attached.as_slice(),
            (None, Some(detached)) => detached,
            _ => return Err(malformed("COSE_Sign1: payload attached and detached, or neither")),
        };
        crypto::verify_es256(provider, key, &sig_structure(&self.protected_bytes, payload)?, &self.signature)
    }
}

fn sig_structure(protected: &[u8], payload: &[u8]) -> Result<Vec<u8>> {
    codec::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

/// Makes an untagged 18013-5 COSE_Sign1 (ES256, `x5chain` unprotected when
/// given), the payload attached or, with `detached`, nil.
pub fn sign(
    provider: &dyn CryptoProvider,
    secret: &SecretKey,
    payload: &[u8],
    x5chain: &[Vec<u8>],
    detached: bool,
) -> Result<Value> {
    let protected = codec::encode(&codec::map(vec![(LABEL_ALG, Value::Integer(ALG_ES256.into()))]))?;
    let signature = provider.sign_es256(secret, &sig_structure(&protected, payload)?)?;
    let unprotected = match x5chain {
        [] => vec![],
        [one] => vec![(LABEL_X5CHAIN, Value::Bytes(one.clone()))],
        many => vec![(LABEL_X5CHAIN, Value::Array(many.iter().cloned().map(Value::Bytes).collect()))],
    };
    Ok(Value::Array(vec![
        Value::Bytes(protected),
        codec::map(unprotected),
        if detached { Value::Null } else { Value::Bytes(payload.to_vec()) },
        Value::Bytes(signature.to_vec()),
    ]))
}
