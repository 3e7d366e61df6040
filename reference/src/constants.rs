//! The spec's named constants (spec/protocol.md, "Constants"). A test checks
//! that the table in the spec states the same values.

/// How long an issued nonce (issuance or verifier) may be answered, in seconds.
pub const NONCE_LIFETIME_SECS: u64 = 300;
/// How old a status response may be (from its thisUpdate) and still be used, in seconds.
pub const STATUS_FRESHNESS_SECS: u64 = 300;
/// How far a signed time may sit from the receiver's clock, in seconds.
pub const CLOCK_SKEW_SECS: u64 = 60;
/// The largest message, in bytes, any decoder accepts.
pub const MAX_MESSAGE_BYTES: usize = 65_536;
/// The deepest nesting of arrays, maps and tags any decoder accepts.
pub const MAX_DEPTH: usize = 16;
/// The most items (array elements or map pairs) in one collection.
pub const MAX_COLLECTION_ITEMS: usize = 64;
/// The most certificates in one `x5chain`.
pub const MAX_CHAIN_LEN: usize = 4;
/// Consecutive wrong sign passwords that lock the card's sign key.
pub const SIGN_PASSWORD_TRIES: u64 = 5;
/// Consecutive wrong auth PINs that lock the card's auth key.
pub const AUTH_PIN_TRIES: u64 = 3;
/// The most open nonces (unanswered, unexpired) a receiver holds: issuance
/// sessions at the Issuer, use nonces at each verifier.
pub const MAX_OPEN_NONCES: usize = 1024;
/// Entries in one chunk of Status's status list (STL-004): one change
/// re-signs one chunk, never the whole list.
pub const LIST_CHUNK_ENTRIES: u64 = 65_536;
/// How long the Issuer keeps an idempotency record, in seconds.
pub const IDEMPOTENCY_RETENTION_SECS: u64 = 86_400;
/// Most qualification mdocs (MSOs, each with its own device key) one
/// issuance may ask for (QUA-001).
pub const MDOC_BATCH_MAX: usize = 4;
/// Most presentations a wallet makes with one MSO (QUA-007).
pub const MDOC_PRESENTATIONS_PER_MSO: u32 = 4;
/// How long an MSO is valid at most; never past the `auth` certificate it
/// is recorded with (QUA-002).
pub const MSO_LIFETIME_SECS: u64 = 2_592_000;
