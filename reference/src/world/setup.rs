//! How a world's roles are made: every reference role configured from the
//! seed (so a separate process given the same seed builds the very same
//! roles), and the factory that may swap any of them for a binding.

use crate::crypto::{CryptoProvider, default_provider};
use crate::device::DeviceConfig;
use crate::issuer::IssuerConfig;
use crate::mutants::Mutation;
use crate::pki::{Credential, NameAttribute, Purpose, TestPki, TrustAnchor};
use crate::roles::{
    DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier, StatusRole,
    VerifierRole,
};
use crate::status::StatusConfig;
use crate::time::DAY;
use crate::verifier::VerifierConfig;

use super::{GOV_RP, SHOP_RP, WORLD_START};

/// Turns reference roles into the roles a world runs.
pub trait RoleFactory {
    /// The Issuer.
    fn issuer(&mut self, reference: ReferenceIssuer) -> Box<dyn IssuerRole>;
    /// Status.
    fn status(&mut self, reference: ReferenceStatus) -> Box<dyn StatusRole>;
    /// A verifier.
    fn verifier(&mut self, reference: ReferenceVerifier) -> Box<dyn VerifierRole>;
    /// A device named `name`.
    fn device(&mut self, name: &str, reference: ReferenceDevice) -> Box<dyn DeviceRole>;
    /// A copy for a forked world (see [`IssuerRole::fork`]); `None` if it cannot be copied.
    fn fork(&self) -> Option<Box<dyn RoleFactory>> {
        None
    }
}

/// The factory that keeps every reference role.
pub struct ReferenceRoles;

impl RoleFactory for ReferenceRoles {
    fn issuer(&mut self, reference: ReferenceIssuer) -> Box<dyn IssuerRole> {
        Box::new(reference)
    }
    fn status(&mut self, reference: ReferenceStatus) -> Box<dyn StatusRole> {
        Box::new(reference)
    }
    fn verifier(&mut self, reference: ReferenceVerifier) -> Box<dyn VerifierRole> {
        Box::new(reference)
    }
    fn device(&mut self, _name: &str, reference: ReferenceDevice) -> Box<dyn DeviceRole> {
        // a world of reference roles is the suite's own: it holds every key
        Box::new(reference.played_by_suite())
    }
    fn fork(&self) -> Option<Box<dyn RoleFactory>> {
        Some(Box::new(ReferenceRoles))
    }
}

/// Everything needed to build the reference roles of a world from a seed.
#[derive(Clone, Debug)]
pub struct ReferenceSetup {
    provider: &'static dyn CryptoProvider,
    /// The test PKI.
    pub pki: TestPki,
    /// The mutant, if any.
    pub mutation: Option<Mutation>,
    /// The mobile root as a trust anchor.
    pub mobile_anchor: TrustAnchor,
    /// Platform attestation roots the Issuer trusts besides the test PKI's
    /// (a vendor's wallet attests under its own platform's root).
    pub extra_platform_anchors: Vec<TrustAnchor>,
}

impl ReferenceSetup {
    /// The setup for `seed`.
    pub fn new(seed: [u8; 32], mutation: Option<Mutation>) -> crate::Result<Self> {
        ReferenceSetup::with_provider(seed, mutation, default_provider())
    }

    /// The setup for `seed` on another crypto provider.
    pub fn with_provider(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        provider: &'static dyn CryptoProvider,
    ) -> crate::Result<Self> {
        let pki = TestPki::from_seed(provider, seed, WORLD_START)?;
        let mobile_anchor = pki.mobile_root.anchor(provider)?;
        Ok(ReferenceSetup { provider, pki, mutation, mobile_anchor, extra_platform_anchors: Vec::new() })
    }

    /// This setup with the Issuer also trusting the platform attestation
    /// roots `roots` (DER certificates).
    pub fn trusting_platform_roots(mut self, roots: &[Vec<u8>]) -> crate::Result<Self> {
        for root in roots {
            self.extra_platform_anchors.push(TrustAnchor::from_der(self.provider, root)?);
        }
        Ok(self)
    }

