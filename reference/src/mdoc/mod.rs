//! Health-insurance qualification (資格確認) as an ISO/IEC 18013-5 mdoc
//! (spec/qualification.md, QUA-001 … QUA-016): the Issuer signs Mobile
//! Security Objects in the card-signed issuance, the wallet presents with
//! selective disclosure and the holder's consent, and a reader checks the
//! issuer, digests, validity, device signature and status.
//!
//! v0 covers device authentication by signature (ES256) over an online
//! SessionTranscript; session encryption, device engagement and
//! `deviceMac` are out of its scope.

pub mod cbor;
pub mod cose;
pub mod mso;
pub mod reader;
pub mod session;
pub mod wallet;

/// The qualification doctype.
pub const DOC_TYPE: &str = "jp.jpki-mobile.qualification.1";
/// Its one namespace.
pub const NAMESPACE: &str = "jp.jpki-mobile.qualification.1";
