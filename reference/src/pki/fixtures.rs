//! The test PKI: every root, card certificate, attestation and verifier
//! certificate derived from a 32-byte seed and an injected clock, so vectors
//! and tests reproduce bit for bit and nothing expires on a calendar date.

use super::build::{CertRole, CertTemplate, IssuerRef, NameAttribute, holder_subject, issue_certificate};
use super::oids;
use super::profile::{HolderAttributes, KeyAttestation, Purpose, verifier_authorisation_to_der};
use super::validate::TrustAnchor;
use crate::crypto::{CryptoProvider, Entropy, KeyPair, PublicKey, SeededEntropy, generate_key};
use crate::error::Result;
use crate::time::{DAY, UnixTime};

/// A certificate authority of the test PKI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// Its subject name.
    pub subject: Vec<NameAttribute>,
    /// Its key pair.
    pub key: KeyPair,
    /// Its self-signed certificate, DER.
    pub cert: Vec<u8>,
}

impl Authority {
    /// The issuing reference for certificates this authority signs.
    pub fn as_issuer(&self) -> IssuerRef<'_> {
        IssuerRef { subject: &self.subject, key: &self.key }
    }

    /// This authority as a trust anchor.
    pub fn anchor(&self, provider: &dyn CryptoProvider) -> Result<TrustAnchor> {
        TrustAnchor::from_der(provider, &self.cert)
    }
}

/// An end-entity key with its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The key pair.
    pub key: KeyPair,
    /// The certificate, DER.
    pub cert: Vec<u8>,
}

/// The card's two credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardCredentials {
    /// The signature certificate (with the four attributes).
    pub sign: Credential,
    /// The user-authentication certificate (no personal attributes).
    pub auth: Credential,
}

/// The card root and the test PKI's long-lived leaves (status signer,
/// verifiers) live this long.
pub const ROOT_LIFETIME_SECS: u64 = 30 * 365 * DAY;
/// The mobile root ends 90 days before the card root.
pub const MOBILE_ROOT_LIFETIME_SECS: u64 = ROOT_LIFETIME_SECS - 90 * DAY;
/// The platform attestation root ends 180 days before the card root. The
/// three roots end at different times so that one of them can be past its
/// notAfter while the others are valid (PKI-003 on each chain of a message).
pub const PLATFORM_ROOT_LIFETIME_SECS: u64 = ROOT_LIFETIME_SECS - 180 * DAY;

/// The seed-derived test PKI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestPki {
    seed: [u8; 32],
    /// The clock value the PKI was made at.
    pub made_at: UnixTime,
    /// Root of the card certificates (the J-LIS card CA role).
    pub card_root: Authority,
    /// Root of the mobile certificates, status signer and verifiers.
    pub mobile_root: Authority,
    /// Root of the platform's key attestations.
    pub platform_root: Authority,
    /// The status signer.
    pub status_signer: Credential,
}

impl TestPki {
    /// Builds the PKI from `seed` at clock `now`. Same inputs, same bytes.
    pub fn from_seed(provider: &dyn CryptoProvider, seed: [u8; 32], now: UnixTime) -> Result<Self> {
        let card_root = make_root(provider, &seed, ("card-root", "JPKI Test Card Root"), now, ROOT_LIFETIME_SECS)?;
        let mobile_root =
            make_root(provider, &seed, ("mobile-root", "JPKI Test Mobile Root"), now, MOBILE_ROOT_LIFETIME_SECS)?;
        let platform_root = make_root(
            provider,
            &seed,
            ("platform-root", "Test Platform Attestation Root"),
            now,
            PLATFORM_ROOT_LIFETIME_SECS,
        )?;
        let mut pki = TestPki {
            seed,
            made_at: now,
            card_root,
            mobile_root,
            platform_root,
            status_signer: Credential { key: derive_key(provider, &seed, "status-signer")?, cert: Vec::new() },
        };
        let status_key = pki.status_signer.key.clone();
        pki.status_signer.cert = pki.leaf(
            provider,
            &pki.mobile_root,
            "status-signer",
            vec![NameAttribute::common_name("JPKI Test Status Signer")],
            &status_key.public,
            Purpose::StatusSigning,
            (now.saturating_sub(DAY), now + ROOT_LIFETIME_SECS),
            vec![],
        )?;
        Ok(pki)
    }

    /// A fresh deterministic entropy stream for `label`.
    pub fn entropy(&self, label: &str) -> SeededEntropy {
        SeededEntropy::new(&self.seed, label)
    }

    /// The deterministic key pair named `label`.
    pub fn key(&self, provider: &dyn CryptoProvider, label: &str) -> Result<KeyPair> {
        derive_key(provider, &self.seed, label)
    }

    /// A deterministic serial number for the certificate named `label`.
    pub fn serial(&self, label: &str) -> Vec<u8> {
        serial_for(&self.seed, label)
    }

