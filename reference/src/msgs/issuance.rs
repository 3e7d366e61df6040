//! Issuance messages (spec/messages.cddl, "Issuance").

use super::{IdempotencyKey, Kind, Message, Nonce, bounded_text, bytes, uint};
use crate::codec::{Fields, Value, cose_key, map, time_value};
use crate::constants::MAX_CHAIN_LEN;
use crate::crypto::{CryptoProvider, PublicKey};
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// `IssuanceChallenge = { 1 => nonce, 2 => time }`: Issuer → Device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceChallenge {
    /// Fresh, single use; also the attestation challenge.
    pub nonce: Nonce,
    /// When the session expires.
    pub expiry: UnixTime,
}

impl Message for IssuanceChallenge {
    const NAME: &'static str = "IssuanceChallenge";

    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.nonce)), (2, time_value(self.expiry))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(IssuanceChallenge { nonce: fields.fixed_bytes(1, "nonce")?, expiry: fields.time(2, "expiry")? })
    }
}

/// `IssuanceRequest = { 1 => Signed (card sign key), 2 => Signed (card auth key) }`:
/// the same payload signed twice by the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceRequest {
    /// COSE_Sign1 by the card's sign key (after the sign password).
    pub signed_by_sign_key: Vec<u8>,
    /// COSE_Sign1 by the card's auth key (after the auth PIN).
    pub signed_by_auth_key: Vec<u8>,
}

impl Message for IssuanceRequest {
    const NAME: &'static str = "IssuanceRequest";

    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.signed_by_sign_key)), (2, bytes(&self.signed_by_auth_key))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(IssuanceRequest {
            signed_by_sign_key: part(fields, 1, "sign")?,
            signed_by_auth_key: part(fields, 2, "auth")?,
        })
    }
}

/// One card part of an IssuanceRequest: a bstr holding the COSE_Sign1.
fn part(fields: &mut Fields, key: i64, name: &str) -> Result<Vec<u8>> {
    match fields.required(key, name)? {
        Value::Bytes(bytes) => Ok(bytes),
        inline @ Value::Tag(..) if crate::mutants::Mutation::InlineSignedParts.disables(None) => {
            crate::codec::encode(&inline)
        }
        _ => Err(Error::with_detail(Code::Malformed, format!("the {name} part must be a bstr"))),
    }
}

/// `KeyRequest = { 1 => kind, 2 => COSE_Key, 3 => cert-chain }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    /// The kind this key is for.
    pub kind: Kind,
    /// The new SE public key.
    pub key: PublicKey,
    /// Its attestation chain, leaf first.
    pub attestation: Vec<Vec<u8>>,
}

/// `IssuanceRequestPayload`: what the card signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceRequestPayload {
    /// The challenge's nonce.
    pub nonce: Nonce,
    /// One entry per requested kind, `sign` before `auth`.
    pub keys: Vec<KeyRequest>,
    /// The holder's notification address.
    pub notification_address: String,
    /// The client's idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// Migration path B: the holder's certificates this issuance supersedes
    /// (the old device is lost; the card authorises). Empty for a first issuance.
    pub replaces: Vec<Vec<u8>>,
    /// Keys for qualification mdocs, one MSO each (QUA-001); empty for none.
    pub qualification: Vec<QualificationKey>,
}

/// `QualificationKey = { 1 => COSE_Key, 2 => cert-chain }`: a device key
/// for one qualification MSO, attested as a certificate key is (QUA-001).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualificationKey {
    /// The new SE public key.
    pub key: PublicKey,
    /// Its attestation chain, leaf first.
    pub attestation: Vec<Vec<u8>>,
}

fn qualification_value(keys: &[QualificationKey]) -> Value {
    Value::Array(
        keys.iter().map(|k| map(vec![(1, cose_key::to_value(&k.key)), (2, chain_value(&k.attestation))])).collect(),
    )
}

