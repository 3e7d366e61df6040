//! A symbolic crypto provider, for the model checker only.
//!
//! Real ECDSA would make exhaustive exploration crawl, and the checker
//! explores protocol transitions, not the curve. Here a key pair is a tag:
//! the public key's `x` is SHA-256 of the secret (domain-separated) and its
//! `y` a hash of `x`, so "on the curve" means "made by this provider". A
//! signature is the pair `(H(x ‖ message), H'(x ‖ message))`: only the
//! holder of the secret behind `x` makes it (no explorer action forges one),
//! and verification recomputes it. Every protocol transition runs unchanged
//! on top; only the arithmetic is replaced. Never use it outside exploration.

use sha2::{Digest, Sha256};

use super::{CryptoProvider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

/// The symbolic provider (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct SymbolicProvider;

fn tagged(tag: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(tag);
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

impl CryptoProvider for SymbolicProvider {
    fn name(&self) -> &'static str {
        "symbolic"
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> Result<PublicKey> {
        if tagged(b"symbolic y", &[x]) != *y {
            return Err(Error::new(Code::InvalidKey, "not a key of the symbolic provider"));
        }
        Ok(PublicKey::from_validated(*x, *y))
    }

    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey> {
        (bytes != [0; 32]).then_some(SecretKey(bytes))
    }

    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey> {
        let x = tagged(b"symbolic x", &[&secret.0]);
        Ok(PublicKey::from_validated(x, tagged(b"symbolic y", &[&x])))
    }

    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> Result<[u8; 64]> {
        let public = self.public_key(secret)?;
        Ok(signature(&public, message))
    }

    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature_bytes: &[u8; 64]) -> Result<()> {
        if signature(key, message) == *signature_bytes {
            Ok(())
        } else {
            Err(Error::new(Code::BadSignature, "symbolic signature does not match"))
        }
    }
}

fn signature(key: &PublicKey, message: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&tagged(b"symbolic r", &[key.x(), message]));
    out[32..].copy_from_slice(&tagged(b"symbolic s", &[key.x(), message]));
    out
}
