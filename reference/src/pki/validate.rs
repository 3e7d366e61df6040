//! Chain validation for the v0 profile: from a leaf, through at most
//! `MAX_CHAIN_LEN` certificates, to one configured trust anchor, at one
//! instant given by the caller. Steps are numbered after spec/certificates.md.
//!
//! Each anchor keeps the chains it has validated, by their exact bytes and
//! purpose, with what validation found that does not depend on the clock
//! (steps 1–3 and 5–7): a chain seen again costs no signature verification.
//! Step 4, validity at the instant of use, runs on every use, so a
//! certificate that expired since is refused as before. The cache holds
//! chain validation only (never a status answer, USE-009), is bounded, and
//! lives in the anchor, outside any role state.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use super::parse::ParsedCert;
use super::profile::Purpose;
use crate::constants::MAX_CHAIN_LEN;
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::mutants::Mutation;
use crate::time::UnixTime;

/// A trusted root, configured out of band, with the chains validated to it.
#[derive(Clone)]
pub struct TrustAnchor {
    cert: ParsedCert,
    validated: ChainCache,
}

impl PartialEq for TrustAnchor {
    fn eq(&self, other: &Self) -> bool {
        self.cert == other.cert
    }
}

impl Eq for TrustAnchor {}

impl std::fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustAnchor").field("cert", &self.cert).finish_non_exhaustive()
    }
}

/// How many validated chains an anchor keeps; the oldest goes first.
pub const CHAIN_CACHE_CAPACITY: usize = 64;

/// (provider name, the chain's certificates as sent, purpose) → the parsed chain.
type Validated = ((&'static str, Vec<Vec<u8>>, Purpose), Vec<ParsedCert>);

/// The chains an anchor validated, shared by the anchor's clones (a forked
/// role keeps its parent's): what they hold depends only on the bytes.
#[derive(Clone, Default)]
struct ChainCache(Arc<Mutex<Vec<Validated>>>);

impl ChainCache {
    fn get(&self, provider: &'static str, chain: &[Vec<u8>], purpose: Purpose) -> Option<Vec<ParsedCert>> {
        let entries = self.0.lock().ok()?;
        let found = entries.iter().find(|((p, c, u), _)| *p == provider && *u == purpose && c.as_slice() == chain);
        found.map(|(_, certs)| certs.clone())
    }

    fn put(&self, provider: &'static str, chain: &[Vec<u8>], purpose: Purpose, certs: &[ParsedCert]) {
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= CHAIN_CACHE_CAPACITY {
                entries.remove(0);
            }
            entries.push(((provider, chain.to_vec(), purpose), certs.to_vec()));
        }
    }
}

thread_local! {
    static CACHE_ON: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` with every anchor's chain cache bypassed on this thread (each
/// chain validated in full, nothing remembered): tests compare verdicts
/// with and without it.
pub fn without_chain_cache<T>(f: impl FnOnce() -> T) -> T {
    let was = CACHE_ON.with(|c| c.replace(false));
    let out = f();
    CACHE_ON.with(|c| c.set(was));
    out
}

impl TrustAnchor {
    /// Parses a root certificate to trust.
    pub fn from_der(provider: &dyn CryptoProvider, der: &[u8]) -> Result<Self> {
        Ok(TrustAnchor { cert: ParsedCert::parse(provider, der)?, validated: ChainCache::default() })
    }

    /// The anchor's parsed certificate.
    pub fn cert(&self) -> &ParsedCert {
        &self.cert
    }
}

fn check_validity(cert: &ParsedCert, at: UnixTime, which: &str) -> Result<()> {
    // both bounds are still valid seconds (PKI-003, PKI-004)
    let exclusive = Mutation::ValidityBoundsExclusive.disables(None);
    let before = at < cert.not_before || (exclusive && at == cert.not_before);
    let after = at > cert.not_after || (exclusive && at == cert.not_after);
    if before && !Mutation::SkipNotBefore.disables(None) {
        return Err(Error::with_detail(Code::CertNotYetValid, format!("{which} is valid from {}", cert.not_before)));
    }
    if after && !Mutation::SkipNotAfter.disables(None) {
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
    let cache_on = CACHE_ON.with(Cell::get);
    if cache_on {
        if let Some(certs) = anchor.validated.get(provider.name(), chain, purpose) {
            // steps 1-3 and 5-7 passed for these very bytes; 4 depends on `at`
            valid_at(&certs, anchor, at)?;
            return Ok(certs[0].clone());
        }
    }
    // 1. every certificate parses under the profile (PKI-001)
    let certs = chain.iter().map(|der| ParsedCert::parse(provider, der)).collect::<Result<Vec<_>>>()?;
    // 2. no critical extension v0 does not know (PKI-008)
    for (i, cert) in certs.iter().enumerate() {
        if let Some(oid) = cert.unknown_critical.first().filter(|_| !Mutation::SkipCriticalExtensions.disables(None)) {
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
        if !Mutation::SkipChainSignatures.disables(None) {
            provider.verify_es256(&issuer.public_key, &cert.tbs, &cert.signature).map_err(|_| {
                Error::with_detail(Code::UntrustedChain, format!("certificate {i}: signature by another key"))
            })?;
        }
    }
    // 4. every certificate, the anchor too, is valid at `at` (PKI-003, PKI-004)
    valid_at(&certs, anchor, at)?;
    // 5. every issuing certificate is a CA allowed to sign certificates (PKI-006)
    for (i, issuer) in certs.iter().skip(1).chain(std::iter::once(&anchor.cert)).enumerate() {
        if (!issuer.is_ca || !issuer.key_cert_sign) && !Mutation::SkipIssuerCaCheck.disables(None) {
            return Err(Error::with_detail(Code::NotACa, format!("issuer {} is not a CA", i + 1)));
        }
    }
    // 6. the leaf is an end entity that signs (PKI-007)
    let leaf = &certs[0];
    if (leaf.is_ca || leaf.key_cert_sign || !leaf.digital_signature) && !Mutation::SkipLeafUsage.disables(None) {
        return Err(Error::new(Code::BadKeyUsage, "leaf must be a non-CA with digitalSignature only"));
    }
    // 7. the leaf's EKU names the purpose it is used for (PKI-005)
    if !leaf.ekus.contains(&purpose.eku()) && !Mutation::SkipEku.disables(None) {
        return Err(Error::with_detail(Code::WrongPurpose, format!("leaf has no EKU for {purpose:?}")));
    }
    if cache_on {
        anchor.validated.put(provider.name(), chain, purpose, &certs);
    }
    Ok(certs[0].clone())
}

/// Step 4: every certificate, then the anchor, valid at `at`.
fn valid_at(certs: &[ParsedCert], anchor: &TrustAnchor, at: UnixTime) -> Result<()> {
    for (i, cert) in certs.iter().enumerate() {
        check_validity(cert, at, &format!("certificate {i}"))?;
    }
    check_validity(&anchor.cert, at, "trust anchor")
}
