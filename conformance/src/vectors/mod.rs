//! Fixed vectors in the spirit of Wycheproof: JSON files under `vectors/`,
//! one per message type and judging role, each test a message (hex), the
//! verdict expected, the exact error code, and flags naming the bug class
//! and the spec ids. `jpki-conformance vectors generate` rebuilds them
//! bit for bit from a seed and the injected clock; the format is described
//! for vendors in `vectors/README.md` and by `vectors/schema.json`.

mod anchors;
mod chains;
mod clients;
pub mod fixtures;
pub mod format;
mod framing;
pub mod generate;
pub mod judge;
mod lifecycle_bounds;
mod misdelivery;
mod servers;

pub use format::{VectorFile, VectorGroup, VectorTest};

/// The seed every committed vector file derives from.
pub const VECTOR_SEED: [u8; 32] = *b"jpki-mobile vectors seed v1 ----";