    /// Issues a leaf under `authority`.
    #[allow(clippy::too_many_arguments)]
    pub fn leaf(
        &self,
        provider: &dyn CryptoProvider,
        authority: &Authority,
        label: &str,
        subject: Vec<NameAttribute>,
        key: &PublicKey,
        purpose: Purpose,
        (not_before, not_after): (UnixTime, UnixTime),
        extra_extensions: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>,
    ) -> Result<Vec<u8>> {
        let template = CertTemplate {
            serial: self.serial(label),
            subject,
            not_before,
            not_after,
            public_key: key.clone(),
            role: CertRole::Leaf(purpose),
            extra_extensions,
        };
        issue_certificate(provider, &template, authority.as_issuer())
    }

    /// The card of holder `holder_id`: `sign` with the four attributes,
    /// `auth` without, both valid over `validity`.
    pub fn card(
        &self,
        provider: &dyn CryptoProvider,
        holder_id: &str,
        attributes: &HolderAttributes,
        validity: (UnixTime, UnixTime),
    ) -> Result<CardCredentials> {
        let sign_key = self.key(provider, &format!("card/{holder_id}/sign"))?;
        let auth_key = self.key(provider, &format!("card/{holder_id}/auth"))?;
        let sign_cert = self.leaf(
            provider,
            &self.card_root,
            &format!("card/{holder_id}/sign"),
            holder_subject(attributes),
            &sign_key.public,
            Purpose::CardSign,
            validity,
            vec![],
        )?;
        // The auth certificate names no person: only an opaque card label.
        let auth_cert = self.leaf(
            provider,
            &self.card_root,
            &format!("card/{holder_id}/auth"),
            vec![NameAttribute::common_name(&format!("card-auth {holder_id}"))],
            &auth_key.public,
            Purpose::CardAuth,
            validity,
            vec![],
        )?;
        Ok(CardCredentials {
            sign: Credential { key: sign_key, cert: sign_cert },
            auth: Credential { key: auth_key, cert: auth_cert },
        })
    }

    /// A platform attestation certificate for a secure-element key.
    pub fn attestation(
        &self,
        provider: &dyn CryptoProvider,
        label: &str,
        key: &PublicKey,
        facts: &KeyAttestation,
        validity: (UnixTime, UnixTime),
    ) -> Result<Vec<u8>> {
        self.leaf(
            provider,
            &self.platform_root,
            &format!("attestation/{label}"),
            vec![NameAttribute::common_name(&format!("SE key {label}"))],
            key,
            Purpose::KeyAttestation,
            validity,
            vec![(oids::EXT_KEY_ATTESTATION, true, facts.to_der()?)],
        )
    }

    /// A verifier's credential: its rp id as commonName, and whether Status
    /// answers it about `sign` certificates.
    pub fn verifier(&self, provider: &dyn CryptoProvider, rp_id: &str, may_check_sign: bool) -> Result<Credential> {
        let key = self.key(provider, &format!("verifier/{rp_id}"))?;
        let cert = self.leaf(
            provider,
            &self.mobile_root,
            &format!("verifier/{rp_id}"),
            vec![NameAttribute::common_name(rp_id)],
            &key.public,
            Purpose::Verifier,
            (self.made_at.saturating_sub(DAY), self.made_at + ROOT_LIFETIME_SECS),
            vec![(oids::EXT_VERIFIER_AUTHORISATION, false, verifier_authorisation_to_der(may_check_sign)?)],
        )?;
        Ok(Credential { key, cert })
    }
}

fn derive_key(provider: &dyn CryptoProvider, seed: &[u8; 32], label: &str) -> Result<KeyPair> {
    generate_key(provider, &mut SeededEntropy::new(seed, &format!("key/{label}")))
}

fn serial_for(seed: &[u8; 32], label: &str) -> Vec<u8> {
    let mut serial = vec![0u8; 16];
    SeededEntropy::new(seed, &format!("serial/{label}")).fill(&mut serial);
    // Positive and exactly 16 bytes in DER: top bit clear, next bit set.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    serial
}

fn make_root(
    provider: &dyn CryptoProvider,
    seed: &[u8; 32],
    (label, name): (&str, &str),
    now: UnixTime,
    lifetime: u64,
) -> Result<Authority> {
    let key = derive_key(provider, seed, label)?;
    let subject = vec![NameAttribute::common_name(name)];
    let template = CertTemplate {
        serial: serial_for(seed, label),
        subject: subject.clone(),
        not_before: now.saturating_sub(DAY),
        not_after: now + lifetime,
        public_key: key.public.clone(),
        role: CertRole::Authority,
        extra_extensions: vec![],
    };
    let cert = issue_certificate(provider, &template, IssuerRef { subject: &subject, key: &key })?;
    Ok(Authority { subject, key, cert })
}