    /// The reference Issuer.
    pub fn issuer(&self) -> crate::Result<ReferenceIssuer> {
        Ok(ReferenceIssuer::new(self.provider, self.issuer_config()?, self.pki.entropy("issuer")))
    }

    /// The reference Issuer's configuration: its keys derive from the seed.
    pub fn issuer_config(&self) -> crate::Result<IssuerConfig> {
        let (provider, pki, now) = (self.provider, &self.pki, WORLD_START);
        let receipts_key = pki.key(provider, "issuer-receipts")?;
        let receipts_cert = pki.leaf(
            provider,
            &pki.mobile_root,
            "issuer-receipts",
            vec![NameAttribute::common_name("JPKI Test Issuer Receipts")],
            &receipts_key.public,
            Purpose::IssuerReceipts,
            (now - DAY, now + crate::pki::fixtures::ROOT_LIFETIME_SECS),
            vec![],
        )?;
        let signer_key = pki.key(provider, "document-signer")?;
        let signer_cert = pki.leaf(
            provider,
            &pki.mobile_root,
            "document-signer",
            vec![NameAttribute::common_name("JPKI Test Qualification Document Signer")],
            &signer_key.public,
            Purpose::DocumentSigner,
            (now - DAY, now + crate::pki::fixtures::ROOT_LIFETIME_SECS),
            vec![],
        )?;
        let config = IssuerConfig {
            mobile_root: pki.mobile_root.clone(),
            card_anchor: pki.card_root.anchor(provider)?,
            platform_anchors: std::iter::once(pki.platform_root.anchor(provider)?)
                .chain(self.extra_platform_anchors.iter().cloned())
                .collect(),
            mobile_anchor: self.mobile_anchor.clone(),
            receipts: Credential { key: receipts_key, cert: receipts_cert },
            document_signer: Credential { key: signer_key, cert: signer_cert },
            eligibility: crate::mdoc::mso::Eligibility::test_record(now),
            mutation: self.mutation,
        };
        Ok(config)
    }

    /// The reference status service.
    pub fn status(&self) -> ReferenceStatus {
        let config = StatusConfig {
            signer: self.pki.status_signer.clone(),
            verifier_anchor: self.mobile_anchor.clone(),
            issuer_anchor: self.mobile_anchor.clone(),
            mutation: self.mutation,
        };
        ReferenceStatus::new(self.provider, config)
    }

    /// The two reference verifiers, with their configurations.
    pub fn verifiers(&self) -> crate::Result<Vec<(String, ReferenceVerifier, VerifierConfig)>> {
        let mut out = Vec::new();
        for (rp, may_sign) in [(GOV_RP, true), (SHOP_RP, false)] {
            let config = VerifierConfig {
                rp_id: rp.into(),
                credential: self.pki.verifier(self.provider, rp, may_sign)?,
                mobile_anchor: self.mobile_anchor.clone(),
                mutation: self.mutation,
            };
            let entropy = self.pki.entropy(&format!("verifier/{rp}"));
            out.push((rp.to_owned(), ReferenceVerifier::new(self.provider, config.clone(), entropy), config));
        }
        Ok(out)
    }

    /// The reference device `name`.
    pub fn device(&self, name: &str) -> ReferenceDevice {
        self.device_drawing_from(name, self.pki.entropy(&format!("device/{name}")))
    }

    /// The reference wallet `name` drawing its secure-element keys from
    /// `entropy` instead of the seed's stream (an adapter playing a wallet
    /// whose keys nobody can predict).
    pub fn device_drawing_from(&self, name: &str, entropy: crate::crypto::SeededEntropy) -> ReferenceDevice {
        let config = DeviceConfig {
            device_id: format!("device {name}"),
            platform: self.pki.platform_root.clone(),
            mutation: self.mutation,
        };
        ReferenceDevice::new(self.provider, config, self.mobile_anchor.clone(), entropy)
    }
}
