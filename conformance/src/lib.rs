//! jpki-mobile conformance suite. In this first version it runs the
//! external vector sets and the reference's PKI self-checks; the role
//! checks, bindings and reports of the full runner build on it.

pub mod external;
pub mod selfcheck;
