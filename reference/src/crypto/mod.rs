//! The crypto provider: every signature, verification, hash and key
//! operation the protocol makes goes through [`CryptoProvider`], so a second
//! backend can replace `p256` without touching protocol code (the pattern of
//! rustls's `CryptoProvider`).

mod entropy;
mod p256_provider;
#[cfg(feature = "ring")]
mod ring_provider;
mod symbolic;

pub use entropy::{Entropy, SeededEntropy};
pub use p256_provider::P256Provider;
#[cfg(feature = "ring")]
pub use ring_provider::{RingProvider, Signing};
pub use symbolic::SymbolicProvider;

use std::fmt;
use std::sync::OnceLock;

use crate::error::{Code, Error, Result};

/// A P-256 public key whose point has been checked to lie on the curve.
///
/// Only a provider constructs one, after that check (KEY-002).
#[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey {
    x: [u8; 32],
    y: [u8; 32],
}

impl PublicKey {
    /// The affine x coordinate, big-endian.
    pub fn x(&self) -> &[u8; 32] {
        &self.x
    }

    /// The affine y coordinate, big-endian.
    pub fn y(&self) -> &[u8; 32] {
        &self.y
    }

    /// The uncompressed SEC1 encoding: `04 || x || y`.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 4;
        out[1..33].copy_from_slice(&self.x);
        out[33..].copy_from_slice(&self.y);
        out
    }

    /// Wraps coordinates a provider has already validated. Providers only.
    fn from_validated(x: [u8; 32], y: [u8; 32]) -> Self {
        PublicKey { x, y }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(04")?;
        for b in self.x.iter().chain(self.y.iter()).take(8) {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// A P-256 secret scalar in `[1, n-1]`. Its `Debug` never prints the value.
#[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// The big-endian scalar bytes (for a provider's use).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// A key pair: the secret and its public key.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    /// The secret scalar.
    pub secret: SecretKey,
    /// Its public key.
    pub public: PublicKey,
}

/// The operations the protocol needs from a cryptographic backend.
///
/// All curve and hash work is here; everything else in the reference is
/// blind to which provider runs.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// A short name for reports ("p256", "aws-lc-rs", ...).
    fn name(&self) -> &'static str;

    /// SHA-256 of `data`.
    fn sha256(&self, data: &[u8]) -> [u8; 32];

    /// Validates affine coordinates as a P-256 point (on the curve, not the
    /// identity) and returns the key; `invalid_key` otherwise.
    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> Result<PublicKey>;

    /// Interprets 32 bytes as a secret scalar; `None` unless in `[1, n-1]`.
    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey>;

    /// The public key of `secret`.
    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey>;

    /// ES256: ECDSA P-256 over SHA-256(`message`), raw `r || s`. Deterministic
    /// (RFC 6979) so fixtures reproduce bit for bit.
    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> Result<[u8; 64]>;

    /// ES256 verification of a raw `r || s` signature. Accepts high-S
    /// signatures (secure elements make them); refuses `r` or `s` outside
    /// `[1, n-1]` and any signature that does not verify, with `bad_signature`.
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> Result<()>;
}

/// The one ES256 verification entry point: the COSE verifier and the
/// Wycheproof test both call it. Checks the 64-byte size (COSE-005) and
/// then the signature (COSE-006).
pub fn verify_es256(provider: &dyn CryptoProvider, key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<()> {
    let raw: &[u8; 64] = signature.try_into().map_err(|_| {
        Error::with_detail(Code::BadSignatureSize, format!("ES256 signature is {} bytes, not 64", signature.len()))
    })?;
    provider.verify_es256(key, message, raw)
}

/// Generates a key pair from `entropy`, retrying on the (negligibly rare)
/// out-of-range candidate so the result is a pure function of the stream.
pub fn generate_key(provider: &dyn CryptoProvider, entropy: &mut dyn Entropy) -> Result<KeyPair> {
    for _ in 0..64 {
        let mut candidate = [0u8; 32];
        entropy.fill(&mut candidate);
        if let Some(secret) = provider.secret_key_from_bytes(candidate) {
            let public = provider.public_key(&secret)?;
            return Ok(KeyPair { secret, public });
        }
    }
    Err(Error::new(Code::InvalidKey, "entropy source produced no valid scalar in 64 tries"))
}

static DEFAULT: OnceLock<&'static dyn CryptoProvider> = OnceLock::new();

/// The process's default provider: the one installed by
/// [`install_default_provider`], else the fastest compiled in (the `ring`
/// feature's [`RingProvider::DETERMINISTIC`], else [`P256Provider`]; both
/// sign the same bytes). Worlds built without an explicit provider use it
/// (the pattern of rustls's process default).
pub fn default_provider() -> &'static dyn CryptoProvider {
    *DEFAULT.get_or_init(fastest)
}

fn fastest() -> &'static dyn CryptoProvider {
    #[cfg(feature = "ring")]
    return &RingProvider::DETERMINISTIC;
    #[cfg(not(feature = "ring"))]
    return &P256Provider;
}

/// Makes `provider` the process's default, once, before any use. Refused
/// (returning the default already in place) once a default was installed or
/// read: a run never changes provider half-way.
pub fn install_default_provider(
    provider: &'static dyn CryptoProvider,
) -> std::result::Result<(), &'static dyn CryptoProvider> {
    DEFAULT.set(provider).map_err(|_| default_provider())
}

/// The providers compiled into this build, slowest first: `p256` always,
/// `ring` with the `ring` feature. Every one signs deterministically.
pub fn providers() -> Vec<&'static dyn CryptoProvider> {
    vec![
        &P256Provider as &'static dyn CryptoProvider,
        #[cfg(feature = "ring")]
        &RingProvider::DETERMINISTIC,
    ]
}

/// The compiled-in provider called `name` (see [`providers`]).
pub fn provider_named(name: &str) -> Option<&'static dyn CryptoProvider> {
    providers().into_iter().find(|p| p.name() == name)
}
