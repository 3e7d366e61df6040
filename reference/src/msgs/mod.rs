//! The v0 wire messages (spec/messages.cddl), one file per phase. Each type
//! encodes to, and strictly decodes from, the deterministic CBOR its CDDL
//! rule describes; unknown keys are refused (ENC-013).

pub mod error_msg;
pub mod issuance;
pub mod lifecycle;
pub mod status;
pub mod usage;

use crate::codec::{self, Fields, Limits, Value};
use crate::error::{Code, Error, Result};

/// A 32-byte nonce, made by the party that later checks it.
pub type Nonce = [u8; 32];
/// A 16-byte idempotency key, chosen by the client.
pub type IdempotencyKey = [u8; 16];
/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// Which mobile certificate: the card's two functions, mirrored.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Signing (署名用): carries the four attributes.
    Sign,
    /// Authentication (利用者証明用): no personal attributes.
    Auth,
}

impl Kind {
    /// Both kinds, `sign` first (the order requests list them in).
    pub const ALL: [Kind; 2] = [Kind::Sign, Kind::Auth];

    /// The wire value.
    pub fn wire(self) -> u64 {
        match self {
            Kind::Sign => 1,
            Kind::Auth => 2,
        }
    }

    /// From the wire value.
    pub fn from_wire(value: u64) -> Result<Self> {
        match value {
            1 => Ok(Kind::Sign),
            2 => Ok(Kind::Auth),
            other => Err(Error::with_detail(Code::Malformed, format!("kind {other} is not sign (1) or auth (2)"))),
        }
    }
}

/// How the user was verified for a signature.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum UvMethod {
    /// Fingerprint, face: what `sign` requires.
    Biometric,
    /// The device passcode: enough for `auth` only.
    Passcode,
}

impl UvMethod {
    /// The wire value.
    pub fn wire(self) -> u64 {
        match self {
            UvMethod::Biometric => 1,
            UvMethod::Passcode => 2,
        }
    }

    /// From the wire value.
    pub fn from_wire(value: u64) -> Result<Self> {
        match value {
            1 => Ok(UvMethod::Biometric),
            2 => Ok(UvMethod::Passcode),
            other => Err(Error::with_detail(Code::Malformed, format!("uv method {other}"))),
        }
    }
}

/// A v0 message: a CBOR map with integer keys.
pub trait Message: Sized {
    /// The CDDL rule name, for error details.
    const NAME: &'static str;

    /// The message as a CBOR value.
    fn to_value(&self) -> Value;

    /// Reads the message's fields; the caller refuses leftovers.
    fn read(fields: &mut Fields) -> Result<Self>;

    /// Deterministic encoding.
    fn to_bytes(&self) -> Result<Vec<u8>> {
        codec::encode(&self.to_value())
    }

    /// Strict decoding: deterministic CBOR, the schema, no unknown keys.
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_value(codec::decode(bytes, &Limits::V0)?)
    }

    /// Reads the message from a decoded value.
    fn from_value(value: Value) -> Result<Self> {
        let mut fields = Fields::open(Self::NAME, value)?;
        let message = Self::read(&mut fields)?;
        fields.finish()?;
        Ok(message)
    }
}

/// A bstr value.
pub(crate) fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

/// A uint value.
pub(crate) fn uint(n: u64) -> Value {
    Value::Integer(n.into())
}

/// A tstr value.
pub(crate) fn text(t: &str) -> Value {
    Value::Text(t.to_owned())
}

/// Reads a non-empty bstr of at most `max` bytes.
pub(crate) fn bounded_bytes(fields: &mut Fields, key: i64, name: &str, max: usize) -> Result<Vec<u8>> {
    let value = fields.bytes(key, name)?;
    if value.is_empty() || value.len() > max {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must be 1 to {max} bytes")));
    }
    Ok(value)
}

/// Reads a tstr of `min..=max` bytes.
pub(crate) fn bounded_text(fields: &mut Fields, key: i64, name: &str, min: usize, max: usize) -> Result<String> {
    let value = fields.text(key, name, max)?;
    if value.len() < min {
        return Err(Error::with_detail(Code::Malformed, format!("{name} must be at least {min} bytes")));
    }
    Ok(value)
}
