//! The process shim (spec in `conformance/SHIM.md`): a vendor's adapter
//! binary, in any language, started by the suite and driven over its
//! stdin/stdout with length-prefixed CBOR frames.

pub mod client;
pub mod frame;
pub mod roles;
