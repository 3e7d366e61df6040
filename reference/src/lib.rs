//! jpki-mobile reference implementation: the strict codec, COSE, the crypto
//! provider, the certificate profile and the seed-built test PKI that the
//! role state machines and the conformance suite stand on.
//!
//! Everything here is sans-IO: time comes in as [`time::UnixTime`] values,
//! randomness as a [`crypto::Entropy`], and crypto through a
//! [`crypto::CryptoProvider`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod card;
pub mod codec;
pub mod constants;
pub mod crypto;
pub mod device;
pub mod error;
pub mod http;
pub mod invariants;
pub mod issuer;
pub mod machines;
pub mod mdoc;
pub mod msgs;
pub mod mutants;
pub mod notify;
pub mod observation;
pub mod pki;
pub mod receipt;
pub mod roles;
pub mod status;
pub mod status_list;
pub mod time;
pub mod verifier;
pub mod world;

pub use error::{Code, Error, Result};
