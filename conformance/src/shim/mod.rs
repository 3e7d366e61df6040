//! The process shim (spec in `conformance/SHIM.md`). The suite's side,
//! the client and the roles it drives, is a binding of its own
//! (`jpki_bindings::shim`); here is the other side: the template adapter
//! serving the reference (`jpki-shim-reference`).

pub use jpki_bindings::shim::{client, frame, roles};
pub mod server;
