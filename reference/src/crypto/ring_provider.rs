//! The fast provider: verification and hashing on `ring`, behind the
//! `ring` cargo feature.
//!
//! `ring` verifies a P-256 signature several times faster than `p256` here
//! (BENCHMARKS.md), but it signs only with random nonces and has no RFC 6979
//! mode. Where signature bytes must reproduce (fixtures, vectors, the model
//! beside a SUT) the provider therefore signs through `p256`
//! ([`RingProvider::DETERMINISTIC`]); a server whose signatures need not
//! reproduce can sign on `ring` as well ([`RingProvider::RANDOMIZED`]).
//! Key validation stays on `p256` too: it is a cheap on-curve check made
//! once per decoded key, and one definition of it keeps both providers'
//! refusals identical (`invalid_key`, KEY-002).

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, UnparsedPublicKey};

use super::{CryptoProvider, P256Provider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

/// How a [`RingProvider`] signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// RFC 6979 through `p256`: the same bytes as [`P256Provider`].
    Deterministic,
    /// `ring`'s randomized ECDSA: a valid ES256 signature, different each
    /// time. Never where bytes must reproduce.
    Randomized,
}

/// ES256 verification and SHA-256 on `ring`; signing as [`Signing`] says.
#[derive(Clone, Copy, Debug)]
pub struct RingProvider {
    signing: Signing,
}

impl RingProvider {
    /// Verifies on `ring`, signs deterministically on `p256`: the provider
    /// for the suite, the model and every fixture.
    pub const DETERMINISTIC: RingProvider = RingProvider { signing: Signing::Deterministic };
    /// Verifies and signs on `ring` (random nonces): for servers only.
    pub const RANDOMIZED: RingProvider = RingProvider { signing: Signing::Randomized };

    /// How this provider signs.
    pub fn signing(&self) -> Signing {
        self.signing
    }
}

impl CryptoProvider for RingProvider {
    fn name(&self) -> &'static str {
        match self.signing {
            Signing::Deterministic => "ring",
            Signing::Randomized => "ring-randomized",
        }
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }

    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> Result<PublicKey> {
        P256Provider.public_key_from_coordinates(x, y)
    }

    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey> {
        P256Provider.secret_key_from_bytes(bytes)
    }

    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey> {
        P256Provider.public_key(secret)
    }

    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> Result<[u8; 64]> {
        if self.signing == Signing::Deterministic {
            return P256Provider.sign_es256(secret, message);
        }
        let public = P256Provider.public_key(secret)?;
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &secret.to_bytes(),
            &public.to_sec1_uncompressed(),
            &rng,
        )
        .map_err(|_| Error::new(Code::InvalidKey, "ring refused the key pair"))?;
        let signed = pair.sign(&rng, message).map_err(|_| Error::new(Code::BadSignature, "signing failed"))?;
        signed.as_ref().try_into().map_err(|_| Error::new(Code::BadSignature, "ring's ES256 signature is not 64 bytes"))
    }

    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        // ring refuses r or s outside [1, n-1] and a point off the curve, and
        // accepts high-S, as the trait asks. A key reaches here only through a
        // provider's validation, so every refusal is the signature's.
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, key.to_sec1_uncompressed())
            .verify(message, signature)
            .map_err(|_| Error::new(Code::BadSignature, "ES256 signature does not verify"))
    }
}
