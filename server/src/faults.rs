//! Planted bugs of the HTTP edge, one per binding rule, so that a test can
//! show each of the binding's checks failing on the rule it names (as the
//! reference's built-in mutants do for the protocol). Never set outside
//! that test: `ServeConfig::fault` is `None` everywhere else.

/// One rule of spec/http.md the server breaks on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeFault {
    /// Takes any method at a protocol path (breaks HTTP-001).
    AnyMethod,
    /// Answers an unknown path with 400 `malformed` (breaks HTTP-002).
    UnknownPathAsMalformed,
    /// Takes any content type (breaks HTTP-003).
    AnyContentType,
    /// Answers encoding refusals with 422 (breaks HTTP-006).
    EncodingAs422,
    /// Answers a body that does not decode with 500 `server_fault` (breaks HTTP-007).
    FaultOnUndecodable,
    /// Takes a request without an `Idempotency-Key` (breaks HTTP-008).
    NoKeyNeeded,
    /// Never replays a stored answer (breaks HTTP-008).
    NoReplay,
    /// Feeds its own Status and asks it, whatever the Status address (breaks HTTP-011).
    IgnoreStatusAddress,
}

impl EdgeFault {
    /// Every fault, with the requirement it breaks.
    pub const ALL: [(EdgeFault, &'static str); 8] = [
        (EdgeFault::AnyMethod, "HTTP-001"),
        (EdgeFault::UnknownPathAsMalformed, "HTTP-002"),
        (EdgeFault::AnyContentType, "HTTP-003"),
        (EdgeFault::EncodingAs422, "HTTP-006"),
        (EdgeFault::FaultOnUndecodable, "HTTP-007"),
        (EdgeFault::NoKeyNeeded, "HTTP-008"),
        (EdgeFault::NoReplay, "HTTP-008"),
        (EdgeFault::IgnoreStatusAddress, "HTTP-011"),
    ];
}
