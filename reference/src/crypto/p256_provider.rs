//! The default provider, on the RustCrypto `p256` crate.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::{FieldBytes, NistP256, NonZeroScalar};
use sha2::{Digest, Sha256};

use super::{CryptoProvider, PublicKey, SecretKey};
use crate::error::{Code, Error, Result};

/// ES256 and SHA-256 from RustCrypto's `p256` and `sha2`.
#[derive(Clone, Copy, Debug, Default)]
pub struct P256Provider;

/// The scalar of `bytes`, if in `[1, n-1]` (no point arithmetic).
fn scalar(bytes: &[u8; 32]) -> Option<NonZeroScalar> {
    NonZeroScalar::from_repr(FieldBytes::from(*bytes)).into_option()
}

fn secret_scalar(secret: &SecretKey) -> Result<NonZeroScalar> {
    scalar(&secret.0).ok_or_else(|| Error::new(Code::InvalidKey, "secret scalar out of range"))
}

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
        scalar(&bytes).map(|_| SecretKey(bytes))
    }

    fn public_key(&self, secret: &SecretKey) -> Result<PublicKey> {
        let point =
            VerifyingKey::from(p256::PublicKey::from_secret_scalar(&secret_scalar(secret)?)).to_sec1_point(false);
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
        // RFC 6979 over SHA-256(message): what `SigningKey::sign` does, without
        // first deriving the public key it would never use here.
        let digest = Sha256::digest(message);
        let (signature, _) =
            ecdsa::hazmat::sign_prehashed_rfc6979::<NistP256, Sha256>(&secret_scalar(secret)?, &digest, &[]);
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