/// Reads `[1*4 QualificationKey]` (QUA-001).
fn read_qualification(provider: &dyn CryptoProvider, value: Value) -> Result<Vec<QualificationKey>> {
    let Value::Array(entries) = value else {
        return Err(Error::new(Code::Malformed, "qualification must be an array"));
    };
    if entries.is_empty() || entries.len() > crate::constants::MDOC_BATCH_MAX {
        return Err(Error::new(Code::Malformed, "qualification lists 1 to 4 keys"));
    }
    entries
        .into_iter()
        .map(|entry| {
            let mut fields = Fields::open("QualificationKey", entry)?;
            let key = cose_key::from_value(provider, fields.required(1, "key")?)?;
            let attestation = read_chain(fields.required(2, "attestation")?, "attestation")?;
            fields.finish()?;
            Ok(QualificationKey { key, attestation })
        })
        .collect()
}

fn chain_value(chain: &[Vec<u8>]) -> Value {
    Value::Array(chain.iter().map(|c| bytes(c)).collect())
}

/// Reads `cert-chain = [1*4 cert]`.
pub(crate) fn read_chain(value: Value, name: &str) -> Result<Vec<Vec<u8>>> {
    let Value::Array(items) = value else {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must be an array")));
    };
    if items.is_empty() || items.len() > MAX_CHAIN_LEN {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must hold 1 to {MAX_CHAIN_LEN} certificates")));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Bytes(cert) if !cert.is_empty() => Ok(cert),
            _ => Err(Error::with_detail(Code::Malformed, format!("{name} entries must be non-empty bstr"))),
        })
        .collect()
}

/// `[1*2 KeyRequest]` as a CBOR value.
pub(crate) fn keys_value(keys: &[KeyRequest]) -> Value {
    Value::Array(
        keys.iter()
            .map(|k| {
                map(vec![(1, uint(k.kind.wire())), (2, cose_key::to_value(&k.key)), (3, chain_value(&k.attestation))])
            })
            .collect(),
    )
}

/// Reads `[1*2 KeyRequest]`: distinct kinds, `sign` before `auth`.
pub(crate) fn read_keys(provider: &dyn CryptoProvider, entries: Vec<Value>) -> Result<Vec<KeyRequest>> {
    if entries.is_empty() || entries.len() > 2 {
        return Err(Error::new(Code::Malformed, "keys must list one or two kinds"));
    }
    let mut keys = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut key_fields = Fields::open("KeyRequest", entry)?;
        let kind = Kind::from_wire(key_fields.uint(1, "kind")?)?;
        let key = cose_key::from_value(provider, key_fields.required(2, "key")?)?;
        let attestation = read_chain(key_fields.required(3, "attestation")?, "attestation")?;
        key_fields.finish()?;
        keys.push(KeyRequest { kind, key, attestation });
    }
    // ISS-014: one request per kind, sign before auth
    if keys.windows(2).any(|w| w[0].kind >= w[1].kind) && !crate::mutants::Mutation::AnyKindOrder.disables(None) {
        return Err(Error::new(Code::Malformed, "kinds must be distinct, sign before auth"));
    }
    Ok(keys)
}

/// `[1*4 cert-serial]` as a CBOR value.
pub(crate) fn serials_value(serials: &[Vec<u8>]) -> Value {
    Value::Array(serials.iter().map(|s| bytes(s)).collect())
}

/// Reads `[1*4 cert-serial]`.
pub(crate) fn read_serials(value: Value, name: &str) -> Result<Vec<Vec<u8>>> {
    let Value::Array(items) = value else {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must be an array")));
    };
    if items.is_empty() || items.len() > 4 {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must list 1 to 4 serials")));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Bytes(s) if !s.is_empty() && s.len() <= 20 => Ok(s),
            _ => Err(Error::with_detail(Code::Malformed, format!("{name}: serials are 1 to 20 bytes"))),
        })
        .collect()
}

