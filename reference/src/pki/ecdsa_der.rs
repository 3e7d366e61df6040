//! ECDSA signatures in certificates are DER `SEQUENCE { r INTEGER, s INTEGER }`;
//! the provider works on raw `r || s`. These two functions convert, and
//! nothing more (no crypto here).

use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};

use crate::error::{Code, Error, Result};

#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// Raw `r || s` to DER.
pub fn to_der(raw: &[u8; 64]) -> Result<Vec<u8>> {
    let malformed = |_| Error::new(Code::CertMalformed, "cannot encode ECDSA signature");
    let r = UintRef::new(&raw[..32]).map_err(malformed)?;
    let s = UintRef::new(&raw[32..]).map_err(malformed)?;
    EcdsaSigValue { r, s }.to_der().map_err(malformed)
}

/// DER to raw `r || s`; refuses integers longer than 32 bytes.
pub fn from_der(der_bytes: &[u8]) -> Result<[u8; 64]> {
    let parsed = EcdsaSigValue::from_der(der_bytes)
        .map_err(|e| Error::with_detail(Code::CertMalformed, format!("certificate signature is not DER r,s: {e}")))?;
    let mut out = [0u8; 64];
    for (half, value) in [(0usize, parsed.r), (32, parsed.s)] {
        let bytes = value.as_bytes();
        if bytes.len() > 32 {
            return Err(Error::new(Code::CertMalformed, "certificate signature integer longer than 32 bytes"));
        }
        out[half + 32 - bytes.len()..half + 32].copy_from_slice(bytes);
    }
    Ok(out)
}
