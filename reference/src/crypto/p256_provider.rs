//! The default provider, on the RustCrypto `p256` crate.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{CryptoProvider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

/// ES256 and SHA-256 from RustCrypto's `p256` and `sha2`.
#[derive(Clone, Copy, Debug, Default)]
pub struct P256Provider;

fn verifying_key(key: &PublicKey) -> Result<VerifyingKey> {
    VerifyingKey::from_sec1_bytes(&key.to_sec1_uncompressed())
        .map_err(|_| Error::new(Code::InvalidKey, "point is not on P-256"))
}

impl CryptoProvider for P256Provider {
    fn name(&self) -> &'static str {
        "p256"
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> Result<PublicKey> {
        let candidate = PublicKey::from_validated(*x, *y);
        verifying_key(&candidate)?;
        Ok(candidate)
    }

    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey> {
        SigningKey::from_slice(&bytes).ok().map(|_| SecretKey(bytes))
    }

    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey> {
        let signing = SigningKey::from_slice(&secret.0)
            .map_err(|_| Error::new(Code::InvalidKey, "secret scalar out of range"))?;
        let point = signing.verifying_key().to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(Error::new(Code::InvalidKey, "public key is the identity"));
        };
        let mut xs = [0u8; 32];
        let mut ys = [0u8; 32];
        xs.copy_from_slice(x);
        ys.copy_from_slice(y);
        Ok(PublicKey::from_validated(xs, ys))
    }

    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> Result<[u8; 64]> {
        let signing = SigningKey::from_slice(&secret.0)
            .map_err(|_| Error::new(Code::InvalidKey, "secret scalar out of range"))?;
        let signature: Signature =
            signing.try_sign(message).map_err(|_| Error::new(Code::BadSignature, "signing failed"))?;
        let mut out = [0u8; 64];
        out.copy_from_slice(&signature.to_bytes());
        Ok(out)
    }

    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let verifying = verifying_key(key)?;
        // from_slice refuses r or s equal to 0 or >= n.
        let signature =
            Signature::from_slice(signature).map_err(|_| Error::new(Code::BadSignature, "r or s out of range"))?;
        verifying
            .verify(message, &signature)
            .map_err(|_| Error::new(Code::BadSignature, "ES256 signature does not verify"))
    }
}
