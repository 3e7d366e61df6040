//! `serve --chaos PERCENT`: the reference Issuer misbehaving on purpose, as
//! the suite's chaos checks do, for a wallet vendor testing live. A share of
//! the issuance requests gets one of three
//! turns: a valid request refused with `retry_later` after it was judged
//! and rolled back (ISS-016), an answer held back a few seconds, or an
//! answer dropped after the step committed (the connection cut mid-answer).
//! A conforming wallet sends the same request again and ends with one
//! issuance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jpki_reference::http::Endpoint;

/// What chaos does to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Nothing.
    Calm,
    /// Judge it, roll it back, answer `retry_later` (503).
    Refuse,
    /// Answer after this long.
    Delay(Duration),
    /// Commit, then cut the connection instead of answering.
    DropAfterCommit,
}

/// How many turns chaos took in this process: the turns go round in order
/// (refuse, delay, drop), so `--chaos 100` is predictable.
static TURNS: AtomicU64 = AtomicU64::new(0);

/// The turn for a request to `endpoint`: for an issuance (ISS-016 is
/// about IssuanceRequests), `percent` of them (drawn at random) not calm.
pub fn turn(percent: u8, endpoint: Endpoint) -> Turn {
    if endpoint != Endpoint::Issue {
        return Turn::Calm;
    }
    let draw = crate::client::fresh_key();
    if u32::from(draw[0]) * 100 >= u32::from(percent) * 256 {
        return Turn::Calm;
    }
    match TURNS.fetch_add(1, Ordering::Relaxed) % 3 {
        0 => Turn::Refuse,
        1 => Turn::Delay(Duration::from_millis(1000 + u64::from(draw[1]) * 4)),
        _ => Turn::DropAfterCommit,
    }
}
