//! The HTTP binding (spec/http.md) on the suite's side: the roles a server
//! under test hosts, driven over HTTP ([`roles`]), the Status the suite
//! serves in its place when the server's verifier or Issuer needs one
//! ([`counterpart`]), and raw exchanges for envelopes no client library
//! would send ([`raw`]).

pub mod counterpart;
pub mod raw;
pub mod roles;
