//! Reading a certificate as the v0 profile sees it: the raw TBS bytes (the
//! signature is checked over them as received), the P-256 key, the
//! validity window and the extensions v0 knows.

use crate::mutants::Mutation;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};

use super::oids;
use super::profile::{HolderAttributes, KeyAttestation, Sex, der_error, verifier_authorisation_from_der};
use crate::crypto::{CryptoProvider, PublicKey};
use crate::error::{Code, Error, Result};
use crate::time::{CivilDate, UnixTime};

/// A parsed certificate of the v0 profile (not yet validated as a chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedCert {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// The TBSCertificate bytes as received.
    pub tbs: Vec<u8>,
    /// The issuer name, DER.
    pub issuer_name: Vec<u8>,
    /// The subject name, DER.
    pub subject_name: Vec<u8>,
    /// The serial number bytes.
    pub serial: Vec<u8>,
    /// The subject's P-256 key.
    pub public_key: PublicKey,
    /// notBefore.
    pub not_before: UnixTime,
    /// notAfter.
    pub not_after: UnixTime,
    /// The signature, raw `r || s`.
    pub signature: [u8; 64],
    /// basicConstraints cA.
    pub is_ca: bool,
    /// keyUsage digitalSignature.
    pub digital_signature: bool,
    /// keyUsage keyCertSign.
    pub key_cert_sign: bool,
    /// extKeyUsage OIDs.
    pub ekus: Vec<ObjectIdentifier>,
    /// The key-attestation extension, if present.
    pub key_attestation: Option<KeyAttestation>,
    /// The verifier-authorisation extension, if present.
    pub verifier_may_check_sign: Option<bool>,
    /// OIDs of critical extensions v0 does not know.
    pub unknown_critical: Vec<ObjectIdentifier>,
    /// Subject attributes as (OID, string value).
    pub subject: Vec<(ObjectIdentifier, String)>,
}

fn malformed(detail: &'static str) -> Error {
    Error::new(Code::CertMalformed, detail)
}

/// The length of the DER TLV at the start of `bytes`: (header length, content length).
fn tlv_lengths(bytes: &[u8]) -> Result<(usize, usize)> {
    let first_len = *bytes.get(1).ok_or(malformed("truncated"))?;
    if first_len < 0x80 {
        return Ok((2, usize::from(first_len)));
    }
    let count = usize::from(first_len & 0x7f);
    if count == 0 || count > 4 {
        return Err(malformed("unsupported DER length"));
    }
    let len_bytes = bytes.get(2..2 + count).ok_or(malformed("truncated"))?;
    let len = len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((2 + count, len))
}

/// The TBSCertificate TLV inside a certificate, as received.
fn raw_tbs(cert: &[u8]) -> Result<&[u8]> {
    let (outer_header, _) = tlv_lengths(cert)?;
    let inner = cert.get(outer_header..).ok_or(malformed("truncated"))?;
    let (header, len) = tlv_lengths(inner)?;
    inner.get(..header + len).ok_or(malformed("truncated TBSCertificate"))
}

fn string_value(value: &der::asn1::Any) -> Option<String> {
    match value.tag() {
        der::Tag::Utf8String | der::Tag::PrintableString | der::Tag::Ia5String => {
            std::str::from_utf8(value.value()).ok().map(str::to_owned)
        }
        _ => None,
    }
}