impl IssuanceRequestPayload {
    /// The payload as a CBOR value.
    pub fn to_value(&self) -> Value {
        let mut entries = vec![
            (1, bytes(&self.nonce)),
            (2, keys_value(&self.keys)),
            (3, Value::Text(self.notification_address.clone())),
            (4, bytes(&self.idempotency_key)),
        ];
        if !self.replaces.is_empty() {
            entries.push((5, serials_value(&self.replaces)));
        }
        if !self.qualification.is_empty() {
            entries.push((6, qualification_value(&self.qualification)));
        }
        map(entries)
    }

    /// Deterministic encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::codec::encode(&self.to_value())
    }

    /// Strict decoding; COSE_Keys are checked on the curve with `provider`.
    pub fn from_bytes(provider: &dyn CryptoProvider, payload: &[u8]) -> Result<Self> {
        let value = crate::codec::decode_v0(payload)?;
        let mut fields = Fields::open("IssuanceRequestPayload", value)?;
        let nonce = fields.fixed_bytes(1, "nonce")?;
        let entries = fields.array(2, "keys")?;
        let notification_address = bounded_text(&mut fields, 3, "notification address", 3, 254)?;
        let idempotency_key = fields.fixed_bytes(4, "idempotency key")?;
        let replaces = fields.optional(5).map(|v| read_serials(v, "replaces")).transpose()?.unwrap_or_default();
        let qualification =
            fields.optional(6).map(|v| read_qualification(provider, v)).transpose()?.unwrap_or_default();
        fields.finish()?;
        let keys = read_keys(provider, entries)?;
        Ok(IssuanceRequestPayload { nonce, keys, notification_address, idempotency_key, replaces, qualification })
    }
}

/// `IssuedCert = { 1 => kind, 2 => cert }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCert {
    /// The kind.
    pub kind: Kind,
    /// The mobile certificate, DER.
    pub cert: Vec<u8>,
}

/// `IssuanceResponse = { 1 => [1*2 IssuedCert], ? 2 => [1*4 bstr] }`: Issuer → Device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceResponse {
    /// The issued certificates, in request order.
    pub certs: Vec<IssuedCert>,
    /// One encoded `IssuerSigned` per qualification key, in request order (QUA-002).
    pub mdocs: Vec<Vec<u8>>,
}

impl Message for IssuanceResponse {
    const NAME: &'static str = "IssuanceResponse";

    fn to_value(&self) -> Value {
        let certs = self.certs.iter().map(|c| map(vec![(1, uint(c.kind.wire())), (2, bytes(&c.cert))])).collect();
        let mut entries = vec![(1, Value::Array(certs))];
        if !self.mdocs.is_empty() {
            entries.push((2, Value::Array(self.mdocs.iter().map(|m| bytes(m)).collect())));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let entries = fields.array(1, "certs")?;
        let any_count = crate::mutants::Mutation::AnyCertCount.disables(None);
        if (entries.is_empty() || entries.len() > 2) && !any_count {
            return Err(Error::new(Code::Malformed, "one or two certificates"));
        }
        let mut certs = Vec::new();
        for entry in entries {
            let mut f = Fields::open("IssuedCert", entry)?;
            let kind = Kind::from_wire(f.uint(1, "kind")?)?;
            let cert = f.bytes(2, "cert")?;
            f.finish()?;
            certs.push(IssuedCert { kind, cert });
        }
        let mdocs = match fields.optional(2) {
            None => Vec::new(),
            Some(Value::Array(items)) if (1..=crate::constants::MDOC_BATCH_MAX).contains(&items.len()) => items
                .into_iter()
                .map(|item| match item {
                    Value::Bytes(mdoc) if !mdoc.is_empty() => Ok(mdoc),
                    _ => Err(Error::new(Code::Malformed, "mdocs are non-empty bstr")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(Error::new(Code::Malformed, "mdocs: an array of 1 to 4 bstr")),
        };
        Ok(IssuanceResponse { certs, mdocs })
    }
}
