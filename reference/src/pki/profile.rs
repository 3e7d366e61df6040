//! The v0 certificate profile: purposes (EKUs), the holder's four basic
//! attributes, and our two private extensions (spec/certificates.md).

use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};

use super::oids;
use crate::error::{Code, Error, Result};
use crate::time::CivilDate;

/// What a leaf certificate is for; each purpose is one EKU (PKI-005).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// The card's signature certificate (carries the four attributes).
    CardSign,
    /// The card's user-authentication certificate (no personal attributes).
    CardAuth,
    /// A mobile `sign` certificate.
    MobileSign,
    /// A mobile `auth` certificate.
    MobileAuth,
    /// The status signer.
    StatusSigning,
    /// A verifier asking Status.
    Verifier,
    /// A secure-element key attestation.
    KeyAttestation,
    /// The Issuer's receipts.
    IssuerReceipts,
    /// The Issuer as document signer of qualification MSOs (QUA-002).
    DocumentSigner,
}

impl Purpose {
    /// The purpose of a mobile certificate of `kind` (its EKU, PKI-005).
    pub fn mobile(kind: crate::msgs::Kind) -> Purpose {
        match kind {
            crate::msgs::Kind::Sign => Purpose::MobileSign,
            crate::msgs::Kind::Auth => Purpose::MobileAuth,
        }
    }

    /// Every purpose.
    pub const ALL: [Purpose; 9] = [
        Purpose::CardSign,
        Purpose::CardAuth,
        Purpose::MobileSign,
        Purpose::MobileAuth,
        Purpose::StatusSigning,
        Purpose::Verifier,
        Purpose::KeyAttestation,
        Purpose::IssuerReceipts,
        Purpose::DocumentSigner,
    ];

    /// The EKU OID of this purpose.
    pub fn eku(self) -> ObjectIdentifier {
        match self {
            Purpose::CardSign => oids::EKU_CARD_SIGN,
            Purpose::CardAuth => oids::EKU_CARD_AUTH,
            Purpose::MobileSign => oids::EKU_MOBILE_SIGN,
            Purpose::MobileAuth => oids::EKU_MOBILE_AUTH,
            Purpose::StatusSigning => oids::EKU_STATUS_SIGNING,
            Purpose::Verifier => oids::EKU_VERIFIER,
            Purpose::KeyAttestation => oids::EKU_KEY_ATTESTATION,
            Purpose::IssuerReceipts => oids::EKU_ISSUER_RECEIPTS,
            Purpose::DocumentSigner => oids::EKU_DOCUMENT_SIGNER,
        }
    }
}

/// Sex as ISO/IEC 5218 codes it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 0: not known.
    NotKnown,
    /// 1: male.
    Male,
    /// 2: female.
    Female,
    /// 9: not applicable.
    NotApplicable,
}

impl Sex {
    /// The ISO/IEC 5218 digit.
    pub fn code(self) -> &'static str {
        match self {
            Sex::NotKnown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::NotApplicable => "9",
        }
    }

    /// Parses an ISO/IEC 5218 digit.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "0" => Some(Sex::NotKnown),
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "9" => Some(Sex::NotApplicable),
            _ => None,
        }
    }
}

/// The four basic attributes (基本4情報) a `sign` certificate carries.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HolderAttributes {
    /// Name (commonName, UTF8String).
    pub name: String,
    /// Address (UTF8String).
    pub address: String,
    /// Date of birth.
    pub date_of_birth: CivilDate,
    /// Sex.
    pub sex: Sex,
}

/// The facts a platform attests about a secure-element key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyAttestation {
    /// The key was generated in, and cannot leave, a secure element.
    pub in_secure_element: bool,
    /// Every use of the key needs user verification.
    pub user_verification_required: bool,
    /// The challenge the attestation answers (the issuance nonce).
    pub challenge: Vec<u8>,
}

/// DER form of [`KeyAttestation`]:
/// `SEQUENCE { inSecureElement BOOLEAN, uvRequired BOOLEAN, challenge OCTET STRING }`.
#[derive(Sequence)]
struct KeyAttestationDer {
    in_secure_element: bool,
    user_verification_required: bool,
    challenge: OctetString,
}

impl KeyAttestation {
    /// DER encoding, as the extension value.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        let challenge = OctetString::new(self.challenge.clone()).map_err(der_error)?;
        KeyAttestationDer {
            in_secure_element: self.in_secure_element,
            user_verification_required: self.user_verification_required,
            challenge,
        }
        .to_der()
        .map_err(der_error)
    }

    /// Parses the extension value.
    pub fn from_der(bytes: &[u8]) -> Result<Self> {
        let parsed = KeyAttestationDer::from_der(bytes).map_err(der_error)?;
        Ok(KeyAttestation {
            in_secure_element: parsed.in_secure_element,
            user_verification_required: parsed.user_verification_required,
            challenge: parsed.challenge.as_bytes().to_vec(),
        })
    }
}

/// DER form of the verifier authorisation: `SEQUENCE { mayCheckSign BOOLEAN }`.
#[derive(Sequence)]
struct VerifierAuthorisationDer {
    may_check_sign: bool,
}

/// Encodes the verifier-authorisation extension value.
pub fn verifier_authorisation_to_der(may_check_sign: bool) -> Result<Vec<u8>> {
    VerifierAuthorisationDer { may_check_sign }.to_der().map_err(der_error)
}

/// Parses the verifier-authorisation extension value.
pub fn verifier_authorisation_from_der(bytes: &[u8]) -> Result<bool> {
    Ok(VerifierAuthorisationDer::from_der(bytes).map_err(der_error)?.may_check_sign)
}

pub(crate) fn der_error(e: der::Error) -> Error {
    Error::with_detail(Code::CertMalformed, format!("DER: {e}"))
}

/// Japan Standard Time is UTC+9 all year.
const JST_OFFSET_SECS: u64 = 9 * 3600;

/// The notAfter of a mobile certificate (PKI-010): 23:59:59 JST on the
/// holder's 5th birthday after the issue date (a 29 February birthday falls
/// on 28 February in common years), capped by the card certificate's notAfter.
pub fn mobile_not_after(
    date_of_birth: CivilDate,
    issued_at: crate::time::UnixTime,
    card_not_after: crate::time::UnixTime,
) -> crate::time::UnixTime {
    use crate::time::{DAY, days_in_month};
    let issue_days = ((issued_at + JST_OFFSET_SECS) / DAY) as i64;
    let issue_date = CivilDate::from_days_since_epoch(issue_days);
    let birthday_in = |year: u16| {
        let day = date_of_birth.day.min(days_in_month(year, date_of_birth.month));
        CivilDate { year, month: date_of_birth.month, day }
    };
    // The first birthday strictly after the issue date, then four more.
    let first = if birthday_in(issue_date.year) > issue_date { issue_date.year } else { issue_date.year + 1 };
    let fifth = birthday_in(first + 4);
    let end_of_day_jst = fifth.days_since_epoch() as u64 * DAY + DAY - 1 - JST_OFFSET_SECS;
    end_of_day_jst.min(card_not_after)
}