impl ParsedCert {
    /// Parses `der` under the v0 profile (PKI-001).
    pub fn parse(provider: &dyn CryptoProvider, der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der).map_err(der_error)?;
        let tbs_cert = cert.tbs_certificate();
        // ecdsa-with-SHA256, the same inside and outside the TBS
        if cert.signature_algorithm().oid != oids::ECDSA_WITH_SHA256
            || tbs_cert.signature().oid != oids::ECDSA_WITH_SHA256
        {
            return Err(malformed("signature algorithm is not ecdsa-with-SHA256"));
        }
        // a P-256 key on the curve
        let spki = tbs_cert.subject_public_key_info();
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if spki.algorithm.oid != oids::EC_PUBLIC_KEY || curve != Some(oids::SECP256R1) {
            return Err(malformed("subject key is not a P-256 EC key"));
        }
        let point = spki.subject_public_key.as_bytes().ok_or(malformed("subject key bit string"))?;
        if point.len() != 65 || point[0] != 4 {
            return Err(malformed("subject key is not an uncompressed P-256 point"));
        }
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&point[1..33]);
        y.copy_from_slice(&point[33..]);
        let public_key =
            provider.public_key_from_coordinates(&x, &y).map_err(|_| malformed("subject key is not on P-256"))?;
        let signature_der = cert.signature().as_bytes().ok_or(malformed("signature bit string"))?;
        let signature = super::ecdsa_der::from_der(signature_der)?;

        let mut parsed = ParsedCert {
            der: der.to_vec(),
            tbs: raw_tbs(der)?.to_vec(),
            issuer_name: tbs_cert.issuer().to_der().map_err(der_error)?,
            subject_name: tbs_cert.subject().to_der().map_err(der_error)?,
            serial: tbs_cert.serial_number().as_bytes().to_vec(),
            public_key,
            not_before: tbs_cert.validity().not_before.to_unix_duration().as_secs(),
            not_after: tbs_cert.validity().not_after.to_unix_duration().as_secs(),
            signature,
            is_ca: false,
            digital_signature: false,
            key_cert_sign: false,
            ekus: Vec::new(),
            key_attestation: None,
            verifier_may_check_sign: None,
            unknown_critical: Vec::new(),
            subject: tbs_cert
                .subject()
                .iter()
                .filter_map(|atv| string_value(&atv.value).map(|v| (atv.oid, v)))
                .collect(),
        };
        let mut seen = Vec::new();
        for ext in tbs_cert.extensions().map(Vec::as_slice).unwrap_or(&[]) {
            if seen.contains(&ext.extn_id) && !Mutation::AllowDuplicateExtensions.disables(None) {
                return Err(malformed("an extension appears twice"));
            }
            seen.push(ext.extn_id);
            parsed.read_extension(ext.extn_id, ext.critical, ext.extn_value.as_bytes())?;
        }
        Ok(parsed)
    }

    fn read_extension(&mut self, oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Result<()> {
        match oid {
            oids::BASIC_CONSTRAINTS => {
                let basic = BasicConstraints::from_der(value).map_err(der_error)?;
                // the v0 profile's authorities carry no pathLenConstraint (PKI-001)
                if basic.path_len_constraint.is_some() && !Mutation::AllowPathLen.disables(None) {
                    return Err(Error::new(Code::CertMalformed, "a pathLenConstraint is outside the v0 profile"));
                }
                self.is_ca = basic.ca;
            }
            oids::KEY_USAGE => {
                let usage = KeyUsage::from_der(value).map_err(der_error)?;
                self.digital_signature = usage.0.contains(KeyUsages::DigitalSignature);
                self.key_cert_sign = usage.0.contains(KeyUsages::KeyCertSign);
            }
            oids::EXT_KEY_USAGE => self.ekus = ExtendedKeyUsage::from_der(value).map_err(der_error)?.0,
            oids::EXT_KEY_ATTESTATION => self.key_attestation = Some(KeyAttestation::from_der(value)?),
            oids::EXT_VERIFIER_AUTHORISATION => {
                self.verifier_may_check_sign = Some(verifier_authorisation_from_der(value)?)
            }
            _ if critical => self.unknown_critical.push(oid),
            _ => {}
        }
        Ok(())
    }

    /// The value of subject attribute `oid`, if present.
    pub fn subject_attribute(&self, oid: ObjectIdentifier) -> Option<&str> {
        self.subject.iter().find(|(o, _)| *o == oid).map(|(_, v)| v.as_str())
    }

    /// The four basic attributes, when the subject carries all of them.
    pub fn holder_attributes(&self) -> Option<HolderAttributes> {
        Some(HolderAttributes {
            name: self.subject_attribute(oids::CN)?.to_owned(),
            address: self.subject_attribute(oids::ATTR_ADDRESS)?.to_owned(),
            date_of_birth: CivilDate::parse_compact(self.subject_attribute(oids::ATTR_DATE_OF_BIRTH)?)?,
            sex: Sex::from_code(self.subject_attribute(oids::ATTR_SEX)?)?,
        })
    }
}
