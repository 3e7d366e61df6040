//! The roles a server plays, configured from a seed: the test PKI of
//! spec/certificates.md §6 gives the Issuer's, Status's and the two
//! verifiers' keys and certificates, exactly as the shim's `hello` does.

use std::collections::BTreeMap;

use jpki_reference::crypto::{CryptoProvider, Entropy, SeededEntropy, default_provider};
use jpki_reference::issuer::IssuerConfig;
use jpki_reference::mutants::Mutation;
use jpki_reference::status::StatusConfig;
use jpki_reference::verifier::VerifierConfig;
use jpki_reference::world::ReferenceSetup;
use jpki_reference::{Code, Error, Result};

/// Where a role draws its randomness.
pub enum Randomness {
    /// The seed's streams (test mode: what the embedded reference draws).
    Seeded(SeededEntropy),
    /// The operating system.
    System,
}

impl Entropy for Randomness {
    fn fill(&mut self, out: &mut [u8]) {
        match self {
            Randomness::Seeded(stream) => stream.fill(out),
            Randomness::System => {
                // A machine without randomness cannot serve: the request ends in the
                // panic, which the edge answers as `server_fault` (HTTP-007), never
                // with predictable nonces or serials.
                #[allow(clippy::panic)]
                if let Err(e) = getrandom::fill(out) {
                    panic!("the operating system's random source failed: {e}");
                }
            }
        }
    }
}

/// The configured roles and their randomness.
pub struct Roles {
    /// The crypto provider.
    pub provider: &'static dyn CryptoProvider,
    /// The Issuer.
    pub issuer: IssuerConfig,
    /// Status.
    pub status: StatusConfig,
    /// The verifiers, by rp id.
    pub verifiers: BTreeMap<String, VerifierConfig>,
    /// The Issuer's randomness.
    pub issuer_entropy: Randomness,
    /// Each verifier's randomness.
    pub verifier_entropy: BTreeMap<String, Randomness>,
}

impl Roles {
    /// The roles of `seed`; `seeded` draws randomness from the seed's
    /// streams; the Issuer also trusts `platform_roots` (DER), the
    /// attestation roots of a vendor's wallet, beside the test PKI's.
    pub fn from_seed(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        seeded: bool,
        platform_roots: &[Vec<u8>],
    ) -> Result<Roles> {
        if mutation.is_some_and(|m| m.family() == jpki_reference::mutants::Family::Step) {
            return Err(Error::new(Code::Malformed, "a step mutant rides in the suite's thread, not in a server"));
        }
        let setup = ReferenceSetup::new(seed, mutation)?.trusting_platform_roots(platform_roots)?;
        let stream = |label: &str| {
            if seeded { Randomness::Seeded(setup.pki.entropy(label)) } else { Randomness::System }
        };
        let mut verifiers = BTreeMap::new();
        let mut verifier_entropy = BTreeMap::new();
        for (rp, _, config) in setup.verifiers()? {
            verifier_entropy.insert(rp.clone(), stream(&format!("verifier/{rp}")));
            verifiers.insert(rp, config);
        }
        Ok(Roles {
            provider: default_provider(),
            issuer: setup.issuer_config()?,
            status: setup.status().config().clone(),
            verifiers,
            issuer_entropy: stream("issuer"),
            verifier_entropy,
        })
    }
}
