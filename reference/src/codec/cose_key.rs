//! COSE_Key for P-256 public keys (RFC 9053 §7.1.1), as v0 carries them.
//!
//! ```cddl
//! CoseKeyP256 = {
//!   1 => 2,          ; kty: EC2
//!   -1 => 1,         ; crv: P-256
//!   -2 => bstr .size 32,  ; x
//!   -3 => bstr .size 32,  ; y
//! }
//! ```
//! Spec: KEY-001 (type and curve), KEY-002 (sizes, point on the curve),
//! ENC-013 (no other fields).

use ciborium::Value;

use super::{Fields, Limits, decode, encode, map};
use crate::crypto::{CryptoProvider, PublicKey};
use crate::error::{Code, Error, Result};

const KTY: i64 = 1;
const CRV: i64 = -1;
const X: i64 = -2;
const Y: i64 = -3;
const KTY_EC2: i64 = 2;
const CRV_P256: i64 = 1;

/// The COSE_Key map for `key`.
pub fn to_value(key: &PublicKey) -> Value {
    map(vec![
        (KTY, Value::Integer(KTY_EC2.into())),
        (CRV, Value::Integer(CRV_P256.into())),
        (X, Value::Bytes(key.x().to_vec())),
        (Y, Value::Bytes(key.y().to_vec())),
    ])
}

/// The deterministic encoding of `key` as a COSE_Key.
pub fn to_bytes(key: &PublicKey) -> Result<Vec<u8>> {
    encode(&to_value(key))
}

fn int_field(fields: &mut Fields, key: i64, name: &str) -> Result<i64> {
    match fields.required(key, name)? {
        Value::Integer(i) => {
            i64::try_from(i128::from(i)).map_err(|_| Error::new(Code::UnsupportedKey, "value out of range"))
        }
        // A text kty or crv names a type v0 does not support.
        _ => Err(Error::with_detail(Code::UnsupportedKey, format!("{name} must be an integer"))),
    }
}

fn coordinate(fields: &mut Fields, key: i64, name: &str) -> Result<[u8; 32]> {
    match fields.required(key, name)? {
        Value::Bytes(b) => <[u8; 32]>::try_from(b.as_slice())
            .map_err(|_| Error::with_detail(Code::InvalidKey, format!("{name} is {} bytes, not 32", b.len()))),
        _ => Err(Error::with_detail(Code::Malformed, format!("COSE_Key {name} must be a bstr"))),
    }
}

/// Reads a COSE_Key from a decoded value, checking the point with `provider`.
pub fn from_value(provider: &dyn CryptoProvider, value: Value) -> Result<PublicKey> {
    let mut fields = Fields::open("COSE_Key", value)?;
    // 1. type and curve (KEY-001)
    if int_field(&mut fields, KTY, "kty")? != KTY_EC2 {
        return Err(Error::new(Code::UnsupportedKey, "kty is not EC2"));
    }
    if int_field(&mut fields, CRV, "crv")? != CRV_P256 {
        return Err(Error::new(Code::UnsupportedKey, "crv is not P-256"));
    }
    // 2. coordinates: sizes, then the point itself (KEY-002)
    let x = coordinate(&mut fields, X, "x")?;
    let y = coordinate(&mut fields, Y, "y")?;
    // 3. nothing else (ENC-013)
    fields.finish()?;
    provider.public_key_from_coordinates(&x, &y)
}

/// Strictly decodes a COSE_Key from bytes.
pub fn from_bytes(provider: &dyn CryptoProvider, bytes: &[u8]) -> Result<PublicKey> {
    from_value(provider, decode(bytes, &Limits::V0)?)
}
