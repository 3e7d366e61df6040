//! Chain validation for the v0 profile: from a leaf, through at most
//! `MAX_CHAIN_LEN` certificates, to one configured trust anchor, at one
//! instant given by the caller. Steps are numbered after spec/certificates.md.

use super::parse::ParsedCert;
use super::profile::Purpose;
use crate::constants::MAX_CHAIN_LEN;
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// A trusted root, configured out of band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    cert: ParsedCert,
}

impl TrustAnchor {
    /// Parses a root certificate to trust.
    pub fn from_der(provider: &dyn CryptoProvider, der: &[u8]) -> Result<Self> {
        Ok(TrustAnchor { cert: ParsedCert::parse(provider, der)? })
    }

    /// The anchor's parsed certificate.
    pub fn cert(&self) -> &ParsedCert {
        &self.cert
    }
}

fn check_validity(cert: &ParsedCert, at: UnixTime, which: &str) -> Result<()> {
    if at < cert.not_before {
        return Err(Error::with_detail(Code::CertNotYetValid, format!("{which} is valid from {}", cert.not_before)));
    }
    if at > cert.not_after {
        return Err(Error::with_detail(Code::CertExpired, format!("{which} expired at {}", cert.not_after)));
    }
    Ok(())
}

/// Validates `chain` (DER, leaf first; the anchor may be omitted or
/// included last) for `purpose` at time `at`, and returns the parsed leaf.
pub fn validate_chain(
    provider: &dyn CryptoProvider,
    chain: &[Vec<u8>],
    anchor: &TrustAnchor,
    purpose: Purpose,
    at: UnixTime,
) -> Result<ParsedCert> {
    let mut chain = chain;
    if chain.len() > 1 && chain.last().is_some_and(|last| *last == anchor.cert.der) {
        chain = &chain[..chain.len() - 1];
    }
    if chain.is_empty() || chain.len() > MAX_CHAIN_LEN {
        return Err(Error::with_detail(Code::UntrustedChain, format!("chain of {} certificates", chain.len())));
    }
    // 1. every certificate parses under the profile (PKI-001)
    let certs = chain.iter().map(|der| ParsedCert::parse(provider, der)).collect::<Result<Vec<_>>>()?;
    // 2. no critical extension v0 does not know (PKI-008)
    for (i, cert) in certs.iter().enumerate() {
        if let Some(oid) = cert.unknown_critical.first() {
            return Err(Error::with_detail(Code::UnknownCriticalExtension, format!("certificate {i}: {oid}")));
        }
    }
    // 3. each certificate is signed by the next, the last by the anchor (PKI-002)
    let issuers = certs.iter().skip(1).chain(std::iter::once(&anchor.cert));
    for (i, (cert, issuer)) in certs.iter().zip(issuers).enumerate() {
        if cert.issuer_name != issuer.subject_name {
            return Err(Error::with_detail(
                Code::UntrustedChain,
                format!("certificate {i}: issuer name does not match"),
            ));
        }
        provider.verify_es256(&issuer.public_key, &cert.tbs, &cert.signature).map_err(|_| {
            Error::with_detail(Code::UntrustedChain, format!("certificate {i}: signature by another key"))
        })?;
    }
    // 4. every certificate, the anchor too, is valid at `at` (PKI-003, PKI-004)
    for (i, cert) in certs.iter().enumerate() {
        check_validity(cert, at, &format!("certificate {i}"))?;
    }
    check_validity(&anchor.cert, at, "trust anchor")?;
    // 5. every issuing certificate is a CA allowed to sign certificates (PKI-006)
    for (i, issuer) in certs.iter().skip(1).chain(std::iter::once(&anchor.cert)).enumerate() {
        if !issuer.is_ca || !issuer.key_cert_sign {
            return Err(Error::with_detail(Code::NotACa, format!("issuer {} is not a CA", i + 1)));
        }
    }
    // 6. the leaf is an end entity that signs (PKI-007)
    let leaf = &certs[0];
    if leaf.is_ca || leaf.key_cert_sign || !leaf.digital_signature {
        return Err(Error::new(Code::BadKeyUsage, "leaf must be a non-CA with digitalSignature only"));
    }
    // 7. the leaf's EKU names the purpose it is used for (PKI-005)
    if !leaf.ekus.contains(&purpose.eku()) {
        return Err(Error::with_detail(Code::WrongPurpose, format!("leaf has no EKU for {purpose:?}")));
    }
    Ok(certs[0].clone())
}
