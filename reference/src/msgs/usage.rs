//! Use messages (spec/messages.cddl, "Use").

use super::{Digest, Kind, Message, Nonce, UvMethod, bounded_text, bytes, text, uint};
use crate::codec::{Fields, Value, encode, map, time_value};
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// `UseRequest`: Verifier → Device.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UseRequest {
    /// The verifier's rp id.
    pub rp_id: String,
    /// The verifier's nonce.
    #[serde(with = "crate::codec::bstr::one")]
    pub nonce: Nonce,
    /// Why it asks (shown to the holder).
    pub purpose: String,
    /// The verifier's clock when it asked.
    pub time: UnixTime,
    /// Which credential to use.
    pub kind: Kind,
    /// The document digest; present if and only if `kind` is `sign`.
    #[serde(with = "crate::codec::bstr::option")]
    pub document_digest: Option<Digest>,
}

fn check_digest_presence(kind: Kind, digest: &Option<Digest>, message: &str) -> Result<()> {
    if (kind == Kind::Sign) != digest.is_some() {
        return Err(Error::with_detail(Code::Malformed, format!("{message}: document digest iff kind is sign")));
    }
    Ok(())
}

impl Message for UseRequest {
    const NAME: &'static str = "UseRequest";

    fn to_value(&self) -> Value {
        let mut entries = vec![
            (1, text(&self.rp_id)),
            (2, bytes(&self.nonce)),
            (3, text(&self.purpose)),
            (4, time_value(self.time)),
            (5, uint(self.kind.wire())),
        ];
        if let Some(d) = &self.document_digest {
            entries.push((6, bytes(d)));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let request = UseRequest {
            rp_id: bounded_text(fields, 1, "rp id", 1, 64)?,
            nonce: fields.fixed_bytes(2, "nonce")?,
            purpose: bounded_text(fields, 3, "purpose", 1, 256)?,
            time: fields.time(4, "time")?,
            kind: Kind::from_wire(fields.uint(5, "kind")?)?,
            document_digest: fields.optional(6).map(|v| digest_value(v, "document digest")).transpose()?,
        };
        check_digest_presence(request.kind, &request.document_digest, Self::NAME)?;
        // The fuzzing canary (fuzz/README.md): only in builds with the
        // `canary` feature, a well-formed request whose purpose begins `jpki`
        // panics, so we can see how long the `use_request` target takes to
        // reach the meaning of a message past all its encoding checks.
        // (Compared as one integer: a 4-byte slice comparison becomes a
        // `memcmp` that libFuzzer only sees through sanitizer interceptors,
        // which a `--sanitizer none` build lacks.)
        #[cfg(feature = "canary")]
        if let Some(head) = request.purpose.as_bytes().first_chunk::<4>() {
            if u32::from_be_bytes(*head) == u32::from_be_bytes(*b"jpki") {
                panic!("fuzzing canary reached");
            }
        }
        Ok(request)
    }
}

fn digest_value(value: Value, name: &str) -> Result<Digest> {
    match value {
        Value::Bytes(b) => <[u8; 32]>::try_from(b.as_slice())
            .map_err(|_| Error::with_detail(Code::Malformed, format!("{name}: 32 bytes"))),
        _ => Err(Error::with_detail(Code::Malformed, format!("{name} must be a bstr"))),
    }
}

/// `AssertionPayload`: what the SE key signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionPayload {
    /// SHA-256 of the rp id.
    pub rp_id_hash: Digest,
    /// The UseRequest's nonce.
    pub nonce: Nonce,
    /// The SE key's signature counter.
    pub counter: u32,
    /// The user was verified for this signature.
    pub user_verified: bool,
    /// How.
    pub uv_method: UvMethod,
    /// The device's clock when signing.
    pub time: UnixTime,
    /// The kind of the signing certificate.
    pub kind: Kind,
    /// SHA-256 of the encoded transcript.
    pub transcript_hash: Digest,
    /// The document digest; present if and only if `kind` is `sign`.
    pub document_digest: Option<Digest>,
}

impl Message for AssertionPayload {
    const NAME: &'static str = "AssertionPayload";

    fn to_value(&self) -> Value {
        let mut entries = vec![
            (1, bytes(&self.rp_id_hash)),
            (2, bytes(&self.nonce)),
            (3, uint(u64::from(self.counter))),
            (4, Value::Bool(self.user_verified)),
            (5, uint(self.uv_method.wire())),
            (6, time_value(self.time)),
            (7, uint(self.kind.wire())),
            (8, bytes(&self.transcript_hash)),
        ];
        if let Some(d) = &self.document_digest {
            entries.push((9, bytes(d)));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let payload = AssertionPayload {
            rp_id_hash: fields.fixed_bytes(1, "rp id hash")?,
            nonce: fields.fixed_bytes(2, "nonce")?,
            counter: u32::try_from(fields.uint(3, "counter")?)
                .map_err(|_| Error::new(Code::Malformed, "counter exceeds 32 bits"))?,
            user_verified: fields.bool(4, "uv flag")?,
            uv_method: UvMethod::from_wire(fields.uint(5, "uv method")?)?,
            time: fields.time(6, "time")?,
            kind: Kind::from_wire(fields.uint(7, "kind")?)?,
            transcript_hash: fields.fixed_bytes(8, "transcript hash")?,
            document_digest: fields.optional(9).map(|v| digest_value(v, "document digest")).transpose()?,
        };
        check_digest_presence(payload.kind, &payload.document_digest, Self::NAME)?;
        Ok(payload)
    }
}

/// SHA-256 of `[rp-id, nonce, purpose, serial]`, deterministically encoded:
/// binds an assertion to one session of one verifier (USE transcript rule).
pub fn transcript_hash(
    provider: &dyn CryptoProvider,
    rp_id: &str,
    nonce: &Nonce,
    purpose: &str,
    serial: &[u8],
) -> Result<Digest> {
    let encoded = encode(&Value::Array(vec![text(rp_id), bytes(nonce), text(purpose), bytes(serial)]))?;
    Ok(provider.sha256(&encoded))
}
