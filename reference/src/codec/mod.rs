//! Strict, bounded CBOR and the COSE structures built on it.
//!
//! Decoding is two steps: [`validate`] checks the raw bytes against the
//! deterministic-encoding rules and the bounds, then ciborium builds a
//! [`Value`] from bytes that can no longer surprise it. Encoding goes
//! through [`encode`], which only writes deterministic bytes.

mod encode;
mod fields;
mod strict;

pub mod bstr;
pub mod cose_key;
pub mod cose_sign1;

pub use ciborium::Value;
pub use encode::encode;
pub use fields::{Fields, map, time_value};
pub use strict::{Limits, StrictError, validate};

use crate::error::{Code, Error, Result};

/// Decodes one strictly valid CBOR item (ENC-001 to ENC-011).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Value> {
    if limits.deterministic {
        validate(bytes, limits)?;
    } else if bytes.len() > limits.max_bytes {
        return Err(Error::new(Code::TooLarge, "message too large"));
    }
    // The validated bytes are well-formed and bounded, so ciborium only fails
    // here on something the validator let through by mistake.
    ciborium::de::from_reader_with_recursion_limit(bytes, limits.max_depth + 1)
        .map_err(|e| Error::with_detail(Code::Malformed, format!("decoder: {e}")))
}

/// Decodes with the v0 limits.
pub fn decode_v0(bytes: &[u8]) -> Result<Value> {
    decode(bytes, &Limits::V0)
}

/// CBOR tag 1: whole seconds since the epoch (wire convention for times).
pub const TAG_EPOCH_TIME: u64 = 1;
/// CBOR tag 18: COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
