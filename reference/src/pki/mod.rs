//! The v0 certificate profile: OIDs, building certificates, parsing them,
//! validating chains, and the seed-built test PKI (spec/certificates.md).

pub mod ecdsa_der;

pub mod build;
pub mod fixtures;
pub mod oids;
pub mod parse;
pub mod profile;
pub mod validate;

pub use build::{CertRole, CertTemplate, IssuerRef, NameAttribute, issue_certificate};
pub use fixtures::{Authority, CardCredentials, Credential, TestPki};
pub use parse::ParsedCert;
pub use profile::{HolderAttributes, KeyAttestation, Purpose, Sex, mobile_not_after};
pub use validate::{CHAIN_CACHE_CAPACITY, TrustAnchor, validate_chain, without_chain_cache};
