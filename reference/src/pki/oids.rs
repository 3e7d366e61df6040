//! Object identifiers of the v0 certificate profile (spec/certificates.md).
//!
//! Our own OIDs sit under `1.3.6.1.4.1.32473.77`: 32473 is the enterprise
//! number IANA reserves for documentation (RFC 5612), so v0 claims no arc it
//! does not own. A deployment replaces this arc with its own.

use const_oid::ObjectIdentifier;

/// The v0 private arc.
pub const ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77");

/// EKU: the card's signature certificate (署名用電子証明書).
pub const EKU_CARD_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.1");
/// EKU: the card's user-authentication certificate (利用者証明用電子証明書).
pub const EKU_CARD_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.2");
/// EKU: a mobile `sign` certificate.
pub const EKU_MOBILE_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.3");
/// EKU: a mobile `auth` certificate.
pub const EKU_MOBILE_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.4");
/// EKU: the status signer.
pub const EKU_STATUS_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.5");
/// EKU: a verifier (relying party) asking Status.
pub const EKU_VERIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.6");
/// EKU: a secure-element key attestation.
pub const EKU_KEY_ATTESTATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.7");
/// EKU: the Issuer's receipts (deletion and wipe receipts, later phases).
pub const EKU_ISSUER_RECEIPTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.1.8");

/// Extension: key attestation facts (critical).
pub const EXT_KEY_ATTESTATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.2.1");
/// Extension: verifier authorisation (may it ask about `sign` certs; non-critical).
pub const EXT_VERIFIER_AUTHORISATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.2.2");

/// Subject attribute: address (UTF8String).
pub const ATTR_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.3.1");
/// Subject attribute: date of birth, `YYYYMMDD` (PrintableString).
pub const ATTR_DATE_OF_BIRTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.3.2");
/// Subject attribute: sex as an ISO/IEC 5218 digit (PrintableString).
pub const ATTR_SEX: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.3.3");

/// commonName (the holder's name, or an authority's name).
pub const CN: ObjectIdentifier = const_oid::db::rfc4519::CN;
/// basicConstraints.
pub const BASIC_CONSTRAINTS: ObjectIdentifier = const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS;
/// keyUsage.
pub const KEY_USAGE: ObjectIdentifier = const_oid::db::rfc5280::ID_CE_KEY_USAGE;
/// extKeyUsage.
pub const EXT_KEY_USAGE: ObjectIdentifier = const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE;
/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: ObjectIdentifier = const_oid::db::rfc5912::ECDSA_WITH_SHA_256;
/// id-ecPublicKey.
pub const EC_PUBLIC_KEY: ObjectIdentifier = const_oid::db::rfc5912::ID_EC_PUBLIC_KEY;
/// secp256r1 (P-256).
pub const SECP256R1: ObjectIdentifier = const_oid::db::rfc5912::SECP_256_R_1;
/// EKU of a document signer: ISO/IEC 18013-5's mdoc document-signer
/// purpose (id-mdl-kp-mdlDS), used for the qualification's MSOs (QUA-002).
pub const EKU_DOCUMENT_SIGNER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");
