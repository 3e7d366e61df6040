//! How a binding ends a check when the SUT cannot go on: panic payloads
//! the runner turns into outcomes. The role traits have no room for "the
//! SUT is gone", so a binding ends the check script the way scripts end.
#![allow(clippy::panic)]

/// The SUT said it does not implement a method: the check is `unimplemented`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unimplemented(pub String);

/// The SUT broke its transport (crashed, hung, babbled, refused a set-up
/// control): a failure of the SUT, but of no protocol requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken(pub String);

/// The SUT lacks a control the check needs: the check is `skipped` with this reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing(pub String);

/// The SUT's answer broke a requirement of the binding itself (a 5xx for
/// input, a refusal under another status than its code's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The requirement.
    pub requirement: &'static str,
    /// What the binding asks.
    pub expected: String,
    /// What came.
    pub actual: String,
}

/// Ends the check: the SUT broke its transport.
pub fn broken(detail: String) -> ! {
    std::panic::panic_any(Broken(detail))
}

/// Ends the check: the SUT lacks what the check needs.
pub fn missing(reason: String) -> ! {
    std::panic::panic_any(Missing(reason))
}

/// Ends the check: the SUT broke `requirement`.
pub fn violated(requirement: &'static str, expected: impl Into<String>, actual: impl Into<String>) -> ! {
    std::panic::panic_any(Violation { requirement, expected: expected.into(), actual: actual.into() })
}
